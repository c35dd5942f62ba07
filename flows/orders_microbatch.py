"""orders-microbatch: land, validate and publish one 15-minute window of order changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task

from flows.batch_runs import (
    BatchOutcome,
    LineageRun,
    Stopwatch,
    ValidatedBatch,
    committed_meanwhile,
    current_flow_run_id,
    hold_batch,
    is_committed,
    lineage_emitter,
    new_record,
    quarantine_reasons,
    running,
    warehouse_namespace,
)
from lineage.events import DatasetRef
from northstar.batches import Window, batch_id
from northstar.landing import landing_store
from northstar.loads import HELD, BatchRecord, LoadPlan, StagedTable, publish
from northstar.settings import Settings, load_settings
from northstar.sources.orders.landing import SOURCE, LandedBatch, land_orders
from northstar.sources.orders.postgres import source_database, source_namespace
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from validators.contracts import ORDERS
from validators.duplicates import ORDERS_DUPLICATE_CHECKS
from validators.order_lines import ORDER_LINE_CHECKS, ORDER_LINES, route_order_lines
from validators.router import Routed, load_batch, not_evaluated, route
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


@task(retries=2, retry_delay_seconds=10)
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
        settings.source_pg_dsn,
        batch,
        window,
        low - settings.orders_overlap,
        settings.code_version,
        settings.work_dir / batch,
    )


@task
def validate_orders(settings: Settings, landed: LandedBatch, window: Window) -> ValidatedBatch:
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
            return ValidatedBatch(replace(routed, results=routed.results + skipped), folder)
        _copy_routed(con, folder, "checks/copy_passed.sql", "checks/copy_quarantined.sql")
        by_reason = quarantine_reasons(con)
        lines = route_order_lines(con, landed.lines_file)  # replaces the router's tables: orders are written
        both = replace(routed, results=routed.results + lines.results, held_reason=lines.held_reason)
        if lines.held:
            return ValidatedBatch(both, folder)
        _copy_routed(
            con, folder, "checks/order_lines/copy_passed_lines.sql", "checks/order_lines/copy_quarantined_lines.sql"
        )
        return ValidatedBatch(both, folder, by_reason, quarantine_reasons(con))


def _copy_routed(con: duckdb.DuckDBPyConnection, folder: Path, *copies: str) -> None:
    """Write the router's passed and quarantined rows to the batch's folder."""
    for relative in copies:
        con.execute(read_sql(relative).replace("$folder", str(folder)))  # COPY TO takes no bound path; ours


@task(retries=2, retry_delay_seconds=10)
def publish_orders(settings: Settings, validated: ValidatedBatch, record: BatchRecord) -> BatchRecord | None:
    """Load passing rows, quarantined rows and the ledger row in one transaction; None if already done."""
    plan = ORDERS_LOAD.in_folder(validated.folder)
    with open_warehouse(settings) as wh:
        return publish(wh, plan, record, validated.routed.results)


@task
def hold_orders(settings: Settings, validated: ValidatedBatch, record: BatchRecord) -> BatchRecord:
    """Record a held batch with its reason and alert; nothing is published, the raw copy stays landed."""
    return hold_batch(settings, record, validated.routed.results)


@flow(name="orders-microbatch")
def orders_microbatch(start: str | None = None, end: str | None = None) -> BatchOutcome:
    """One orders micro-batch for [start, end) (default: the last closed 15-minute window)."""
    settings = load_settings()
    window = Window.parse(start, end) if start and end else Window.last_closed(15)
    batch = batch_id(SOURCE, window)
    if is_committed(settings, batch):
        get_run_logger().info("batch %s is already committed: nothing to do", batch)
        return BatchOutcome.skipped(SOURCE, batch)
    source, lines_source = (
        DatasetRef(
            source_namespace(settings.source_pg_dsn),
            f"{source_database(settings.source_pg_dsn)}.public.{contract.dataset}",
            tuple((name, "/".join(sorted(types))) for name, types in contract.columns.items()),
        )
        for contract in (ORDERS, ORDER_LINES)
    )
    inputs = [source, lines_source]
    run = LineageRun(lineage_emitter(settings), "orders-microbatch", window, current_flow_run_id(), inputs).start()
    watch = Stopwatch()
    with running(settings, batch, run):
        with watch.stage("extract"):
            landed = extract_orders(settings, window, batch)
        with watch.stage("validate"):
            validated = validate_orders(settings, landed, window)
        record = _record(settings, window, landed, validated.routed, run.run_id, watch)
        run.inputs = [
            DatasetRef(source.namespace, source.name, source.fields, validated.routed.rows_extracted),
            DatasetRef(
                lines_source.namespace, lines_source.name, lines_source.fields, landed.manifest.get("line_count")
            ),
        ]
        with watch.stage("publish"):
            if validated.routed.held:
                done = hold_orders(settings, validated, record)
            else:
                done = publish_orders(settings, validated, record) or committed_meanwhile(record)
    outcome = BatchOutcome.from_record(done, validated.quarantined_by_reason, watch.seconds)
    outcome = replace(outcome, lines_quarantined_by_reason=validated.lines_quarantined_by_reason)
    if done.status == HELD:
        run.fail(f"batch held: {done.reason}", validated.routed.results)
    else:
        run.complete(_outputs(settings, outcome), validated.routed.results)
    return outcome


def _record(
    settings: Settings,
    window: Window,
    landed: LandedBatch,
    routed: Routed,
    lineage_run_id: str,
    watch: Stopwatch,
) -> BatchRecord:
    """The ledger row as far as it is known before publishing."""
    raw_uri = landing_store(settings).uri(landed.prefix + "manifest.json")
    ids = (landed.batch_id, raw_uri, landed.watermark("low"), landed.watermark("high"))
    record = new_record(settings, SOURCE, window, routed, ids, lineage_run_id, watch)
    return replace(record, safe_until=landed.safe_until)  # the extract's safe point (open transactions)


def _outputs(settings: Settings, outcome: BatchOutcome) -> list[DatasetRef]:
    namespace, db = warehouse_namespace(settings), settings.database
    return [
        DatasetRef(namespace, f"{db}.CORE.ORDERS", row_count=outcome.rows_published),
        DatasetRef(namespace, f"{db}.CORE.ORDER_LINES"),
        DatasetRef(namespace, f"{db}.QUARANTINE.ORDERS", row_count=outcome.rows_quarantined),
        DatasetRef(
            namespace, f"{db}.QUARANTINE.ORDER_LINES", row_count=sum(outcome.lines_quarantined_by_reason.values())
        ),
        DatasetRef(namespace, f"{db}.OPS.LOAD_BATCHES", row_count=1),
    ]
