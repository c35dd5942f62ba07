"""The router: run a dataset's checks over a batch in DuckDB and split it into passed and quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from northstar.sqlfiles import bound_params, read_sql, statements
from validators.contracts import Contract
from validators.result import CheckResult
from validators.rules import RowCheck
from validators.schema import check_columns


class RoutingInvariantError(AssertionError):
    """Passed plus quarantined did not add up to the rows extracted: never load such a batch."""


@dataclass(frozen=True)
class Routed:
    """The checks' verdicts and the batch split; tables `passed` and `quarantined` hold the rows."""

    results: list[CheckResult]
    rows_extracted: int
    rows_passed: int
    rows_quarantined: int
    held_reason: str | None = None  # set when a batch-level check failed: nothing may be published

    @property
    def held(self) -> bool:
        return self.held_reason is not None


def load_batch(con: duckdb.DuckDBPyConnection, parquet: Path, contract: Contract) -> list[CheckResult]:
    """Read a landed Parquet file into `raw_batch`, check its columns, and view it as `batch` when they hold."""
    con.execute(read_sql("checks/create_raw_batch.sql"), {"path": str(parquet)})
    return check_raw_batch(con, contract)


def check_raw_batch(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[CheckResult]:
    """Check the columns of a `raw_batch` already built (for example JSON parsed in DuckDB); view it as `batch`."""
    results = check_columns(con, "raw_batch", contract)
    if all(r.success for r in results):
        columns = ", ".join(f'"{name}"' for name in contract.columns)  # identifiers from the contract
        con.execute(f"CREATE OR REPLACE VIEW batch AS SELECT _row_id, {columns} FROM raw_batch")
    return results


def route(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    checks: tuple[RowCheck, ...],
    schema_results: list[CheckResult],
    params: dict[str, object],
) -> Routed:
    """Run every row check once, then split `batch` into `passed` and `quarantined`."""
    extracted = _count(con, "raw_batch")
    failed_schema = [r for r in schema_results if not r.success]
    if failed_schema:
        reason = "; ".join(f"{r.check_id}: {r.actual}" for r in failed_schema)
        return Routed(schema_results + not_evaluated(checks, contract, extracted), extracted, 0, 0, reason)
    con.execute(read_sql("checks/create_failures.sql"))
    # One aggregate over the key serves every duplicate check: only these keys can have duplicates.
    key = f'"{contract.key}"'  # an identifier from the contract
    con.execute(
        f"CREATE OR REPLACE TABLE repeated_keys AS SELECT {key} AS key FROM batch WHERE {key} IS NOT NULL "
        f"GROUP BY {key} HAVING count(*) > 1"
    )
    all_params = contract.params | params
    for check in checks:
        sql = check.sql(contract.dataset)
        con.execute(
            f"INSERT INTO failures SELECT _row_id, $check_id, $severity FROM ({sql})",
            bound_params(sql, all_params) | {"check_id": check.check_id, "severity": check.severity.value},
        )
    for sql in statements("checks/route_rows.sql"):
        con.execute(sql)
    passed, quarantined = _count(con, "passed"), _count(con, "quarantined")
    if passed + quarantined != extracted:
        raise RoutingInvariantError(f"passed {passed} + quarantined {quarantined} != extracted {extracted}")
    failed = dict(con.execute(read_sql("checks/count_failures.sql")).fetchall())
    results = schema_results + [_row_result(c, contract, extracted, int(failed.get(c.check_id, 0))) for c in checks]
    return Routed(results, extracted, passed, quarantined)


def _row_result(check: RowCheck, contract: Contract, rows: int, failed: int) -> CheckResult:
    return CheckResult(
        check_id=check.check_id,
        dataset=contract.dataset,
        severity=check.severity,
        rows_checked=rows,
        rows_failed=failed,
        expected=check.expected,
        actual=f"{failed} of {rows} rows fail",
        column=check.column,
    )


def not_evaluated(checks: tuple[RowCheck, ...], contract: Contract, rows: int) -> list[CheckResult]:
    """Row checks skipped because the batch is held: recorded so the evidence shows they did not run."""
    return [
        CheckResult(
            c.check_id,
            contract.dataset,
            c.severity,
            rows,
            0,
            c.expected,
            "not run",
            c.column,
            evaluated=False,
        )
        for c in checks
    ]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # table names come from code
    return int(row[0]) if row else 0


def quarantine_reasons(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Quarantined rows per reason, from the router's `quarantined` table."""
    rows = con.execute(read_sql("checks/count_quarantine_reasons.sql")).fetchall()
    return {str(reason): int(n) for reason, n in rows}
