"""The monitors' reads and writes: a snapshot of the ledger, readings, alerts and alert events (OPS.*)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from northstar.landing import LandingStore
from northstar.monitoring.alerting import Alert
from northstar.monitoring.monitors import LedgerBatch, Reading, Snapshot
from northstar.settings import Settings
from northstar.sqlfiles import read_sql, statements
from northstar.warehouse import Warehouse

ARRIVALS = "raw/stripe/_arrivals/"  # northstar/sources/stripe/landing.py: arrival entries by receipt date
HISTORY = timedelta(weeks=4, days=1)


def utc(value: Any) -> datetime | None:
    """A warehouse timestamp (naive, UTC; or ISO text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def naive(value: datetime | None) -> datetime | None:
    """An aware UTC datetime as the warehouse's TIMESTAMP_NTZ."""
    return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None


def read_snapshot(wh: Warehouse, store: LandingStore, settings: Settings, now: datetime) -> Snapshot:
    """What the monitors read, as of now (UTC)."""
    batches = tuple(
        LedgerBatch(
            r["BATCH_ID"],
            r["SOURCE"],
            _at(r["WINDOW_START"]),
            _at(r["WINDOW_END"]),
            r["STATUS"],
            int(r["ROWS_EXTRACTED"]),
            int(r["ROWS_QUARANTINED"]),
            utc(r["FINISHED_AT"]),
        )
        for r in wh.query(read_sql("snowflake/select_monitor_batches.sql"), {"since": naive(now - HISTORY)})
    )
    latest = {r["SOURCE"]: _at(r["WINDOW_END"]) for r in wh.query(read_sql("snowflake/select_latest_batches.sql"))}
    reasons = tuple(
        (r["QUARANTINE_TABLE"], r["REASON"], _at(r["FIRST_SEEN"]))
        for r in wh.query(read_sql("snowflake/select_monitor_quarantine_reasons.sql"))
    )
    pending = tuple(
        (r["REF_KIND"], _at(r["PENDING_SINCE"]))
        for r in wh.query(read_sql("snowflake/select_ops_pending_references.sql"))
    )
    days_back = now.date() - timedelta(days=settings.consistency.reconcile_days)
    sla = tuple(
        (_day(r["BUSINESS_DATE"]), r["METRIC"], float(r["VALUE"]), float(r["THRESHOLD"]))
        for r in wh.query(read_sql("snowflake/select_monitor_sla_metrics.sql"), {"since": days_back})
    )
    return Snapshot(
        now,
        batches,
        latest,
        last_arrival(store, now),
        reasons,
        pending,
        sla,
        settings.consistency.business_tz,
        settings.consistency.reference_grace,
    )


def last_arrival(store: LandingStore, now: datetime) -> datetime | None:
    """When the webhook receiver last landed an event: the newest arrival entry of today or yesterday (UTC)."""
    newest: datetime | None = None
    for day in (now.date(), now.date() - timedelta(days=1)):
        for _key, modified in store.list_modified(f"{ARRIVALS}dt={day.isoformat()}/"):
            at = utc(modified)
            newest = at if newest is None or (at is not None and at > newest) else newest
        if newest is not None:
            return newest
    return newest


def write_readings(wh: Warehouse, run_id: str, readings: list[Reading], now: datetime) -> None:
    """Append one run's readings to OPS.MONITOR_READINGS, in one transaction."""
    (sql,) = statements("snowflake/insert_into_ops_monitor_readings.sql")
    with wh.transaction():
        for r in readings:
            wh.execute(sql, asdict(r) | {"run_id": run_id, "measured_at": naive(now)})


def read_alerts(wh: Warehouse) -> dict[str, Alert]:
    """Every alert by key."""
    rows = wh.query(read_sql("snowflake/select_ops_alerts.sql"))
    return {r["ALERT_KEY"]: _alert(r) for r in rows}


def write_alerts(wh: Warehouse, alerts: list[Alert]) -> None:
    """Replace the rows of these alerts, in one transaction."""
    delete, insert = statements("snowflake/insert_into_ops_alerts.sql")
    with wh.transaction():
        for a in alerts:
            params = asdict(a)
            for name in ("first_seen", "last_seen", "resolved_at", "notified_at", "muted_until"):
                params[name] = naive(params[name])
            wh.execute(delete, {"key": a.key})
            wh.execute(insert, params)


def record_event(
    wh: Warehouse, key: str, event: str, actor: str, at: datetime, reason: str | None = None, detail: str | None = None
) -> None:
    """One row of OPS.ALERT_EVENTS (a mute with who and why, a delivery, a failed delivery, a test)."""
    params = {"key": key, "event": event, "actor": actor, "reason": reason, "detail": detail, "at": naive(at)}
    wh.run_file("snowflake/insert_into_ops_alert_events.sql", params)


def _alert(r: dict[str, Any]) -> Alert:
    return Alert(
        key=r["ALERT_KEY"],
        kind=r["KIND"],
        severity=r["SEVERITY"],
        state=r["STATE"],
        summary=r["SUMMARY"],
        detail=r["DETAIL"] or "",
        first_seen=_at(r["FIRST_SEEN"]),
        last_seen=_at(r["LAST_SEEN"]),
        occurrences=int(r["OCCURRENCES"]),
        resolved_at=utc(r["RESOLVED_AT"]),
        notified_at=utc(r["NOTIFIED_AT"]),
        pending=r["PENDING"],
        delivery_attempts=int(r["DELIVERY_ATTEMPTS"]),
        last_error=r["LAST_ERROR"],
        muted_until=utc(r["MUTED_UNTIL"]),
        muted_state=r["MUTED_STATE"],
    )


def _at(value: Any) -> datetime:
    at = utc(value)
    if at is None:
        raise ValueError("a required timestamp is null")
    return at


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
