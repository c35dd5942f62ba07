"""What the monitors read and write: the ledger snapshot, the reading, and how readings are graded and ranked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from northstar.settings import MonitorSettings

SOURCES = ("orders", "payments", "fulfillment")
SEVERITY_RANK = {"ok": 0, "warn": 1, "page": 2}


@dataclass(frozen=True)
class LedgerBatch:
    """One OPS.LOAD_BATCHES row, as much of it as the monitors read."""

    batch_id: str
    source: str
    window_start: datetime
    window_end: datetime
    status: str
    rows_extracted: int
    rows_quarantined: int
    finished_at: datetime | None


@dataclass(frozen=True)
class Snapshot:
    """What the monitors read, taken at `now` (UTC).

    batches: every batch whose window started within the last 4 weeks and a day; last_window_end: each
    source's newest committed window end (any age); last_arrival: the receiver's newest arrival entry;
    reasons: (quarantine table, reason, first seen); pending: (reference kind, pending since);
    sla: (business day, metric, value, threshold), the newest measurement per day and metric.
    """

    now: datetime
    batches: tuple[LedgerBatch, ...] = ()
    last_window_end: dict[str, datetime] = field(default_factory=dict)
    last_arrival: datetime | None = None
    reasons: tuple[tuple[str, str, datetime], ...] = ()
    pending: tuple[tuple[str, datetime], ...] = ()
    sla: tuple[tuple[date, str, float, float], ...] = ()
    business_tz: str = "UTC"
    grace: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Reading:
    """One monitor's measurement of one subject; key `<monitor>:<subject>` names the alert it fires."""

    monitor: str
    subject: str
    value: float | None
    warn_at: float | None
    page_at: float | None
    status: str  # ok, warn or page
    detail: str
    batch_id: str | None = None
    day: date | None = None
    expected: float | None = None
    band_low: float | None = None
    band_high: float | None = None

    @property
    def key(self) -> str:
        """The alert key this reading fires when it is not ok."""
        return f"{self.monitor}:{self.subject}"


def grade(value: float | None, warn_at: float | None, page_at: float | None) -> str:
    """ok, warn or page for a value that is bad when high (None: nothing measured, ok)."""
    if value is None:
        return "ok"
    if page_at is not None and value >= page_at:
        return "page"
    if warn_at is not None and value >= warn_at:
        return "warn"
    return "ok"


def minutes_of(delta: timedelta) -> float:
    """A duration in minutes, to the hundredth."""
    return round(delta.total_seconds() / 60.0, 2)


def worst(readings: Iterable[Reading]) -> dict[str, Reading]:
    """The worst reading of each key that is not ok (page over warn; the first of equals)."""
    chosen: dict[str, Reading] = {}
    for r in readings:
        current = chosen[r.key].status if r.key in chosen else "ok"
        if SEVERITY_RANK[r.status] > SEVERITY_RANK[current]:
            chosen[r.key] = r
    return chosen


def recent(snap: Snapshot, cfg: MonitorSettings) -> list[LedgerBatch]:
    """The committed source batches whose window ended within the lookback, oldest first."""
    since = snap.now - cfg.lookback
    batches = [b for b in snap.batches if b.source in SOURCES and b.status == "COMMITTED" and b.window_end > since]
    return sorted(batches, key=lambda b: (b.source, b.window_start))


def business_day(at: datetime, tz: str) -> date:
    """The business day of a UTC time in the business timezone."""
    return at.astimezone(ZoneInfo(tz)).date()
