"""Reconciliation: each order against its payments, and each business day against finance's report."""

from __future__ import annotations

from validators.consistency.checks import CrossCheck, Family
from validators.result import Severity

MAX_DAILY_VARIANCE = 0.0005  # the SLA: under 0.05% against finance's source-of-truth report
REASONS = (
    "unpaid",
    "underpaid",
    "overpaid",
    "partially_refunded",
    "currency_mismatch",
    "payment_without_order",
)
FINANCE = "finance"  # declared dataset of the report checks; the suite names it by the reports' landing URI

RECONCILIATION = Family(
    "reconciliation",
    prepare=("consistency/create_order_amounts.sql", "consistency/create_daily_reconciliation.sql"),
    params={"max_variance": MAX_DAILY_VARIANCE},
    checks=(
        CrossCheck(
            "reconciliation.order_amounts",
            Severity.WARN,
            "orders",
            "order total = captured - refunded (paid, shipped, delivered); 0 kept (cancelled, refunded)",
            "consistency/reconciliation.order_amounts.sql",
            column="total_amount_minor",
            params={"reasons": list(REASONS)},
        ),
        CrossCheck(
            "reconciliation.payment_without_order",
            Severity.WARN,
            "payments",
            "every captured payment belongs to an order",
            "consistency/reconciliation.payment_without_order.sql",
            column="order_id",
        ),
        CrossCheck(
            "reconciliation.finance_report_readable",
            Severity.ERROR,
            FINANCE,
            "each finance report follows the layout in northstar/sources/finance/reports.py",
            "consistency/reconciliation.finance_report_readable.sql",
        ),
        CrossCheck(
            "reconciliation.daily_revenue",
            Severity.ERROR,
            FINANCE,
            f"|revenue - finance| / finance < {MAX_DAILY_VARIANCE:.2%} per business day and currency",
            "consistency/reconciliation.daily_revenue.sql",
            column="net_revenue_minor",
        ),
    ),
)
