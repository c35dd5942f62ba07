"""What every micro-batch flow shares: its outcome, ledger record, lineage run, stopwatch and hold."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect.runtime import flow_run

from lineage.emitter import LineageEmitter
from lineage.events import DatasetRef, new_run_id, run_event
from northstar.alerts import alert
from northstar.batches import Window
from northstar.loads import COMMITTED, BatchRecord, batch_status, record_held
from northstar.settings import Settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from validators.result import CheckResult
from validators.router import Routed


@dataclass(frozen=True)
class ValidatedBatch:
    """The router's verdict and the folder holding the batch's load files."""

    routed: Routed
    folder: Path
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    lines_quarantined_by_reason: dict[str, int] = field(default_factory=dict)  # orders: their lines' reasons


@dataclass(frozen=True)
class BatchOutcome:
    """What a run did, for the CLI summary and the flow run's return value."""

    source: str
    batch_id: str
    status: str  # COMMITTED, HELD or SKIPPED (already committed)
    rows_extracted: int = 0
    rows_passed: int = 0
    rows_quarantined: int = 0
    rows_published: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    lines_quarantined_by_reason: dict[str, int] = field(default_factory=dict)  # orders: quarantined lines

    @classmethod
    def skipped(cls, source: str, batch_id: str) -> BatchOutcome:
        return cls(source, batch_id, "SKIPPED", reason="already committed")

    @classmethod
    def from_record(cls, record: BatchRecord, by_reason: dict[str, int], seconds: dict[str, float]) -> BatchOutcome:
        return cls(
            record.source,
            record.batch_id,
            record.status,
            record.rows_extracted,
            record.rows_passed,
            record.rows_quarantined,
            record.rows_published,
            by_reason,
            record.reason,
            seconds,
        )


class Stopwatch:
    """Seconds spent per stage, for the ledger and the benchmark."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - t0, 3)


def lineage_emitter(settings: Settings) -> LineageEmitter:
    """File transport (JSON lines under $NORTHSTAR_HOME/lineage) locally, Marquez over HTTP in aws."""
    if settings.lineage.marquez_url:
        return LineageEmitter.to_http(settings.lineage.marquez_url)
    return LineageEmitter.to_file(settings.lineage_dir)


@dataclass
class LineageRun:
    """One OpenLineage run: START when created, then exactly one COMPLETE or FAIL."""

    emitter: LineageEmitter
    job_name: str
    window: Window
    parent_run_id: str | None
    inputs: list[DatasetRef]
    run_id: str = field(default_factory=new_run_id)

    def start(self) -> LineageRun:
        self._emit("START", [], [])
        return self

    def complete(self, outputs: list[DatasetRef], checks: list[CheckResult]) -> None:
        self._emit("COMPLETE", outputs, checks)

    def fail(self, error: str, checks: list[CheckResult] | None = None) -> None:
        self._emit("FAIL", [], checks or [], error)

    def _emit(self, kind: str, outputs: list[DatasetRef], checks: list[CheckResult], error: str | None = None) -> None:
        self.emitter.emit(
            run_event(
                kind,  # type: ignore[arg-type]
                job_name=self.job_name,
                run_id=self.run_id,
                parent_run_id=self.parent_run_id,
                parent_job_name=self.job_name if self.parent_run_id else None,
                inputs=self.inputs,
                outputs=outputs,
                checks=[c for c in checks if c.evaluated],
                error=error,
                nominal_start=self.window.start,
                nominal_end=self.window.end,
                event_time=datetime.now(UTC),
            )
        )


def warehouse_namespace(settings: Settings) -> str:
    """snowflake://<account> in production; the embedded warehouse names itself as such."""
    account = settings.snowflake.account if settings.snowflake else "fakesnow-local"
    return f"snowflake://{account}"


def current_flow_run_id() -> str | None:
    """The Prefect flow run id, when running inside a flow run."""
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


@contextmanager
def running(settings: Settings, batch: str, run: LineageRun) -> Iterator[None]:
    """A batch run's body: a failure emits the lineage FAIL with its error and goes on up; the work folder goes."""
    try:
        yield
    except Exception as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        clear_work_dir(settings, batch)


def committed_meanwhile(record: BatchRecord) -> BatchRecord:
    """The record of a batch another run of it committed while this one ran (publish found it COMMITTED)."""
    return replace(record, status="SKIPPED", reason="committed meanwhile by another run of this batch")


def clear_work_dir(settings: Settings, batch: str) -> None:
    """Remove a batch's work folder once its run ends: all of it is derived from landed raw data, rebuilt by a rerun."""
    shutil.rmtree(settings.work_dir / batch, ignore_errors=True)


def is_committed(settings: Settings, batch_id: str) -> bool:
    """Whether the ledger already holds this batch as COMMITTED (a rerun then does nothing)."""
    with open_warehouse(settings) as wh:
        return batch_status(wh, batch_id) == COMMITTED


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Quarantined rows per reason, from the router's `quarantined` table."""
    rows = con.execute(read_sql("checks/count_quarantine_reasons.sql")).fetchall()
    return {str(reason): int(n) for reason, n in rows}


def hold_batch(settings: Settings, record: BatchRecord, checks: list[CheckResult]) -> BatchRecord:
    """Record a held batch with its reason and alert; nothing is published, the raw copy stays landed."""
    with open_warehouse(settings) as wh:
        held = record_held(wh, record, checks)
    alert(
        f"{record.source} batch held, nothing published",
        source=record.source,
        batch_id=record.batch_id,
        details=record.reason or "",
    )
    return held


def new_record(
    settings: Settings,
    source: str,
    window: Window,
    routed: Routed,
    landed: tuple[str, str | None, datetime | None, datetime | None],
    lineage_run_id: str,
    watch: Stopwatch,
) -> BatchRecord:
    """The ledger row as far as it is known before publishing; landed: (batch id, raw URI, watermark low, high)."""
    batch_id, raw_uri, low, high = landed
    return BatchRecord(
        batch_id=batch_id,
        source=source,
        window_start=window.start,
        window_end=window.end,
        watermark_low=low,
        watermark_high=high,
        rows_extracted=routed.rows_extracted,
        rows_passed=routed.rows_passed,
        rows_quarantined=routed.rows_quarantined,
        rows_published=0,
        status="RUNNING",
        reason=routed.held_reason,
        raw_uri=raw_uri,
        code_version=settings.code_version,
        flow_run_id=current_flow_run_id(),
        lineage_run_id=lineage_run_id,
        started_at=datetime.now(UTC),
        finished_at=None,
        extract_seconds=watch.seconds.get("extract"),
        validate_seconds=watch.seconds.get("validate"),
        publish_seconds=None,
    )
