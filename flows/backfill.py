"""backfill: one flow run that runs a source's windows over a range on the batch engine, N at a time.

The range is split into windows of the source's cadence (or the size asked for); each window is one
`run_batch` (flows/engine.py), so everything a scheduled run guarantees holds per window: a committed window is
skipped (an interrupted backfill resumes where it stopped), a window another worker or run holds the lease of
is left to it (two workers never take one window), a held window keeps its raw and reason. Windows run as tasks
on Prefect's ProcessPoolTaskRunner, `workers` processes under this one flow run (README, "Backfill": why).
Each backfill is one row of OPS.BACKFILLS (who, why, which code, how its windows ended).
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow, task
from prefect.futures import PrefectFuture, wait
from prefect.task_runners import ProcessPoolTaskRunner

from flows.engine import BatchOutcome, BatchSource, current_flow_run_id, run_batch
from northstar.batches import Window, parse_utc
from northstar.loads import BatchStatus
from northstar.marts.publication import actor
from northstar.settings import Settings, load_settings
from northstar.warehouse import open_warehouse

SOURCES = ("orders", "payments", "fulfillment", "consistency")
WINDOW_SIZES = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "1d": timedelta(days=1)}
SEQUENTIAL = {"consistency"}  # its slice and pending references are one run's at a time (prefect.yaml)
FAILED = "FAILED"  # a window whose run raised (recorded FAILED in the ledger by the engine)
POLL_SECONDS = 0.5  # how often finished windows are collected and reported (progress, --json lines)
INTERRUPTED = "INTERRUPTED"  # a backfill stopped by Ctrl-C (recorded by itself) or killed (by the next one's start)
HEARTBEAT_SECONDS = 30.0  # at most this long between heartbeats (a third of the lease TTL when that is shorter)

Listener = Callable[[dict[str, Any]], None]
_listeners: list[Listener] = []


class BackfillError(ValueError):
    """Bad input to a backfill (unknown source, bad range or window size): nothing was run."""


def source_for(name: str) -> BatchSource:
    """The source's BatchSource, as its own flow builds it."""
    if name == "orders":
        from flows.orders_microbatch import OrdersSource

        return OrdersSource()
    if name == "payments":
        from flows.payments_microbatch import PaymentsSource

        return PaymentsSource()
    if name == "fulfillment":
        from flows.fulfillment_hourly import FulfillmentSource

        return FulfillmentSource(load_settings().fulfillment.sftp)
    if name == "consistency":
        from flows.consistency import ConsistencySource

        return ConsistencySource()
    raise BackfillError(f"unknown source {name!r}: backfill runs {', '.join(SOURCES)}")


def default_window(name: str) -> timedelta:
    """The source's cadence: 15 minutes, an hour for fulfillment."""
    return timedelta(hours=1) if name == "fulfillment" else timedelta(minutes=15)


def plan_windows(start: str | datetime, end: str | datetime, size: timedelta) -> list[Window]:
    """[start, end) cut into consecutive windows of size; BackfillError when end is not after start or size does
    not divide the range or the start is not on a multiple of the size (windows must be the scheduled ones)."""
    lo, hi = (v.astimezone(UTC) if isinstance(v, datetime) else parse_utc(v) for v in (start, end))
    if hi <= lo:
        raise BackfillError(f"--end {hi.isoformat()} is not after --start {lo.isoformat()}")
    if (hi - lo) % size:
        raise BackfillError(
            f"the window {_size_text(size)} does not divide the range {lo.isoformat()} to {hi.isoformat()}: "
            "give a range a whole number of windows long"
        )
    if (lo - datetime(2000, 1, 1, tzinfo=UTC)) % size:
        raise BackfillError(f"--start {lo.isoformat()} is not on a {_size_text(size)} boundary (a scheduled window)")
    return [Window(lo + i * size, lo + (i + 1) * size) for i in range((hi - lo) // size)]


def refuse_unsettled(source: str, windows: list[Window], settings: Settings, now: datetime | None = None) -> None:
    """BackfillError when the range's last window has not ended and settled (source's settle margin,
    NORTHSTAR_SETTLE_*): a backfill covers history, and the scheduled runs take the windows still to come."""
    settle = settings.settle.get(source, timedelta(0))
    last = windows[-1].end
    if last + settle > (now or datetime.now(UTC)):
        raise BackfillError(
            f"--end {last.isoformat()} has not ended and settled ({source} waits {settle.total_seconds():.0f} s after "
            f"a window's end): end the range at or before the last settled window, or run it after "
            f"{(last + settle).isoformat()}"
        )


def parse_window(text: str | None, source: str) -> timedelta:
    """A --window value (15m, 1h, 1d), or the source's cadence when None."""
    if text is None:
        return default_window(source)
    if text not in WINDOW_SIZES:
        raise BackfillError(f"--window {text!r} is not one of {', '.join(WINDOW_SIZES)}")
    return WINDOW_SIZES[text]


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call listener with each window's result (a dict: window_start, window_end, status, rows, ...) as it ends."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


@dataclass(frozen=True)
class BackfillSummary:
    """What a backfill did: its id, and its windows by how they ended."""

    backfill_id: str
    source: str
    windows: int
    committed: int
    skipped: int
    held: int
    failed: int
    rows_extracted: int
    rows_published: int
    seconds: float
    status: str  # COMPLETED, HELD (a window held), FAILED (a window failed), INTERRUPTED (Ctrl-C: windows left)


@task(name="backfill-window")
def backfill_window(source: str, start: str, end: str) -> dict[str, Any]:
    """One window on the engine; a failure is reported as status FAILED (the engine recorded it), not raised,
    so the other windows go on."""
    t0 = datetime.now(UTC)
    try:
        outcome = run_batch(source_for(source), start, end)
        result = asdict(outcome)
    except Exception as exc:
        result = asdict(BatchOutcome(source, "", FAILED, reason=f"{type(exc).__name__}: {exc}"))
    return result | {"window_start": start, "window_end": end, "wall_seconds": _since(t0)}


@flow(name="backfill")
def backfill(
    source: str,
    start: str,
    end: str,
    window: str | None = None,
    workers: int = 1,
    reason: str | None = None,
) -> BackfillSummary:
    """Run source's windows over [start, end) (ISO-8601 with offset), window 15m|1h|1d (default: the source's
    cadence), `workers` windows at a time. Committed windows are skipped; returns the summary (status HELD or
    FAILED when a window was). BackfillError for bad input (a range reaching past the last settled window too),
    before anything runs."""
    source_for(source)
    windows = plan_windows(start, end, parse_window(window, source))
    workers = 1 if source in SEQUENTIAL else max(1, workers)
    settings = load_settings()
    refuse_unsettled(source, windows, settings)
    backfill_id = f"bf-{datetime.now(UTC):%Y%m%dt%H%M%S}-{secrets.token_hex(3)}"
    t0 = datetime.now(UTC)
    row = {"backfill_id": backfill_id, "source": source, "range_start": windows[0].start,
           "range_end": windows[-1].end, "window_seconds": int((windows[0].end - windows[0].start).total_seconds()),
           "workers": workers, "reason": reason, "requested_by": actor(), "code_version": settings.code_version,
           "flow_run_id": current_flow_run_id(), "windows_total": len(windows), "started_at": t0}  # fmt: skip
    with open_warehouse(settings) as wh:  # the source's backfills whose process is gone are INTERRUPTED
        wh.run_file(
            "snowflake/update_ops_backfills_interrupted.sql", {"source": source, "stale_before": stale_before(settings)}
        )
        wh.run_file("snowflake/insert_into_ops_backfills.sql", row)

    def beat() -> None:
        with open_warehouse(settings) as wh:
            wh.run_file("snowflake/update_ops_backfills_heartbeat.sql", {"backfill_id": backfill_id, "now": _utc_now()})

    every = min(HEARTBEAT_SECONDS, settings.lease_ttl.total_seconds() / 3)
    results, interrupted = _run_windows(source, windows, workers, beat, every)
    summary = _summary(backfill_id, source, results, _since(t0), interrupted)
    with open_warehouse(settings) as wh:
        wh.run_file("snowflake/update_ops_backfills.sql", asdict(summary) | {"finished_at": datetime.now(UTC)})
    return summary


def _run_windows(
    source: str, windows: list[Window], workers: int, beat: Callable[[], None], every: float
) -> tuple[list[dict[str, Any]], bool]:
    """Submit every window to a pool of `workers` processes (each its own warehouse login); report each as it ends,
    and call beat (the backfill's heartbeat) at least every `every` seconds while windows run. Returns the windows'
    results and whether the run was interrupted (Ctrl-C, SIGINT): then no further window starts, the windows in
    progress finish (the workers ignore SIGINT, so a window is never cut inside its publish), and the rest are left
    for a rerun, which skips what committed."""
    results: list[dict[str, Any]] = []
    interrupted = False
    runner = ProcessPoolTaskRunner(max_workers=workers, initializer=_ignore_interrupts)

    def report(future: PrefectFuture[dict[str, Any]]) -> None:
        result = future.result()
        results.append(result)
        for listener in list(_listeners):
            listener(result)

    stop = threading.Event()

    def on_interrupt(signum: int, frame: Any) -> None:
        """The first Ctrl-C only asks the loop to stop (a window being reported is reported once, whole); the next
        raises KeyboardInterrupt as usual and abandons the windows in progress."""
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    in_main = threading.current_thread() is threading.main_thread()  # only the main thread may set a handler
    previous = signal.signal(signal.SIGINT, on_interrupt) if in_main else None
    try:
        with runner:
            pending: list[PrefectFuture[dict[str, Any]]] = [
                runner.submit(
                    backfill_window, {"source": source, "start": w.start.isoformat(), "end": w.end.isoformat()}
                )
                for w in windows
            ]
            last_beat = time.monotonic()
            while pending and not stop.is_set():
                done = wait(pending, timeout=POLL_SECONDS).done  # Prefect's wait returns when all are done
                for future in (f for f in pending if f in done):
                    report(future)
                pending = [f for f in pending if f not in done]
                if time.monotonic() - last_beat >= every:
                    try:
                        beat()
                    except KeyboardInterrupt:  # the connector's own SIGINT handler, set around each query it runs
                        stop.set()
                    last_beat = time.monotonic()
            interrupted = stop.is_set()
            if interrupted:
                print(
                    "northstar: interrupted: no further window starts; the windows in progress finish (Ctrl-C "
                    "again abandons them), then the backfill stops. Rerun the same command to resume.",
                    file=sys.stderr,
                )
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    if interrupted:  # the pool has shut down: the windows that were running have ended, the others never started
        for future in pending:
            with contextlib.suppress(Exception):  # a window that never started has no result
                report(future)
    return results, interrupted


def _ignore_interrupts() -> None:
    """A pool worker's start: Ctrl-C in the terminal reaches the whole process group, and only the backfill's own
    process acts on it (a worker finishes its window). Ignoring SIGINT is not enough: the Snowflake connector
    installs its own SIGINT handler around every query it runs in the main thread (it cancels the query and raises
    KeyboardInterrupt; snowflake/connector/cursor.py, `_execute_helper`), so the worker also blocks the signal,
    which no handler can then receive."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def stale_before(settings: Settings, now: datetime | None = None) -> datetime:
    """A RUNNING backfill without a heartbeat since this moment (naive UTC) has lost its process: INTERRUPTED."""
    return (now or _utc_now()) - settings.lease_ttl


def _utc_now() -> datetime:
    """Now as the warehouse's TIMESTAMP_NTZ columns hold it (naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _summary(
    backfill_id: str, source: str, results: list[dict[str, Any]], seconds: float, interrupted: bool = False
) -> BackfillSummary:
    by = [r["status"] for r in results]
    held, failed = by.count(BatchStatus.HELD), by.count(FAILED)
    status = INTERRUPTED if interrupted else FAILED if failed else BatchStatus.HELD if held else "COMPLETED"
    return BackfillSummary(
        backfill_id, source, len(results), by.count(BatchStatus.COMMITTED), by.count(BatchStatus.SKIPPED), held,
        failed, sum(r["rows_extracted"] for r in results), sum(r["rows_published"] for r in results), seconds,
        status,
    )  # fmt: skip


def _since(t0: datetime) -> float:
    return round((datetime.now(UTC) - t0).total_seconds(), 3)


def _size_text(size: timedelta) -> str:
    return next((k for k, v in WINDOW_SIZES.items() if v == size), f"{size.total_seconds():.0f} s")
