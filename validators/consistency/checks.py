"""Cross-system checks as data, and the one runner that makes their CheckResults.

A family (referential, reconciliation, duplicates, status, fulfillment) is a `Family`: the SQL files that
build its tables from the slice, then its `CrossCheck`s. Each check declares its id, severity, dataset,
expectation and a measure query (sql/consistency/<file>) returning ONE row: (rows_checked, rows_failed,
actual). A rule whose failing rows are evidence also declares `violations`, a query returning
(order_id, evidence) per violation, which the runner appends to `out_violations` (OPS.STATUS_VIOLATIONS)
before measuring. Nothing else builds a cross-system CheckResult.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from northstar.sqlfiles import bound_params, read_sql
from validators.consistency.common import run_file
from validators.result import CheckResult, Severity


@dataclass(frozen=True)
class CrossCheck:
    """One cross-system check: its declaration and the queries that measure it.

    `measure` is a path under sql/ to a query returning one row (rows_checked, rows_failed, actual); it may use
    the run's parameters, the check's own `params`, and $check_id / $severity. `violations`, when set, is a
    query returning (order_id, evidence) per failing order, appended to out_violations first.
    """

    check_id: str
    severity: Severity
    dataset: str
    expected: str
    measure: str
    column: str | None = None
    violations: str | None = None
    params: Mapping[str, object] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Family:
    """A family of cross-system checks: the files that build its tables (run in order, once), then its checks."""

    name: str
    prepare: tuple[str, ...]
    checks: tuple[CrossCheck, ...]
    params: Mapping[str, object] = field(default_factory=dict, hash=False)  # the family's limits, for prepare


def run_family(
    con: duckdb.DuckDBPyConnection,
    family: Family,
    params: dict[str, Any],
    datasets: Mapping[str, str] | None = None,
) -> list[CheckResult]:
    """Build the family's tables, then measure each check in order; one CheckResult per check.

    datasets renames a declared dataset known only at run time (the finance reports' landing URI). Raises
    KeyError when a query needs a parameter that neither the run nor the declaration gives, ValueError when a
    measure query does not return exactly one row.
    """
    for relative in family.prepare:
        run_file(con, relative, params | dict(family.params))
    return [_measure(con, check, params, datasets or {}) for check in family.checks]


def _measure(
    con: duckdb.DuckDBPyConnection, check: CrossCheck, params: dict[str, Any], datasets: Mapping[str, str]
) -> CheckResult:
    own = params | dict(check.params) | {"check_id": check.check_id, "severity": check.severity.value}
    if check.violations:
        rule = read_sql(check.violations)
        con.execute(
            f"INSERT INTO out_violations SELECT $check_id, $severity, order_id, evidence FROM ({rule})",
            bound_params(rule, own) | {"check_id": check.check_id, "severity": check.severity.value},
        )
    sql = read_sql(check.measure)
    rows = con.execute(sql, bound_params(sql, own)).fetchall()  # fetchall: DuckDB 2 refuses work on an open result
    if len(rows) != 1:
        raise ValueError(f"{check.measure} returned {len(rows)} rows for {check.check_id}, not one")
    checked, failed, actual = rows[0]
    return CheckResult(
        check.check_id,
        datasets.get(check.dataset, check.dataset),
        check.severity,
        int(checked or 0),
        int(failed or 0),
        check.expected,
        str(actual),
        check.column,
    )
