"""orders-microbatch: land, validate and publish one 15-minute window of order changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.tasks import Task

from flows.engine import BatchOutcome, Validated, run_batch, warehouse_namespace
from lineage.events import DatasetRef
from northstar.batches import Window, batch_id
from northstar.landing import LandingCorrupt, landing_store
from northstar.loads import LoadPlan, StagedTable
from northstar.settings import Settings
from northstar.sources.orders import SOURCE
from northstar.sources.orders.landing import LandedBatch, land_orders
from northstar.sources.orders.postgres import source_database, source_namespace
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from validators.contracts import ORDERS
from validators.duplicates import ORDERS_DUPLICATE_CHECKS
from validators.order_lines import ORDER_LINE_CHECKS, ORDER_LINES, route_order_lines
from validators.router import Routed, load_batch, not_evaluated, quarantine_reasons, route
from validators.schema import ORDERS_ROW_CHECKS

ORDERS_CHECKS = ORDERS_ROW_CHECKS + ORDERS_DUPLICATE_CHECKS
ORDERS_LOAD = LoadPlan(
    source=SOURCE,
    stage_ddl="snowflake/create_stage_orders.sql",
    staged=(
        StagedTable("OPS.STAGE_ORDERS", Path("passed.parquet")),
        StagedTable("OPS.STAGE_ORDERS_QUARANTINE", Path("quarantined.parquet")),
        StagedTable("OPS.STAGE_ORDER_LINES", Path("lines_passed.parquet")),
        StagedTable("OPS.STAGE_ORDER_LINES_QUARANTINE", Path("lines_quarantined.parquet")),
    ),
    load_files=(
        "snowflake/merge_into_core_orders.sql",  # first: the lines follow the orders it publishes
        "snowflake/merge_into_core_order_lines.sql",
        "snowflake/insert_into_quarantine_orders.sql",
        "snowflake/insert_into_quarantine_order_lines.sql",
    ),
    count_published="snowflake/count_core_orders_batch.sql",
)


def _retryable(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry a failed extract, except a damaged landed file: a retry would read the same bytes."""
    return not isinstance(state.data, LandingCorrupt)


@task(retries=2, retry_delay_seconds=10, retry_condition_fn=_retryable)
def extract_orders(settings: Settings, window: Window, batch: str) -> LandedBatch:
    """Land the window's order changes (since the last watermark, minus the overlap) as Parquet + manifest."""
    with open_warehouse(settings) as wh:
        rows = wh.query(
            read_sql("snowflake/select_last_watermark.sql"), {"source": SOURCE, "window_start": window.start}
        )
    low = window.start
    if rows:  # catch up from the last committed batch, however long ago it ran
        last = rows[0]["WATERMARK_HIGH"] or rows[0]["WINDOW_END"]
        low = min(low, last.replace(tzinfo=UTC))
    return land_orders(
        landing_store(settings),
        settings.orders.pg_dsn.get_secret_value(),
        batch,
        window,
        low - settings.orders.overlap,
        settings.code_version,
        settings.work_dir / batch,
    )


@task
def validate_orders(settings: Settings, landed: LandedBatch, window: Window) -> Validated:
    """Run schema and duplicate checks in DuckDB on the orders, then on their lines; write the passed and
    quarantined rows of each to Parquet. A batch-level failure of either holds the whole batch."""
    folder = settings.work_dir / landed.batch_id
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")  # lets DuckDB write Parquet in parallel
        schema_results = load_batch(con, landed.local_file, ORDERS)
        routed = route(con, ORDERS, ORDERS_CHECKS, schema_results, {"window_end": window.end})
        if routed.held:  # the lines are not checked either: recorded so the evidence shows it
            skipped = not_evaluated(ORDER_LINE_CHECKS, ORDER_LINES, int(landed.manifest.get("line_count", 0)))
            return _validated(settings, landed, replace(routed, results=routed.results + skipped), folder)
        _copy_routed(con, folder, "checks/copy_passed.sql", "checks/copy_quarantined.sql")
        by_reason = quarantine_reasons(con)
        lines = route_order_lines(con, landed.lines_file)  # replaces the router's tables: orders are written
        both = replace(routed, results=routed.results + lines.results, held_reason=lines.held_reason)
        if lines.held:
            return _validated(settings, landed, both, folder)
        _copy_routed(
            con, folder, "checks/order_lines/copy_passed_lines.sql", "checks/order_lines/copy_quarantined_lines.sql"
        )
        return _validated(settings, landed, both, folder, by_reason, quarantine_reasons(con))


def _validated(
    settings: Settings,
    landed: LandedBatch,
    routed: Routed,
    folder: Path,
    by_reason: dict[str, int] | None = None,
    lines_by_reason: dict[str, int] | None = None,
) -> Validated:
    """The engine's view of the router's verdict, with the landed batch's URI, watermarks and counts."""
    source, lines_source = lineage_inputs(settings)
    return Validated(
        results=routed.results,
        rows_extracted=routed.rows_extracted,
        rows_passed=routed.rows_passed,
        rows_quarantined=routed.rows_quarantined,
        plan=None if routed.held else ORDERS_LOAD.in_folder(folder),
        held_reason=routed.held_reason,
        raw_uri=landing_store(settings).uri(landed.prefix + "manifest.json"),
        watermark_low=landed.watermark("low"),
        watermark_high=landed.watermark("high"),
        safe_until=landed.safe_until,
        inputs=[
            replace(source, row_count=routed.rows_extracted),
            replace(lines_source, row_count=landed.manifest.get("line_count")),
        ],
        quarantined_by_reason=by_reason or {},
        details={"lines_quarantined_by_reason": lines_by_reason or {}},
    )


def _copy_routed(con: duckdb.DuckDBPyConnection, folder: Path, *copies: str) -> None:
    """Write the router's passed and quarantined rows to the batch's folder."""
    for relative in copies:
        con.execute(read_sql(relative).replace("$folder", str(folder)))  # COPY TO takes no bound path; ours


class OrdersSource:
    """The orders source on the batch engine: land the window's changes from PostgreSQL, check, publish."""

    name = SOURCE
    job = "orders-microbatch"
    cadence = timedelta(minutes=15)

    def batch_id(self, window: Window) -> str:
        return batch_id(SOURCE, window)

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        return list(lineage_inputs(settings))

    def extract(self, settings: Settings, window: Window, batch: str) -> LandedBatch:
        return extract_orders(settings, window, batch)

    def validate(self, settings: Settings, landed: LandedBatch, window: Window, batch: str) -> Validated:
        return validate_orders(settings, landed, window)

    def lineage_outputs(self, settings: Settings, outcome: BatchOutcome, validated: Validated) -> list[DatasetRef]:
        namespace, db = warehouse_namespace(settings), settings.database
        lines_quarantined = sum(outcome.details.get("lines_quarantined_by_reason", {}).values())
        return [
            DatasetRef(namespace, f"{db}.CORE.ORDERS", row_count=outcome.rows_published),
            DatasetRef(namespace, f"{db}.CORE.ORDER_LINES"),
            DatasetRef(namespace, f"{db}.QUARANTINE.ORDERS", row_count=outcome.rows_quarantined),
            DatasetRef(namespace, f"{db}.QUARANTINE.ORDER_LINES", row_count=lines_quarantined),
            DatasetRef(namespace, f"{db}.OPS.LOAD_BATCHES", row_count=1),
        ]

    def after_commit(self, settings: Settings, landed: Any, validated: Validated) -> None:
        return None


def lineage_inputs(settings: Settings) -> tuple[DatasetRef, DatasetRef]:
    """The source tables orders and order_lines as OpenLineage datasets, with their contracted columns."""
    source, lines = (
        DatasetRef(
            source_namespace(settings.orders.pg_dsn.get_secret_value()),
            f"{source_database(settings.orders.pg_dsn.get_secret_value())}.public.{contract.dataset}",
            tuple((name, "/".join(sorted(types))) for name, types in contract.columns.items()),
        )
        for contract in (ORDERS, ORDER_LINES)
    )
    return source, lines


@flow(name="orders-microbatch")
def orders_microbatch(start: str | None = None, end: str | None = None) -> BatchOutcome:
    """One orders micro-batch for [start, end) (default: the last closed 15-minute window)."""
    return run_batch(OrdersSource(), start, end)
