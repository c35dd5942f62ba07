"""Publishing a batch: stage its files, then load, quarantine and ledger in ONE transaction.

The batch id is the idempotency key, and the ledger is the guard: inside the load transaction the ledger row
is written with a guarded insert (nothing is written when a COMMITTED row of the batch exists, and the whole
load then rolls back), after the source's load lock is taken (its first statement), so two runs of one batch
can never both commit, whatever ran before them. Staging tables are emptied inside the transaction before and
after the COPY, so a load only ever sees the rows it staged. A batch that failed left nothing behind but its
FAILED ledger row, so its rerun completes it. Running batches hold a lease (OPS.BATCH_LEASES), so a second run of
a batch stands aside while the first runs, and takes over once a killed run's lease has expired.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from northstar.faults import fault_point
from northstar.sqlfiles import read_sql, statements
from northstar.warehouse import STAGE, Warehouse, WarehouseConflict


class LedgerCheck(Protocol):
    """What the ledger records of a check result (validators.result.CheckResult is one)."""

    def as_dict(self) -> dict[str, Any]:
        """The result's fields as OPS.CHECK_RESULTS columns."""
        ...


T = TypeVar("T")


class BatchStatus(StrEnum):
    """A batch's state in the ledger (RUNNING and SKIPPED are only ever in a run's outcome, not the ledger)."""

    RUNNING = "RUNNING"
    COMMITTED = "COMMITTED"  # published; final
    HELD = "HELD"  # a batch-level check failed: nothing published (the consistency gate: evidence only)
    FAILED = "FAILED"  # the run raised; nothing published; a rerun completes it
    SKIPPED = "SKIPPED"  # already committed, or running elsewhere: this run did nothing


LOCK_ATTEMPTS = 30  # a second writer waits for the lock this many times (Snowflake itself waits)
LOCK_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class StagedTable:
    """A Parquet file copied into a staging table (a name from code, never from data)."""

    table: str
    parquet: Path


@dataclass(frozen=True)
class LoadPlan:
    """What one source's load does: staging DDL, staged files, and the SQL files run in the transaction."""

    source: str
    stage_ddl: str
    staged: tuple[StagedTable, ...]
    load_files: tuple[str, ...]
    count_published: str  # a query counting the rows this batch published (N), maybe ALREADY_CURRENT, REQUARANTINED
    counted: tuple[str, ...] = ("N", "ALREADY_CURRENT", "REQUARANTINED")  # the columns count_published returns
    # With every staged file empty, the load files change nothing (each statement reads the staging tables or
    # this batch's own rows), so an empty batch may skip them (publish's fast path). False when a load file
    # also changes rows from what is already published (the consistency marts drop deleted orders).
    empty_loads_nothing: bool = True

    def in_folder(self, folder: Path) -> LoadPlan:
        """The same plan with its staged files found in folder."""
        staged = tuple(StagedTable(s.table, folder / s.parquet.name) for s in self.staged)
        return replace(self, staged=staged)


@dataclass(frozen=True)
class BatchRecord:
    """One row of OPS.LOAD_BATCHES."""

    batch_id: str
    source: str
    window_start: datetime
    window_end: datetime
    watermark_low: datetime | None
    watermark_high: datetime | None
    rows_extracted: int
    rows_passed: int
    rows_quarantined: int
    rows_published: int
    status: str
    reason: str | None
    raw_uri: str | None
    code_version: str
    flow_run_id: str | None
    lineage_run_id: str | None
    started_at: datetime
    finished_at: datetime | None
    extract_seconds: float | None
    validate_seconds: float | None
    publish_seconds: float | None
    rows_already_current: int | None = None  # passed rows another batch had already published (or newer)
    rows_requarantined: int | None = None  # quarantined rows another batch had already quarantined
    safe_until: datetime | None = None  # orders: how far the batch could safely read (open transactions)
    supersedes: str | None = None  # a replayed version (flows/reprocess.py): the batch version it replaces


def batch_status(wh: Warehouse, batch_id: str) -> str | None:
    """The ledger status of a batch (a BatchStatus value), or None when it was never recorded."""
    rows = wh.query(read_sql("snowflake/select_batch_status.sql"), {"batch_id": batch_id})
    return str(rows[0]["STATUS"]) if rows else None


class AlreadyCommitted(RuntimeError):
    """The guarded ledger insert found the batch COMMITTED by another run: this load rolled back."""


def publish(
    wh: Warehouse,
    plan: LoadPlan,
    record: BatchRecord,
    checks: Sequence[LedgerCheck],
    status: BatchStatus = BatchStatus.COMMITTED,
) -> BatchRecord | None:
    """Load a batch exactly once; the ledger record, or None when it was (or meanwhile got) committed.

    status HELD records a batch whose plan loads its evidence but not what its gate holds back (the
    consistency flow); such a batch may be loaded again, as any held batch.
    A batch with nothing staged takes the fast path (see `loads_nothing`): the same transaction without the
    staging, PUT, COPY and load statements, writing only its checks and its ledger row (every count 0).
    Raises WarehouseConflict when the source's load lock stayed taken for LOCK_ATTEMPTS waits.
    """
    previous = batch_status(wh, record.batch_id)
    if previous == BatchStatus.COMMITTED:
        return None
    empty = loads_nothing(plan, record, previous)
    if not empty:
        stage_files(wh, plan, record)
    write = _record_empty if empty else _load
    t0 = time.perf_counter()
    try:
        return _with_lock(
            wh, f"load:{plan.source}", record.batch_id, lambda: write(wh, plan, record, checks, status, t0)
        )
    except AlreadyCommitted:
        return None


def loads_nothing(plan: LoadPlan, record: BatchRecord, previous: str | None) -> bool:
    """True when loading the batch could change no published row: every staged Parquet file has 0 rows, the plan's
    load files change nothing then (`empty_loads_nothing`), the batch replaces no earlier version (`supersedes`),
    and no earlier run of it left rows behind (never recorded, or FAILED: a failed load rolled back; a HELD
    batch may have loaded evidence, which its rerun's load files replace). A missing file is not empty."""
    if not plan.empty_loads_nothing or record.supersedes is not None:
        return False
    if previous not in (None, BatchStatus.FAILED):
        return False
    return all(_parquet_rows(staged.parquet) == 0 for staged in plan.staged)


def _parquet_rows(path: Path) -> int | None:
    """The row count in a Parquet file's footer (None when there is no such file)."""
    import pyarrow.parquet as pq  # first use: a read command never loads pyarrow

    if not path.is_file():
        return None
    return int(pq.read_metadata(path).num_rows)


def _record_empty(
    wh: Warehouse, plan: LoadPlan, record: BatchRecord, checks: Sequence[LedgerCheck], status: BatchStatus, t0: float
) -> BatchRecord:
    """The fast path's statements, inside the transaction and the source's lock: what `_load` writes for a batch
    whose staging tables are empty (each count the plan's count query returns is 0; the others stay None)."""
    done = replace(
        record,
        rows_published=0,
        rows_already_current=0 if "ALREADY_CURRENT" in plan.counted else None,
        rows_requarantined=0 if "REQUARANTINED" in plan.counted else None,
        status=status,
        finished_at=datetime.now(UTC),
        publish_seconds=round(time.perf_counter() - t0, 3),
    )
    _write_checks(wh, record, checks)
    _record(wh, done)
    fault_point("publish_before_commit")
    return done


def _load(
    wh: Warehouse, plan: LoadPlan, record: BatchRecord, checks: Sequence[LedgerCheck], status: BatchStatus, t0: float
) -> BatchRecord:
    """The load's statements, inside the transaction and the source's lock."""
    params = load_params(record)
    copy_staged(wh, plan, record)
    for relative in plan.load_files:
        wh.run_file(relative, params)
    counts = wh.query(read_sql(plan.count_published), params)[0]
    done = replace(
        record,
        rows_published=int(counts["N"]),
        rows_already_current=_optional_count(counts, "ALREADY_CURRENT"),
        rows_requarantined=_optional_count(counts, "REQUARANTINED"),
        status=status,
        finished_at=datetime.now(UTC),
        publish_seconds=round(time.perf_counter() - t0, 3),
    )
    _write_checks(wh, record, checks)
    _record(wh, done)
    empty_staging(wh, plan)
    fault_point("publish_before_commit")
    return done


def load_params(record: BatchRecord) -> dict[str, Any]:
    """The parameters every load file may bind: the batch, its load time, and the version it supersedes."""
    return {"batch_id": record.batch_id, "loaded_at": record.started_at, "supersedes": record.supersedes}


def stage_files(wh: Warehouse, plan: LoadPlan, record: BatchRecord) -> None:
    """Create the plan's staging tables and upload its files (before the transaction: DDL commits implicitly)."""
    wh.run_file(plan.stage_ddl)
    for staged in plan.staged:
        wh.put(staged.parquet, _stage_path(plan, record, staged))


def copy_staged(wh: Warehouse, plan: LoadPlan, record: BatchRecord) -> None:
    """Inside the load transaction: empty each staging table and COPY the batch's uploaded file into it."""
    for staged in plan.staged:
        wh.execute(f"DELETE FROM {staged.table}")  # only this transaction's rows are visible to it anyway
        wh.execute(
            f"COPY INTO {staged.table} FROM @{STAGE}/{_stage_path(plan, record, staged)}/ "
            "FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE"
        )


def empty_staging(wh: Warehouse, plan: LoadPlan) -> None:
    """Inside the load transaction, last: nothing staged outlives it."""
    for staged in plan.staged:
        wh.execute(f"DELETE FROM {staged.table}")


def record_batch(wh: Warehouse, record: BatchRecord, checks: Sequence[LedgerCheck]) -> BatchRecord:
    """Inside a load transaction: the batch's check results and its guarded ledger row (AlreadyCommitted when a
    COMMITTED row of the batch exists: the caller's transaction rolls back)."""
    _write_checks(wh, record, checks)
    return _record(wh, record)


def with_load_lock(wh: Warehouse, source: str, owner: str, body: Callable[[], T]) -> T:
    """Run body in one transaction holding the source's load lock (the lock every publish of source takes)."""
    return _with_lock(wh, f"load:{source}", owner, body)


def record_held(wh: Warehouse, record: BatchRecord, checks: Sequence[LedgerCheck]) -> BatchRecord | None:
    """Record a held batch and its evidence; nothing is published. None when the batch is already committed."""
    held = replace(record, status=BatchStatus.HELD, finished_at=datetime.now(UTC))

    def write() -> BatchRecord:
        _write_checks(wh, held, checks)
        _record(wh, held)
        return held

    try:
        return _with_lock(wh, f"load:{record.source}", record.batch_id, write)
    except AlreadyCommitted:
        return None


def record_failed(wh: Warehouse, record: BatchRecord, error: str) -> None:
    """Record a batch whose run raised (FAILED, with the error), outside its rolled-back load; a COMMITTED row of
    the batch is never replaced, and a rerun that completes the batch replaces this one."""
    failed = replace(record, status=BatchStatus.FAILED, reason=error[:2000], finished_at=datetime.now(UTC))
    with contextlib.suppress(AlreadyCommitted):
        _with_lock(wh, f"load:{record.source}", record.batch_id, lambda: _record(wh, failed))


def _record(wh: Warehouse, record: BatchRecord) -> BatchRecord:
    """The guarded ledger insert: exactly one row or AlreadyCommitted (the caller's transaction rolls back)."""
    delete, insert = statements("snowflake/insert_into_ops_load_batches.sql")
    params = asdict(record) | {"status": str(record.status)}
    wh.execute(delete, {"batch_id": record.batch_id})
    if wh.execute(insert, params) != 1:
        raise AlreadyCommitted(record.batch_id)
    return record


def _with_lock(wh: Warehouse, name: str, owner: str, body: Callable[[], T]) -> T:
    """Run body in a transaction whose first statement takes lock `name` (OPS.LOAD_LOCKS). Snowflake makes a
    second writer wait for the first's COMMIT; the local emulator aborts it instead, so it waits here."""
    wh.run_file("snowflake/insert_into_ops_load_locks.sql", {"name": name})
    for attempt in range(LOCK_ATTEMPTS):
        try:
            with wh.transaction():
                wh.run_file("snowflake/update_ops_load_locks.sql", {"name": name, "owner": owner, "now": _now()})
                return body()
        except WarehouseConflict:
            if attempt == LOCK_ATTEMPTS - 1:
                raise
            time.sleep(LOCK_WAIT_SECONDS)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Lease:
    """A running batch's lease; `previous` is the expired lease of a run it took over (killed), if any."""

    batch_id: str
    owner: str
    ttl: timedelta
    previous: dict[str, Any] | None = None


class LeaseHeld(RuntimeError):
    """Another live run holds the batch's lease: this run stands aside."""

    def __init__(self, holder: dict[str, Any]) -> None:
        super().__init__(
            f"running elsewhere: {holder['OWNER']} holds the lease until {holder['EXPIRES_AT']:%Y-%m-%dT%H:%M:%SZ}"
        )
        self.holder = holder


def new_owner() -> str:
    """This run's lease owner: host, process and a random part (two runs in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def acquire_lease(
    wh: Warehouse, batch_id: str, source: str, owner: str, ttl: timedelta, lineage_run_id: str | None
) -> Lease:
    """Take the batch's lease, or raise LeaseHeld when another run's lease is still live.

    An expired lease (its run was killed, or stopped renewing) is taken over and returned as `previous`, so the
    caller can close what that run left open (its lineage run)."""

    def take() -> Lease:
        rows = wh.query(read_sql("snowflake/select_ops_batch_leases.sql"), {"batch_id": batch_id})
        live = [r for r in rows if r["EXPIRES_AT"].replace(tzinfo=UTC) > _now() and r["OWNER"] != owner]
        if live:
            raise LeaseHeld(live[0])
        now = _now()
        wh.run_file(
            "snowflake/insert_into_ops_batch_leases.sql",
            {"batch_id": batch_id, "source": source, "owner": owner, "lineage_run_id": lineage_run_id,
             "now": now, "expires_at": now + ttl},
        )  # fmt: skip
        return Lease(batch_id, owner, ttl, rows[0] if rows else None)

    return _with_lock(wh, "leases", owner, take)


def reap_expired_leases(wh: Warehouse, batch_id: str) -> list[dict[str, Any]]:
    """Remove the batch's expired leases (runs killed after their work was done: the batch is committed) and
    return them, so the caller can close what those runs left open (their lineage runs)."""

    def reap() -> list[dict[str, Any]]:
        rows = wh.query(read_sql("snowflake/select_ops_batch_leases.sql"), {"batch_id": batch_id})
        expired = [r for r in rows if r["EXPIRES_AT"].replace(tzinfo=UTC) <= _now()]
        for row in expired:
            wh.run_file("snowflake/delete_from_ops_batch_leases.sql", {"batch_id": batch_id, "owner": row["OWNER"]})
        return expired

    return _with_lock(wh, "leases", batch_id, reap)


def renew_lease(wh: Warehouse, lease: Lease) -> None:
    """Push the lease's expiry one ttl from now (called at each step boundary of the run)."""
    now = _now()
    wh.run_file(
        "snowflake/update_ops_batch_leases.sql",
        {"batch_id": lease.batch_id, "owner": lease.owner, "now": now, "expires_at": now + lease.ttl},
    )


def release_lease(wh: Warehouse, lease: Lease) -> None:
    """Give the lease back when the run ends, however it ends."""
    wh.run_file("snowflake/delete_from_ops_batch_leases.sql", {"batch_id": lease.batch_id, "owner": lease.owner})


def _now() -> datetime:
    return datetime.now(UTC)


def _write_checks(wh: Warehouse, record: BatchRecord, checks: Sequence[LedgerCheck]) -> None:
    """The batch's check results replace any earlier ones: one DELETE, then one multi-row INSERT."""
    wh.run_file("snowflake/delete_from_ops_check_results.sql", {"batch_id": record.batch_id})
    if checks:
        (insert,) = statements("snowflake/insert_into_ops_check_results.sql")
        wh.execute_many(insert, [_check_params(record, check) for check in checks])


def _check_params(record: BatchRecord, check: LedgerCheck) -> dict[str, Any]:
    return check.as_dict() | {
        "batch_id": record.batch_id,
        "source": record.source,
        "checked_at": record.started_at,
    }


def _optional_count(counts: dict[str, Any], name: str) -> int | None:
    """A count the plan's count query may return (None when that source does not count it)."""
    value = counts.get(name)
    return None if value is None else int(value)


def _stage_path(plan: LoadPlan, record: BatchRecord, staged: StagedTable) -> str:
    return f"{plan.source}/{record.batch_id}/{staged.table.lower().replace('.', '_')}"
