"""What each kind of correction does when applied, through the normal engine (README, "Corrections and audit").

Each kind returns a `KindRun`: the landed raw objects it used (its inputs), the rows it could touch (its scopes,
for the before and after hashes), and a `run` that changes them: an adjustment inserts its row in
MARTS.REVENUE_ADJUSTMENTS; a quarantine release and a source refresh publish an orders batch of their own
(`orders-repair-<correction id>`) through the orders checks, quarantine and one-transaction load; a reprocess
replays batches with flows.reprocess. The gate (flows/corrections_apply.py) follows for every kind.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from flows.engine import BatchOutcome, Stopwatch, new_record, publish_or_hold
from flows.orders_microbatch import validate_orders
from flows.orders_repair import REPAIR_LOAD
from northstar.batches import Window
from northstar.corrections import ORDER_COLUMNS, Correction
from northstar.evidence import Bundle, Scope, object_ref
from northstar.landing import LandingStore, landing_store
from northstar.settings import Settings
from northstar.sources.orders import SOURCE as ORDERS
from northstar.sources.orders.landing import LandedBatch, land_orders
from northstar.warehouse import open_warehouse

_TS = pa.timestamp("us", tz="UTC")
ORDER_SCHEMA = pa.schema(
    list(zip(ORDER_COLUMNS, [pa.int64(), pa.int64(), pa.string(), pa.string(), pa.int64(), _TS, _TS], strict=True))
)


@dataclass
class KindRun:
    """A correction's application: its inputs, scopes, gate window and the step that changes the warehouse.

    `run(settings, store)` reads only the recorded inputs from the store and writes to settings' warehouse: apply
    runs it against the warehouse, verify against a scratch one, so a rebuild is the same code on the same inputs.
    It returns what it did (batch ids, counts, check results).
    """

    inputs: list[dict[str, Any]]
    scopes: list[Scope]
    gate_end: datetime  # the consistency gate runs for the 15-minute window ending here
    run: Callable[[Settings, LandingStore], dict[str, Any]]
    rebuilt: tuple[str, ...]  # the tables `run` writes (verify rebuilds them); the other scopes follow the gate
    rebuild: Callable[[Settings, LandingStore], dict[str, Any]] | None = None  # verify's step, when not `run`


def batch_of(corr: Correction) -> str:
    """The batch id a correction's own orders batch has (it never moves the orders watermark)."""
    return f"{ORDERS}-repair-{corr.correction_id}"


def last_closed_end(now: datetime | None = None) -> datetime:
    """The end of the last whole 15-minute window."""
    return Window.last_closed(15, now).end


def plan_adjustment(settings: Settings, corr: Correction, bundle: Bundle) -> KindRun:
    """Insert the adjustment's row (once), gated on its business day."""
    day = date.fromisoformat(corr.args["date"])
    request = object_ref(bundle.store, bundle.prefix + "request.json")
    day_end = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(settings.consistency.business_tz))
    scopes = [
        Scope(
            "MARTS.REVENUE_ADJUSTMENTS",
            "CORRECTION_ID = %(correction_id)s",
            {"correction_id": corr.correction_id},
            ("CORRECTION_ID",),
        ),
        Scope(
            "MARTS.DAILY_REVENUE",
            "BUSINESS_DATE = %(day)s AND CURRENCY = %(currency)s",
            {"day": day, "currency": corr.args["currency"]},
            ("BUSINESS_DATE", "CURRENCY"),
        ),
    ]

    def insert(s: Settings, store: LandingStore) -> dict[str, Any]:
        asked = json.loads(store.get(request["key"]))  # the request as recorded: the adjustment's only input
        row = {
            "business_day": date.fromisoformat(asked["args"]["date"]),
            "currency": asked["args"]["currency"],
            "amount_minor": asked["args"]["amount_minor"],
            "reason": asked["reason"],
            "correction_id": asked["correction_id"],
            "created_at": datetime.fromisoformat(asked["requested_at"]),
        }
        with open_warehouse(s) as wh, wh.transaction():
            wh.run_file("snowflake/insert_into_marts_revenue_adjustments.sql", row)
        return {"rows": [{k: str(v) for k, v in row.items()}]}

    gate_end = min(day_end.astimezone(UTC), last_closed_end())
    return KindRun([request], scopes, gate_end, insert, ("MARTS.REVENUE_ADJUSTMENTS",))


def orders_scopes(order_ids: list[int]) -> list[Scope]:
    """The CORE orders and order lines of these orders (no order: a scope matching nothing, order ids are >= 0)."""
    ids = {"order_ids": tuple(order_ids) or (-1,)}
    return [
        Scope("CORE.ORDERS", "ORDER_ID IN (%(order_ids)s)", ids, ("ORDER_ID",)),
        Scope("CORE.ORDER_LINES", "ORDER_ID IN (%(order_ids)s)", ids, ("ORDER_ID", "LINE_NO")),
    ]


def plan_quarantine_release(settings: Settings, corr: Correction, bundle: Bundle) -> KindRun:
    """Publish the reviewed rows (the override, kept in the bundle as Parquet) as an orders batch, re-checked."""
    rows = [_order_row(r) for r in corr.args["override"]]
    name = "inputs/override-orders.parquet"
    if not bundle.has(name):
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=ORDER_SCHEMA), buffer)
        bundle.write_bytes(name, buffer.getvalue())
    ref = object_ref(bundle.store, bundle.prefix + name)
    ids = sorted(int(r["order_id"]) for r in rows)

    def publish(s: Settings, store: LandingStore) -> dict[str, Any]:
        landed = _landed_override(s, store, corr, ref, len(rows))
        return publish_orders(s, corr, landed, f"quarantine release {corr.correction_id}: {corr.reason}")

    return KindRun([ref], orders_scopes(ids), last_closed_end(), publish, ("CORE.ORDERS",))


def _order_row(raw: dict[str, Any]) -> dict[str, Any]:
    """A reviewed orders row with every contracted column; ValueError naming what is missing."""
    missing = [c for c in ORDER_COLUMNS if c not in raw]
    if missing:
        raise ValueError(f"override row {raw.get('order_id')!r} lacks {', '.join(missing)}")
    out = {c: raw[c] for c in ORDER_COLUMNS}
    for c in ("created_at", "updated_at"):
        out[c] = datetime.fromisoformat(str(raw[c])).astimezone(UTC)
    return out


def _landed_override(
    settings: Settings, store: LandingStore, corr: Correction, ref: dict[str, Any], n: int
) -> LandedBatch:
    folder = settings.work_dir / batch_of(corr)
    folder.mkdir(parents=True, exist_ok=True)
    local = folder / "override-orders.parquet"
    local.write_bytes(store.get(ref["key"]))
    manifest = {"row_count": n, "watermark": {"low": None, "high": None}, "files": [ref]}
    return LandedBatch(batch_of(corr), ref["key"].rsplit("/", 1)[0] + "/", manifest, local)


def plan_source_refresh(settings: Settings, corr: Correction, bundle: Bundle) -> KindRun:
    """Re-extract the window from the corrected source as a new batch, landed beside the old one, and publish it
    (an equal version replaces CORE's row: the source is the truth)."""
    window = Window.parse(corr.args["start"], corr.args["end"])
    store, batch = landing_store(settings), batch_of(corr)
    landed = land_orders(
        store,
        settings.orders.pg_dsn.get_secret_value(),
        batch,
        window,
        window.start,
        settings.code_version,
        settings.work_dir / batch,
    )
    refs = [object_ref(store, landed.prefix + "manifest.json")]
    refs += [object_ref(store, f["key"]) for f in landed.manifest["files"]]
    ids = sorted(int(x) for x in pq.read_table(landed.local_file, columns=["order_id"])["order_id"].to_pylist())

    def publish(s: Settings, store: LandingStore) -> dict[str, Any]:
        again = _landed_from_refs(s, store, refs, batch)
        return publish_orders(s, corr, again, f"source refresh {corr.correction_id}: {corr.reason}", window)

    return KindRun(refs, orders_scopes(ids), last_closed_end(), publish, ("CORE.ORDERS", "CORE.ORDER_LINES"))


def _landed_from_refs(settings: Settings, store: LandingStore, refs: list[dict[str, Any]], batch: str) -> LandedBatch:
    """The landed batch read back from its recorded objects (the manifest first)."""
    manifest = json.loads(store.get(refs[0]["key"]))
    files = {f.get("dataset", ORDERS): f["key"] for f in manifest["files"]}
    folder = settings.work_dir / batch
    lines = files.get("order_lines")
    prefix = refs[0]["key"].removesuffix("manifest.json")
    local_lines = store.local_copy(lines, folder) if lines else None
    return LandedBatch(batch, prefix, manifest, store.local_copy(files[ORDERS], folder), local_lines)


def publish_orders(
    settings: Settings, corr: Correction, landed: LandedBatch, reason: str, window: Window | None = None
) -> dict[str, Any]:
    """Check and publish a correction's orders batch through the engine's one-transaction load."""
    now = datetime.now(UTC)
    window = window or Window(now - timedelta(microseconds=1), now + timedelta(seconds=1))
    watch = Stopwatch()
    try:
        validated = validate_orders.fn(settings, landed, window)
        plan = REPAIR_LOAD.in_folder(settings.work_dir / landed.batch_id) if validated.plan else None
        validated = replace(validated, plan=plan, watermark_low=None, watermark_high=None)
        record = new_record(settings, ORDERS, window, landed.batch_id, validated, "", watch)
        record = replace(record, lineage_run_id=None, reason=validated.held_reason or reason)
        done = publish_or_hold.fn(settings, validated, record)
    finally:
        shutil.rmtree(settings.work_dir / landed.batch_id, ignore_errors=True)
    outcome = BatchOutcome(
        done.source,
        done.batch_id,
        str(done.status),
        done.rows_extracted,
        done.rows_passed,
        done.rows_quarantined,
        done.rows_published,
        validated.quarantined_by_reason,
        done.reason,
    )
    checks = [c.as_dict() for c in validated.results]
    return {"batch": outcome.__dict__, "checks": checks}


Plan = Callable[[Settings, Correction, Bundle], KindRun]
