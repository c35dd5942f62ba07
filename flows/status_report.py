"""status-report: the status page (northstar/monitoring/report.py) written to the landing store for the team."""

from __future__ import annotations

from prefect import flow, task

from northstar.monitoring.service import publish_report
from northstar.settings import load_settings

JOB = "status-report"


@task
def write_status_page(days: int) -> str:
    """Build the page over the last `days` days and write it under reports/status/ in the landing store."""
    return publish_report(load_settings(), days)


@flow(name=JOB)
def status_report(days: int = 14) -> str:
    """One status page; its URI in the landing store."""
    return write_status_page(days)
