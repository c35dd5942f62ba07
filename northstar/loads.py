"""Publishing a batch: stage its files, then load, quarantine and ledger in ONE transaction.

The batch id is the idempotency key: a batch whose ledger row says COMMITTED is never loaded again, so a
rerun, a retry or an overlapping backfill changes nothing; a batch that failed left nothing behind (the
transaction rolled back), so its rerun completes it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from northstar.sqlfiles import read_sql
from northstar.warehouse import STAGE, Warehouse


class LedgerCheck(Protocol):
    """What the ledger records of a check result (validators.result.CheckResult is one)."""

    def as_dict(self) -> dict[str, Any]:
        """The result's fields as OPS.CHECK_RESULTS columns."""
        ...


COMMITTED = "COMMITTED"
HELD = "HELD"


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
    count_published: str  # a query counting the rows this batch published

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
    safe_until: datetime | None = None  # orders: how far the batch could safely read (open transactions)


def batch_status(wh: Warehouse, batch_id: str) -> str | None:
    """The ledger status of a batch, or None when it was never recorded."""
    rows = wh.query(read_sql("snowflake/select_batch_status.sql"), {"batch_id": batch_id})
    return str(rows[0]["STATUS"]) if rows else None


def publish(
    wh: Warehouse, plan: LoadPlan, record: BatchRecord, checks: Sequence[LedgerCheck], status: str = COMMITTED
) -> BatchRecord | None:
    """Load a batch exactly once; the ledger record, or None when it was already committed.

    status HELD records a batch whose plan loads its evidence but not what its gate holds back (the
    consistency flow); such a batch may be loaded again, as any held batch.
    """
    if batch_status(wh, record.batch_id) == COMMITTED:
        return None
    wh.run_file(plan.stage_ddl)  # DDL commits implicitly in Snowflake, so it runs before BEGIN
    for staged in plan.staged:
        wh.put(staged.parquet, _stage_path(plan, record, staged))
    params = {"batch_id": record.batch_id, "loaded_at": record.started_at}
    t0 = time.perf_counter()
    with wh.transaction():
        for staged in plan.staged:
            wh.execute(
                f"COPY INTO {staged.table} FROM @{STAGE}/{_stage_path(plan, record, staged)}/ "
                "FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE"
            )
        for relative in plan.load_files:
            wh.run_file(relative, params)
        published = wh.query(read_sql(plan.count_published), params)[0]["N"]
        committed = replace(
            record,
            rows_published=int(published),
            status=status,
            finished_at=datetime.now(UTC),
            publish_seconds=round(time.perf_counter() - t0, 3),
        )
        _write_checks(wh, record, checks)
        wh.run_file("snowflake/insert_into_ops_load_batches.sql", asdict(committed))
    return committed


def record_held(wh: Warehouse, record: BatchRecord, checks: Sequence[LedgerCheck]) -> BatchRecord:
    """Record a held batch and its evidence; nothing is published."""
    held = replace(record, status=HELD, finished_at=datetime.now(UTC))
    with wh.transaction():
        _write_checks(wh, held, checks)
        wh.run_file("snowflake/insert_into_ops_load_batches.sql", asdict(held))
    return held


def _write_checks(wh: Warehouse, record: BatchRecord, checks: Sequence[LedgerCheck]) -> None:
    wh.run_file("snowflake/delete_from_ops_check_results.sql", {"batch_id": record.batch_id})
    for check in checks:
        wh.run_file("snowflake/insert_into_ops_check_results.sql", _check_params(record, check))


def _check_params(record: BatchRecord, check: LedgerCheck) -> dict[str, Any]:
    return check.as_dict() | {
        "batch_id": record.batch_id,
        "source": record.source,
        "checked_at": record.started_at,
    }


def _stage_path(plan: LoadPlan, record: BatchRecord, staged: StagedTable) -> str:
    return f"{plan.source}/{record.batch_id}/{staged.table.lower().replace('.', '_')}"
