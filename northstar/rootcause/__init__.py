"""Root cause: from a wrong number (an incident, a metric on a day, an order, a batch) to its likely cause.

`evidence` fetches bounded slices (sql/rootcause/), `hypotheses` (with `shifts`, `duplicates`) and `timing_and_code`
test source change, late arriving data, ETL bug and transformation logic as pure functions of that evidence (`items`:
what they are made of), `verdict` ranks them and writes the next step, `report` renders text and a self-contained HTML
page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from northstar.incidents import get_incident
from northstar.landing import landing_store
from northstar.rootcause.evidence import (
    METRICS,
    REVENUE_METRICS,
    Evidence,
    InvestigationError,
    Subject,
    batch_subject,
    gather,
    order_subject,
)
from northstar.rootcause.verdict import Verdict, classify
from northstar.settings import Settings
from northstar.warehouse import Warehouse

__all__ = [
    "METRICS",
    "Evidence",
    "InvestigationError",
    "Replayer",
    "Subject",
    "Verdict",
    "investigate",
    "resolve_subject",
]

INCIDENT_METRICS = {"duplicates.daily_rate": "duplicate_rate"}  # checks whose incident is a metric's SLA breach


def resolve_subject(
    wh: Warehouse,
    settings: Settings,
    *,
    incident: str | None = None,
    metric: str | None = None,
    day: str | None = None,
    currency: str | None = None,
    source: str | None = None,
    order: int | None = None,
    batch: str | None = None,
) -> Subject:
    """The Subject of exactly one symptom. InvestigationError for an unknown id, a metric without --date, a bad date."""
    tz = settings.consistency.business_tz
    if incident:
        row = get_incident(wh, incident)
        revenue = row["CHECK_ID"].startswith("reconciliation.") or row["SOURCE"] == "consistency"
        metric = INCIDENT_METRICS.get(row["CHECK_ID"]) or ("daily_revenue" if revenue else "checks")
        return Subject(
            "incident",
            incident,
            metric,
            row["BUSINESS_DATE"],
            currency,
            None if row["SOURCE"] == "consistency" else row["SOURCE"],
            batch_id=row["LAST_BATCH_ID"],
            incident_id=incident,
        )
    if batch:
        return batch_subject(wh, batch, tz)
    if order is not None:
        return order_subject(wh, order, tz)
    if metric not in METRICS:
        raise InvestigationError(f"--metric must be one of {', '.join(METRICS)}")
    if not day:
        raise InvestigationError(f"--metric {metric} needs --date YYYY-MM-DD (a business day in {tz})")
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise InvestigationError(f"--date {day!r} is not a date written YYYY-MM-DD") from exc
    return Subject("metric", metric, metric, when, currency.upper() if currency else None, source)


Replayer = Callable[[Evidence], list[dict[str, Any]]]


def investigate(
    wh: Warehouse, settings: Settings, subject: Subject, replayer: Replayer | None = None
) -> tuple[Verdict, Evidence]:
    """Gather the subject's evidence, add a dry-run replay's per-table differences (replayer: the caller's, since
    replaying is a flow; dicts with batch_id, table, added, removed, changed, sample), and classify."""
    ev = gather(
        wh,
        subject,
        settings.consistency.business_tz,
        int(settings.orders.overlap.total_seconds() // 60),
        landing_store(settings),
        settings.consistency.reconcile_days,
    )
    ev.replay = replayer(ev) if replayer else []
    ev.subject = _with_currency(ev)
    return classify(ev), ev


def _with_currency(ev: Evidence) -> Subject:
    """An incident about revenue names its currency: the one currency its day's comparisons with finance were off in
    (the subject unchanged when it names one already, or when none or several were off)."""
    s = ev.subject
    if s.kind != "incident" or s.currency or s.metric not in REVENUE_METRICS:
        return s
    off = {r["CURRENCY"] for r in ev.reconciliation if not r["WITHIN_SLA"] and r["CURRENCY"]}
    return replace(s, currency=off.pop()) if len(off) == 1 else s


def is_revenue(subject: Subject) -> bool:
    """Whether the subject is about revenue against finance."""
    return subject.metric in REVENUE_METRICS
