"""fulfillment-hourly: land the WMS/3PL drop's complete files, judge each file, check its lines, publish.

One batch per hour (the window; default the last closed hour) takes every complete file last modified
before the window's end that no committed batch took, so a file is landed and loaded exactly once. Its
ledger row, its files (OPS.WMS_FILES), its lines and its quarantine commit in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.client.schemas.objects import TaskRun
from prefect.runtime import flow_run
from prefect.states import State
from prefect.tasks import Task

from flows.batch_runs import (
    BatchOutcome,
    LineageRun,
    Stopwatch,
    committed_meanwhile,
    hold_batch,
    lineage_emitter,
    running,
    warehouse_namespace,
)
from lineage.events import DatasetRef
from northstar.alerts import alert
from northstar.batches import Window, batch_id
from northstar.landing import landing_store
from northstar.loads import COMMITTED, HELD, BatchRecord, LoadPlan, StagedTable, batch_status, publish
from northstar.settings import Settings, SftpSettings, load_settings
from northstar.sources.wms.drop import open_drop
from northstar.sources.wms.drop.sftp import DownloadFailed, DropFolderError, HostKeyRefused
from northstar.sources.wms.formats.lines import LINE_SCHEMA
from northstar.sources.wms.landing import SOURCE, LandedFiles, land_drop, published_keys, recorded_content
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from validators.fulfillment import (
    DUPLICATE,
    FULFILLMENT,
    LOADED,
    QUARANTINED,
    FileVerdict,
    files_table,
    judge_files,
    route_lines,
    with_line_counts,
)
from validators.router import Routed

JOB = "fulfillment-hourly"
WMS_LOAD = LoadPlan(
    source=SOURCE,
    stage_ddl="snowflake/create_stage_wms.sql",
    staged=(
        StagedTable("OPS.STAGE_WMS_LINES", Path("passed.parquet")),
        StagedTable("OPS.STAGE_WMS_LINES_QUARANTINE", Path("quarantined.parquet")),
        StagedTable("OPS.STAGE_WMS_FILES", Path("files.parquet")),
    ),
    load_files=(
        "snowflake/insert_into_core_shipments.sql",
        "snowflake/insert_into_core_shipment_lines.sql",
        "snowflake/insert_into_quarantine_wms_lines.sql",
        "snowflake/insert_into_quarantine_wms_files.sql",
        "snowflake/insert_into_ops_wms_files.sql",
    ),
    count_published="snowflake/count_core_shipment_lines_batch.sql",
)


@dataclass(frozen=True)
class ValidatedWms:
    """The files' verdicts, the router's verdict on their lines, and the folder holding the staged Parquet."""

    routed: Routed
    folder: Path
    files: tuple[FileVerdict, ...]
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # parse, published_keys, check


def _retryable(task: Task, task_run: TaskRun, state: State) -> bool:
    """Retry a failed landing (a listing or connection that failed), but not a refused host key (retrying
    cannot make it trusted) nor a failed download: downloads have one retry layer, the drop's own per-file loop
    (NORTHSTAR_SFTP_DOWNLOAD_ATTEMPTS, northstar/sources/wms/drop/sftp.py), so a file is fetched at most that
    many times per run instead of that many times per task attempt."""
    return not isinstance(state.data, HostKeyRefused | DownloadFailed)


@task(retries=2, retry_delay_seconds=10, retry_condition_fn=_retryable)
def land_wms_files(settings: Settings, cfg: SftpSettings, window: Window, batch: str) -> LandedFiles:
    """Land the hour's complete, not yet recorded files from the drop folder (or reuse the batch's manifest)."""
    with open_warehouse(settings) as wh:
        return land_drop(landing_store(settings), cfg, wh, window, batch, settings.work_dir / batch)


@task
def validate_wms(settings: Settings, landed: LandedFiles, window: Window) -> ValidatedWms:
    """Judge each file, check the loaded files' lines in DuckDB, write the three Parquet files to stage."""
    folder, watch = settings.work_dir / landed.batch_id, Stopwatch()
    folder.mkdir(parents=True, exist_ok=True)
    store = landing_store(settings)
    with open_warehouse(settings) as wh:
        with watch.stage("parse"):
            seen, latest = recorded_content(wh, landed.files)
            verdicts, tables = judge_files(landed.files, lambda f: store.get(f.key), store.uri, seen, latest)
            lines = pa.concat_tables(tables) if tables else LINE_SCHEMA.empty_table()
            pq.write_table(lines, folder / "lines.parquet")
        with watch.stage("published_keys"):
            shipment_ids = pc.unique(pc.drop_null(lines["shipment_id"])).to_pylist()
            published = published_keys(wh, shipment_ids, folder, landed.batch_id)
    with watch.stage("check"), duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        routed = route_lines(con, folder / "lines.parquet", published, window.end)
        if routed.held:
            return ValidatedWms(routed, folder, tuple(verdicts), seconds=watch.seconds)
        verdicts = with_line_counts(con, verdicts)
        for sql in (read_sql("checks/copy_passed.sql"), read_sql("checks/copy_quarantined.sql")):
            con.execute(sql.replace("$folder", str(folder)))  # COPY TO takes no bound path; ours, not data
        by_reason = dict(con.execute(read_sql("checks/count_quarantine_reasons.sql")).fetchall())
    pq.write_table(files_table(verdicts), folder / "files.parquet")
    return ValidatedWms(routed, folder, tuple(verdicts), {str(r): int(n) for r, n in by_reason.items()}, watch.seconds)


@task(retries=2, retry_delay_seconds=10)
def publish_wms(settings: Settings, validated: ValidatedWms, record: BatchRecord) -> BatchRecord | None:
    """Load lines, shipments, both quarantines, the file records and the ledger row in one transaction."""
    with open_warehouse(settings) as wh:
        return publish(wh, WMS_LOAD.in_folder(validated.folder), record, validated.routed.results)


@task
def hold_wms(settings: Settings, validated: ValidatedWms, record: BatchRecord) -> BatchRecord:
    """Record a held batch with its reason and alert; nothing published, no file recorded (retaken later)."""
    return hold_batch(settings, record, validated.routed.results)


@task
def archive_wms_files(cfg: SftpSettings, landed: LandedFiles) -> int:
    """Move the batch's recorded files to the archive folder (when configured); the number moved."""
    if not cfg.archive_dir:
        return 0
    moved = 0
    try:
        with open_drop(cfg) as drop:
            for file in [*(f.remote for f in landed.files), *landed.already_recorded]:
                moved += drop.archive(file) is not None
    except DropFolderError as exc:  # they stay in the drop, recorded: the next run archives them
        get_run_logger().warning("archiving stopped after %d files: %s", moved, exc)
    return moved


@flow(name=JOB)
def fulfillment_hourly(start: str | None = None, end: str | None = None) -> BatchOutcome:
    """One fulfillment batch for [start, end) (default: the last closed hour)."""
    settings = load_settings()
    cfg = settings.fulfillment.sftp
    window = Window.parse(start, end) if start and end else Window.last_closed(60)
    batch = batch_id(SOURCE, window)
    with open_warehouse(settings) as wh:
        if batch_status(wh, batch) == COMMITTED:
            get_run_logger().info("batch %s is already committed: nothing to do", batch)
            return BatchOutcome.skipped(SOURCE, batch)
    drop = DatasetRef(cfg.namespace, cfg.drop_dir)
    run = LineageRun(lineage_emitter(settings), JOB, window, _flow_run_id(), [drop]).start()
    watch = Stopwatch()
    with running(settings, batch, run):
        with watch.stage("extract"):
            landed = land_wms_files(settings, cfg, window, batch)
        with watch.stage("validate"):
            validated = validate_wms(settings, landed, window)
        record = _record(settings, window, landed, validated, run.run_id, watch)
        run.inputs = _inputs(cfg, validated)
        with watch.stage("publish"):
            if validated.routed.held:
                done = hold_wms(settings, validated, record)
            else:
                done = publish_wms(settings, validated, record) or committed_meanwhile(record)
    outcome = BatchOutcome.from_record(done, validated.quarantined_by_reason, watch.seconds)
    if done.status == HELD:
        run.fail(f"batch held: {done.reason}", validated.routed.results)
        return outcome
    run.complete(_outputs(settings, outcome, validated), validated.routed.results)
    if done.status == COMMITTED:
        _report_files(batch, validated.files)
        archive_wms_files(cfg, landed)
    return outcome


def _record(
    settings: Settings,
    window: Window,
    landed: LandedFiles,
    validated: ValidatedWms,
    lineage_run_id: str,
    watch: Stopwatch,
) -> BatchRecord:
    """The ledger row as far as it is known before publishing; watermarks span the files' mtimes."""
    routed, mtimes = validated.routed, [f.mtime for f in landed.files]
    return BatchRecord(
        batch_id=landed.batch_id,
        source=SOURCE,
        window_start=window.start,
        window_end=window.end,
        watermark_low=min(mtimes, default=None),
        watermark_high=max(mtimes, default=None),
        rows_extracted=routed.rows_extracted,
        rows_passed=routed.rows_passed,
        rows_quarantined=routed.rows_quarantined,
        rows_published=0,
        status="RUNNING",
        reason=routed.held_reason or _files_summary(validated.files),
        raw_uri=landing_store(settings).uri(landed.manifest_key),
        code_version=settings.code_version,
        flow_run_id=_flow_run_id(),
        lineage_run_id=lineage_run_id,
        started_at=datetime.now(UTC),
        finished_at=None,
        extract_seconds=watch.seconds.get("extract"),
        validate_seconds=watch.seconds.get("validate"),
        publish_seconds=None,
    )


def _files_summary(files: tuple[FileVerdict, ...]) -> str:
    """For the ledger's REASON: what became of the batch's files."""
    if not files:
        return "no new complete files"
    counts = Counter(f.status for f in files)
    parts = [f"{counts[s]} {s.lower()}" for s in (LOADED, QUARANTINED, DUPLICATE) if counts[s]]
    new_versions = sum(f.previous_sha256 is not None for f in files)
    return f"{len(files)} files: " + ", ".join(parts) + (f", {new_versions} new version(s)" if new_versions else "")


def _inputs(cfg: SftpSettings, validated: ValidatedWms) -> list[DatasetRef]:
    """Each file as an input dataset, plus its parsed lines, which carry the checks' assertions."""
    fields = tuple((name, "/".join(sorted(types))) for name, types in FULFILLMENT.columns.items())
    files = [DatasetRef(cfg.namespace, v.file.remote_path, row_count=v.lines_total) for v in validated.files]
    lines = DatasetRef(cfg.namespace, f"wms.{FULFILLMENT.dataset}", fields, validated.routed.rows_extracted)
    return [*files, lines]


def _outputs(settings: Settings, outcome: BatchOutcome, validated: ValidatedWms) -> list[DatasetRef]:
    """The tables the batch wrote, with their row counts."""
    namespace, db = warehouse_namespace(settings), settings.database
    rejected = sum(f.status == QUARANTINED for f in validated.files)
    return [
        DatasetRef(namespace, f"{db}.CORE.SHIPMENT_LINES", row_count=outcome.rows_published),
        DatasetRef(namespace, f"{db}.CORE.SHIPMENTS"),
        DatasetRef(namespace, f"{db}.QUARANTINE.WMS_LINES", row_count=outcome.rows_quarantined),
        DatasetRef(namespace, f"{db}.QUARANTINE.WMS_FILES", row_count=rejected),
        DatasetRef(namespace, f"{db}.OPS.WMS_FILES", row_count=len(validated.files)),
        DatasetRef(namespace, f"{db}.OPS.LOAD_BATCHES", row_count=1),
    ]


def _report_files(batch: str, files: tuple[FileVerdict, ...]) -> None:
    """Alert on every file quarantined whole; log the new versions of a name (loaded, and flagged)."""
    for v in files:
        if v.status == QUARANTINED:
            alert("WMS file quarantined whole, nothing from it loaded", source=SOURCE, batch_id=batch,
                  details=f"{v.file.remote_path} (sha256 {v.file.sha256[:12]}): {v.reason}")  # fmt: skip
        elif v.previous_sha256 is not None:
            get_run_logger().warning("%s is a new version (was %s): loaded", v.file.remote_path, v.previous_sha256)


def _flow_run_id() -> str | None:
    """The Prefect flow run id, when running as a flow."""
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None
