"""The cross-system suite: every family in order over one slice, the SLA metrics, and the gate's verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import duckdb

from validators.consistency.common import run_file
from validators.consistency.duplicates import MAX_DAILY_RATE, check_duplicates
from validators.consistency.fulfillment import check_fulfillment
from validators.consistency.reconciliation import MAX_DAILY_VARIANCE, check_days, check_orders
from validators.consistency.referential import check_references
from validators.consistency.status import check_statuses
from validators.result import CheckResult, Severity

# The tables the flow stages and loads, each written by one family (names from code, never from data).
OUTPUT_TABLES = (
    "out_transitions",
    "out_order_findings",
    "out_order_payments",
    "out_daily",
    "out_daily_revenue",
    "out_days",
    "out_duplicates",
    "out_violations",
    "out_metrics",
    "out_links",
)


@dataclass(frozen=True)
class SuiteResult:
    """Every check's result, the seconds per family, and why the gate holds (None when it passes)."""

    results: list[CheckResult]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def held_reason(self) -> str | None:
        """An error-severity check that failed holds curated publication."""
        failed = [r for r in self.results if r.severity is Severity.ERROR and not r.success]
        return "; ".join(f"{r.check_id}: {r.actual}" for r in failed) or None


def run_suite(con: duckdb.DuckDBPyConnection, params: dict[str, Any], finance_dataset: str) -> SuiteResult:
    """Referential first (reconciliation needs its orphans), then reconciliation, duplicates, status, fulfillment,
    SLA metrics."""
    results: list[CheckResult] = []
    seconds: dict[str, float] = {}
    families = (
        ("referential", lambda: check_references(con, params)),
        ("reconciliation", lambda: check_orders(con, params) + check_days(con, params, finance_dataset)),
        ("duplicates", lambda: check_duplicates(con, params)),
        ("status", lambda: check_statuses(con, params)),
        ("fulfillment", lambda: check_fulfillment(con, params)),  # after status: adds to its out_violations
    )
    for name, run in families:
        t0 = time.perf_counter()
        results += run()
        seconds[name] = round(time.perf_counter() - t0, 3)
    limits = {"max_duplicate_rate": MAX_DAILY_RATE, "max_variance": MAX_DAILY_VARIANCE}
    run_file(con, "consistency/create_sla_metrics.sql", params | limits)
    return SuiteResult(results, seconds)
