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
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first.get("line") else ""
        what = str(first.get("description") or str(exc).splitlines()[0])
        raise NotReadOnlyError(f"cannot parse the query{where}: {what}") from None
    if len(parsed) != 1:
        raise NotReadOnlyError("give exactly one statement")
    statement = parsed[0]
    if isinstance(statement, exp.Condition):  # a bare expression ("SELEC * FRM" reads as a product): no statement
        raise NotReadOnlyError(f"cannot read {sql.strip()[:60]!r} as a SQL statement (check its keywords)")
    if not isinstance(statement, READ_ONLY) or any(
        statement.find(kind) for kind in (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop)
    ):
        raise NotReadOnlyError(f"only read-only queries are allowed, not {statement.key.upper()}")
