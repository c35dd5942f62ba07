"""Fulfillment: shipped quantities against ordered quantities, per order and SKU.

Shipment lines are matched to order lines by (order_id, sku): a shipment's line_no numbers the shipment's
lines, not the order's. Only orders with lines in CORE.ORDER_LINES are compared (an order published before
lines were extracted has no known items). A shipment for a cancelled order is `status.cancelled_but_shipped`.
Violations are recorded in OPS.STATUS_VIOLATIONS like the status rules.
"""

from __future__ import annotations

from typing import Any

import duckdb

from validators.consistency.common import run_file, scalar
from validators.consistency.status import StatusRule, run_rules
from validators.result import CheckResult, Severity

FULFILLMENT_RULES = (
    StatusRule("fulfillment.over_shipped", Severity.WARN, "no SKU of an order ships more than was ordered"),
    StatusRule(
        "fulfillment.under_shipped",
        Severity.WARN,
        "a shipped or delivered order, or a paid one partly shipped, ships every SKU in full within"
        " NORTHSTAR_UNSHIPPED_DAYS",
    ),
)


def check_fulfillment(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[CheckResult]:
    """Ordered against shipped per order and SKU (touched orders, and those turning N days old); into out_violations."""
    run_file(con, "consistency/create_order_fulfillment.sql", params)
    checked = scalar(
        con,
        "SELECT count(*) FROM (SELECT order_id FROM order_fulfillment UNION SELECT order_id FROM aging_short_lines)",
    )
    return run_rules(con, FULFILLMENT_RULES, params, "shipment_lines", checked)
