"""The orders source reconciliation and its repair batch (README: "Deletes, restores and rows the watermark misses").

reconcile_source_orders() compares PostgreSQL with CORE per created day (northstar/sources/orders/reconcile.py),
marks the orders deleted at the source and records the run (its checks, its deletes, its ledger row, source
`source_reconcile`) in one transaction, then re-extracts the missing and stale orders into a repair batch.
repair_orders() is that batch: the orders flow's landing, checks and one-transaction load with a key list instead of
a window, its own ledger row (source `orders`, batch id `orders-repair-...`, REASON saying why).

Mass-delete guard: when the deletes found exceed both NORTHSTAR_RECONCILE_MAX_DELETES and
NORTHSTAR_RECONCILE_MAX_DELETE_PERCENT of CORE's orders in the range, the run is HELD: nothing is marked deleted and
nothing repaired (a wrong source connection or a truncated table must not wipe CORE), the ledger row says why.

Each run is an OpenLineage run (START, then COMPLETE, or FAIL when held or failed). The flow
`reconcile-source-orders` runs it on a schedule (prefect.yaml: hourly over the recent days, daily over the whole
history); the CLI runs it as `northstar reconcile-source orders`.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger

from flows.engine import (
    BatchOutcome,
    LineageRun,
    Stopwatch,
    current_flow_run_id,
    lineage_emitter,
    new_record,
    publish_or_hold,
    warehouse_namespace,
)
from flows.orders_microbatch import ORDERS_LOAD, lineage_inputs, validate_orders
from lineage.events import DatasetRef
from northstar.batches import Window
from northstar.landing import landing_store
from northstar.loads import BatchRecord, BatchStatus
from northstar.settings import Settings, load_settings
from northstar.sources.orders import SOURCE
from northstar.sources.orders.landing import land_orders_by_keys
from northstar.sources.orders.reconcile import OrdersDiff, earliest_created, mark_deleted, reconcile_orders
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from validators.result import CheckResult, Severity

RECONCILE_SOURCE = "source_reconcile"
JOB = "reconcile-source-orders"
# The orders load, except that an equal version replaces CORE's row (the reconciliation found its content differs).
REPAIR_LOAD = replace(
    ORDERS_LOAD, load_files=("snowflake/merge_into_core_orders_repair.sql", *ORDERS_LOAD.load_files[1:])
)
HISTORY_START = datetime(2000, 1, 1, tzinfo=UTC)  # --all never starts earlier (timestamps_sane refuses older)


@dataclass(frozen=True)
class ReconcileReport:
    """One reconciliation run: what it found, what it marked deleted, the repair batch it ran (or None)."""

    run_id: str
    diff: OrdersDiff
    deletes_marked: int
    repair: BatchOutcome | None
    checks: list[CheckResult] = field(default_factory=list)
    held_reason: str | None = None  # set when the mass-delete guard held the run: nothing marked, nothing repaired

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            **self.diff.as_dict(),
            "deletes_marked": self.deletes_marked,
            "repair": asdict(self.repair) if self.repair else None,
            "checks": [c.as_dict() for c in self.checks],
            "status": str(BatchStatus.HELD if self.held_reason else BatchStatus.COMMITTED),
            "held_reason": self.held_reason,
        }


def reconcile_source_orders(settings: Settings, days: int | None, now: datetime | None = None) -> ReconcileReport:
    """Reconcile the orders created in the last `days` UTC days (None: the whole history, from the earliest
    created day in the source or CORE: history_start) and repair what differs.

    Raises ValueError for days < 1, SourceUnavailableError when PostgreSQL cannot be read.
    """
    if days is not None and days < 1:
        raise ValueError(f"--days must be at least 1, not {days}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    low = history_start(settings, tomorrow) if days is None else tomorrow - timedelta(days=days)
    run_id = f"{RECONCILE_SOURCE}-{now:%Y%m%dt%H%M%S}-{hashlib.sha256(now.isoformat().encode()).hexdigest()[:8]}"
    namespace, db = warehouse_namespace(settings), settings.database
    inputs = [*lineage_inputs(settings), DatasetRef(namespace, f"{db}.CORE.ORDERS")]
    run = LineageRun(lineage_emitter(settings), JOB, Window(low, tomorrow), current_flow_run_id(), inputs)
    run.start()
    try:
        report = _reconcile(settings, run_id, Window(low, tomorrow), now, run.run_id)
    except Exception as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        raise
    if report.held_reason:
        run.fail(f"held: {report.held_reason}", report.checks)
    else:
        outputs = [DatasetRef(namespace, f"{db}.{t}") for t in ("CORE.ORDERS", "CORE.ORDER_LINES")]
        counts = {"OPS.SOURCE_DELETES": report.deletes_marked, "OPS.LOAD_BATCHES": 1 + (report.repair is not None)}
        outputs += [DatasetRef(namespace, f"{db}.{t}", row_count=n) for t, n in counts.items()]
        run.complete(outputs, report.checks)
    return report


def history_start(settings: Settings, tomorrow: datetime) -> datetime:
    """The whole history's first day (--all): midnight UTC of the earliest created day with an order in the source
    or in CORE, never before HISTORY_START (older created_at values are refused by the checks); today's midnight
    when neither side holds an order. Raises SourceUnavailableError when the source cannot be read."""
    with open_warehouse(settings) as wh:
        earliest = earliest_created(settings.orders.pg_dsn.get_secret_value(), wh)
    if earliest is None:
        return tomorrow - timedelta(days=1)
    day = datetime.combine(earliest.date(), datetime.min.time(), UTC)
    return min(max(day, HISTORY_START), tomorrow - timedelta(days=1))


@flow(name=JOB)
def reconcile_source_orders_flow(days: int | None = 3) -> dict[str, Any]:
    """The scheduled source reconciliation of orders over the created days ending today (None: the whole history).

    Returns the report; the flow run fails when the mass-delete guard held the run or its repair batch was held."""
    report = reconcile_source_orders(load_settings(), days)
    if report.held_reason or (report.repair and report.repair.status == BatchStatus.HELD):
        get_run_logger().error("source reconciliation %s held: %s", report.run_id,
                               report.held_reason or (report.repair.reason if report.repair else ""))  # fmt: skip
        raise ReconcileHeld(report.held_reason or "the repair batch was held")
    return report.as_dict()


class ReconcileHeld(RuntimeError):
    """The source reconciliation (or its repair batch) was held; the ledger row says why."""


def _reconcile(settings: Settings, run_id: str, window: Window, now: datetime, lineage_run: str) -> ReconcileReport:
    """Compare, guard, record (marking deletes unless held), then repair what is missing or stale unless held."""
    with open_warehouse(settings) as wh:
        diff = reconcile_orders(settings.orders.pg_dsn.get_secret_value(), wh, window.start, window.end)
        held = mass_delete_reason(settings, diff)
        checks = _checks(diff, held)
        record = replace(
            _reconcile_record(settings, run_id, window, diff, now, held),
            lineage_run_id=lineage_run, flow_run_id=current_flow_run_id(),
        )  # fmt: skip
        with wh.transaction():
            marked = 0
            if diff.deleted and not held:
                marked = mark_deleted(wh, diff.deleted, run_id, now, "source_reconciliation")
            for check in checks:
                wh.run_file(
                    "snowflake/insert_into_ops_check_results.sql",
                    check.as_dict() | {"batch_id": run_id, "source": RECONCILE_SOURCE, "checked_at": now},
                )
            wh.run_file("snowflake/insert_into_ops_load_batches.sql", asdict(replace(record, rows_published=marked)))
    repair = None
    if diff.to_repair and not held:
        reason = (
            f"repair ({run_id}): {len(diff.missing)} missing, {len(diff.stale)} stale, {len(diff.moved)} moved "
            "orders re-extracted by the source reconciliation"
        )
        repair = repair_orders(settings, diff.to_repair, reason, now)
    return ReconcileReport(run_id, diff, marked, repair, checks, held)


def mass_delete_reason(settings: Settings, diff: OrdersDiff) -> str | None:
    """Why the deletes found are too many to mark (more than both limits), or None."""
    limit = max(settings.orders.max_deletes, diff.core_orders * settings.orders.max_delete_percent // 100)
    if len(diff.deleted) <= limit:
        return None
    return (
        f"mass-delete guard: {len(diff.deleted)} of {diff.core_orders} orders in CORE are gone from the source, more "
        f"than NORTHSTAR_RECONCILE_MAX_DELETES={settings.orders.max_deletes} and "
        f"NORTHSTAR_RECONCILE_MAX_DELETE_PERCENT={settings.orders.max_delete_percent}%; nothing marked or repaired. "
        "Check NORTHSTAR_SOURCE_PG_DSN points at the right database and the orders table is whole, then rerun "
        "(raise the limits for a real bulk delete)"
    )


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


def _checks(diff: OrdersDiff, held: str | None = None) -> list[CheckResult]:
    """The run's verdicts: missing or stale orders (error, repaired by the run), deletes (warn; error and not marked
    when the mass-delete guard held the run), quarantined (info)."""
    checked = diff.keys_fetched
    repair = len(diff.to_repair)
    guard = [
        CheckResult(
            "reconcile.orders_mass_delete", "orders", Severity.ERROR, diff.core_orders, len(diff.deleted),
            "the deletes found are within NORTHSTAR_RECONCILE_MAX_DELETES or _MAX_DELETE_PERCENT", held,
        )
    ] if held else []  # fmt: skip
    return [
        *guard,
        CheckResult(
            "reconcile.orders_missing", "orders", Severity.ERROR, checked, repair,
            "every source order is in CORE.ORDERS with its latest updated_at",
            f"{len(diff.missing)} missing, {len(diff.stale)} stale, {len(diff.moved)} moved over "
            f"{len(diff.days_differing)} of {diff.days_checked} created days "
            f"({'not repaired: held' if held else 're-extracted into a repair batch'})",
        ),
        CheckResult(
            "reconcile.orders_deleted", "orders", Severity.WARN, checked, len(diff.deleted),
            "no order in CORE.ORDERS is gone from the source",
            f"{len(diff.deleted)} deleted at the source ({'not marked: held' if held else 'marked _DELETED_AT'})",
        ),
        CheckResult(
            "reconcile.orders_quarantined", "orders", Severity.INFO, checked, len(diff.quarantined),
            "source orders absent from CORE are the quarantined ones",
            f"{len(diff.quarantined)} in QUARANTINE.ORDERS at the source's version",
        ),
    ]  # fmt: skip


def _reconcile_record(
    settings: Settings, run_id: str, window: Window, diff: OrdersDiff, now: datetime, held: str | None
) -> BatchRecord:
    summary = (
        f"orders created {window.start:%Y-%m-%d}..{window.end:%Y-%m-%d}: {diff.days_checked} days, "
        f"{len(diff.days_differing)} differing; {len(diff.missing)} missing, {len(diff.stale)} stale, "
        f"{len(diff.moved)} moved, {len(diff.deleted)} deleted, {len(diff.quarantined)} already quarantined; "
        f"{diff.keys_fetched} keys fetched"
    )
    return BatchRecord(
        batch_id=run_id, source=RECONCILE_SOURCE, window_start=window.start, window_end=window.end,
        watermark_low=None, watermark_high=None, rows_extracted=0, rows_passed=0,  # a comparison: its rows are
        rows_quarantined=0, rows_published=0,  # the repair batch's (own ledger row); what it found is the reason
        status=str(BatchStatus.HELD if held else BatchStatus.COMMITTED),
        reason=f"{held} ({summary})" if held else summary, raw_uri=None,
        code_version=settings.code_version, flow_run_id=None, lineage_run_id=None, started_at=now,
        finished_at=datetime.now(UTC), extract_seconds=round(diff.seconds, 3), validate_seconds=None,
        publish_seconds=None,
    )  # fmt: skip


def read_source_deletes(settings: Settings) -> list[dict[str, Any]]:
    """OPS.SOURCE_DELETES, newest first (for the CLI and the demo)."""
    with open_warehouse(settings) as wh:
        return wh.query(read_sql("snowflake/select_ops_source_deletes.sql"))
