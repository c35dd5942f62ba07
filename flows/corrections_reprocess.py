"""The reprocess kind of correction: replay batches of a source with the current code (flows/reprocess.py, the
replay and backfill issue), as a correction with its evidence.

Its inputs are the replayed batches' landed raw (each manifest and file, with its sha256); its scopes the CORE rows
of the orders those files carry. Apply runs `reprocess` itself (new batch versions, the superseded rows kept in the
_HISTORY tables); verify rebuilds the same rows in a scratch warehouse by checking and loading the same landed files
with the current code through the orders load, which is what a replay publishes for them.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow.parquet as pq

from flows.corrections_kinds import KindRun, last_closed_end, orders_scopes, publish_orders
from flows.reprocess import reprocess, resolve_targets
from northstar.batches import landing_prefix
from northstar.corrections import Correction
from northstar.evidence import Bundle, object_ref
from northstar.landing import LandingStore
from northstar.settings import Settings
from northstar.sources.orders import SOURCE as ORDERS
from northstar.sources.orders.landing import open_landed
from northstar.warehouse import open_warehouse


def plan_reprocess(settings: Settings, corr: Correction, bundle: Bundle) -> KindRun:
    """Replay the requested batches (by id, or every batch in [start, end)); ReprocessError before any change."""
    args = corr.args
    with open_warehouse(settings) as wh:
        targets = resolve_targets(wh, args["source"], args.get("batch_ids"), args.get("start"), args.get("end"))
    prefixes = [landing_prefix(ORDERS, t.window, t.base) for t in targets]
    store = bundle.store
    refs: list[dict[str, Any]] = []
    ids: set[int] = set()
    for prefix in prefixes:
        manifest = json.loads(store.get(prefix + "manifest.json"))
        refs.append(object_ref(store, prefix + "manifest.json"))
        for f in manifest["files"]:
            refs.append(object_ref(store, f["key"]))
            if f.get("dataset", ORDERS) == ORDERS:
                ids |= set(pq.read_table(io.BytesIO(store.get(f["key"])), columns=["order_id"])["order_id"].to_pylist())

    def replay(s: Settings, _: LandingStore) -> dict[str, Any]:
        report = reprocess(s, args["source"], batch_ids=args.get("batch_ids"), start=args.get("start"),
                           end=args.get("end"), reason=f"correction {corr.correction_id}: {corr.reason}")  # fmt: skip
        batches = [{"superseded": b.superseded, "batch_id": b.batch_id, "status": b.status, "message": b.message,
                    "diffs": [d.__dict__ for d in b.diffs]} for b in report.batches]  # fmt: skip
        held = [b for b in batches if b["status"] == "HELD"]
        batch = {"status": "HELD", "batch_id": held[0]["batch_id"], "reason": held[0]["message"]} if held else {}
        return {"reprocess_id": report.reprocess_id, "batches": batches, "batch": batch}

    def rebuild(s: Settings, st: LandingStore) -> dict[str, Any]:
        done = []
        for target, prefix in zip(targets, prefixes, strict=True):
            landed = open_landed(st, prefix, target.version, s.work_dir / target.version)
            done.append(publish_orders(s, corr, landed, f"rebuild of {target.version}", target.window))
        return {"batches": done}

    return KindRun(refs, orders_scopes(sorted(ids)), last_closed_end(), replay,
                   ("CORE.ORDERS", "CORE.ORDER_LINES"), rebuild)  # fmt: skip
