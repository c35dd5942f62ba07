"""consistency-check: cross-system checks over what the sources published, and the gate before the marts.

Every 15 minutes, after the source flows: fetch the slice the not-yet-checked source batches need
(northstar/slices.py), run the suite in DuckDB (validators/consistency/), and load its evidence, the
reference transitions and the SLA metrics in one transaction. The curated marts (MARTS.DAILY_REVENUE,
MARTS.ORDER_PAYMENTS) are refreshed in that same transaction only when no error-severity check failed;
otherwise the batch is HELD: the marts keep their previous state, the source batches stay unchecked for the
next run, and an alert is raised.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
from prefect import flow, task

from flows.engine import BatchOutcome, Stopwatch, Validated, run_batch, warehouse_namespace
from lineage.events import DatasetRef
from northstar.alerts import alert
from northstar.batches import Window, batch_id
from northstar.landing import LandingStore, landing_store
from northstar.loads import LoadPlan, StagedTable
from northstar.marts.publication import publish_after_gate
from northstar.settings import Settings, load_settings
from northstar.slices import SOURCE, fetch_slice, params_for
from northstar.sources.finance.reports import PREFIX as FINANCE_PREFIX
from northstar.sources.finance.reports import load_reports
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from validators.consistency.suite import OUTPUT_TABLES, SuiteResult, run_suite

JOB = "consistency-check"
STAGED = tuple(
    StagedTable(f"OPS.STAGE_CC_{table.removeprefix('out_').upper()}", Path(f"{table}.parquet"))
    for table in (*OUTPUT_TABLES, "out_inputs")
)
EVIDENCE_FILES = (
    "snowflake/insert_into_ops_reference_transitions.sql",
    "snowflake/merge_into_ops_pending_references.sql",
    "snowflake/insert_into_quarantine_orphan_references.sql",
    "snowflake/insert_into_ops_order_reconciliation.sql",
    "snowflake/insert_into_ops_daily_reconciliation.sql",
    "snowflake/insert_into_ops_duplicate_candidates.sql",
    "snowflake/insert_into_ops_status_violations.sql",
    "snowflake/insert_into_ops_sla_metrics.sql",
    "snowflake/insert_into_ops_payment_order_links.sql",
)
HELD_LOAD = LoadPlan(  # the evidence only: what the gate held stays out
    source=SOURCE,
    stage_ddl="snowflake/create_stage_consistency.sql",
    staged=STAGED,
    load_files=EVIDENCE_FILES,
    count_published="snowflake/count_marts_batch.sql",
    counted=("N",),
)
PUBLISH_LOAD = replace(
    HELD_LOAD,
    load_files=(
        *EVIDENCE_FILES,
        "snowflake/insert_into_ops_consistency_inputs.sql",
        "snowflake/merge_into_marts_daily_revenue.sql",
        "snowflake/merge_into_marts_order_payments.sql",
    ),
    empty_loads_nothing=False,  # the marts' merge drops deleted orders' rows, whatever was staged
)
CORE_INPUTS = (
    "CORE.ORDERS",
    "CORE.ORDER_LINES",
    "CORE.PAYMENTS",
    "CORE.REFUNDS",
    "CORE.DISPUTES",
    "CORE.SHIPMENT_LINES",
)
OUTPUTS = (
    "OPS.REFERENCE_TRANSITIONS",
    "OPS.PENDING_REFERENCES",
    "QUARANTINE.ORPHAN_REFERENCES",
    "OPS.ORDER_RECONCILIATION",
    "OPS.DAILY_RECONCILIATION",
    "OPS.DUPLICATE_CANDIDATES",
    "OPS.STATUS_VIOLATIONS",
    "OPS.SLA_METRICS",
    "OPS.PAYMENT_ORDER_LINKS",
    "OPS.CHECK_RESULTS",
    "OPS.LOAD_BATCHES",
)
MARTS = ("MARTS.DAILY_REVENUE", "MARTS.ORDER_PAYMENTS")


@dataclass(frozen=True)
class CheckedSlice:
    """The suite's verdict on one slice, the folder holding its staged findings, and what it read."""

    suite: SuiteResult
    folder: Path
    source_batches: int
    rows_checked: int  # rows the checked source batches published
    orphaned: int
    touched_orders: int
    finance_keys: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)
    slice_rows: dict[str, int] = field(default_factory=dict)  # rows fetched per slice table


@task
def check_consistency(settings: Settings, window: Window, batch: str, finance_dataset: str) -> CheckedSlice:
    """Fetch the batch's slice into DuckDB, run every check family, write the findings to Parquet to stage."""
    folder, watch = settings.work_dir / batch, Stopwatch()
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        with watch.stage("fetch"), open_warehouse(settings) as wh:
            sl = fetch_slice(wh, con, window, settings.consistency, folder, batch)
            keys = load_reports(con, landing_store(settings), sl.days, folder)
        suite = run_suite(con, params_for(sl, settings.consistency), finance_dataset)
        con.execute("CREATE OR REPLACE TABLE out_inputs AS SELECT batch_id AS source_batch_id, source FROM inputs")
        for table in (*OUTPUT_TABLES, "out_inputs"):  # COPY TO takes no bound path; names and folder are ours
            con.execute(f"COPY (SELECT * FROM {table}) TO '{folder / table}.parquet' (FORMAT parquet)")
        counts = con.execute(
            "SELECT (SELECT count(*) FROM new_orders) + (SELECT count(*) FROM new_payments)"
            " + (SELECT count(*) FROM new_shipment_lines),"
            " (SELECT count(*) FROM reference_states WHERE state = 'orphaned'), (SELECT count(*) FROM orders)"
        ).fetchall()[0]
        slice_rows = {table: n for table, n in con.execute(read_sql("consistency/count_slice_rows.sql")).fetchall()}
    rows, orphaned, touched = counts
    n_batches = sum(len(ids) for ids in sl.source_batches.values())
    seconds = watch.seconds | {f"check_{family}": s for family, s in suite.seconds.items()}
    return CheckedSlice(suite, folder, n_batches, rows, orphaned, touched, tuple(keys), seconds, slice_rows)


class ConsistencySource:
    """The cross-system checks on the batch engine: the slice the unchecked source batches need, the suite, and
    the gate (a held run still loads its evidence, with status HELD; the marts only when it passes)."""

    name = SOURCE
    job = JOB
    cadence = timedelta(minutes=15)

    def __init__(self, rerun_for: str | None = None) -> None:
        self.rerun_for = rerun_for  # a correction's id: the gate runs again as its own batch (README, Corrections)

    def batch_id(self, window: Window) -> str:
        return f"{SOURCE}-{self.rerun_for}" if self.rerun_for else batch_id(SOURCE, window)

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        namespace, db = warehouse_namespace(settings), settings.database
        finance = finance_dataset(landing_store(settings))
        return [DatasetRef(namespace, f"{db}.{table}") for table in CORE_INPUTS] + [finance]

    def extract(self, settings: Settings, window: Window, batch: str) -> None:
        return None  # it reads what the sources published: the slice is fetched by validate

    def validate(self, settings: Settings, landed: Any, window: Window, batch: str) -> Validated:
        checked = check_consistency(settings, window, batch, finance_dataset(landing_store(settings)).name)
        held = checked.suite.held_reason
        summary = f"{checked.source_batches} source batches, {checked.touched_orders} orders checked"
        return Validated(
            results=checked.suite.results,
            rows_extracted=checked.rows_checked,
            rows_passed=max(checked.rows_checked - checked.orphaned, 0),
            rows_quarantined=checked.orphaned,
            plan=(HELD_LOAD if held else PUBLISH_LOAD).in_folder(checked.folder),
            held_reason=held,
            publish_held=True,
            summary=summary,
            quarantined_by_reason={"referential.order_missing": checked.orphaned},
            extra={"checked": checked},
            seconds=checked.seconds,
        )

    def lineage_outputs(self, settings: Settings, outcome: BatchOutcome, validated: Validated) -> list[DatasetRef]:
        namespace, db = warehouse_namespace(settings), settings.database
        return [DatasetRef(namespace, f"{db}.{table}") for table in (*OUTPUTS, *MARTS)]

    def after_commit(self, settings: Settings, landed: Any, validated: Validated) -> None:
        return None


@flow(name=JOB)
def consistency_check(start: str | None = None, end: str | None = None, rerun_for: str | None = None) -> BatchOutcome:
    """One consistency run for [start, end) (default: the last closed 15-minute window); rerun_for, a correction's
    id, runs the gate again after the correction as batch `consistency-<id>` (a window's own batch runs once)."""
    outcome = run_batch(ConsistencySource(rerun_for), start, end)
    if outcome.status == "HELD":
        alert("consistency gate held, marts keep their previous state", source=SOURCE, batch_id=outcome.batch_id,
              details=outcome.reason or "")  # fmt: skip
    elif outcome.status == "COMMITTED":  # the certified marts (dbt), only after a passed gate
        publish_after_gate(load_settings(), outcome.batch_id)
    return outcome


def finance_dataset(store: LandingStore) -> DatasetRef:
    """Finance's reports as an OpenLineage dataset: s3://<bucket> + raw/finance, or file + its path."""
    uri = urlsplit(store.uri(FINANCE_PREFIX.rstrip("/")))
    if uri.scheme == "s3":
        return DatasetRef(f"s3://{uri.netloc}", uri.path.lstrip("/"))
    return DatasetRef("file", unquote(uri.path))
