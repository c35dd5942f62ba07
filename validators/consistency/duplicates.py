"""Business-key duplicates: two order ids for one purchase, and the daily duplicate-order rate against the SLA."""

from __future__ import annotations

from validators.consistency.checks import CrossCheck, Family
from validators.result import Severity

MAX_DAILY_RATE = 0.001  # the SLA: under 0.1% duplicate orders per business day

DUPLICATES = Family(
    "duplicates",
    prepare=("consistency/create_duplicate_candidates.sql",),  # candidates by rule into out_duplicates
    checks=(
        CrossCheck(
            "duplicates.order_id_across_batches",
            Severity.INFO,
            "orders",
            "counted: an order id published again by a later batch is merged into its one row",
            "consistency/duplicates.order_id_across_batches.sql",
            column="order_id",
        ),
        CrossCheck(
            "duplicates.same_purchase",
            Severity.WARN,
            "orders",
            "no two orders of one customer with the same amount, currency and items within the window",
            "consistency/duplicates.same_purchase.sql",
            column="order_id",
        ),
        CrossCheck(
            "duplicates.payment_intent_two_orders",
            Severity.WARN,
            "payments",
            "a payment intent is linked to one order only",
            "consistency/duplicates.payment_intent_two_orders.sql",
            column="order_id",
        ),
        CrossCheck(
            "duplicates.daily_rate",
            Severity.ERROR,
            "orders",
            f"duplicate orders under {MAX_DAILY_RATE:.1%} of a business day's orders",
            "consistency/duplicates.daily_rate.sql",
            column="order_id",
            params={"max_duplicate_rate": MAX_DAILY_RATE},
        ),
    ),
)
