"""What every micro-batch flow shares: its outcome, its lineage run, and its stopwatch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lineage.emitter import LineageEmitter
from lineage.events import DatasetRef, new_run_id, run_event
from northstar.batches import Window
from northstar.loads import BatchRecord
from northstar.settings import Settings
from validators.result import CheckResult


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
    if settings.marquez_url:
        return LineageEmitter.to_http(settings.marquez_url)
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
    account = (settings.snowflake or {}).get("account", "fakesnow-local")
    return f"snowflake://{account}"
