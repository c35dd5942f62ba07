"""The batch engine: every source's flow runs one batch through `run_batch`, the same skeleton for all.

A source declares what is its own (`BatchSource`: name, job, cadence, extract, validate, lineage datasets);
the engine owns everything else, once: the window (refusing one that has not ended and settled), the skip of a
committed batch, the lease (a second run stands aside), the lineage run (START, then COMPLETE or FAIL, and a FAIL
for a run that was killed), the stopwatch, the ledger record (COMMITTED, HELD, or FAILED with the error),
publish-or-hold through the guarded load (northstar/loads.py), and the outcome.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from prefect import get_run_logger, task
from prefect.runtime import flow_run

from lineage.emitter import LineageEmitter
from lineage.events import DatasetRef, new_run_id, run_event
from northstar.alerts import alert
from northstar.batches import Window, settled_window
from northstar.faults import fault_point
from northstar.incidents import report_batch
from northstar.loads import (
    BatchRecord,
    BatchStatus,
    Lease,
    LeaseHeld,
    LoadPlan,
    acquire_lease,
    batch_status,
    new_owner,
    publish,
    reap_expired_leases,
    record_failed,
    record_held,
    release_lease,
    renew_lease,
)
from northstar.settings import Settings, load_settings
from northstar.warehouse import open_warehouse
from validators.result import CheckResult


@dataclass(frozen=True)
class Validated:
    """What a source's validate step hands the engine: the verdict, the counts, and what to load.

    plan is the load (None when nothing can be loaded, e.g. a held batch); held_reason set means a batch-level
    check failed. publish_held: the plan still loads (evidence only) with status HELD (the consistency gate).
    """

    results: list[CheckResult]
    rows_extracted: int
    rows_passed: int
    rows_quarantined: int
    plan: LoadPlan | None
    held_reason: str | None = None
    publish_held: bool = False
    summary: str | None = None  # the ledger's REASON when not held (what the batch read)
    raw_uri: str | None = None
    watermark_low: datetime | None = None
    watermark_high: datetime | None = None
    safe_until: datetime | None = None  # orders: how far the extract could safely read (open transactions)
    inputs: list[DatasetRef] = field(default_factory=list)  # lineage inputs with row counts, once known
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # source-specific counts for the outcome (JSON-able)
    extra: dict[str, Any] = field(default_factory=dict)  # source-specific, for its own after_commit and outputs
    seconds: dict[str, float] = field(default_factory=dict)  # the source's own sub-stages


@dataclass(frozen=True)
class BatchOutcome:
    """What a run did, for the CLI summary and the flow run's return value."""

    source: str
    batch_id: str
    status: str  # a BatchStatus value: COMMITTED, HELD, SKIPPED (FAILED raises)
    rows_extracted: int = 0
    rows_passed: int = 0
    rows_quarantined: int = 0
    rows_published: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    reason: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


class BatchSource(Protocol):
    """What a source declares; the engine does the rest. extract and validate are Prefect tasks."""

    name: str  # the source: ledger, CLI, settings (orders, payments, fulfillment, consistency)
    job: str  # the flow and lineage job name (orders-microbatch, ...)
    cadence: timedelta  # the default window's length

    def batch_id(self, window: Window) -> str:
        """The batch's idempotency key for a window."""
        ...

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        """The datasets the batch reads, as known before it runs."""
        ...

    def extract(self, settings: Settings, window: Window, batch: str) -> Any:
        """Land the window's raw data write-once (or reuse what this batch landed before); what validate reads."""
        ...

    def validate(self, settings: Settings, landed: Any, window: Window, batch: str) -> Validated:
        """Check what was landed and write the load files."""
        ...

    def lineage_outputs(self, settings: Settings, outcome: BatchOutcome, validated: Validated) -> list[DatasetRef]:
        """The datasets a committed batch wrote."""
        ...

    def after_commit(self, settings: Settings, landed: Any, validated: Validated) -> None:
        """What follows a commit outside the transaction (archive source files, report); may do nothing."""
        ...


def run_batch(source: BatchSource, start: str | None = None, end: str | None = None) -> BatchOutcome:
    """Run one batch of source for [start, end) (default: its last closed and settled window).

    Raises WindowNotClosed for a window that has not settled, and re-raises a failure of the run after
    recording it as FAILED in the ledger and emitting its lineage FAIL.
    """
    settings = load_settings()
    window = batch_window(source, settings, start, end)
    batch = source.batch_id(window)
    logger = get_run_logger()
    owner = new_owner()
    run = LineageRun(
        lineage_emitter(settings), source.job, window, current_flow_run_id(), source.lineage_inputs(settings)
    )
    with open_warehouse(settings) as wh:
        if batch_status(wh, batch) == BatchStatus.COMMITTED:
            logger.info("batch %s is already committed: nothing to do", batch)
            run.close_committed(reap_expired_leases(wh, batch))
            return BatchOutcome(source.name, batch, BatchStatus.SKIPPED, reason="already committed")
        try:
            lease = acquire_lease(wh, batch, source.name, owner, settings.lease_ttl, run.run_id)
        except LeaseHeld as held:
            logger.info("batch %s: %s", batch, held)
            return BatchOutcome(source.name, batch, BatchStatus.SKIPPED, reason=str(held))
    if lease.previous and lease.previous.get("LINEAGE_RUN_ID"):  # a killed run's START is closed
        run.close_abandoned(lease.previous["LINEAGE_RUN_ID"])
    run.start()
    fault_point("after_lease")
    try:
        return _run(source, settings, window, batch, run, lease)
    finally:
        with open_warehouse(settings) as wh:
            release_lease(wh, lease)
        shutil.rmtree(settings.work_dir / batch, ignore_errors=True)  # derived from landed raw; a rerun rebuilds it


def _run(
    source: BatchSource, settings: Settings, window: Window, batch: str, run: LineageRun, lease: Lease
) -> BatchOutcome:
    """The run's steps, with the lease renewed between them; a failure is recorded, then raised."""
    watch = Stopwatch()
    validated: Validated | None = None
    try:
        with watch.stage("extract"):
            landed = source.extract(settings, window, batch)
        _renew(settings, lease)
        fault_point("after_extract")
        with watch.stage("validate"):
            validated = source.validate(settings, landed, window, batch)
        _renew(settings, lease)
        fault_point("after_validate")
        run.inputs = validated.inputs or run.inputs
        record = new_record(settings, source.name, window, batch, validated, run.run_id, watch)
        with watch.stage("publish"):
            done = publish_or_hold(settings, validated, record)
        fault_point("after_commit")
        if done.status != BatchStatus.SKIPPED:  # an error-severity failure or a hold opens (or counts) an incident
            report_batch(settings, source.name, batch, window.start, validated.results)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        run.fail(error, validated.results if validated else None)
        _record_failure(settings, source, window, batch, run, watch, validated, error)
        raise
    outcome = BatchOutcome(
        source.name, batch, done.status, done.rows_extracted, done.rows_passed, done.rows_quarantined,
        done.rows_published, validated.quarantined_by_reason, done.reason, watch.seconds | validated.seconds,
        validated.details,
    )  # fmt: skip
    if done.status == BatchStatus.HELD:
        run.fail(f"batch held: {done.reason}", validated.results)
        return outcome
    run.complete(source.lineage_outputs(settings, outcome, validated), validated.results)
    if done.status == BatchStatus.COMMITTED:
        source.after_commit(settings, landed, validated)
    return outcome


@task(retries=2, retry_delay_seconds=10)
def publish_or_hold(settings: Settings, validated: Validated, record: BatchRecord) -> BatchRecord:
    """Publish the batch in one transaction, or record it held (with an alert); SKIPPED when another run
    committed it meanwhile (the guarded ledger insert rolled this load back)."""
    with open_warehouse(settings) as wh:
        if validated.held_reason and not validated.publish_held:
            done = record_held(wh, record, validated.results)
            if done is not None:
                alert(f"{record.source} batch held, nothing published", source=record.source,
                      batch_id=record.batch_id, details=record.reason or "")  # fmt: skip
        else:
            assert validated.plan is not None, "a batch that is not held has a load plan"
            status = BatchStatus.HELD if validated.held_reason else BatchStatus.COMMITTED
            done = publish(wh, validated.plan, record, validated.results, status=status)
    if done is None:
        return replace(record, status=BatchStatus.SKIPPED, reason="committed meanwhile by another run of this batch")
    return done


def batch_window(source: BatchSource, settings: Settings, start: str | None, end: str | None) -> Window:
    """The window asked for, or the source's last closed one; WindowNotClosed when it has not ended and settled."""
    settle = settings.settle.get(source.name, timedelta(0))
    return settled_window(source.name, source.cadence, settle, start, end)


def _renew(settings: Settings, lease: Lease) -> None:
    with open_warehouse(settings) as wh:
        renew_lease(wh, lease)


def _record_failure(
    settings: Settings,
    source: BatchSource,
    window: Window,
    batch: str,
    run: LineageRun,
    watch: Stopwatch,
    validated: Validated | None,
    error: str,
) -> None:
    """The FAILED ledger row; a failure to write it is logged, never hides the run's own error."""
    empty = Validated([], 0, 0, 0, None)
    record = new_record(settings, source.name, window, batch, validated or empty, run.run_id, watch)
    try:
        with open_warehouse(settings) as wh:
            record_failed(wh, record, error)
    except Exception as exc:  # the warehouse may be what failed
        get_run_logger().warning("could not record batch %s as FAILED: %s", batch, exc)


class Stopwatch:
    """Seconds spent per stage, for the ledger and the benchmark."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage `name`."""
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
    """One OpenLineage run: START when started, then exactly one COMPLETE or FAIL."""

    emitter: LineageEmitter
    job_name: str
    window: Window
    parent_run_id: str | None
    inputs: list[DatasetRef]
    run_id: str = field(default_factory=new_run_id)

    def start(self) -> LineageRun:
        """Emit START."""
        self._emit("START", [], [])
        return self

    def complete(self, outputs: list[DatasetRef], checks: list[CheckResult]) -> None:
        """Emit COMPLETE with what was written and every evaluated check."""
        self._emit("COMPLETE", outputs, checks)

    def fail(self, error: str, checks: list[CheckResult] | None = None) -> None:
        """Emit FAIL with the error (and the checks, for a held batch)."""
        self._emit("FAIL", [], checks or [], error)

    def close_abandoned(self, run_id: str) -> None:
        """FAIL for a killed run of this batch that never finished, so no START stays open."""
        LineageRun(self.emitter, self.job_name, self.window, self.parent_run_id, self.inputs, run_id).fail(
            f"run abandoned (its process stopped); taken over by run {self.run_id}"
        )

    def close_committed(self, leases: list[dict[str, Any]]) -> None:
        """COMPLETE, re-emitted, for each run killed after its batch committed (its lease expired, its START open)."""
        for lease in leases:
            if lease.get("LINEAGE_RUN_ID"):
                LineageRun(self.emitter, self.job_name, self.window, self.parent_run_id, self.inputs,
                           lease["LINEAGE_RUN_ID"]).complete([], [])  # fmt: skip

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


def new_record(
    settings: Settings,
    source: str,
    window: Window,
    batch: str,
    validated: Validated,
    lineage_run_id: str,
    watch: Stopwatch,
) -> BatchRecord:
    """The ledger row as far as it is known before publishing."""
    return BatchRecord(
        batch_id=batch,
        source=source,
        window_start=window.start,
        window_end=window.end,
        watermark_low=validated.watermark_low,
        watermark_high=validated.watermark_high,
        rows_extracted=validated.rows_extracted,
        rows_passed=validated.rows_passed,
        rows_quarantined=validated.rows_quarantined,
        rows_published=0,
        status=BatchStatus.RUNNING,
        reason=validated.held_reason or validated.summary,
        raw_uri=validated.raw_uri,
        code_version=settings.code_version,
        flow_run_id=current_flow_run_id(),
        lineage_run_id=lineage_run_id,
        started_at=datetime.now(UTC),
        finished_at=None,
        extract_seconds=watch.seconds.get("extract"),
        validate_seconds=watch.seconds.get("validate"),
        publish_seconds=None,
        safe_until=validated.safe_until,
    )
