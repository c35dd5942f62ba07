"""Incidents: one per cause, opened when an error-severity check fails or a gate holds, and followed to closure.

A cause is (source, check id, business day): the same day held by many consistency runs, or the same check failing
in every orders batch of a day, is one incident whose OCCURRENCES and LAST_BATCH_ID grow. Its status moves
open -> investigating (`northstar investigate --incident`) -> corrected (a correction id) -> closed (with a reason);
every transition is a row of OPS.INCIDENT_EVENTS with who did it. A closed cause that fails again opens a new
incident.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from northstar.audit import append_audit
from northstar.settings import Settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse, open_warehouse

log = logging.getLogger(__name__)

OPEN, INVESTIGATING, CORRECTED, CLOSED = "open", "investigating", "corrected", "closed"
STATUSES = (OPEN, INVESTIGATING, CORRECTED, CLOSED)
# Which status each transition may leave from (closing is allowed from any status but closed).
_ALLOWED_FROM = {
    INVESTIGATING: (OPEN, INVESTIGATING),
    CORRECTED: (OPEN, INVESTIGATING),
    CLOSED: (OPEN, INVESTIGATING, CORRECTED),
}
DAILY_REVENUE = "reconciliation.daily_revenue"


class IncidentError(ValueError):
    """An unknown incident, or a transition its status does not allow (the message says which)."""


@dataclass(frozen=True)
class Cause:
    """What failed: a source's error-severity check on a business day, and what the check measured."""

    source: str
    check_id: str
    business_date: date
    summary: str

    @property
    def key(self) -> str:
        """The cause key: <source>|<check id>|<business day>."""
        return f"{self.source}|{self.check_id}|{self.business_date.isoformat()}"


def causes_of(
    source: str, window_start: datetime, tz: str, results: Iterable[Any], failing_days: Sequence[date] = ()
) -> list[Cause]:
    """The causes in a batch's check results: every evaluated error-severity check that failed (results are
    validators.result.CheckResult). The day is the window start's business day in tz, except for the daily revenue
    reconciliation, whose causes are the days it found off (failing_days)."""
    start = window_start if window_start.tzinfo else window_start.replace(tzinfo=UTC)
    day = start.astimezone(ZoneInfo(tz)).date()
    causes: list[Cause] = []
    for r in results:
        if not r.evaluated or str(r.severity) != "error" or r.rows_failed == 0:
            continue
        days = list(failing_days) if r.check_id == DAILY_REVENUE and failing_days else [day]
        causes += [Cause(source, r.check_id, d, str(r.actual)[:2000]) for d in days]
    return causes


def record_causes(wh: Warehouse, causes: Sequence[Cause], batch_id: str, actor: str) -> list[str]:
    """Open an incident per new cause, or count the batch on the cause's incident that is not closed yet;
    the incident ids touched, in order."""
    ids = []
    now = _now()
    for cause in causes:
        existing = wh.query(read_sql("incidents/select_open_incident.sql"), {"cause_key": cause.key})
        if existing:
            incident_id = existing[0]["INCIDENT_ID"]
            params = {"incident_id": incident_id, "batch_id": batch_id, "now": now}
            if wh.execute(read_sql("incidents/update_ops_incidents_seen.sql"), params):
                _event(wh, incident_id, "seen_again", existing[0]["STATUS"], existing[0]["STATUS"], batch_id, "", actor)
        else:
            incident_id = new_incident_id(cause, now)
            params = {
                "incident_id": incident_id,
                "cause_key": cause.key,
                "source": cause.source,
                "check_id": cause.check_id,
                "business_date": cause.business_date,
                "summary": cause.summary,
                "batch_id": batch_id,
                "now": now,
            }
            wh.execute(read_sql("incidents/insert_into_ops_incidents.sql"), params)
            _event(wh, incident_id, "opened", None, OPEN, batch_id, cause.summary, actor)
        ids.append(incident_id)
    return ids


def report_batch(settings: Settings, source: str, batch_id: str, window_start: datetime, results: Any) -> list[str]:
    """The engine's one hook after publish-or-hold: record the batch's causes (none: nothing happens), days in
    NORTHSTAR_BUSINESS_TZ. A failure to record is logged and never fails the batch (the ledger and check results
    already hold the evidence)."""
    failing = [r for r in results if r.evaluated and str(r.severity) == "error" and r.rows_failed]
    if not failing:
        return []
    try:
        with open_warehouse(settings) as wh:
            days: list[date] = []
            if any(r.check_id == DAILY_REVENUE for r in failing):
                rows = wh.query(read_sql("incidents/select_failing_days_for_batch.sql"), {"batch_id": batch_id})
                days = [r["BUSINESS_DATE"] for r in rows]
            causes = causes_of(source, window_start, settings.consistency.business_tz, failing, days)
            return record_causes(wh, causes, batch_id, settings.user)
    except Exception as exc:  # the warehouse may be what failed; the batch's outcome stands
        log.warning("could not record the incidents of batch %s: %s", batch_id, exc)
        return []


def new_incident_id(cause: Cause, now: datetime) -> str:
    """INC-<yyyymmdd of the business day>-<6 hex of the cause key and the opening time>."""
    digest = hashlib.sha256(f"{cause.key}@{now.isoformat()}".encode()).hexdigest()[:6]
    return f"INC-{cause.business_date:%Y%m%d}-{digest}"


def get_incident(wh: Warehouse, incident_id: str) -> dict[str, Any]:
    """The incident's row; IncidentError when there is none."""
    rows = wh.query(read_sql("incidents/select_ops_incident.sql"), {"incident_id": incident_id})
    if not rows:
        raise IncidentError(f"no incident {incident_id!r}: `northstar incidents list` shows them")
    return rows[0]


def incident_events(wh: Warehouse, incident_id: str) -> list[dict[str, Any]]:
    """The incident's transitions, oldest first."""
    return wh.query(read_sql("incidents/select_ops_incident_events.sql"), {"incident_id": incident_id})


def list_incidents(wh: Warehouse, status: str | None = None) -> list[dict[str, Any]]:
    """Incidents, newest first, optionally of one status."""
    return wh.query(read_sql("incidents/select_ops_incidents.sql"), {"status": status})


def transition(
    wh: Warehouse,
    incident_id: str,
    to_status: str,
    *,
    actor: str,
    reason: str = "",
    classification: str | None = None,
    correction_id: str | None = None,
) -> dict[str, Any]:
    """Move the incident to to_status (investigating, corrected or closed) and record who and why; the updated row.
    IncidentError for an unknown incident or a transition its status does not allow (investigating again is a
    no-op transition that still records the new classification)."""
    row = get_incident(wh, incident_id)
    current = row["STATUS"]
    if current not in _ALLOWED_FROM.get(to_status, ()):
        raise IncidentError(f"incident {incident_id} is {current}: it cannot become {to_status}")
    if to_status == CORRECTED and not correction_id:
        raise IncidentError("a corrected incident names its correction: give --correction ID")
    params = {
        "incident_id": incident_id,
        "status": to_status,
        "from_status": current,
        "now": _now(),
        "classification": classification,
        "correction_id": correction_id,
        "reason": reason,
    }
    wh.execute(read_sql("incidents/update_ops_incidents_status.sql"), params)
    details = " ".join(v for v in (correction_id, reason) if v) or classification or ""
    _event(wh, incident_id, to_status, current, to_status, None, details, actor)
    return get_incident(wh, incident_id)


def matching_incidents(wh: Warehouse, ticket: str, kind: str, args: dict[str, Any], tz: str) -> list[dict[str, Any]]:
    """The open or investigating incidents (OPS.INCIDENTS rows) a correction answers (`answers`)."""
    candidates = [r for status in (OPEN, INVESTIGATING) for r in list_incidents(wh, status)]
    return [r for r in candidates if answers(r, ticket, kind, args, tz)]


def answers(incident: dict[str, Any], ticket: str, kind: str, args: dict[str, Any], tz: str) -> bool:
    """Whether a correction answers an incident (an OPS.INCIDENTS row): the one its ticket names (investigate's next
    step uses the incident id as ticket); an adjustment answers its day's revenue reconciliation incident when the
    incident's summary names the adjustment's currency (an incident is per day; its summary lists the currencies
    that were off); a reprocess or source_refresh answers its source's incidents whose first or last batch it
    replays, or whose business day (in tz) its window covers."""
    r = incident
    if r["INCIDENT_ID"] == ticket.strip():
        return True
    if kind == "adjustment":
        named = re.search(rf"\b{re.escape(str(args.get('currency')))}\b", r["SUMMARY"] or "") is not None
        return r["CHECK_ID"] == DAILY_REVENUE and str(r["BUSINESS_DATE"]) == str(args.get("date")) and named
    if kind in ("reprocess", "source_refresh") and r["SOURCE"] == args.get("source"):
        days: set[date] = set()
        if args.get("start") and args.get("end"):
            first = datetime.fromisoformat(str(args["start"])).astimezone(ZoneInfo(tz)).date()
            end = datetime.fromisoformat(str(args["end"])).astimezone(ZoneInfo(tz))
            last = (end - timedelta(microseconds=1)).date()
            days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
        return bool({r["FIRST_BATCH_ID"], r["LAST_BATCH_ID"]} & set(args.get("batch_ids") or [])) or (
            r["BUSINESS_DATE"] in days
        )
    return False


def mark_corrected(
    wh: Warehouse, correction_id: str, ticket: str, kind: str, args: dict[str, Any], *, tz: str, actor: str, gate: str
) -> list[str]:
    """Move every incident the applied correction answers (matching_incidents) to corrected with its id, after its
    gate passed; each move is an OPS.INCIDENT_EVENTS row and an audit log entry. The incident ids moved."""
    moved = []
    for row in matching_incidents(wh, ticket, kind, args, tz):
        reason = f"correction {correction_id} ({kind}) applied; gate {gate} passed"
        transition(wh, row["INCIDENT_ID"], CORRECTED, actor=actor, reason=reason, correction_id=correction_id)
        moved.append(row["INCIDENT_ID"])
    return moved


def _event(
    wh: Warehouse,
    incident_id: str,
    event: str,
    from_status: str | None,
    to_status: str,
    batch_id: str | None,
    details: str,
    actor: str,
) -> None:
    """One OPS.INCIDENT_EVENTS row; a change of status is also an entry of the audit log (OPS.AUDIT_LOG)."""
    params = {
        "incident_id": incident_id,
        "event": event,
        "from_status": from_status,
        "to_status": to_status,
        "batch_id": batch_id,
        "actor": actor,
        "details": details[:2000],
        "now": _now(),
    }
    wh.execute(read_sql("incidents/insert_into_ops_incident_events.sql"), params)
    if from_status != to_status:
        audit = {"event": event, "from": from_status, "to": to_status, "batch_id": batch_id, "details": details[:500]}
        append_audit(wh, kind=f"incident.{event}", actor=actor, subject=incident_id, details=audit)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
