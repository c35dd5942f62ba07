"""Business-key duplicates: two order ids for one purchase, and the daily duplicate-order rate against the SLA."""

from __future__ import annotations

from typing import Any

import duckdb

from validators.consistency.common import run_file, scalar
from validators.result import CheckResult, Severity

MAX_DAILY_RATE = 0.001  # the SLA: under 0.1% duplicate orders per business day


def check_duplicates(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[CheckResult]:
    """Candidates by rule into out_duplicates; the daily rate per reconciled day."""
    run_file(con, "consistency/create_duplicate_candidates.sql", params)
    new_orders = scalar(con, "SELECT count(*) FROM new_orders")
    intents = scalar(con, "SELECT count(DISTINCT payment_intent_id) FROM new_links")
    # created before the batch's read started: an earlier batch published the order; the keyed merge kept one row
    republished = scalar(
        con,
        "SELECT count(*) FROM new_orders AS n JOIN inputs AS i ON i.batch_id = n._batch_id"
        " WHERE n.created_at < i.watermark_low",
    )
    found = dict(con.execute("SELECT rule_id, count(*) FROM out_duplicates GROUP BY rule_id").fetchall())
    same, linked = (
        int(found.get("duplicates.same_purchase", 0)),
        int(found.get("duplicates.payment_intent_two_orders", 0)),
    )
    over = con.execute(
        "SELECT business_date, duplicates, orders, rate FROM duplicate_rates WHERE rate >= $max ORDER BY 1",
        {"max": MAX_DAILY_RATE},
    ).fetchall()
    days = scalar(con, "SELECT count(*) FROM duplicate_rates")
    detail = "; ".join(f"{day} {dups}/{orders} = {rate:.3%}" for day, dups, orders, rate in over)
    return [
        CheckResult(
            "duplicates.order_id_across_batches",
            "orders",
            Severity.INFO,
            new_orders,
            republished,
            "counted: an order id published again by a later batch is merged into its one row",
            f"{republished} of {new_orders} orders were published by an earlier batch too",
            column="order_id",
        ),
        CheckResult(
            "duplicates.same_purchase",
            "orders",
            Severity.WARN,
            new_orders,
            same,
            "no two orders of one customer with the same amount, currency and items within the window",
            f"{same} candidate pairs",
            column="order_id",
        ),
        CheckResult(
            "duplicates.payment_intent_two_orders",
            "payments",
            Severity.WARN,
            intents,
            linked,
            "a payment intent is linked to one order only",
            f"{linked} orders share a payment intent with an earlier-linked order",
            column="order_id",
        ),
        CheckResult(
            "duplicates.daily_rate",
            "orders",
            Severity.ERROR,
            days,
            len(over),
            f"duplicate orders under {MAX_DAILY_RATE:.1%} of a business day's orders",
            f"{len(over)} of {days} days over: {detail}" if over else f"{days} days within",
            column="order_id",
        ),
    ]
