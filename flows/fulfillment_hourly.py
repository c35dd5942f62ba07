"""fulfillment-hourly: land the WMS/3PL drop's complete files, judge each file, check its lines, publish.

One batch per hour (the window; default the last closed hour) takes every complete file last modified
before the window's end that no committed batch took, so a file is landed and loaded exactly once. Its
ledger row, its files (OPS.WMS_FILES), its lines and its quarantine commit in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from prefect.tasks import Task

from flows.engine import BatchOutcome, Stopwatch, Validated, run_batch, warehouse_namespace
from lineage.events import DatasetRef
from northstar.alerts import alert
from northstar.batches import Window, batch_id
from northstar.landing import landing_store, verified_bytes
from northstar.loads import LoadPlan, StagedTable
from northstar.settings import Settings, SftpSettings, load_settings
from northstar.sources.wms import SOURCE
from northstar.sources.wms.drop import open_drop
from northstar.sources.wms.drop.sftp import DownloadFailed, DropFolderError, HostKeyRefused
from northstar.sources.wms.formats.lines import LINE_SCHEMA
from northstar.sources.wms.landing import LandedFiles, land_drop, published_keys, recorded_content
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
    with_file_results,
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
def validate_wms(
    settings: Settings, landed: LandedFiles, window: Window, excluding: frozenset[str] = frozenset()
) -> ValidatedWms:
    """Judge each file, check the loaded files' lines in DuckDB, write the three Parquet files to stage; what the
    batches in `excluding` recorded is not held against the files (a reprocess: the version it supersedes and the
    batches of later windows, so a replay judges its files as their first run did)."""
    folder, watch = settings.work_dir / landed.batch_id, Stopwatch()
    folder.mkdir(parents=True, exist_ok=True)
    store = landing_store(settings)
    with open_warehouse(settings) as wh:
        with watch.stage("parse"):
            seen, latest = recorded_content(wh, landed.files, excluding)
            verdicts, tables = judge_files(
                landed.files, lambda f: verified_bytes(store, f.key, f.sha256), store.uri, seen, latest
            )
            lines = pa.concat_tables(tables) if tables else LINE_SCHEMA.empty_table()
            pq.write_table(lines, folder / "lines.parquet")
        with watch.stage("published_keys"):
            shipment_ids = pc.unique(pc.drop_null(lines["shipment_id"])).to_pylist()
            published = published_keys(wh, shipment_ids, folder, landed.batch_id, excluding)
    with watch.stage("check"), duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        routed = with_file_results(route_lines(con, folder / "lines.parquet", published, window.end), verdicts)
        if routed.held:
            return ValidatedWms(routed, folder, tuple(verdicts), seconds=watch.seconds)
        verdicts = with_line_counts(con, verdicts)
        for sql in (read_sql("checks/copy_passed.sql"), read_sql("checks/copy_quarantined.sql")):
            con.execute(sql.replace("$folder", str(folder)))  # COPY TO takes no bound path; ours, not data
        by_reason = dict(con.execute(read_sql("checks/count_quarantine_reasons.sql")).fetchall())
    pq.write_table(files_table(verdicts), folder / "files.parquet")
    return ValidatedWms(routed, folder, tuple(verdicts), {str(r): int(n) for r, n in by_reason.items()}, watch.seconds)


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


class FulfillmentSource:
    """The fulfillment source on the batch engine: the hour's complete files from the drop folder."""

    name = SOURCE
    job = JOB
    cadence = timedelta(hours=1)

    def __init__(self, cfg: SftpSettings) -> None:
        self.cfg = cfg

    def batch_id(self, window: Window) -> str:
        return batch_id(SOURCE, window)

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        return [DatasetRef(self.cfg.namespace, self.cfg.drop_dir)]

    def extract(self, settings: Settings, window: Window, batch: str) -> LandedFiles:
        return land_wms_files(settings, self.cfg, window, batch)

    def validate(self, settings: Settings, landed: LandedFiles, window: Window, batch: str) -> Validated:
        return engine_view(settings, self.cfg, landed, validate_wms(settings, landed, window))

    def lineage_outputs(self, settings: Settings, outcome: BatchOutcome, validated: Validated) -> list[DatasetRef]:
        """The tables the batch wrote, with their row counts."""
        namespace, db = warehouse_namespace(settings), settings.database
        files: tuple[FileVerdict, ...] = validated.extra["files"]
        return [
            DatasetRef(namespace, f"{db}.CORE.SHIPMENT_LINES", row_count=outcome.rows_published),
            DatasetRef(namespace, f"{db}.CORE.SHIPMENTS"),
            DatasetRef(namespace, f"{db}.QUARANTINE.WMS_LINES", row_count=outcome.rows_quarantined),
            DatasetRef(namespace, f"{db}.QUARANTINE.WMS_FILES", row_count=sum(f.status == QUARANTINED for f in files)),
            DatasetRef(namespace, f"{db}.OPS.WMS_FILES", row_count=len(files)),
            DatasetRef(namespace, f"{db}.OPS.LOAD_BATCHES", row_count=1),
        ]

    def after_commit(self, settings: Settings, landed: LandedFiles, validated: Validated) -> None:
        """Alert on files quarantined whole, then move the batch's files to the archive folder."""
        _report_files(landed.batch_id, validated.extra["files"])
        archive_wms_files(self.cfg, landed)


def engine_view(settings: Settings, cfg: SftpSettings, landed: LandedFiles, checked: ValidatedWms) -> Validated:
    """The engine's view of a checked batch: the router's verdict, the files' summary, watermarks and inputs."""
    routed, mtimes = checked.routed, [f.mtime for f in landed.files]
    return Validated(
        results=routed.results,
        rows_extracted=routed.rows_extracted,
        rows_passed=routed.rows_passed,
        rows_quarantined=routed.rows_quarantined,
        plan=None if routed.held else WMS_LOAD.in_folder(checked.folder),
        held_reason=routed.held_reason,
        summary=_files_summary(checked.files),
        raw_uri=landing_store(settings).uri(landed.manifest_key),
        watermark_low=min(mtimes, default=None),  # the watermarks span the files' mtimes
        watermark_high=max(mtimes, default=None),
        inputs=_inputs(cfg, checked),
        quarantined_by_reason=checked.quarantined_by_reason,
        extra={"files": checked.files},
        seconds=checked.seconds,
    )


@flow(name=JOB)
def fulfillment_hourly(start: str | None = None, end: str | None = None) -> BatchOutcome:
    """One fulfillment batch for [start, end) (default: the last closed hour)."""
    return run_batch(FulfillmentSource(load_settings().fulfillment.sftp), start, end)


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
    # the parsed lines: a name under the server's namespace; locally a path in the drop folder (namespace `file`)
    name = f"wms.{FULFILLMENT.dataset}" if cfg.host else f"{cfg.drop_dir.rstrip('/')}/wms.{FULFILLMENT.dataset}"
    lines = DatasetRef(cfg.namespace, name, fields, validated.routed.rows_extracted)
    return [*files, lines]


def _report_files(batch: str, files: tuple[FileVerdict, ...]) -> None:
    """Alert on every file quarantined whole; log the new versions of a name (loaded, and flagged)."""
    for v in files:
        if v.status == QUARANTINED:
            alert("WMS file quarantined whole, nothing from it loaded", source=SOURCE, batch_id=batch,
                  details=f"{v.file.remote_path} (sha256 {v.file.sha256[:12]}): {v.reason}")  # fmt: skip
        elif v.previous_sha256 is not None:
            get_run_logger().warning("%s is a new version (was %s): loaded", v.file.remote_path, v.previous_sha256)
