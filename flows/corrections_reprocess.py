"""The reprocess kind of correction: replay batches of a source with the current code (flows/reprocess.py, the
replay and backfill issue), as a correction with its evidence. Every source reprocess replays (orders, payments,
fulfillment) through its `SourceReplay` (flows/reprocess_sources.py).

Inputs: each replayed batch's landed raw (its manifest, REPLAYS[source].manifest_key, and every object it names),
each with its sha256; for payments also the context events the replay maps the batch's events with (the other
published landed events of the same objects). Scopes: the CORE rows the replay can touch: orders -> CORE.ORDERS and
CORE.ORDER_LINES of the files' orders; payments -> CORE.PAYMENTS, CORE.REFUNDS and CORE.DISPUTES of the object ids
the batch's events name (the ids its supersede step replaces); fulfillment -> CORE.SHIPMENT_LINES of the line keys
the landed files carry, less the keys a later window's batch owns (a replay never touches those).

Apply runs `reprocess` itself (new batch versions, the superseded rows kept in the _HISTORY tables). Verify rebuilds
the same rows in an empty scratch warehouse: the recorded inputs copied into its landing store, checked with the
source's current validate step and published with the source's ordinary load (payments: the batch's events mapped
with the recorded context events, as the replay does).

For payments and fulfillment, what the plan found (targets, context events, keys) is written once to the bundle as
`inputs/reprocess-plan.json` (itself an input), so a verify long after rebuilds from what the apply used, not from
what the warehouse holds by then.

A fulfillment replay judges its files against what earlier windows' batches recorded (a new version of a path, the
same content again, a key another file published): those records (their OPS.WMS_FILES rows and CORE.SHIPMENT_LINES
rows of the same shipments) are kept in the bundle as Parquet (`inputs/seed-<table>.parquet`, inputs too) and
loaded into the scratch warehouse before the rebuild, so it judges the files as the replay did.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from flows.corrections_kinds import KindRun, last_closed_end, orders_scopes, publish_orders
from flows.engine import Stopwatch, Validated, new_record, publish_or_hold
from flows.payments_microbatch import validate_payments
from flows.reprocess import ReprocessError, Target, reprocess, resolve_targets
from flows.reprocess_sources import REPLAYS, named_payment_ids, payment_context
from northstar.batches import Window, landing_prefix
from northstar.corrections import Correction
from northstar.evidence import Bundle, Scope, object_ref
from northstar.landing import LandingStore, landing_store, verified_bytes
from northstar.settings import Settings
from northstar.sources.orders import SOURCE as ORDERS
from northstar.sources.orders.landing import open_landed
from northstar.sources.stripe.events import open_landed_events, read_events
from northstar.sources.wms.landing import SYSTEM as WMS_SYSTEM
from northstar.sources.wms.landing import lookup, open_landed_files
from northstar.sqlfiles import read_sql
from northstar.warehouse import jsonable, open_warehouse
from validators.fulfillment import judge_files

PLAN_RECORD = "inputs/reprocess-plan.json"
PAYMENTS_TABLES = ("CORE.PAYMENTS", "CORE.REFUNDS", "CORE.DISPUTES")
SEEDED = {  # what earlier batches recorded that a fulfillment replay judges its files against, by table
    "CORE.SHIPMENT_LINES": "snowflake/reprocess/select_core_shipment_lines_of_shipments.sql",
    "OPS.WMS_FILES": "snowflake/reprocess/select_ops_wms_files_of_files.sql",
}
NO_ID = ("",)  # an IN list matching nothing (ids and keys are never empty strings)

Rebuild = Callable[[Settings, LandingStore], dict[str, Any]]


def replayable_targets(settings: Settings, args: dict[str, Any]) -> list[Target]:
    """The batches a reprocess correction's arguments name (source, batch_ids or start/end), each with its landed
    raw still there; ReprocessError naming an unknown batch, another source's batch, an empty range or raw that is
    gone. Called at the request (so nobody approves what cannot be applied) and again at the apply."""
    source = args["source"]
    with open_warehouse(settings) as wh:
        targets = resolve_targets(wh, source, args.get("batch_ids"), args.get("start"), args.get("end"))
    gone = [t.current for t in targets if not REPLAYS[source].raw_exists(settings, t)]
    if gone:  # as reprocess itself says it, before the plan reads any of it
        raise ReprocessError(f"the landed raw of {', '.join(gone)} is gone (past the raw retention?): it cannot be "
                             "replayed without re-extracting the source; nothing was changed")  # fmt: skip
    return targets


def plan_reprocess(settings: Settings, corr: Correction, bundle: Bundle) -> KindRun:
    """Replay the requested batches (by id, or every batch in [start, end)); ReprocessError before any change."""
    args, source = corr.args, corr.args["source"]
    targets = replayable_targets(settings, args)

    def replay(s: Settings, _: LandingStore) -> dict[str, Any]:
        report = reprocess(s, source, batch_ids=args.get("batch_ids"), start=args.get("start"),
                           end=args.get("end"), reason=f"correction {corr.correction_id}: {corr.reason}")  # fmt: skip
        batches = [{"superseded": b.superseded, "batch_id": b.batch_id, "status": b.status, "message": b.message,
                    "diffs": [d.__dict__ for d in b.diffs]} for b in report.batches]  # fmt: skip
        held = [b for b in batches if b["status"] == "HELD"]
        batch = {"status": "HELD", "batch_id": held[0]["batch_id"], "reason": held[0]["message"]} if held else {}
        return {"reprocess_id": report.reprocess_id, "batches": batches, "batch": batch}

    if source == ORDERS:
        refs, scopes, rebuilt, rebuild = _orders_plan(corr, bundle.store, targets)
        return KindRun(refs, scopes, last_closed_end(), replay, rebuilt, rebuild)
    if bundle.has(PLAN_RECORD):  # verify, or an apply retried: what the first plan found
        recorded = bundle.read(PLAN_RECORD)
    else:
        if source == "payments":
            recorded = _payments_plan(settings, bundle.store, targets)
        else:
            recorded = _write_seed(bundle, _fulfillment_plan(settings, bundle.store, targets))
        bundle.write(PLAN_RECORD, recorded)
    refs = [object_ref(bundle.store, bundle.prefix + PLAN_RECORD), *recorded["inputs"]]
    if source == "payments":
        ids = {"ids": tuple(recorded["ids"]) or NO_ID}
        scopes = [
            Scope("CORE.PAYMENTS", "PAYMENT_INTENT_ID IN (%(ids)s)", ids, ("PAYMENT_INTENT_ID",)),
            Scope("CORE.REFUNDS", "REFUND_ID IN (%(ids)s)", ids, ("REFUND_ID",)),
            Scope("CORE.DISPUTES", "DISPUTE_ID IN (%(ids)s)", ids, ("DISPUTE_ID",)),
        ]
        rebuild = _payments_rebuild(corr, recorded)
        return KindRun(refs, scopes, last_closed_end(), replay, PAYMENTS_TABLES, rebuild)
    keys = {"keys": tuple(recorded["keys"]) or NO_ID}
    where = "SHIPMENT_ID || '/' || LINE_NO::VARCHAR IN (%(keys)s)"
    scopes = [Scope("CORE.SHIPMENT_LINES", where, keys, ("SHIPMENT_ID", "LINE_NO"))]
    rebuild = _fulfillment_rebuild(corr, recorded, bundle)
    return KindRun(refs, scopes, last_closed_end(), replay, ("CORE.SHIPMENT_LINES",), rebuild)


def _orders_plan(
    corr: Correction, store: LandingStore, targets: list[Target]
) -> tuple[list[dict[str, Any]], list[Scope], tuple[str, ...], Rebuild]:
    """Orders: the landed files and their orders; rebuilt through the orders load."""
    refs, manifests = _landed_refs(store, ORDERS, targets)
    ids: set[int] = set()
    for manifest in manifests:
        for f in manifest["files"]:
            if f.get("dataset", ORDERS) == ORDERS:
                ids |= set(pq.read_table(io.BytesIO(store.get(f["key"])), columns=["order_id"])["order_id"].to_pylist())

    def rebuild(s: Settings, st: LandingStore) -> dict[str, Any]:
        done = []
        for target in targets:
            prefix = landing_prefix(ORDERS, target.window, target.base)
            landed = open_landed(st, prefix, target.version, s.work_dir / target.version)
            done.append(publish_orders(s, corr, landed, f"rebuild of {target.version}", target.window))
        return {"batches": done}

    return refs, orders_scopes(sorted(ids)), ("CORE.ORDERS", "CORE.ORDER_LINES"), rebuild


def _landed_refs(store: LandingStore, source: str, targets: list[Target]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Each target's manifest and every object it names ("files" or "events" entries), as references; and the
    manifests themselves, in target order."""
    replay, refs, manifests = REPLAYS[source], [], []
    for target in targets:
        key = replay.manifest_key(target.window, target.base)
        manifest = json.loads(store.get(key))
        manifests.append(manifest)
        refs.append(object_ref(store, key))
        refs += [object_ref(store, e["key"]) for e in (*manifest.get("files", []), *manifest.get("events", []))]
    return refs, manifests


def _target_dict(target: Target) -> dict[str, str]:
    return {"start": target.window.start.isoformat(), "end": target.window.end.isoformat(), "base": target.base,
            "current": target.current, "version": target.version}  # fmt: skip


def _target(recorded: dict[str, str]) -> Target:
    window = Window.parse(recorded["start"], recorded["end"])
    return Target(window, recorded["base"], recorded["current"], recorded["version"])


def _payments_plan(settings: Settings, store: LandingStore, targets: list[Target]) -> dict[str, Any]:
    """The events each batch pinned, the ids they name, and the context events the replay maps them with."""
    refs, _ = _landed_refs(store, "payments", targets)
    ids: set[str] = set()
    recorded_targets = []
    for target in targets:
        work = settings.work_dir / f"plan-{target.version}"
        key = REPLAYS["payments"].manifest_key(target.window, target.base)
        landed = open_landed_events(store, key, target.version, work)
        named = named_payment_ids(landed.local_file)
        with open_warehouse(settings) as wh:
            context = payment_context(wh, named, landed.manifest)
        refs += [object_ref(store, k) | {"written_at": at} for k, at in context]
        ids |= set(named)
        recorded_targets.append(_target_dict(target) | {"context": [k for k, _ in context]})
        _remove(work)
    return {"source": "payments", "targets": recorded_targets, "ids": sorted(ids), "inputs": refs}


def _payments_rebuild(corr: Correction, recorded: dict[str, Any]) -> Rebuild:
    """Each batch's events mapped with its recorded context events, published by the payments load."""
    written_at = {r["key"]: r["written_at"] for r in recorded["inputs"] if "written_at" in r}

    def rebuild(s: Settings, st: LandingStore) -> dict[str, Any]:
        _stage_inputs(s, st, recorded["inputs"])
        store, done = landing_store(s), []
        for entry in recorded["targets"]:
            target = _target(entry)
            work = s.work_dir / target.version
            key = REPLAYS["payments"].manifest_key(target.window, target.base)
            landed = open_landed_events(store, key, target.version, work)
            context = work / "context_events.parquet"
            read_events(store, [(k, written_at[k]) for k in entry["context"]], context)
            validated = validate_payments.fn(s, landed, context=context)
            done.append(_publish(s, "payments", target, validated, corr))
        return {"batches": done}

    return rebuild


def _fulfillment_plan(settings: Settings, store: LandingStore, targets: list[Target]) -> dict[str, Any]:
    """The files each batch landed and the line keys they carry, less the keys later windows' batches own; and
    what earlier batches recorded that the replay judges the files against (their file records and published lines
    of the same shipments), kept as Parquet in the bundle for the rebuild."""
    refs, _ = _landed_refs(store, "fulfillment", targets)
    replayed = {t.current for t in targets}  # rebuilt in order by the rebuild itself: never seeded
    keys: set[str] = set()
    seed: dict[str, dict[str, dict[str, Any]]] = {table: {} for table in SEEDED}
    for target in targets:
        landed = open_landed_files(store, landing_prefix(WMS_SYSTEM, target.window, target.base), target.version)
        _, tables = judge_files(landed.files, lambda f: verified_bytes(store, f.key, f.sha256), store.uri, {}, {})
        lines = pa.concat_tables(tables).to_pylist() if tables else []
        shipments = sorted({str(line["shipment_id"]) for line in lines if line["shipment_id"]})
        contents = [f.sha256 for f in landed.files] + [f.remote_path for f in landed.files]
        with open_warehouse(settings) as wh:
            later = {r["BATCH_ID"] for r in wh.query(
                read_sql("snowflake/reprocess/select_later_batches.sql"),
                {"source": "fulfillment", "window_start": target.window.start.astimezone(UTC).replace(tzinfo=None)},
            )}  # fmt: skip
            published = list(lookup(wh, SEEDED["CORE.SHIPMENT_LINES"], "ids", shipments))
            recorded = list(lookup(wh, SEEDED["OPS.WMS_FILES"], "values", contents))
        owned_later = {f"{r['SHIPMENT_ID']}/{int(r['LINE_NO'])}" for r in published if r["_BATCH_ID"] in later}
        for table, rows in (("CORE.SHIPMENT_LINES", published), ("OPS.WMS_FILES", recorded)):
            for row in rows:
                if row["_BATCH_ID"] not in {*later, *replayed}:
                    seed[table][json.dumps({k: jsonable(v) for k, v in row.items()}, sort_keys=True)] = row
        keys |= {f"{line['shipment_id']}/{int(line['line_no'])}" for line in lines if line["line_no"] is not None}
        keys -= owned_later
    return {"source": "fulfillment", "targets": [_target_dict(t) for t in targets], "keys": sorted(keys),
            "inputs": refs, "seed": {table: list(rows.values()) for table, rows in seed.items() if rows}}  # fmt: skip


def _fulfillment_rebuild(corr: Correction, recorded: dict[str, Any], bundle: Bundle) -> Rebuild:
    """The earlier batches' records seeded, then each batch's landed files checked by the fulfillment validate step
    and published by the fulfillment load."""

    def rebuild(s: Settings, st: LandingStore) -> dict[str, Any]:
        _stage_inputs(s, st, recorded["inputs"])
        folder = s.work_dir / "seed"
        folder.mkdir(parents=True, exist_ok=True)
        with open_warehouse(s) as wh:
            for table in (t for t in SEEDED if t in recorded.get("seeded", [])):  # names from code, not the bundle
                local = folder / _seed_name(table)
                local.write_bytes(bundle.store.get(bundle.prefix + "inputs/" + _seed_name(table)))
                wh.copy_parquet(local, f"fulfillment/seed/{local.stem}", table)
        _remove(folder)
        done = []
        for entry in recorded["targets"]:
            target = _target(entry)
            validated = REPLAYS["fulfillment"].check(s, target)
            done.append(_publish(s, "fulfillment", target, validated, corr))
        return {"batches": done}

    return rebuild


def _seed_name(table: str) -> str:
    return f"seed-{table.lower().replace('.', '-')}.parquet"


def _write_seed(bundle: Bundle, found: dict[str, Any]) -> dict[str, Any]:
    """The plan as recorded: each seeded table's rows written to the bundle as Parquet (typed, as the warehouse
    holds them; named `inputs/seed-<table>.parquet`, each an input), the plan naming the tables."""
    seed = found.pop("seed")
    for table, rows in seed.items():
        columns = {k: [r[k] for r in rows] for k in rows[0]}
        arrays = {k: pa.array(v) for k, v in columns.items()}
        arrays = {k: a.cast(pa.string()) if pa.types.is_null(a.type) else a for k, a in arrays.items()}
        name = "inputs/" + _seed_name(table)
        if not bundle.has(name):  # an apply retried after writing it
            buffer = io.BytesIO()
            pq.write_table(pa.table(arrays), buffer)
            bundle.write_bytes(name, buffer.getvalue())
        found["inputs"].append(object_ref(bundle.store, bundle.prefix + name))
    return found | {"seeded": sorted(seed)}


def _stage_inputs(scratch: Settings, store: LandingStore, refs: list[dict[str, Any]]) -> None:
    """Copy the recorded inputs into the scratch settings' landing store (on S3 the same bucket: nothing to copy),
    so the source's own steps read them where they read landed raw."""
    target = landing_store(scratch)
    for ref in refs:
        if ref["key"].startswith("raw/corrections/"):
            continue  # the bundle's own objects are read from the bundle
        if not target.exists(ref["key"]):
            target.put_if_absent(ref["key"], verified_bytes(store, ref["key"], ref["sha256"]))


def _publish(settings: Settings, source: str, target: Target, validated: Validated, corr: Correction) -> dict[str, Any]:
    """Publish a rebuilt batch with the source's ordinary load (no supersede step: the scratch warehouse is empty)."""
    try:
        validated = replace(validated, watermark_low=None, watermark_high=None)
        record = new_record(settings, source, target.window, target.version, validated, "", Stopwatch())
        reason = validated.held_reason or f"rebuild of {target.version} for {corr.correction_id}"
        done = publish_or_hold.fn(settings, validated, replace(record, lineage_run_id=None, reason=reason))
    finally:
        _remove(settings.work_dir / target.version)
    return {"batch_id": done.batch_id, "status": str(done.status), "rows_published": done.rows_published,
            "reason": done.reason}  # fmt: skip


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
