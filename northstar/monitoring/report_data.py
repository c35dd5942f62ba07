"""The status page's data: what it charts, read from the warehouse in one pass (rows as plain dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from northstar.monitoring.ledger import naive, read_alerts
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse

AGE_BUCKETS = ((1, "< 1 h"), (6, "1-6 h"), (12, "6-12 h"), (24, "12-24 h"), (float("inf"), "> 24 h"))
OPEN_WORDS = ("closed", "resolved", "done")


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, over the `days` ending at `now` (UTC)."""

    now: datetime
    days: int
    freshness: list[dict[str, Any]] = field(default_factory=list)  # DAY, SOURCE, WITHIN_SLA, WORST_MINUTES, SLA
    sla: list[dict[str, Any]] = field(default_factory=list)  # BUSINESS_DATE, METRIC, VALUE, THRESHOLD
    gate: list[dict[str, Any]] = field(default_factory=list)  # BATCH_ID, WINDOW_END, STATUS, REASON
    quarantine: list[dict[str, Any]] = field(default_factory=list)  # DAY, QUARANTINE_TABLE, REASON, N
    volume: list[dict[str, Any]] = field(default_factory=list)  # SOURCE, WINDOW_START, ROWS_READ, BAND_*
    pending_ages: list[dict[str, Any]] = field(default_factory=list)  # kind, bucket, n
    incidents: list[dict[str, Any]] | None = None  # None: OPS.INCIDENTS does not exist (yet)
    alerts: list[dict[str, Any]] = field(default_factory=list)


def collect(wh: Warehouse, now: datetime, days: int) -> ReportData:
    """Read the page's data for the `days` days ending at now."""
    since = naive(now - timedelta(days=days))
    day_since = (now - timedelta(days=days)).date()

    def rows(relative: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return wh.query(read_sql(relative), params)

    has_incidents = int(rows("snowflake/select_report_has_incidents.sql")[0]["N"]) > 0
    return ReportData(
        now=now,
        days=days,
        freshness=rows("snowflake/select_report_freshness.sql", {"since": since}),
        sla=rows("snowflake/select_report_sla_metrics.sql", {"since": day_since}),
        gate=rows("snowflake/select_report_gate.sql", {"since": since}),
        quarantine=rows("snowflake/select_report_quarantine_reasons.sql", {"since": since}),
        volume=rows("snowflake/select_report_volume.sql", {"since": since}),
        pending_ages=pending_by_age(rows("snowflake/select_ops_pending_references.sql"), now),
        incidents=open_incidents(rows("snowflake/select_report_incidents.sql")) if has_incidents else None,
        alerts=[
            {
                "key": a.key,
                "severity": a.severity,
                "state": a.state,
                "first_seen": a.first_seen,
                "last_seen": a.last_seen,
                "occurrences": a.occurrences,
                "summary": a.summary,
            }
            for a in read_alerts(wh).values()
            if a.state != "resolved" or (a.resolved_at and a.resolved_at >= now - timedelta(days=days))
        ],
    )


def pending_by_age(pending: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Pending references counted per kind and age bucket (hours since PENDING_SINCE)."""
    counts: dict[tuple[str, str], int] = {}
    for row in pending:
        since = row["PENDING_SINCE"]
        hours = (naive(now) - (since.replace(tzinfo=None) if since.tzinfo else since)).total_seconds() / 3600
        label = next(name for limit, name in AGE_BUCKETS if hours < limit)
        counts[(row["REF_KIND"], label)] = counts.get((row["REF_KIND"], label), 0) + 1
    return [{"kind": k, "bucket": b, "n": n} for (k, b), n in sorted(counts.items())]


def open_incidents(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The incidents not closed (a STATE or STATUS column saying closed, resolved or done closes one)."""

    def is_open(row: dict[str, Any]) -> bool:
        state = str(row.get("STATE") or row.get("STATUS") or "").lower()
        return state not in OPEN_WORDS

    return [row for row in rows if is_open(row)]
