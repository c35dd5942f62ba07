"""Alert state without storms: one alert per key, its state, and the one Slack message it owes (pure functions).

An alert is `firing` while some reading of its key is not ok, `resolved` once a run of its monitor finds
none, `muted` while a person has muted it (MUTED_STATE says what it is underneath). It owes at most one
message at a time (PENDING): `firing` when it starts (or escalates from warn to page), `reminder` when it
has fired for NORTHSTAR_ALERT_REMINDER_MINUTES since its last message, `resolved` when it clears after a
firing message went out. Repeats only count (OCCURRENCES, LAST_SEEN). A message that Slack did not take stays
pending and is tried again by the next run. A muted alert owes nothing; when the mute ends an alert still
firing owes its firing message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from northstar.monitoring.readings import SEVERITY_RANK, Reading, worst

QUIET_RESOLVE = frozenset({"new_quarantine_reason"})  # clears by ageing, not by a fix: no resolved message


@dataclass(frozen=True)
class Alert:
    """One OPS.ALERTS row (times UTC)."""

    key: str
    kind: str
    severity: str  # warn or page
    state: str  # firing, resolved or muted
    summary: str
    detail: str  # JSON of the newest firing reading
    first_seen: datetime
    last_seen: datetime
    occurrences: int
    resolved_at: datetime | None = None
    notified_at: datetime | None = None
    pending: str | None = None  # firing, reminder or resolved
    delivery_attempts: int = 0
    last_error: str | None = None
    muted_until: datetime | None = None
    muted_state: str | None = None

    @property
    def condition(self) -> str:
        """firing or resolved, whether muted or not."""
        return (self.muted_state or "resolved") if self.state == "muted" else self.state

    def reading(self) -> dict[str, object]:
        """The newest firing reading, as stored in DETAIL."""
        return dict(json.loads(self.detail)) if self.detail else {}


def reading_detail(r: Reading) -> str:
    """A reading as the JSON kept in OPS.ALERTS.DETAIL."""
    fields = {
        "monitor": r.monitor,
        "subject": r.subject,
        "value": r.value,
        "warn_at": r.warn_at,
        "page_at": r.page_at,
        "batch_id": r.batch_id,
        "day": r.day.isoformat() if r.day else None,
        "detail": r.detail,
    }
    return json.dumps(fields, sort_keys=True)


def evaluate(
    alerts: dict[str, Alert],
    readings: Iterable[Reading],
    monitors_run: Iterable[str],
    now: datetime,
    reminder: timedelta,
) -> dict[str, Alert]:
    """The alerts this run changes, by key: new and repeated firings, resolutions, ended mutes.

    `monitors_run` names the monitors that ran: only their alerts may resolve (a monitor that did not run
    proves nothing).
    """
    firing = worst(readings)
    ran = set(monitors_run)
    changed: dict[str, Alert] = {}
    for key, r in firing.items():
        changed[key] = _fire(alerts.get(key), r, now, reminder)
    for key, a in alerts.items():
        if key in firing or a.kind not in ran:
            continue
        cleared = _clear(a, now)
        if cleared != a:
            changed[key] = cleared
    return changed


def _fire(a: Alert | None, r: Reading, now: datetime, reminder: timedelta) -> Alert:
    """The alert of key r.key after a run in which r fired it."""
    detail, severity = reading_detail(r), r.status
    if a is not None and a.state == "muted" and a.muted_until is not None and a.muted_until > now:
        restart = a.muted_state != "firing"
        return replace(
            a,
            severity=severity,
            summary=r.detail,
            detail=detail,
            last_seen=now,
            muted_state="firing",
            first_seen=now if restart else a.first_seen,
            occurrences=1 if restart else a.occurrences + 1,
        )
    if a is not None and a.state == "muted":  # the mute has ended
        a = replace(a, state=a.muted_state or "resolved", muted_until=None, muted_state=None)
    if a is None or a.state == "resolved":
        return Alert(r.key, r.monitor, severity, "firing", r.detail, detail, now, now, 1, pending="firing")
    pending = a.pending
    if a.notified_at is None and pending is None:  # fired under a mute that has ended: never announced
        pending = "firing"
    elif SEVERITY_RANK[severity] > SEVERITY_RANK[a.severity]:
        pending = "firing"  # escalated: say it again, at the new severity
    elif pending is None and a.notified_at is not None and now - a.notified_at >= reminder:
        pending = "reminder"
    return replace(
        a,
        severity=severity,
        summary=r.detail,
        detail=detail,
        last_seen=now,
        occurrences=a.occurrences + 1,
        pending=pending,
    )


def _clear(a: Alert, now: datetime) -> Alert:
    """The alert after a run of its monitor in which nothing fired it."""
    if a.state == "muted":
        if a.muted_until is not None and a.muted_until > now:
            return replace(a, muted_state="resolved")
        return replace(a, state="resolved", resolved_at=now, muted_until=None, muted_state=None, pending=None)
    if a.state != "firing":
        return a
    owed = "resolved" if a.notified_at is not None and a.kind not in QUIET_RESOLVE else None
    return replace(a, state="resolved", resolved_at=now, pending=owed, delivery_attempts=0, last_error=None)


def mute(a: Alert | None, key: str, until: datetime, now: datetime) -> Alert:
    """The alert of `key` muted until `until` (a key that never fired can be muted ahead)."""
    if a is None:
        kind = key.split(":", 1)[0]
        return Alert(
            key,
            kind,
            "warn",
            "muted",
            "muted before it fired",
            "",
            now,
            now,
            0,
            muted_until=until,
            muted_state="resolved",
        )
    return replace(a, state="muted", muted_until=until, muted_state=a.condition, pending=None)


def delivered(a: Alert, now: datetime) -> Alert:
    """The alert after Slack took its pending message."""
    return replace(a, pending=None, notified_at=now, delivery_attempts=0, last_error=None)


def undelivered(a: Alert, error: str) -> Alert:
    """The alert after Slack did not take its pending message: it stays pending for the next run."""
    return replace(a, delivery_attempts=a.delivery_attempts + 1, last_error=error[:500])
