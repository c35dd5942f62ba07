"""The cross-system suite: every family in order over one slice, the SLA metrics, and the gate's verdict."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import duckdb

from validators.consistency.checks import Family, run_family
from validators.consistency.common import run_file
from validators.consistency.duplicates import DUPLICATES, MAX_DAILY_RATE
from validators.consistency.fulfillment import FULFILLMENT
from validators.consistency.reconciliation import FINANCE, MAX_DAILY_VARIANCE, RECONCILIATION
from validators.consistency.referential import REFERENTIAL
from validators.consistency.status import STATUS
from validators.result import CheckResult, Severity

# In order: referential first (reconciliation needs its orphans); fulfillment after status (it appends to the
# status rules' out_violations).
FAMILIES: tuple[Family, ...] = (REFERENTIAL, RECONCILIATION, DUPLICATES, STATUS, FULFILLMENT)

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
    """Every family of FAMILIES in order over the slice, then the SLA metrics; finance_dataset names the finance
    reports' dataset (their landing URI) in the results."""
    results: list[CheckResult] = []
    seconds: dict[str, float] = {}
    for family in FAMILIES:
        t0 = time.perf_counter()
        results += run_family(con, family, params, {FINANCE: finance_dataset})
        seconds[family.name] = round(time.perf_counter() - t0, 3)
    limits = {"max_duplicate_rate": MAX_DAILY_RATE, "max_variance": MAX_DAILY_VARIANCE}
    run_file(con, "consistency/create_sla_metrics.sql", params | limits)
    return SuiteResult(results, seconds)
