"""What the consistency families share: running a .sql file of DuckDB statements with its parameters."""

from __future__ import annotations

from typing import Any

import duckdb

from northstar.sqlfiles import bound_params, read_sql, statements


def run_file(con: duckdb.DuckDBPyConnection, relative: str, params: dict[str, Any]) -> None:
    """Run every statement of sql/<relative>, each with the named parameters it uses."""
    for sql in statements(relative):
        con.execute(sql, bound_params(sql, params))


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> int:
    """One integer from a query over tables named by code (for example a count)."""
    rows = con.execute(sql, params or {}).fetchall()  # fetchall: DuckDB 2 refuses new work while a result is open
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def query_file(con: duckdb.DuckDBPyConnection, relative: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of the query in sql/<relative>."""
    sql = read_sql(relative)
    return con.execute(sql, bound_params(sql, params)).fetchall()
