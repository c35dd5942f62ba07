"""After a reprocess: the consistency gate over the business days its new versions changed (README, Reprocess).

The gate is the scheduled consistency run's own flow (flows/consistency.py, `consistency_check`): it checks every
committed source batch no consistency batch has checked yet (the new versions among them), reconciles the
business days of its window, and refreshes the marts only when no error-severity check failed. A reprocess runs
it as its own batch (`consistency-<reprocess id>`, as a correction does), once per `reconcile_days` business days.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.consistency import consistency_check
from flows.reprocess import ReprocessError, ReprocessReport
from northstar.audit import append_audit
from northstar.batches import Window, parse_utc
from northstar.identity import current_user
from northstar.loads import BatchStatus
from northstar.settings import Settings
from northstar.warehouse import open_warehouse

GATE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class GateVerdict:
    """One gate run: its batch, the business days it reconciled, COMMITTED (passed: marts refreshed) or HELD (the
    marts keep their previous state) or SKIPPED, and the reason of a hold."""

    batch_id: str
    days: tuple[date, ...]
    status: str
    reason: str | None

    @property
    def message(self) -> str:
        """One line for the command's output."""
        span = f"{self.days[0]}..{self.days[-1]}" if len(self.days) > 1 else str(self.days[0])
        if self.status == BatchStatus.COMMITTED:
            return f"consistency gate {self.batch_id} passed for {span}: marts refreshed"
        if self.status == BatchStatus.HELD:
            return (
                f"consistency gate {self.batch_id} HELD for {span} ({self.reason}): the marts keep their previous state"
            )
        return f"consistency gate {self.batch_id} {self.status} for {span}: {self.reason}"


def gate_replayed(settings: Settings, report: ReprocessReport, now: datetime | None = None) -> list[GateVerdict]:
    """Run the consistency gate for the business days of the versions the reprocess published (none for a dry run
    or when nothing was published); one run per `reconcile_days` days, each as its own batch."""
    windows = [b.window for b in report.batches if b.status == BatchStatus.COMMITTED]
    if report.dry_run or not windows:
        return []
    zone = ZoneInfo(settings.consistency.business_tz)
    days = {(w.end - timedelta(microseconds=1)).astimezone(zone).date() for w in windows}
    return _gate_days(settings, sorted(days), report.reprocess_id, now)


def recheck_consistency(
    settings: Settings, start: str | datetime, end: str | datetime, reason: str, now: datetime | None = None
) -> list[GateVerdict]:
    """`reprocess --source consistency`: the consistency checks and gate run again over the business days of
    [start, end) (ISO-8601 with offset, or aware datetimes) with the current code, each run its own batch
    (`consistency-rc-...`); the marts are refreshed only by a run whose gate passes. Nothing is replayed: the
    checks read what the sources published; one OPS.AUDIT_LOG entry (kind `reprocess`, subject the `rc-...` id)
    records who ran them, why, over which range, with which code and what each gate run decided. ReprocessError for
    a blank reason or end not after start."""
    if not reason or not reason.strip():
        raise ReprocessError("give a --reason: why the consistency checks run again")
    lo, hi = (v if isinstance(v, datetime) else parse_utc(v) for v in (start, end))
    if hi <= lo:
        raise ReprocessError(f"--end {hi.isoformat()} is not after --start {lo.isoformat()}")
    zone = ZoneInfo(settings.consistency.business_tz)
    first, last = lo.astimezone(zone).date(), (hi - timedelta(microseconds=1)).astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rid = f"rc-{datetime.now(UTC):%Y%m%dt%H%M%S}-{secrets.token_hex(3)}"
    verdicts = _gate_days(settings, days, rid, now)
    details = {
        "source": "consistency",
        "reason": reason,
        "start": lo.isoformat(),
        "end": hi.isoformat(),
        "code_version": settings.code_version,
        "gate_runs": [
            {"batch_id": v.batch_id, "days": [str(d) for d in v.days], "status": v.status, "reason": v.reason}
            for v in verdicts
        ],
    }
    with open_warehouse(settings) as wh:
        append_audit(wh, kind="reprocess", actor=current_user(settings), subject=rid, details=details)
    return verdicts


def _gate_days(settings: Settings, days: list[date], rid: str, now: datetime | None) -> list[GateVerdict]:
    """One consistency run per `reconcile_days` of the sorted days, each ending with its group's last day."""
    cfg = settings.consistency
    zone = ZoneInfo(cfg.business_tz)
    groups: list[list[date]] = []
    for day in reversed(days):  # each run reconciles reconcile_days days ending with the day its window ends in
        if groups and (groups[-1][0] - day).days < cfg.reconcile_days:
            groups[-1].append(day)
        else:
            groups.append([day])
    closed = Window.last_closed(15, now).end
    verdicts = []
    for n, group in enumerate(groups, start=1):
        last = group[0]
        day_end = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
        end = min(day_end, closed)
        rerun = rid if len(groups) == 1 else f"{rid}-{n}"
        outcome = consistency_check((end - GATE_WINDOW).isoformat(), end.isoformat(), rerun_for=rerun)
        verdicts.append(GateVerdict(outcome.batch_id, tuple(sorted(group)), str(outcome.status), outcome.reason))
    return verdicts
