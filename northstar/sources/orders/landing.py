"""Landing an orders batch: extract orders and their lines from PostgreSQL, write Parquet and a manifest under a
fixed key."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from northstar.batches import Window, landing_prefix
from northstar.landing import LandingStore, verified_copy
from northstar.sources.orders import SOURCE
from northstar.sources.orders.postgres import SafePoint, extract_orders_by_keys, extract_orders_safely

LINES = "order_lines"  # the lines' file in the manifest; a batch landed before lines existed has none


@dataclass(frozen=True)
class LandedBatch:
    """A batch's raw data as landed, described by its manifest."""

    batch_id: str
    prefix: str
    manifest: dict[str, Any]
    local_file: Path  # a local copy of the landed Parquet, for DuckDB
    lines_file: Path | None = None  # the same for the orders' lines (None: landed before lines were extracted)

    @property
    def rows(self) -> int:
        return int(self.manifest["row_count"])

    def watermark(self, bound: str) -> datetime | None:
        """low, high (where the next batch continues: never past safe_until), or safe_until (how far the
        batch could safely read; absent from batches landed before it was measured)."""
        value = self.manifest["watermark"].get(bound)
        return datetime.fromisoformat(value) if value else None

    @property
    def safe_until(self) -> datetime | None:
        return self.watermark("safe_until")


def land_orders(
    store: LandingStore,
    dsn: str,
    batch_id: str,
    window: Window,
    low: datetime,
    code_version: str,
    work_dir: Path,
) -> LandedBatch:
    """Land orders changed in [low, window.end) once; a rerun reuses what was landed, never re-extracts."""
    prefix = landing_prefix(SOURCE, window, batch_id)
    manifest_key = prefix + "manifest.json"
    if not store.exists(manifest_key):
        orders, lines, safe = extract_orders_safely(dsn, low, window.end)
        manifest = _write_batch(store, prefix, batch_id, window, low, orders, code_version)
        manifest["watermark"] |= capped_watermark(manifest["watermark"]["high"], safe, window)
        manifest["files"].append(_write_file(store, prefix, LINES, lines))
        manifest["line_count"] = lines.num_rows
        # First write wins: if a concurrent attempt landed first, its manifest is the batch of record.
        store.put_if_absent(manifest_key, json.dumps(manifest, indent=2).encode())
    return open_landed(store, prefix, batch_id, work_dir)


def open_landed(store: LandingStore, prefix: str, batch_id: str, work_dir: Path) -> LandedBatch:
    """A batch landed under prefix, as its manifest describes it, its files verified (never re-extracted).

    KeyError when the manifest or a file is gone (past the raw retention); LandingCorrupt when a file changed.
    """
    manifest = json.loads(store.get(prefix + "manifest.json"))
    files = {f.get("dataset", SOURCE): f for f in manifest["files"]}
    local = {name: verified_copy(store, f["key"], f["sha256"], work_dir) for name, f in files.items()}
    return LandedBatch(batch_id, prefix, manifest, local[SOURCE], local.get(LINES))


def land_orders_by_keys(
    store: LandingStore,
    dsn: str,
    batch_id: str,
    window: Window,
    order_ids: list[int],
    reason: str,
    code_version: str,
    work_dir: Path,
) -> LandedBatch:
    """Land a repair batch once: every source row of the given orders and their lines, whatever their updated_at,
    under the same layout and manifest as a window's batch (plus "repair": the reason and the order ids)."""
    prefix = landing_prefix(SOURCE, window, batch_id)
    manifest_key = prefix + "manifest.json"
    if not store.exists(manifest_key):
        orders, lines = extract_orders_by_keys(dsn, order_ids)
        manifest = _write_batch(store, prefix, batch_id, window, window.start, orders, code_version)
        manifest["files"].append(_write_file(store, prefix, LINES, lines))
        manifest["line_count"] = lines.num_rows
        manifest["repair"] = {"reason": reason, "order_ids": sorted(order_ids)}
        store.put_if_absent(manifest_key, json.dumps(manifest, indent=2).encode())
    manifest = json.loads(store.get(manifest_key))
    files = {f.get("dataset", SOURCE): f["key"] for f in manifest["files"]}
    lines_file = store.local_copy(files[LINES], work_dir)
    return LandedBatch(batch_id, prefix, manifest, store.local_copy(files[SOURCE], work_dir), lines_file)


def _write_batch(
    store: LandingStore,
    prefix: str,
    batch_id: str,
    window: Window,
    low: datetime,
    table: pa.Table,
    code_version: str,
) -> dict[str, Any]:
    """Write the orders' Parquet file; the manifest that follows makes it the batch."""
    return {
        "batch_id": batch_id,
        "source": SOURCE,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "watermark": {
            "low": low.isoformat(),
            "high": _max_updated_at(table),
        },
        "row_count": table.num_rows,
        "files": [_write_file(store, prefix, SOURCE, table)],
        "schema": [{"name": f.name, "type": str(f.type)} for f in table.schema],
        "code_version": code_version,
        "extracted_at": datetime.now(UTC).isoformat(),
    }


def _write_file(store: LandingStore, prefix: str, dataset: str, table: pa.Table) -> dict[str, Any]:
    """One dataset's Parquet file under a content-addressed name; its manifest entry."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    data = buffer.getvalue()
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"{prefix}{dataset}-{sha256[:16]}.parquet"
    store.put_if_absent(key, data)
    return {
        "dataset": dataset,
        "key": key,
        "sha256": sha256,
        "bytes": len(data),
        "rows": table.num_rows,
        "schema": [{"name": f.name, "type": str(f.type)} for f in table.schema],
    }


def capped_watermark(max_updated_at: str | None, safe: SafePoint, window: Window) -> dict[str, str | None]:
    """The manifest's watermark fields under the safe point: safe_until = min(safe point, window end); high =
    the newest updated_at read, but never past safe_until (an open transaction may still commit rows stamped
    after it), and safe_until itself when the batch read nothing yet could not read to its window's end."""
    safe_until = min(safe.safe_until, window.end.astimezone(UTC))
    newest = datetime.fromisoformat(max_updated_at) if max_updated_at else None
    if newest is not None:
        high: datetime | None = min(newest, safe_until)
    else:
        high = safe_until if safe_until < window.end else None
    return {
        "high": high.isoformat() if high else None,
        "max_updated_at": max_updated_at,
        "safe_until": safe_until.isoformat(),
        "snapshot_xmin": safe.snapshot_xmin,
    }


def _max_updated_at(table: pa.Table) -> str | None:
    if "updated_at" not in table.column_names or table.num_rows == 0:
        return None
    value = pc.max(table["updated_at"]).as_py()
    return value.astimezone(UTC).isoformat() if value else None
