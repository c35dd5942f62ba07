"""What the consistency families share: running a .sql file of DuckDB statements with its parameters."""

from __future__ import annotations

from typing import Any

import duckdb

from northstar.sqlfiles import bound_params, statements


def run_file(con: duckdb.DuckDBPyConnection, relative: str, params: dict[str, Any]) -> None:
    """Run every statement of sql/<relative>, each with the named parameters it uses."""
    for sql in statements(relative):
        con.execute(sql, bound_params(sql, params))
