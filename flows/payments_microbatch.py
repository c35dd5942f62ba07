"""payments-microbatch: read, validate and publish one 15-minute window of landed Stripe events."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import pyarrow.parquet as pq
from prefect import flow, task

from flows.engine import BatchOutcome, Validated, run_batch, warehouse_namespace
from lineage.events import DatasetRef
from northstar.batches import Window, batch_id
from northstar.landing import LandingStore, landing_store
from northstar.loads import LoadPlan, StagedTable
from northstar.settings import Settings
from northstar.sources.stripe import SOURCE
from northstar.sources.stripe.events import (
    DEFAULT_LOOKBACK_DAYS,
    LANDED_SCHEMA,
    PREFIX,
    LandedEvents,
    land_events,
    map_events,
    write_load_files,
)
from validators.result import CheckResult
from validators.router import quarantine_reasons, route
from validators.stripe import STRIPE_CHECKS, STRIPE_EVENTS, load_events

PAYMENTS_LOAD = LoadPlan(
    source=SOURCE,
    stage_ddl="snowflake/create_stage_stripe.sql",
    staged=(
        StagedTable("OPS.STAGE_STRIPE_EVENTS", Path("stripe_events.parquet")),
        StagedTable("OPS.STAGE_STRIPE_QUARANTINE", Path("stripe_quarantined.parquet")),
        StagedTable("OPS.STAGE_PAYMENTS", Path("payments.parquet")),
        StagedTable("OPS.STAGE_REFUNDS", Path("refunds.parquet")),
        StagedTable("OPS.STAGE_DISPUTES", Path("disputes.parquet")),
        StagedTable("OPS.STAGE_DISPUTE_HISTORY", Path("dispute_history.parquet")),
        StagedTable("OPS.STAGE_CHARGE_REFUNDED", Path("charge_refunded.parquet")),
    ),
    load_files=(
        "snowflake/insert_into_raw_stripe_events.sql",
        "snowflake/merge_into_core_payments.sql",
        "snowflake/merge_into_core_refunds.sql",
        "snowflake/merge_into_core_disputes.sql",
        "snowflake/insert_into_core_dispute_status_history.sql",
        "snowflake/insert_into_quarantine_stripe_events.sql",
        "snowflake/merge_into_core_charge_refunded_amounts.sql",
    ),
    count_published="snowflake/count_core_payments_batch.sql",
)
OUTPUT_TABLES = (
    "RAW.STRIPE_EVENTS",
    "CORE.PAYMENTS",
    "CORE.REFUNDS",
    "CORE.DISPUTES",
    "CORE.DISPUTE_STATUS_HISTORY",
    "CORE.CHARGE_REFUNDED_AMOUNTS",
    "QUARANTINE.STRIPE_EVENTS",
    "OPS.LOAD_BATCHES",
)
# DuckDB holds a batch's parsed events (about 1.1 times its raw JSON, payloads included) up to this limit and
# spills the rest to the batch's work folder: a 4.7 GB batch validated in 2.7 GB RSS (BENCHMARKS.md), which
# leaves room on the 2 vCPU / 8 GB task.
DUCKDB_MEMORY_LIMIT = "2GB"
ENVELOPE_FIELDS = (
    ("event_id", "string"),
    ("event_type", "string"),
    ("event_created", "integer"),
    ("signature_timestamp", "integer"),
    ("received_at", "string"),
    ("source", "string"),
    ("body", "string"),
)


@task(retries=2, retry_delay_seconds=10)
def extract_payments(settings: Settings, window: Window, batch: str, lookback_days: int) -> LandedEvents:
    """Pin the window's landed Stripe events in a write-once manifest and read them into one local file."""
    store = landing_store(settings)
    return land_events(store, batch, window, lookback_days, settings.code_version, settings.work_dir / batch)


@task
def validate_payments(settings: Settings, landed: LandedEvents, context: Path | None = None) -> Validated:
    """Parse and check the events in DuckDB, map the passed ones to states, and write the load files.

    context (a reprocess): other batches' landed events of the objects this batch's events name (LANDED_SCHEMA
    Parquet). They are checked and mapped with the batch's events, so the state files hold each object's state
    over all its passing events; the events, quarantine and counts are the batch's own.
    """
    folder = settings.work_dir / landed.batch_id / "load"
    with _duckdb(settings, landed.batch_id) as con:
        schema_results = load_events(con, landed.local_file)
        routed = route(con, STRIPE_EVENTS, STRIPE_CHECKS, schema_results, {})
        by_reason: dict[str, int] = {}
        if not routed.held:
            map_events(con)
            write_load_files(con, landed.local_file, folder)
            by_reason = quarantine_reasons(con)
    if context is not None and not routed.held:
        _rebuild_states(settings, landed, context, folder)
    store = landing_store(settings)
    source = landing_dataset(store)
    return Validated(
        results=checks_on(source, routed.results),
        rows_extracted=routed.rows_extracted,
        rows_passed=routed.rows_passed,
        rows_quarantined=routed.rows_quarantined,
        plan=None if routed.held else PAYMENTS_LOAD.in_folder(folder),
        held_reason=routed.held_reason,
        raw_uri=store.uri(landed.manifest_key),
        watermark_low=landed.watermark("low"),
        watermark_high=landed.watermark("high"),
        inputs=[replace(source, row_count=routed.rows_extracted)],
        quarantined_by_reason=by_reason,
    )


STATE_FILES = ("payments.parquet", "refunds.parquet", "disputes.parquet", "dispute_history.parquet",
               "charge_refunded.parquet")  # fmt: skip


def _duckdb(settings: Settings, batch: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection capped at DUCKDB_MEMORY_LIMIT, spilling to the batch's work folder."""
    spill = settings.work_dir / batch / "duckdb-spill"  # DuckDB removes its files on close
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT, "temp_directory": str(spill)})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")  # lets DuckDB write Parquet in parallel
    return con


def _rebuild_states(settings: Settings, landed: LandedEvents, context: Path, folder: Path) -> None:
    """Replace the state files with the states of the batch's events and the context events checked and mapped
    together (the same checks and mapping; a context event the current checks reject is left out)."""
    combined, rebuilt = folder.parent / "with_context.parquet", folder.parent / "rebuilt"
    with pq.ParquetWriter(combined, LANDED_SCHEMA) as writer:
        for part in (landed.local_file, context):
            writer.write_table(pq.read_table(part, schema=LANDED_SCHEMA))
    with _duckdb(settings, landed.batch_id) as con:
        routed = route(con, STRIPE_EVENTS, STRIPE_CHECKS, load_events(con, combined), {})
        if routed.held:  # the batch alone passed: the context holds it, so it cannot be rebuilt
            raise ValueError(f"the other batches' events of this batch's objects are held: {routed.held_reason}")
        map_events(con)
        write_load_files(con, combined, rebuilt)
    for name in STATE_FILES:
        (rebuilt / name).replace(folder / name)


class PaymentsSource:
    """The payments source on the batch engine: the Stripe events landed in the window, checked and mapped."""

    name = SOURCE
    job = "payments-microbatch"
    cadence = timedelta(minutes=15)

    def __init__(self, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> None:
        self.lookback_days = lookback_days

    def batch_id(self, window: Window) -> str:
        return payments_batch_id(window, self.lookback_days)

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        return [landing_dataset(landing_store(settings))]

    def extract(self, settings: Settings, window: Window, batch: str) -> LandedEvents:
        return extract_payments(settings, window, batch, self.lookback_days)

    def validate(self, settings: Settings, landed: LandedEvents, window: Window, batch: str) -> Validated:
        return validate_payments(settings, landed)

    def lineage_outputs(self, settings: Settings, outcome: BatchOutcome, validated: Validated) -> list[DatasetRef]:
        namespace, db = warehouse_namespace(settings), settings.database
        counts = {"QUARANTINE.STRIPE_EVENTS": outcome.rows_quarantined, "OPS.LOAD_BATCHES": 1}
        return [DatasetRef(namespace, f"{db}.{table}", row_count=counts.get(table)) for table in OUTPUT_TABLES]

    def after_commit(self, settings: Settings, landed: Any, validated: Validated) -> None:
        return None


@flow(name="payments-microbatch")
def payments_microbatch(
    start: str | None = None, end: str | None = None, lookback_days: int = DEFAULT_LOOKBACK_DAYS
) -> BatchOutcome:
    """One payments micro-batch: the Stripe events landed in [start, end) (default: the last closed 15 min)."""
    return run_batch(PaymentsSource(lookback_days), start, end)


def payments_batch_id(window: Window, lookback_days: int) -> str:
    """The window's batch; a run with a non-default lookback (recovery) is its own batch, so it is never skipped
    as already committed: re-read events are absorbed by the loads keyed on event and object ids."""
    if lookback_days == DEFAULT_LOOKBACK_DAYS:
        return batch_id(SOURCE, window)
    return batch_id(f"{SOURCE}-lookback{lookback_days}d", window)


def landing_dataset(store: LandingStore) -> DatasetRef:
    """The landed Stripe events as an OpenLineage dataset: s3://<bucket> + raw/stripe, or file + its path."""
    uri = urlsplit(store.uri(PREFIX.rstrip("/")))
    if uri.scheme == "s3":
        return DatasetRef(f"s3://{uri.netloc}", uri.path.lstrip("/"), ENVELOPE_FIELDS)
    return DatasetRef("file", unquote(uri.path), ENVELOPE_FIELDS)


def checks_on(dataset: DatasetRef, results: list[CheckResult]) -> list[CheckResult]:
    """The check results named after the dataset they ran on, so lineage attaches them to that input."""
    return [replace(result, dataset=dataset.name) for result in results]
