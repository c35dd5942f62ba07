"""SQL lives in files under sql/; this is the one way code reads them."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


@cache
def read_sql(relative: str) -> str:
    """The text of sql/<relative>, for example read_sql("snowflake/merge_into_core_orders.sql")."""
    return (SQL_DIR / relative).read_text()


def statements(relative: str) -> list[str]:
    """A multi-statement file split on ';' at line ends (our files never put ';' inside literals)."""
    text = "\n".join(line for line in read_sql(relative).splitlines() if not line.strip().startswith("--"))
    parts = (part.strip().rstrip(";").strip() for part in text.split(";\n"))
    return [part for part in parts if part]


def bound_params(sql: str, params: dict[str, object]) -> dict[str, object]:
    """The named DuckDB parameters ($name) a query uses, taken from params."""
    names = set(re.findall(r"\$([a-z_]+)", sql))
    missing = names - set(params)
    if missing:
        raise KeyError(f"query needs parameters {sorted(missing)}")
    return {name: params[name] for name in names}
