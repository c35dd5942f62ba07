"""Fulfillment: shipped quantities against ordered quantities, per order and SKU.

Shipment lines are matched to order lines by (order_id, sku): a shipment's line_no numbers the shipment's
lines, not the order's. Only orders with lines in CORE.ORDER_LINES are compared (an order published before
lines were extracted has no known items). A shipment for a cancelled order is `status.cancelled_but_shipped`.
Violations are recorded in OPS.STATUS_VIOLATIONS like the status rules (so this family runs after them).
"""

from __future__ import annotations

from validators.consistency.checks import CrossCheck, Family
from validators.result import Severity


def fulfillment_rule(rule_id: str, expected: str, severity: Severity = Severity.WARN) -> CrossCheck:
    """A fulfillment rule on the shipment lines: its violations from sql/consistency/<rule_id>.sql."""
    return CrossCheck(
        rule_id,
        severity,
        "shipment_lines",
        expected,
        "consistency/count_fulfillment_violations.sql",
        violations=f"consistency/{rule_id}.sql",
    )


FULFILLMENT = Family(
    "fulfillment",
    prepare=("consistency/create_order_fulfillment.sql",),  # ordered against shipped per order and SKU
    checks=(
        fulfillment_rule("fulfillment.over_shipped", "no SKU of an order ships more than was ordered"),
        fulfillment_rule(
            "fulfillment.under_shipped",
            "a shipped or delivered order, or a paid one partly shipped, ships every SKU in full within"
            " NORTHSTAR_UNSHIPPED_DAYS",
        ),
    ),
)
