"""Batch identity: a batch is a source and a window, so a rerun of a window is the same batch."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Window:
    """A half-open interval [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("window bounds must carry a UTC offset")
        if self.end <= self.start:
            raise ValueError(f"window end {self.end.isoformat()} is not after start {self.start.isoformat()}")

    @classmethod
    def last_closed(cls, minutes: int, now: datetime | None = None) -> Window:
        """The most recent whole window of the given length that has ended."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        minute = (now.minute // minutes) * minutes
        end = now.replace(minute=minute, second=0, microsecond=0)
        return cls(end - timedelta(minutes=minutes), end)

    @classmethod
    def parse(cls, start: str, end: str) -> Window:
        """A window from two ISO-8601 strings; a bound without offset is rejected, not guessed."""
        return cls(parse_utc(start), parse_utc(end))


class WindowNotClosed(ValueError):
    """The window has not ended, or ended less than the source's settle margin ago: its data is not all in."""


def settled_window(
    source: str, cadence: timedelta, settle: timedelta, start: str | None, end: str | None, now: datetime | None = None
) -> Window:
    """The window [start, end), or the source's last one that has ended and settled; ValueError for bad bounds,
    WindowNotClosed for a window whose end plus the settle margin is still to come."""
    if bool(start) != bool(end):
        raise ValueError("give both --start and --end, or neither")
    now = now or datetime.now(UTC)
    if start and end:
        window = Window.parse(start, end)
    else:
        window = Window.last_closed(int(cadence.total_seconds() // 60), now - settle)
    if window.end + settle > now:
        raise WindowNotClosed(
            f"window {utc_text(window.start)} to {utc_text(window.end)} has not ended and settled "
            f"({source} waits {settle.total_seconds():.0f} s after a window's end): run it after "
            f"{utc_text(window.end + settle)}"
        )
    return window


def utc_text(moment: datetime) -> str:
    """A moment as every command prints one: ISO-8601 with its offset, a naive moment being UTC
    (`2026-11-20T12:15:00+00:00`). The inverse of parse_utc."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def parse_utc(text: str) -> datetime:
    """An ISO-8601 moment in UTC; one without an offset is rejected, not guessed.

    Raises ValueError naming the text for anything that is not an ISO-8601 time with an offset.
    """
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO-8601 time; write it like 2026-11-20T10:00:00+00:00") from None
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; write it like 2026-11-20T10:00:00+00:00")
    return value.astimezone(UTC)


def batch_id(source: str, window: Window) -> str:
    """Deterministic: <source>-<start>-<hash of source and window>."""
    key = f"{source}|{window.start.astimezone(UTC).isoformat()}|{window.end.astimezone(UTC).isoformat()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{source}-{window.start.astimezone(UTC):%Y%m%dt%H%M}-{digest}"


def landing_prefix(source: str, window: Window, batch: str) -> str:
    """raw/<source>/dt=YYYY-MM-DD/batch=<batch_id>/"""
    return f"raw/{source}/dt={window.start.astimezone(UTC):%Y-%m-%d}/batch={batch}/"
