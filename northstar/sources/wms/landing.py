"""Landing the WMS/3PL drop: each complete file downloaded, verified and stored write-once by its content.

A batch (one hour) takes the complete files last modified before its window's end that OPS.WMS_FILES
has not recorded (same path, size and mtime). Each is downloaded to a temporary file, its size checked
against the listing, then stored under raw/wms/dt=YYYY-MM-DD/<sha256>/<name> (put_if_absent), so a
dropped connection never leaves half a file landed. The batch's manifest
(raw/wms/dt=YYYY-MM-DD/batch=<batch_id>/manifest.json) names the files; a rerun of the batch reuses it
and never goes back to the server, as orders reuse their landed Parquet.

Catch-up: a file landed by a batch that never committed (killed after landing) and gone from the drop folder
since would never be taken by another batch. The completeness run (northstar/completeness.py) finds it and
writes a catch-up request, raw/wms/_catchup/dt=YYYY-MM-DD/<run>.json, naming the landed files; the next batch
pins the requested files that OPS.WMS_FILES has not recorded in its manifest, beside the drop's new files, and
takes them from the landing store (request_wms_catchup, pending_catchup).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from northstar.batches import Window, landing_prefix
from northstar.landing import LandingStore
from northstar.settings import SftpSettings
from northstar.sources.wms import SOURCE
from northstar.sources.wms.drop import open_drop
from northstar.sources.wms.drop.sftp import DropFolder, FileGoneError, RemoteFile, complete_files
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse

log = logging.getLogger(__name__)
SYSTEM = "wms"  # raw data is kept under the system it came from: raw/wms/
LOOKUP_CHUNK = 2000  # keys bound into one IN (...) list
CATCHUP = f"raw/{SYSTEM}/_catchup/"
CATCHUP_DAYS = 7  # a batch reads the catch-up requests of the last days (a later completeness run asks again)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class LandedFile:
    """One drop file as landed: where it was, what it was, and its landing key."""

    remote_path: str
    name: str
    size: int
    mtime: datetime
    sha256: str
    key: str

    @property
    def remote(self) -> RemoteFile:
        """The file as it was listed in the drop folder."""
        return RemoteFile(self.remote_path, self.size, self.mtime)


@dataclass(frozen=True)
class LandedFiles:
    """A batch's landed files (arrival order) and the already-recorded files seen beside them."""

    batch_id: str
    prefix: str
    files: tuple[LandedFile, ...]
    already_recorded: tuple[RemoteFile, ...]

    @property
    def manifest_key(self) -> str:
        """The landing key of the batch's manifest."""
        return self.prefix + "manifest.json"


def file_key(window: Window, sha256: str, name: str) -> str:
    """raw/wms/dt=YYYY-MM-DD/<sha256>/<name>, the name made safe for a key."""
    return f"raw/{SYSTEM}/dt={window.start.astimezone(UTC):%Y-%m-%d}/{sha256}/{_UNSAFE.sub('_', name)[:200]}"


def land_drop(
    store: LandingStore, cfg: SftpSettings, wh: Warehouse, window: Window, batch: str, work_dir: Path
) -> LandedFiles:
    """Land the batch's files once; a rerun reuses the manifest that the first run wrote."""
    prefix = landing_prefix(SYSTEM, window, batch)
    if not store.exists(prefix + "manifest.json"):
        caught_up = pending_catchup(store, wh)
        requested = {(f.remote_path, f.size, f.mtime) for f in caught_up}
        with open_drop(cfg) as drop:
            files, recorded = _pick(drop, cfg, wh, window)
            files = [f for f in files if (f.path, f.size, f.mtime) not in requested]  # landed already
            work_dir.mkdir(parents=True, exist_ok=True)
            landed = [f for f in (_land_one(store, drop, f, window, work_dir) for f in files) if f is not None]
        landed = caught_up + landed
        manifest = {
            "batch_id": batch,
            "source": SOURCE,
            "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
            "files": [_jsonable(asdict(f)) for f in landed],
            "already_recorded": [_jsonable(asdict(f)) for f in recorded],
            "landed_at": datetime.now(UTC).isoformat(),
        }
        store.put_if_absent(prefix + "manifest.json", json.dumps(manifest, indent=2).encode())
    return open_landed_files(store, prefix, batch)


def open_landed_files(store: LandingStore, prefix: str, batch: str) -> LandedFiles:
    """The files a batch landed under prefix, as its manifest names them (the drop is never read); batch is the
    id the files are processed under (a reprocess names its new version). KeyError when the manifest is gone."""
    manifest = json.loads(store.get(prefix + "manifest.json"))
    return LandedFiles(
        batch,
        prefix,
        tuple(LandedFile(**_dated(f)) for f in manifest["files"]),
        tuple(RemoteFile(**_dated(f)) for f in manifest["already_recorded"]),
    )


def _pick(
    drop: DropFolder, cfg: SftpSettings, wh: Warehouse, window: Window
) -> tuple[list[RemoteFile], list[RemoteFile]]:
    """(complete files before the window's end not yet recorded, in arrival order; those already recorded)."""
    candidates = [f for f in complete_files(drop, cfg) if f.mtime < window.end]
    seen = {
        (r["REMOTE_PATH"], int(r["SIZE_BYTES"]), r["MTIME"].replace(tzinfo=UTC))
        for r in lookup(wh, "snowflake/select_ops_wms_files_by_path.sql", "paths", [f.path for f in candidates])
    }
    recorded = [f for f in candidates if (f.path, f.size, f.mtime) in seen]
    new = sorted((f for f in candidates if (f.path, f.size, f.mtime) not in seen), key=lambda f: (f.mtime, f.path))
    return new, recorded


def _land_one(
    store: LandingStore, drop: DropFolder, file: RemoteFile, window: Window, work_dir: Path
) -> LandedFile | None:
    """Download to a temporary file, check its size, then store it write-once; None if it changed or went."""
    part = work_dir / f".{hashlib.sha256(file.path.encode()).hexdigest()[:16]}.part"
    try:
        drop.download(file, part)
        data = part.read_bytes()
    except FileGoneError:
        log.warning("%s left the drop folder before it was downloaded: nothing to take", file.path)
        return None
    finally:
        part.unlink(missing_ok=True)
    if len(data) != file.size:  # rewritten since it was listed: not complete after all, taken next hour
        log.warning(
            "%s was %d bytes when listed but %d when read: left for the next run", file.path, file.size, len(data)
        )
        return None
    sha256 = hashlib.sha256(data).hexdigest()
    key = file_key(window, sha256, file.name)
    store.put_if_absent(key, data)  # the same content under the same name is already there: same bytes
    return LandedFile(file.path, file.name, file.size, file.mtime, sha256, key)


def request_wms_catchup(store: LandingStore, files: list[LandedFile], now: datetime, run_id: str) -> str:
    """Ask the next batch to take landed files no batch recorded; the request's key (written once per run)."""
    key = f"{CATCHUP}dt={now.astimezone(UTC):%Y-%m-%d}/{run_id}.json"
    body = {"requested_by": run_id, "requested_at": now.isoformat(), "files": [_jsonable(asdict(f)) for f in files]}
    store.put_if_absent(key, json.dumps(body, indent=2).encode())
    return key


def pending_catchup(store: LandingStore, wh: Warehouse) -> list[LandedFile]:
    """The files of the last CATCHUP_DAYS' catch-up requests that OPS.WMS_FILES has not recorded, once each, oldest
    first (whatever the window: the first batch to run after a request takes its files)."""
    today = datetime.now(UTC).date()
    wanted: dict[str, LandedFile] = {}
    for n in range(CATCHUP_DAYS, -1, -1):
        for key in store.keys(f"{CATCHUP}dt={today - timedelta(days=n):%Y-%m-%d}/"):
            for entry in json.loads(store.get(key))["files"]:
                wanted.setdefault(entry["key"], LandedFile(**_dated(entry)))
    uris = {store.uri(k): k for k in wanted}
    taken = {uris[r["LANDED_URI"]] for r in lookup(wh, "snowflake/select_ops_wms_files_by_landed_uri.sql", "uris",
                                                     list(uris))}  # fmt: skip
    return sorted((f for k, f in wanted.items() if k not in taken), key=lambda f: (f.mtime, f.remote_path))


def landed_file(store: LandingStore, key: str, written: datetime) -> LandedFile:
    """What a batch needs to take a landed file again: its entry in a manifest of its dt= folder, or, for a file no
    manifest names, what its key and bytes say (remote path unknown: the key; mtime: when it was landed)."""
    folder = key.split("/")[2]  # raw/wms/dt=YYYY-MM-DD/<sha256>/<name>
    for manifest in (k for k in store.keys(f"raw/{SYSTEM}/{folder}/") if k.endswith("/manifest.json")):
        for entry in json.loads(store.get(manifest))["files"]:
            if entry["key"] == key:
                return LandedFile(**_dated(entry))
    sha256, name = key.split("/")[3:5]
    return LandedFile(key, name, len(store.get(key)), written.astimezone(UTC), sha256, key)


def lookup(wh: Warehouse, relative: str, name: str, values: list[str]) -> Iterator[dict[str, Any]]:
    """Rows of a query filtering `IN (%(name)s)`, bound in chunks; nothing is asked for an empty list."""
    unique = sorted(set(values))
    for i in range(0, len(unique), LOOKUP_CHUNK):
        yield from wh.query(read_sql(relative), {name: tuple(unique[i : i + LOOKUP_CHUNK])})


def recorded_content(
    wh: Warehouse, files: tuple[LandedFile, ...], excluding: frozenset[str] = frozenset()
) -> tuple[dict[str, str], dict[str, str]]:
    """(sha256 -> the path first recorded with it, remote path -> its latest recorded sha256) from OPS.WMS_FILES,
    leaving out what the batches in `excluding` recorded (a reprocess: its superseded version, later windows)."""
    by_sha: dict[str, str] = {}
    for row in lookup(wh, "snowflake/select_ops_wms_files_by_sha256.sql", "shas", [f.sha256 for f in files]):
        if row["_BATCH_ID"] not in excluding:
            by_sha.setdefault(row["SHA256"], row["REMOTE_PATH"])
    by_path = {
        row["REMOTE_PATH"]: row["SHA256"]
        for row in lookup(wh, "snowflake/select_ops_wms_files_by_path.sql", "paths", [f.remote_path for f in files])
        if row["STATUS"] != "DUPLICATE" and row["_BATCH_ID"] not in excluding
    }
    return by_sha, by_path


# The published line keys a batch's lines are checked against, with the file that published each.
PUBLISHED_SCHEMA = pa.schema([("shipment_id", pa.string()), ("line_no", pa.int64()), ("source_file", pa.string())])


def published_keys(
    wh: Warehouse, shipment_ids: list[str], folder: Path, batch: str, excluding: frozenset[str] = frozenset()
) -> pa.Table:
    """(shipment_id, line_no, source_file) in CORE.SHIPMENT_LINES for this batch's shipments: staged ids, one join;
    the lines the batches in `excluding` published are left out (a reprocess: its superseded version, later windows)."""
    if not shipment_ids:
        return PUBLISHED_SCHEMA.empty_table()
    ids = folder / "shipment_ids.parquet"
    pq.write_table(pa.table({"shipment_id": pa.array(shipment_ids, pa.string())}), ids)
    wh.run_file("snowflake/create_stage_wms_keys.sql")
    wh.copy_parquet(ids, f"{SOURCE}/{batch}/shipment_ids", "OPS.STAGE_WMS_KEYS")  # a path from code and batch id
    rows = [
        r
        for r in wh.query(read_sql("snowflake/select_core_shipment_lines_keys.sql"))
        if r["_BATCH_ID"] not in excluding
    ]
    return pa.table(
        {
            "shipment_id": [r["SHIPMENT_ID"] for r in rows],
            "line_no": [int(r["LINE_NO"]) for r in rows],
            "source_file": [r["_SOURCE_FILE"] for r in rows],
        },
        schema=PUBLISHED_SCHEMA,
    )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Datetimes as ISO-8601, for the manifest."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _dated(values: dict[str, Any]) -> dict[str, Any]:
    """A manifest entry with its mtime parsed back."""
    return values | {"mtime": datetime.fromisoformat(values["mtime"])}
