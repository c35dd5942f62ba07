"""Status agreement: a rule table over orders, payments, disputes and shipments, evaluated on every run.

Each rule's query, sql/consistency/<rule_id>.sql, returns (order_id, evidence) per violation; the runner
appends them to out_violations (OPS.STATUS_VIOLATIONS) and counts them over the touched orders.
"""

from __future__ import annotations

from validators.consistency.checks import CrossCheck, Family
from validators.result import Severity


def status_rule(rule_id: str, expected: str, severity: Severity = Severity.WARN) -> CrossCheck:
    """A status rule on the orders: its violations from sql/consistency/<rule_id>.sql."""
    return CrossCheck(
        rule_id,
        severity,
        "orders",
        expected,
        "consistency/count_status_violations.sql",
        violations=f"consistency/{rule_id}.sql",
    )


STATUS = Family(
    "status",
    prepare=("consistency/create_out_violations.sql",),
    checks=(
        status_rule("status.shipped_never_paid", "nothing ships before a capture"),
        status_rule("status.cancelled_but_shipped", "a cancelled order ships nothing"),
        status_rule("status.refunded_still_completed", "a fully refunded order is not paid, shipped or delivered"),
        status_rule("status.paid_not_shipped", "a paid order ships within NORTHSTAR_UNSHIPPED_DAYS"),
        status_rule("status.dispute_lost_counted", "an order whose dispute was lost is not counted as sold"),
    ),
)
