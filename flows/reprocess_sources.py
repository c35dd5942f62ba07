"""What each source declares for reprocess (flows/reprocess.py): where its batch landed, how the current code checks
that landed raw again, its supersede step and its difference queries. One `SourceReplay` per source, no other code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from flows.engine import Validated
from flows.fulfillment_hourly import engine_view, validate_wms
from flows.orders_microbatch import lineage_inputs as orders_inputs
from flows.orders_microbatch import validate_orders
from flows.payments_microbatch import landing_dataset, validate_payments
from flows.reprocess import Target
from lineage.events import DatasetRef
from northstar.batches import Window, landing_prefix
from northstar.landing import landing_store
from northstar.loads import LoadPlan, StagedTable
from northstar.settings import Settings
from northstar.sources.orders.landing import open_landed
from northstar.sources.stripe.events import manifest_key as stripe_manifest_key
from northstar.sources.stripe.events import open_landed_events, read_events
from northstar.sources.wms.landing import SYSTEM as WMS_SYSTEM
from northstar.sources.wms.landing import lookup, open_landed_files
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse, open_warehouse
from validators.stripe import load_events

DIFF = "snowflake/reprocess/select_diff_{}.sql"
QUARANTINE_DIFF = DIFF.format("quarantine")

DiffQuery = tuple[str, str, dict[str, Any]]  # (table, SQL file, extra parameters)


def _quarantine(table: str) -> DiffQuery:
    return (table, QUARANTINE_DIFF, {"quarantine_table": table})


@dataclass(frozen=True)
class SourceReplay:
    """One source's part of reprocess.

    manifest_key(window, original batch id) is the landing key of the batch's manifest, whose "files" (or
    "events") entries name every landed object by "key"; check(settings, target) reads those objects (never the
    source) and runs the source's current validate step on them, writing the load files under
    settings.work_dir / target.version; supersede is the SQL file run first in the version's load transaction.
    """

    source: str
    job: str
    supersede: str
    diff_queries: tuple[DiffQuery, ...]
    manifest_key: Callable[[Window, str], str]
    check: Callable[[Settings, Target], Validated]
    inputs: Callable[[Settings], list[DatasetRef]]
    staged: tuple[StagedTable, ...] = ()  # staged by the replay itself (its file written by check)

    def raw_exists(self, settings: Settings, target: Target) -> bool:
        """Whether the batch's manifest and every object it names are still in the landing store."""
        store = landing_store(settings)
        key = self.manifest_key(target.window, target.base)
        if not store.exists(key):
            return False
        manifest = json.loads(store.get(key))
        entries = [*manifest.get("files", []), *manifest.get("events", [])]
        return all(store.exists(entry["key"]) for entry in entries)

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        """The datasets the replay reads (the source's, from its landed copy)."""
        return self.inputs(settings)

    def validate(self, settings: Settings, target: Target) -> Validated:
        """The landed raw checked again with the current code."""
        return self.check(settings, target)

    def plan(self, validated: Validated) -> LoadPlan:
        """The version's load: the supersede step, then the source's ordinary load files (with the replay's own
        staged tables, found beside the source's)."""
        plan = validated.plan
        assert plan is not None, "a batch that is not held has a load plan"
        folder = plan.staged[0].parquet.parent
        extra = tuple(StagedTable(s.table, folder / s.parquet.name) for s in self.staged)
        return replace(plan, staged=(*plan.staged, *extra), load_files=(self.supersede, *plan.load_files))


def _check_orders(settings: Settings, target: Target) -> Validated:
    prefix = landing_prefix("orders", target.window, target.base)
    landed = open_landed(landing_store(settings), prefix, target.version, settings.work_dir / target.version)
    return validate_orders.fn(settings, landed, target.window)


def _check_fulfillment(settings: Settings, target: Target) -> Validated:
    """The files the batch landed, judged and checked again against what earlier windows' batches recorded: the
    superseded version's own records (what the new version replaces) and later windows' are left out."""
    store = landing_store(settings)
    landed = open_landed_files(store, landing_prefix(WMS_SYSTEM, target.window, target.base), target.version)
    with open_warehouse(settings) as wh:
        rows = wh.query(
            read_sql("snowflake/reprocess/select_later_batches.sql"),
            {"source": "fulfillment", "window_start": target.window.start.astimezone(UTC).replace(tzinfo=None)},
        )
    excluding = frozenset({target.current, *(r["BATCH_ID"] for r in rows)})
    checked = validate_wms.fn(settings, landed, target.window, excluding=excluding)
    return engine_view(settings, settings.fulfillment.sftp, landed, checked)


def _check_payments(settings: Settings, target: Target) -> Validated:
    """The events the batch pinned, checked again; their objects' states mapped over these events and every other
    published landed event of the same objects (payment, refund and dispute rows are merges over many events)."""
    store, work = landing_store(settings), settings.work_dir / target.version
    landed = open_landed_events(store, stripe_manifest_key(target.window, target.base), target.version, work)
    ids = named_payment_ids(landed.local_file)
    with open_warehouse(settings) as wh:
        others = payment_context(wh, ids, landed.manifest)
    context = work / "context_events.parquet"
    read_events(store, others, context)
    folder = work / "load"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"ID": pa.array(ids, pa.string())}), folder / REPLAY_KEYS.parquet.name)
    return validate_payments.fn(settings, landed, context=context)


def named_payment_ids(events: Path) -> list[str]:
    """Every object id (object, payment intent, charge) the landed events in this Parquet file name, sorted."""
    with duckdb.connect() as con:
        load_events(con, events)
        return [str(row[0]) for row in con.execute(read_sql("stripe/select_named_ids.sql")).fetchall()]


def payment_context(wh: Warehouse, ids: list[str], manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(landing key, written at ISO-8601 UTC) of every published landed event naming these ids that the manifest
    does not pin itself, by key: the context a payments replay maps the batch's events with."""
    own = {e["key"] for e in manifest["events"]}
    rows = lookup(wh, "snowflake/reprocess/select_raw_stripe_events_naming.sql", "ids", ids)
    others = {r["LANDING_KEY"]: r["WRITTEN_AT"] for r in rows if r["LANDING_KEY"] not in own}
    return [(key, _utc(at)) for key, at in sorted(others.items())]


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat()


def _fulfillment_inputs(settings: Settings) -> list[DatasetRef]:
    cfg = settings.fulfillment.sftp
    return [DatasetRef(cfg.namespace, cfg.drop_dir)]


REPLAY_KEYS = StagedTable("OPS.STAGE_STRIPE_REPLAY_KEYS", Path("replay_keys.parquet"))

REPLAYS: dict[str, SourceReplay] = {
    "orders": SourceReplay(
        source="orders",
        job="orders-microbatch",
        supersede="snowflake/reprocess/supersede_orders.sql",
        diff_queries=(
            ("CORE.ORDERS", DIFF.format("core_orders"), {}),
            ("CORE.ORDER_LINES", DIFF.format("core_order_lines"), {}),
            _quarantine("QUARANTINE.ORDERS"),
            _quarantine("QUARANTINE.ORDER_LINES"),
        ),
        manifest_key=lambda window, batch: landing_prefix("orders", window, batch) + "manifest.json",
        check=_check_orders,
        inputs=lambda settings: list(orders_inputs(settings)),
    ),
    "payments": SourceReplay(
        source="payments",
        job="payments-microbatch",
        supersede="snowflake/reprocess/supersede_payments.sql",
        diff_queries=(
            ("CORE.PAYMENTS", DIFF.format("core_payments"), {}),
            ("CORE.REFUNDS", DIFF.format("core_refunds"), {}),
            ("CORE.DISPUTES", DIFF.format("core_disputes"), {}),
            _quarantine("QUARANTINE.STRIPE_EVENTS"),
        ),
        manifest_key=stripe_manifest_key,
        check=_check_payments,
        inputs=lambda settings: [landing_dataset(landing_store(settings))],
        staged=(REPLAY_KEYS,),
    ),
    "fulfillment": SourceReplay(
        source="fulfillment",
        job="fulfillment-hourly",
        supersede="snowflake/reprocess/supersede_fulfillment.sql",
        diff_queries=(
            ("CORE.SHIPMENT_LINES", DIFF.format("core_shipment_lines"), {}),
            ("OPS.WMS_FILES", DIFF.format("ops_wms_files"), {}),
            _quarantine("QUARANTINE.WMS_LINES"),
            _quarantine("QUARANTINE.WMS_FILES"),
        ),
        manifest_key=lambda window, batch: landing_prefix(WMS_SYSTEM, window, batch) + "manifest.json",
        check=_check_fulfillment,
        inputs=_fulfillment_inputs,
    ),
}
