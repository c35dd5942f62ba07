"""Schema checks: the batch's columns against the contract (batch level), and row-level value rules."""

from __future__ import annotations

import duckdb

from validators.contracts import ISO_4217, ORDER_STATUSES, Contract
from validators.result import CheckResult, Severity
from validators.rules import RowCheck, accepted_values, in_range, not_null

ORDERS_ROW_CHECKS = (
    not_null("schema.order_id_required", "order_id"),
    not_null("schema.customer_id_required", "customer_id"),
    accepted_values("schema.status_allowed", "status", ORDER_STATUSES),
    accepted_values(
        "schema.currency_iso4217", "currency", ISO_4217, expected="currency is an upper-case ISO 4217 code"
    ),
    in_range("schema.amount_minor_non_negative", "total_amount_minor", min=0),
    RowCheck(
        "schema.timestamps_sane",
        Severity.ERROR,
        "updated_at",
        "created_at and updated_at present, 2000-01-01 <= created_at <= updated_at < window end",
    ),
)


def check_columns(con: duckdb.DuckDBPyConnection, table: str, contract: Contract) -> list[CheckResult]:
    """Batch-level: every contracted column present with an accepted type; extra columns only warn."""
    rows_checked = _count(con, table)
    actual = {name: dtype for name, dtype in _describe(con, table) if not name.startswith("_")}
    missing = sorted(set(contract.columns) - set(actual))
    retyped = sorted(
        f"{name} is {actual[name]}"
        for name, accepted in contract.columns.items()
        if name in actual and actual[name] not in accepted
    )
    extra = sorted(set(actual) - set(contract.columns))
    return [
        _batch_result(
            "schema.columns_present",
            contract,
            Severity.ERROR,
            rows_checked,
            missing,
            "all contracted columns",
        ),
        _batch_result(
            "schema.column_types", contract, Severity.ERROR, rows_checked, retyped, "contracted column types"
        ),
        _batch_result("schema.no_new_columns", contract, Severity.WARN, rows_checked, extra, "no new columns"),
    ]


def _batch_result(
    check_id: str, contract: Contract, severity: Severity, rows: int, problems: list[str], expected: str
) -> CheckResult:
    return CheckResult(
        check_id=check_id,
        dataset=contract.dataset,
        severity=severity,
        rows_checked=rows,
        rows_failed=max(rows, 1) if problems else 0,  # an empty batch with a changed schema fails too
        expected=expected,
        actual=", ".join(problems) if problems else "as contracted",
    )


def _describe(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(str(name), str(dtype)) for name, dtype in rows]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # table name comes from code
    return int(row[0]) if row else 0
