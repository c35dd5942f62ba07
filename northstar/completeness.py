"""The completeness inventory: every landed object must be taken by exactly one batch.

Compares what the landing store holds (northstar/landing.py, keys under raw/) with what the ledgers pinned:
- orders: each batch manifest (raw/orders/.../manifest.json) is the RAW_URI of one ledger row;
- payments: each landed Stripe event (any raw/stripe/ object but batch manifests and arrival entries) is listed in the
  `events` of one payments batch's manifest (OPS.LOAD_BATCHES.RAW_URI -> manifest.json), whatever the layout the
  events are landed under;
- fulfillment: each landed WMS file (raw/wms/, manifests aside) is the LANDED_URI of one OPS.WMS_FILES row
  (DUPLICATE rows are content seen again, not a second take);
- finance: each business day's latest report (raw/finance/dt=<day>/, the file the reconciliation reads; an earlier
  one it replaced is not expected) was reconciled by a consistency batch (OPS.DAILY_RECONCILIATION.FINANCE_FILE).
  Every consistency run re-reads its days' reports by design, so finance is never "taken twice".
An object younger than the grace period is not yet expected to be taken (a Stripe event: counted from its latest
arrival entry, so an event whose arrival was recorded again is given the grace period again).

Catch-up (hand_over_missed): a payments or fulfillment object found unprocessed, landed before the source's latest
committed batch started (so that batch could have taken it and did not), is handed to the source's next batch: a
Stripe event gets a new arrival entry, now (northstar/sources/stripe/landing.py), so the batch of the window that
holds `now` takes it; a WMS file is named in a catch-up request the next fulfillment batch reads
(northstar/sources/wms/landing.py). Each is taken by that one batch; until then it stays a finding.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from northstar.landing import LandingStore
from northstar.sources.stripe.landing import envelope_key_of_arrival, record_catchup_arrival
from northstar.sources.wms.landing import landed_file, pending_catchup, request_wms_catchup
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse

SOURCES = ("orders", "payments", "fulfillment", "finance")
PREFIXES = {"orders": "raw/orders/", "payments": "raw/stripe/", "fulfillment": "raw/wms/", "finance": "raw/finance/"}


@dataclass(frozen=True)
class Finding:
    """One landed object taken by no batch (batch_ids empty) or by more than one."""

    source: str
    key: str
    written_at: datetime  # UTC, when the landing store wrote it
    batch_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "key": self.key, "written_at": self.written_at.isoformat(),
                "batch_ids": list(self.batch_ids)}  # fmt: skip


@dataclass
class SourceInventory:
    """One source's inventory: objects landed (since the cut-off), those expected to be taken by now, findings."""

    source: str
    landed: int = 0
    expected: int = 0
    unprocessed: list[Finding] = field(default_factory=list)
    processed_twice: list[Finding] = field(default_factory=list)


def take_inventory(
    store: LandingStore, wh: Warehouse, sources: tuple[str, ...], since: datetime | None, grace_until: datetime
) -> list[SourceInventory]:
    """The inventory of each source; objects written before `since` are skipped, objects written after
    grace_until (UTC: now minus the grace period) are counted landed but not yet expected. ValueError for an
    unknown source."""
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown source(s) {sorted(unknown)}; choose from {', '.join(SOURCES)}")
    prefix = _uri_prefix(store)
    ledger = wh.query(read_sql("snowflake/select_completeness_ledger.sql"))
    result = []
    for source in sources:
        landed = [(k, t) for k, t in store.list_modified(PREFIXES[source]) if since is None or t >= since]
        if source == "orders":
            objects = [(k, t) for k, t in landed if k.endswith("/manifest.json")]
            taken = _by_key(prefix, ((r["RAW_URI"], r["BATCH_ID"]) for r in ledger if r["SOURCE"] == "orders"))
        elif source == "payments":
            objects = _latest_arrival([(k, t) for k, t in landed if k.endswith(".json")])
            taken = _events_taken(store, prefix, [r for r in ledger if r["SOURCE"] == "payments"])
        elif source == "fulfillment":
            objects = [(k, t) for k, t in landed if not _is_manifest(k)]
            rows = wh.query(read_sql("snowflake/select_completeness_wms_files.sql"))
            taken = _by_key(prefix, ((r["LANDED_URI"], r["BATCH_ID"]) for r in rows if r["STATUS"] != "DUPLICATE"))
            for key, ids in _by_key(prefix, ((r["LANDED_URI"], r["BATCH_ID"]) for r in rows)).items():
                taken.setdefault(key, sorted(ids)[:1])  # only seen again as a duplicate: its content was taken
        else:
            objects = _latest_per_day([(k, t) for k, t in landed if k.endswith(".csv")])
            rows = wh.query(read_sql("snowflake/select_completeness_finance_files.sql"))
            taken = {
                k: ids[:1] for k, ids in _by_key(prefix, ((r["FINANCE_FILE"], r["BATCH_ID"]) for r in rows)).items()
            }
        result.append(_inventory(source, objects, taken, grace_until))
    return result


def _inventory(
    source: str, objects: list[tuple[str, datetime]], taken: dict[str, list[str]], grace_until: datetime
) -> SourceInventory:
    inv = SourceInventory(source, landed=len(objects))
    for key, written in objects:
        batches = tuple(sorted(set(taken.get(key, []))))
        if len(batches) > 1:
            inv.processed_twice.append(Finding(source, key, written, batches))
        if written > grace_until:
            continue
        inv.expected += 1
        if not batches:
            inv.unprocessed.append(Finding(source, key, written, ()))
    return inv


def missed_objects(wh: Warehouse, inventories: list[SourceInventory]) -> dict[str, list[Finding]]:
    """Per source, the unprocessed objects landed before the source's latest committed batch started (that batch
    could have taken them and did not): what a source's next batch should be handed."""
    started = {
        r["SOURCE"]: r["LAST_STARTED"].replace(tzinfo=UTC)
        for r in wh.query(read_sql("snowflake/select_completeness_progress.sql"))
    }
    missed: dict[str, list[Finding]] = {}
    for inv in inventories:
        passed = started.get(inv.source)
        missed[inv.source] = [f for f in inv.unprocessed if passed is not None and f.written_at < passed]
    return missed


def hand_over_missed(
    store: LandingStore, wh: Warehouse, inventories: list[SourceInventory], now: datetime, run_id: str
) -> dict[str, int]:
    """Hand the payments and fulfillment objects no batch took to each source's next batch; per source, how many.

    Only missed objects (missed_objects) not already handed over and still waiting are handed over."""
    missed = missed_objects(wh, inventories)
    handed: dict[str, int] = {}
    if "payments" in missed:
        handed["payments"] = sum(record_catchup_arrival(store, f.key, now, run_id) for f in missed["payments"])
    if "fulfillment" in missed:
        waiting = {f.key for f in pending_catchup(store, wh)} if missed["fulfillment"] else set()
        files = [landed_file(store, f.key, f.written_at) for f in missed["fulfillment"] if f.key not in waiting]
        if files:
            request_wms_catchup(store, files, now, run_id)
        handed["fulfillment"] = len(files)
    return handed


def _latest_arrival(objects: list[tuple[str, datetime]]) -> list[tuple[str, datetime]]:
    """The landed Stripe events, each with the later of its own write and its latest arrival entry's."""
    arrived: dict[str, datetime] = {}
    for key, written in objects:
        envelope = envelope_key_of_arrival(key)
        if envelope is not None:
            arrived[envelope] = max(written, arrived.get(envelope, written))
    return [(k, max(t, arrived.get(k, t))) for k, t in objects if not _is_manifest(k)]


def _events_taken(store: LandingStore, prefix: str, batches: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Event key -> the payments batches whose manifest lists it (the manifest's `events`, each with its `key`)."""
    taken: dict[str, list[str]] = defaultdict(list)
    for row in batches:
        key = _key(prefix, row["RAW_URI"])
        if key is None or not store.exists(key):
            continue
        manifest = json.loads(store.get(key))
        for event in manifest.get("events", []):
            taken[str(event["key"])].append(str(row["BATCH_ID"]))
    return taken


def _by_key(prefix: str, pairs: Any) -> dict[str, list[str]]:
    taken: dict[str, list[str]] = defaultdict(list)
    for uri, batch in pairs:
        key = _key(prefix, uri)
        if key is not None:
            taken[key].append(str(batch))
    return taken


def _latest_per_day(objects: list[tuple[str, datetime]]) -> list[tuple[str, datetime]]:
    """Finance: the most recently written report of each dt= folder (the one the reconciliation reads)."""
    latest: dict[str, tuple[str, datetime]] = {}
    for key, written in objects:
        folder = key.rsplit("/", 1)[0]
        if folder not in latest or (written, key) > (latest[folder][1], latest[folder][0]):
            latest[folder] = (key, written)
    return sorted(latest.values())


def _is_manifest(key: str) -> bool:
    """Bookkeeping, not landed data: batch manifests, Stripe arrival entries, catch-up requests."""
    return key.endswith("/manifest.json") or any(f"/{d}/" in key for d in ("_batches", "_arrivals", "_catchup"))


def _uri_prefix(store: LandingStore) -> str:
    """What store.uri() puts before a key (file:///.../landing/ or s3://bucket/)."""
    probe = "raw/probe"
    return store.uri(probe)[: -len(probe)]


def _key(prefix: str, uri: str | None) -> str | None:
    """The landing key of a URI store.uri() made (a file URI percent-encodes the key: dt= is dt%3D)."""
    if not uri or not uri.startswith(prefix):
        return None
    key = uri[len(prefix) :]
    return unquote(key) if prefix.startswith("file:") else key
