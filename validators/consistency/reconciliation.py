"""Reconciliation: each order against its payments, and each business day against finance's report."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from validators.consistency.common import run_file, scalar
from validators.result import CheckResult, Severity

MAX_DAILY_VARIANCE = 0.0005  # the SLA: under 0.05% against finance's source-of-truth report
REASONS = (
    "unpaid",
    "underpaid",
    "overpaid",
    "partially_refunded",
    "currency_mismatch",
    "payment_without_order",
)


def check_orders(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[CheckResult]:
    """Order total against captured minus refunded, exact in minor units; a reason code per difference."""
    run_file(con, "consistency/create_order_amounts.sql", params)
    compared = scalar(con, "SELECT count(*) FROM order_amounts WHERE reconciliation <> 'not_compared'")
    by_reason = dict(con.execute("SELECT reason, count(*) FROM out_order_findings GROUP BY reason").fetchall())
    differ = sum(int(n) for reason, n in by_reason.items() if reason != "payment_without_order")
    without = int(by_reason.get("payment_without_order", 0))
    detail = ", ".join(f"{by_reason[r]} {r}" for r in REASONS if r in by_reason) or "none"
    return [
        CheckResult(
            "reconciliation.order_amounts",
            "orders",
            Severity.WARN,
            compared,
            differ,
            "order total = captured - refunded (paid, shipped, delivered); 0 kept (cancelled, refunded)",
            f"{differ} of {compared} orders differ: {detail}",
            column="total_amount_minor",
        ),
        CheckResult(
            "reconciliation.payment_without_order",
            "payments",
            Severity.WARN,
            scalar(con, "SELECT count(*) FROM new_payments") + without,
            without,
            "every captured payment belongs to an order",
            f"{without} captured payments without an order",
            column="order_id",
        ),
    ]


def check_days(con: duckdb.DuckDBPyConnection, params: dict[str, Any], finance_dataset: str) -> list[CheckResult]:
    """Revenue per business day and currency against finance's report: variance under 0.05%."""
    run_file(con, "consistency/create_daily_reconciliation.sql", params | {"max_variance": MAX_DAILY_VARIANCE})
    rows = con.execute(
        "SELECT business_date, currency, variance, explanation FROM out_daily WHERE NOT within_sla ORDER BY 1, 2"
    ).fetchall()
    compared = scalar(con, "SELECT count(*) FROM out_daily")
    failing = "; ".join(
        f"{day} {currency} {variance:.4%}{_unexplained(explanation)}" for day, currency, variance, explanation in rows
    )
    actual = f"{len(rows)} of {compared} day-currency totals off: {failing}" if rows else f"{compared} all within"
    unreadable = con.execute("SELECT source_file, error FROM finance_unreadable ORDER BY 1").fetchall()
    reports = scalar(con, "SELECT count(DISTINCT source_file) FROM finance") + len(unreadable)
    return [
        CheckResult(
            "reconciliation.finance_report_readable",
            finance_dataset,
            Severity.ERROR,
            reports,
            len(unreadable),
            "each finance report follows the layout in northstar/sources/finance.py",
            "; ".join(f"{file}: {error}" for file, error in unreadable) or f"{reports} reports read",
        ),
        CheckResult(
            "reconciliation.daily_revenue",
            finance_dataset,
            Severity.ERROR,
            compared,
            len(rows),
            f"|revenue - finance| / finance < {MAX_DAILY_VARIANCE:.2%} per business day and currency",
            actual,
            column="net_revenue_minor",
        ),
    ]


def _unexplained(explanation: str | None) -> str:
    """A failing day's "no rows of ours explain ..." notes, in parentheses; empty when its rows explain it."""
    notes = [n for n in (json.loads(explanation).get("notes", []) if explanation else []) if n.startswith("no rows")]
    return f" ({'; '.join(notes)})" if notes else ""
