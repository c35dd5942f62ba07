"""The orders source's part of reprocess: its landed raw, its checks, its supersede step and its diff queries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flows.engine import Validated
from flows.orders_microbatch import lineage_inputs, validate_orders
from flows.reprocess import Target
from lineage.events import DatasetRef
from northstar.batches import landing_prefix
from northstar.landing import landing_store
from northstar.loads import LoadPlan
from northstar.settings import Settings
from northstar.sources.orders import SOURCE
from northstar.sources.orders.landing import open_landed

SUPERSEDE = "snowflake/reprocess/supersede_orders.sql"
QUARANTINE_DIFF = "snowflake/reprocess/select_diff_quarantine.sql"


class OrdersReplay:
    """Replays an orders batch: the Parquet files it landed, checked by validate_orders, loaded by the orders load
    after sql/snowflake/reprocess/supersede_orders.sql."""

    source = SOURCE
    job = "orders-microbatch"
    diff_queries: tuple[tuple[str, str, dict[str, Any]], ...] = (
        ("CORE.ORDERS", "snowflake/reprocess/select_diff_core_orders.sql", {}),
        ("CORE.ORDER_LINES", "snowflake/reprocess/select_diff_core_order_lines.sql", {}),
        ("QUARANTINE.ORDERS", QUARANTINE_DIFF, {"quarantine_table": "QUARANTINE.ORDERS"}),
        ("QUARANTINE.ORDER_LINES", QUARANTINE_DIFF, {"quarantine_table": "QUARANTINE.ORDER_LINES"}),
    )

    def raw_exists(self, settings: Settings, target: Target) -> bool:
        return landing_store(settings).exists(landing_prefix(SOURCE, target.window, target.base) + "manifest.json")

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        return list(lineage_inputs(settings))

    def validate(self, settings: Settings, target: Target) -> Validated:
        prefix = landing_prefix(SOURCE, target.window, target.base)
        landed = open_landed(landing_store(settings), prefix, target.version, settings.work_dir / target.version)
        return validate_orders.fn(settings, landed, target.window)

    def plan(self, validated: Validated) -> LoadPlan:
        assert validated.plan is not None, "a batch that is not held has a load plan"
        return replace(validated.plan, load_files=(SUPERSEDE, *validated.plan.load_files))
