"""monitor: every 5 minutes, the freshness, volume and quality monitors over the ledger, and the alerts they fire.

The monitors read what the batches recorded (OPS.LOAD_BATCHES and the consistency tables) and write
OPS.MONITOR_READINGS; the alerts (OPS.ALERTS) owe Slack at most one message each (northstar/monitoring/).
It is not a batch: it publishes nothing, so it does not run on the batch engine.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from northstar.monitoring.service import monitor_once
from northstar.settings import load_settings

JOB = "monitor"


@task
def run_monitors() -> dict[str, Any]:
    """Read the ledger, record the readings, update the alerts and deliver what they owe."""
    return monitor_once(load_settings()).as_dict()


@flow(name=JOB)
def monitor() -> dict[str, Any]:
    """One monitor run: readings, alerts, Slack (a Slack outage leaves messages pending; the run succeeds)."""
    return run_monitors()
