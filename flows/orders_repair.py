"""The orders source reconciliation and its repair batch (README: "Deletes, restores and rows the watermark misses").

reconcile_source_orders() compares PostgreSQL with CORE per created day (northstar/sources/orders/reconcile.py),
marks the orders deleted at the source and records the run (its checks, its deletes, its ledger row, source
`source_reconcile`) in one transaction, then re-extracts the missing and stale orders into a repair batch.
repair_orders() is that batch: the orders flow's landing, checks and one-transaction load with a key list instead of
a window, its own ledger row (source `orders`, batch id `orders-repair-...`, REASON saying why). Both are plain
functions so the shared batch engine can call them; the CLI runs them as `northstar reconcile-source orders`.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from flows.engine import BatchOutcome, Stopwatch, new_record, publish_or_hold
from flows.orders_microbatch import ORDERS_LOAD, validate_orders
from northstar.batches import Window
from northstar.landing import landing_store
from northstar.loads import BatchRecord, BatchStatus
from northstar.settings import Settings
from northstar.sources.orders import SOURCE
from northstar.sources.orders.landing import land_orders_by_keys
from northstar.sources.orders.reconcile import OrdersDiff, mark_deleted, reconcile_orders
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from validators.result import CheckResult, Severity

RECONCILE_SOURCE = "source_reconcile"
# The orders load, except that an equal version replaces CORE's row (the reconciliation found its content differs).
REPAIR_LOAD = replace(
    ORDERS_LOAD, load_files=("snowflake/merge_into_core_orders_repair.sql", *ORDERS_LOAD.load_files[1:])
)
HISTORY_START = datetime(2000, 1, 1, tzinfo=UTC)  # --all: every created day (timestamps_sane refuses older)


@dataclass(frozen=True)
class ReconcileReport:
    """One reconciliation run: what it found, what it marked deleted, the repair batch it ran (or None)."""

    run_id: str
    diff: OrdersDiff
    deletes_marked: int
    repair: BatchOutcome | None
    checks: list[CheckResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            **self.diff.as_dict(),
            "deletes_marked": self.deletes_marked,
            "repair": asdict(self.repair) if self.repair else None,
            "checks": [c.as_dict() for c in self.checks],
        }


def reconcile_source_orders(settings: Settings, days: int | None, now: datetime | None = None) -> ReconcileReport:
    """Reconcile the orders created in the last `days` UTC days (None: the whole history) and repair what differs.

    Raises ValueError for days < 1, SourceUnavailableError when PostgreSQL cannot be read.
    """
    if days is not None and days < 1:
        raise ValueError(f"--days must be at least 1, not {days}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    low = HISTORY_START if days is None else tomorrow - timedelta(days=days)
    run_id = f"{RECONCILE_SOURCE}-{now:%Y%m%dt%H%M%S}-{hashlib.sha256(now.isoformat().encode()).hexdigest()[:8]}"
    with open_warehouse(settings) as wh:
        diff = reconcile_orders(settings.orders.pg_dsn.get_secret_value(), wh, low, tomorrow)
        checks = _checks(diff)
        record = _reconcile_record(settings, run_id, Window(low, tomorrow), diff, now)
        with wh.transaction():
            marked = mark_deleted(wh, diff.deleted, run_id, now, "source_reconciliation") if diff.deleted else 0
            for check in checks:
                wh.run_file(
                    "snowflake/insert_into_ops_check_results.sql",
                    check.as_dict() | {"batch_id": run_id, "source": RECONCILE_SOURCE, "checked_at": now},
                )
            wh.run_file("snowflake/insert_into_ops_load_batches.sql", asdict(replace(record, rows_published=marked)))
    repair = None
    if diff.to_repair:
        reason = (
            f"repair ({run_id}): {len(diff.missing)} missing, {len(diff.stale)} stale, {len(diff.moved)} moved "
            "orders re-extracted by the source reconciliation"
        )
        repair = repair_orders(settings, diff.to_repair, reason, now)
    return ReconcileReport(run_id, diff, marked, repair, checks)


def repair_orders(settings: Settings, order_ids: list[int], reason: str, now: datetime | None = None) -> BatchOutcome:
    """Re-extract the given orders (all their source rows and lines) and publish them through the orders checks
    and load, as one batch with its own ledger row; HELD like any batch when a batch-level check fails."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    window = Window(now - timedelta(microseconds=1), now + timedelta(seconds=1))  # rows stamped up to now pass
    digest = hashlib.sha256(",".join(map(str, sorted(order_ids))).encode() + now.isoformat().encode()).hexdigest()
    batch = f"{SOURCE}-repair-{now:%Y%m%dt%H%M%S}-{digest[:12]}"
    watch = Stopwatch()
    try:
        with watch.stage("extract"):
            landed = land_orders_by_keys(
                landing_store(settings), settings.orders.pg_dsn.get_secret_value(), batch, window, order_ids, reason,
                settings.code_version, settings.work_dir / batch,
            )  # fmt: skip
        with watch.stage("validate"):
            validated = validate_orders.fn(settings, landed, window)
        plan = REPAIR_LOAD.in_folder(settings.work_dir / batch) if validated.plan else None
        validated = replace(validated, plan=plan, watermark_low=None)  # a repair never moves the watermark on
        record = new_record(settings, SOURCE, window, batch, validated, "", watch)
        record = replace(record, lineage_run_id=None, reason=validated.held_reason or reason)
        with watch.stage("publish"):
            done = publish_or_hold.fn(settings, validated, record)
    finally:
        shutil.rmtree(settings.work_dir / batch, ignore_errors=True)
    return BatchOutcome(
        done.source, batch, done.status, done.rows_extracted, done.rows_passed, done.rows_quarantined,
        done.rows_published, validated.quarantined_by_reason, done.reason, watch.seconds, validated.details,
    )  # fmt: skip


def _checks(diff: OrdersDiff) -> list[CheckResult]:
    """The run's verdicts: missing or stale orders (error, repaired by the run), deletes (warn), quarantined (info)."""
    checked = diff.keys_fetched
    repair = len(diff.to_repair)
    return [
        CheckResult(
            "reconcile.orders_missing", "orders", Severity.ERROR, checked, repair,
            "every source order is in CORE.ORDERS with its latest updated_at",
            f"{len(diff.missing)} missing, {len(diff.stale)} stale, {len(diff.moved)} moved over "
            f"{len(diff.days_differing)} of {diff.days_checked} created days (re-extracted into a repair batch)",
        ),
        CheckResult(
            "reconcile.orders_deleted", "orders", Severity.WARN, checked, len(diff.deleted),
            "no order in CORE.ORDERS is gone from the source",
            f"{len(diff.deleted)} deleted at the source (marked _DELETED_AT)",
        ),
        CheckResult(
            "reconcile.orders_quarantined", "orders", Severity.INFO, checked, len(diff.quarantined),
            "source orders absent from CORE are the quarantined ones",
            f"{len(diff.quarantined)} in QUARANTINE.ORDERS at the source's version",
        ),
    ]  # fmt: skip


def _reconcile_record(settings: Settings, run_id: str, window: Window, diff: OrdersDiff, now: datetime) -> BatchRecord:
    summary = (
        f"orders created {window.start:%Y-%m-%d}..{window.end:%Y-%m-%d}: {diff.days_checked} days, "
        f"{len(diff.days_differing)} differing; {len(diff.missing)} missing, {len(diff.stale)} stale, "
        f"{len(diff.moved)} moved, {len(diff.deleted)} deleted, {len(diff.quarantined)} quarantined"
    )
    return BatchRecord(
        batch_id=run_id, source=RECONCILE_SOURCE, window_start=window.start, window_end=window.end,
        watermark_low=None, watermark_high=None, rows_extracted=diff.keys_fetched, rows_passed=0,
        rows_quarantined=len(diff.quarantined), rows_published=0, status=str(BatchStatus.COMMITTED),
        reason=summary, raw_uri=None,
        code_version=settings.code_version, flow_run_id=None, lineage_run_id=None, started_at=now,
        finished_at=datetime.now(UTC), extract_seconds=round(diff.seconds, 3), validate_seconds=None,
        publish_seconds=None,
    )  # fmt: skip


def read_source_deletes(settings: Settings) -> list[dict[str, Any]]:
    """OPS.SOURCE_DELETES, newest first (for the CLI and the demo)."""
    with open_warehouse(settings) as wh:
        return wh.query(read_sql("snowflake/select_ops_source_deletes.sql"))
