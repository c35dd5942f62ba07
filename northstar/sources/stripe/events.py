"""Stripe events: find the events that arrived in a window, pin them in a manifest, read them into one local file.

The webhook receiver (and its recovery) lands each event once, write-once, under
raw/stripe/dt=YYYY-MM-DD/<event_id>.json (dt: the UTC date of the event's `created`, the dedup key), and records
its arrival under raw/stripe/_arrivals/dt=YYYY-MM-DD/<event_id>.created=YYYY-MM-DD.json (dt: the date it was
received; northstar/sources/stripe/landing.py). A window's events are those whose arrival entry was written in
[start, end): the batch lists the arrival partitions of the window's dates (and the day before, for an entry
written just after midnight by a clock a little behind), whatever the events' own `created`. So an event
created days or years ago and delivered now (a dashboard resend, a delivery after an outage, a recovery) is
taken by the batch of the window it arrived in; no lookback setting decides what is read. The first run of a
batch pins what it found in a write-once manifest, so a rerun reads exactly the same events. JSON is never
parsed in Python: the envelopes are copied as text into one Parquet file that DuckDB parses
(validators/stripe.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.config import Config

from northstar.batches import Window
from northstar.landing import LandingStore, LocalLanding, S3Landing
from northstar.sources.stripe import SOURCE
from northstar.sources.stripe.landing import ARRIVALS, envelope_key_of_arrival
from northstar.sqlfiles import bound_params, statements

PREFIX = "raw/stripe/"
DEFAULT_LOOKBACK_DAYS = 3  # kept for the flow's and the CLI's signature only: it no longer changes what is read
ARRIVAL_SLACK = timedelta(days=1)  # the day before the window start is listed too (clock skew at midnight)
READ_WORKERS = 32  # concurrent GETs: one S3 object per event, so latency, not bandwidth, bounds the read
CHUNK_EVENTS = 2_000  # events held in memory at a time while reading
LANDED_SCHEMA = pa.schema(
    [("landing_key", pa.string()), ("written_at", pa.timestamp("us", tz="UTC")), ("envelope", pa.string())]
)
MAP_FILES = (
    "stripe/create_events.sql",
    "stripe/create_payment_states.sql",
    "stripe/create_refund_states.sql",
    "stripe/create_dispute_states.sql",
    "stripe/create_charge_refunded.sql",
)


@dataclass(frozen=True)
class LandedEvents:
    """A batch's events as pinned by its manifest, and the local Parquet copy DuckDB reads."""

    batch_id: str
    manifest_key: str
    manifest: dict[str, Any]
    local_file: Path

    @property
    def events(self) -> int:
        return int(self.manifest["event_count"])

    @property
    def raw_bytes(self) -> int:
        return int(self.manifest.get("raw_bytes", 0))

    def watermark(self, bound: str) -> datetime | None:
        value = self.manifest["watermark"][bound]
        return datetime.fromisoformat(value) if value else None


def partitions(window: Window, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> list[str]:
    """The arrival partitions to list: the day before the window start's date through the window end's date.

    lookback_days is accepted and ignored (it must be >= 0): events are found by arrival, so no lookback can
    drop one, and none is needed for an event created long ago.
    """
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be >= 0, not {lookback_days}")
    first = (window.start.astimezone(UTC) - ARRIVAL_SLACK).date()
    last = window.end.astimezone(UTC).date()
    return [f"{ARRIVALS}dt={first + timedelta(days=n):%Y-%m-%d}/" for n in range((last - first).days + 1)]


def list_window(store: LandingStore, window: Window, lookback_days: int) -> list[tuple[str, datetime, str]]:
    """(envelope key, arrived at, arrival entry key) of every event whose arrival entry was written in
    [window.start, window.end), oldest arrival first. An event recorded as arriving twice in the window (two
    deliveries racing across midnight) is listed once, at its first arrival."""
    found: dict[str, tuple[datetime, str]] = {}
    for prefix in partitions(window, lookback_days):
        for key, written in _list_modified(store, prefix):
            envelope = envelope_key_of_arrival(key)
            if envelope is not None and window.start <= written < window.end:
                found[envelope] = min((written, key), found.get(envelope, (written, key)))
    listed = [(envelope, written, arrival) for envelope, (written, arrival) in found.items()]
    return sorted(listed, key=lambda item: (item[1], item[0]))


def manifest_key(window: Window, batch_id: str) -> str:
    """raw/stripe/_batches/dt=YYYY-MM-DD/batch=<id>/manifest.json (outside the dt= partitions of events)."""
    return f"{PREFIX}_batches/dt={window.start.astimezone(UTC):%Y-%m-%d}/batch={batch_id}/manifest.json"


def land_events(
    store: LandingStore, batch_id: str, window: Window, lookback_days: int, code_version: str, work_dir: Path
) -> LandedEvents:
    """Pin the window's events once (first manifest wins), then read exactly those into a local Parquet file."""
    key = manifest_key(window, batch_id)
    if not store.exists(key):
        listed = list_window(store, window, lookback_days)
        manifest = _manifest(batch_id, window, lookback_days, listed, code_version)
        store.put_if_absent(key, json.dumps(manifest).encode())
    return open_landed_events(store, key, batch_id, work_dir)


def open_landed_events(store: LandingStore, key: str, batch_id: str, work_dir: Path) -> LandedEvents:
    """The events the manifest at key pinned, read into work_dir/landed_events.parquet (nothing is listed again);
    batch_id is the id they are processed under (a reprocess names its new version). KeyError when the manifest
    or an event is gone from the landing store."""
    manifest = json.loads(store.get(key))
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / "landed_events.parquet"
    raw_bytes = read_events(store, [(e["key"], e["written_at"]) for e in manifest["events"]], target)
    return LandedEvents(batch_id, key, manifest | {"raw_bytes": raw_bytes}, target)


def _manifest(
    batch_id: str, window: Window, lookback_days: int, listed: list[tuple[str, datetime, str]], code_version: str
) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "source": SOURCE,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "lookback_days": lookback_days,
        "partitions": partitions(window, lookback_days),
        "watermark": {"low": window.start.isoformat(), "high": listed[-1][1].isoformat() if listed else None},
        "event_count": len(listed),
        "events": [
            {"key": key, "written_at": written.isoformat(), "arrival_key": arrival} for key, written, arrival in listed
        ],
        "code_version": code_version,
        "listed_at": datetime.now(UTC).isoformat(),
    }


def read_events(store: LandingStore, events: list[tuple[str, str]], target: Path) -> int:
    """Read the events into one Parquet file, in the given order, a chunk at a time; the raw bytes read."""
    total = 0
    with _fetcher(store) as fetch, pq.ParquetWriter(target, LANDED_SCHEMA) as writer:
        writer.write_table(LANDED_SCHEMA.empty_table())
        for chunk in _chunks(events, CHUNK_EVENTS):
            bodies = fetch([key for key, _ in chunk])
            total += sum(len(body) for body in bodies)
            writer.write_table(landed_table(chunk, bodies))
    return total


def landed_table(chunk: list[tuple[str, str]], bodies: list[bytes]) -> pa.Table:
    """One chunk as text: invalid UTF-8 is replaced, never dropped, so the row still reaches the checks."""
    return pa.table(
        {
            "landing_key": [key for key, _ in chunk],
            "written_at": [datetime.fromisoformat(written) for _, written in chunk],
            "envelope": [body.decode("utf-8", errors="replace") for body in bodies],
        },
        schema=LANDED_SCHEMA,
    )


def _chunks(items: list[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def _fetcher(store: LandingStore) -> Iterator[Callable[[list[str]], list[bytes]]]:
    """How to fetch a chunk of events: S3 GETs are latency-bound, so they run concurrently; a local file
    read is a few microseconds of CPU under the GIL, so threads would only add overhead (measured in
    BENCHMARKS.md): local files are read one after another."""
    if isinstance(store, LocalLanding):  # keys come from the store's own listing: no per-key path resolution
        root = f"{store.root}{os.sep}"
        yield lambda keys: [_read_file(root + key) for key in keys]
        return
    get = store.get
    if isinstance(store, S3Landing):  # a client keeping a connection per worker (botocore's default pool is 10)
        config = Config(max_pool_connections=READ_WORKERS, retries={"mode": "adaptive", "max_attempts": 5})
        client = boto3.client("s3", endpoint_url=store.client.meta.endpoint_url, config=config)
        get = S3Landing(store.bucket, client).get
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        yield lambda keys: list(pool.map(get, keys))


def _read_file(path: str) -> bytes:
    with open(path, "rb", buffering=0) as file:  # one read of the whole file: no buffer, no pathlib
        return file.read()


def _list_modified(store: LandingStore, prefix: str) -> list[tuple[str, datetime]]:
    """store.list_modified(prefix); a local dt= partition (flat) is scanned with one stat per entry."""
    if not isinstance(store, LocalLanding):
        return store.list_modified(prefix)
    folder = store.root / prefix
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        return [
            (prefix + entry.name, datetime.fromtimestamp(entry.stat().st_mtime, UTC))
            for entry in entries
            if entry.is_file() and not entry.name.startswith(".tmp-")
        ]


def map_events(con: duckdb.DuckDBPyConnection) -> None:
    """Map the routed batch's passed events to payment, refund and dispute states (tables in con)."""
    for relative in MAP_FILES:
        for sql in statements(relative):
            con.execute(sql)


def write_load_files(con: duckdb.DuckDBPyConnection, landed_file: Path, folder: Path) -> None:
    """Write the batch's load files (raw events, quarantine, states) as Parquet into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for sql in statements("stripe/copy_load_files.sql"):
        sql = sql.replace("$folder", str(folder))  # COPY TO takes no bound path; ours, not data
        con.execute(sql, bound_params(sql, {"path": str(landed_file)}) or None)
