"""Guarding `northstar query`: one read-only statement, run in a transaction that is rolled back."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

READ_ONLY = (exp.Query, exp.Show, exp.Describe)


class NotReadOnlyError(ValueError):
    """The SQL would change something, or is more than one statement."""


def require_read_only(sql: str) -> None:
    """Refuse anything but a single SELECT/WITH/SHOW/DESCRIBE (in production the role is read-only too)."""
    try:
        parsed = [s for s in sqlglot.parse(sql, read="snowflake") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise NotReadOnlyError(f"cannot parse the query: {exc}") from exc
    if len(parsed) != 1:
        raise NotReadOnlyError("give exactly one statement")
    statement = parsed[0]
    if not isinstance(statement, READ_ONLY) or any(
        statement.find(kind) for kind in (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop)
    ):
        raise NotReadOnlyError(f"only read-only queries are allowed, not {statement.key.upper()}")
