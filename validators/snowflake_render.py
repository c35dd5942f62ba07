"""DuckDB SQL of the consistency families as Snowflake SQL: sqlglot, plus rewrites for what it keeps as is.

sqlglot transpiles the family files (validators/history_consistency.py) but passes some DuckDB functions through
unchanged, which Snowflake does not have: `render` rewrites those on the syntax tree before sqlglot writes Snowflake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp

DAYS_TABLE = "history_days"  # the reconciled days, for the queries that unnest $days in DuckDB


def render(duckdb_sql: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """A family's DuckDB statement as Snowflake SQL with the connector's `%(name)s` parameters, and those parameters.

    CREATE TABLE becomes CREATE TEMPORARY TABLE (the session's own, nothing kept); `unnest($days::DATE[])` reads the
    session's `history_days`; a list parameter becomes an ARRAY_CONSTRUCT of bound values; DuckDB's
    `timezone(tz, ts AT TIME ZONE 'UTC')` becomes CONVERT_TIMEZONE('UTC', tz, ts); format('{}', ...) and printf
    (%d, %s, %.Nf) become concatenations, list_contains / list_position over a list parameter IN and CASE (Snowflake
    has none of these, sqlglot keeps them); a SUM is cast to NUMBER(38, 0), since the family files sum only counts and
    whole minor units and the local emulator returns sums as floats ("3.0"); a `%` inside a string literal is doubled
    for pyformat. KeyError naming a parameter the statement needs and params lacks."""
    bound: dict[str, Any] = {}
    extra: dict[str, Any] = {}  # the items of list parameters, each bound on its own

    def reshape(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Explode) and _is_placeholder(node.this, "days"):
            return exp.column("business_date")
        if isinstance(node, exp.Select) and any(_is_days(e) for e in node.expressions):
            return exp.select("business_date").from_(DAYS_TABLE)
        if _outer_sum(node):  # see the docstring
            return exp.cast(node, "NUMBER(38, 0)")
        if isinstance(node, exp.Format) and isinstance(node.this, exp.Literal):
            return _concat(node.this.this.split("{}"), list(node.expressions))
        if (
            isinstance(node, exp.Anonymous)
            and node.name.lower() == "printf"
            and isinstance(node.expressions[0], exp.Literal)
        ):
            return _printf(node.expressions[0].this, list(node.expressions[1:]))
        if isinstance(node, exp.ArrayContains) and _list_param(node.this):
            return exp.In(this=node.expression, expressions=_list_param(node.this))
        if (
            isinstance(node, exp.Anonymous)
            and node.name.lower() == "list_position"
            and _list_param(node.expressions[0])
        ):
            items, value = _list_param(node.expressions[0]), node.expressions[1]
            ifs = [exp.If(this=exp.EQ(this=value.copy(), expression=v), true=exp.Literal.number(i + 1))
                   for i, v in enumerate(items)]  # fmt: skip
            return exp.Case(ifs=ifs)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone" and len(node.expressions) == 2:
            zone, moment = node.expressions
            if isinstance(moment, exp.AtTimeZone) and moment.args["zone"].this == "UTC":
                return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"), target_tz=zone, timestamp=moment.this)
        return node

    def _list_param(node: exp.Expression) -> list[exp.Expression]:
        """A list parameter's items as one placeholder each ($reasons -> $reasons_0, ...), or [] for anything else."""
        if not (isinstance(node, exp.Placeholder) and isinstance(params.get(node.name), list | tuple)):
            return []
        items = {f"{node.name}_{i}": v for i, v in enumerate(params[node.name])}
        extra.update(items)
        return [exp.Placeholder(this=name) for name in items]

    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in params and node.name not in extra:
                raise KeyError(f"history query needs parameter {node.name!r}")
            value = extra[node.name] if node.name in extra else params[node.name]
            if isinstance(value, list | tuple):
                names = [f"{node.name}_{i}" for i in range(len(value))]
                bound.update(zip(names, value, strict=True))
                return exp.Array(expressions=[exp.var(f"%({n})s") for n in names])
            bound[node.name] = value
            return exp.var(f"%({node.name})s")
        return node

    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    for _ in range(5):  # a replaced node's children are not visited again: a format inside a format needs a pass
        tree = tree.transform(reshape)
        if not any(isinstance(n, exp.Format) or _named(n, "printf") for n in tree.walk()):
            break
    tree = tree.transform(bind)
    if isinstance(tree, exp.Create):
        props = tree.args.get("properties") or exp.Properties(expressions=[])
        props.append("expressions", exp.TemporaryProperty())
        tree.set("properties", props)
    if bound:  # pyformat reads every % of the statement
        tree = tree.transform(
            lambda n: exp.Literal.string(n.this.replace("%", "%%")) if isinstance(n, exp.Literal) and n.is_string else n
        )
    return tree.sql(dialect="snowflake", comments=False), bound


def _concat(pieces: list[str], values: list[exp.Expression]) -> exp.Expression:
    """format('{} of {}', a, b) as 'piece' || TO_VARCHAR(a) || ... (Snowflake has no format)."""
    parts: list[exp.Expression] = []
    for i, piece in enumerate(pieces):
        if piece:
            parts.append(exp.Literal.string(piece))
        if i < len(values):
            parts.append(exp.Anonymous(this="TO_VARCHAR", expressions=[values[i]]))
    out = parts[0]
    for part in parts[1:]:
        out = exp.DPipe(this=out, expression=part, safe=True)
    return out


PRINTF_SPEC = re.compile(r"%(?:\.(\d+)f|d|s)|%%")


def _printf(pattern: str, values: list[exp.Expression]) -> exp.Expression:
    """printf with %d, %s, %.Nf and %% as concatenation: %.Nf as TO_VARCHAR(CAST(ROUND(x, N) AS NUMBER(38, N)))."""
    pieces, args, at, taken = [], [], 0, 0
    text = ""
    for match in PRINTF_SPEC.finditer(pattern):
        text += pattern[at : match.start()]
        at = match.end()
        if match.group(0) == "%%":
            text += "%"
            continue
        pieces.append(text)
        text = ""
        value = values[taken]
        taken += 1
        if match.group(1):
            digits = int(match.group(1))
            value = exp.cast(exp.func("ROUND", value, exp.Literal.number(digits)), f"NUMBER(38, {digits})")
        args.append(value)
    pieces.append(text + pattern[at:])
    return _concat(pieces, args)


def _named(node: object, name: str) -> bool:
    return isinstance(node, exp.Anonymous) and node.name.lower() == name


def _outer_sum(node: exp.Expression) -> bool:
    """A SUM, or the FILTER / OVER around one, that nothing casts yet (the outermost node of the sum)."""
    wrapper = exp.Cast | exp.Filter | exp.Window
    if isinstance(node.parent, wrapper):
        return False
    return isinstance(node, exp.Sum) or (isinstance(node, exp.Filter | exp.Window) and isinstance(node.this, exp.Sum))


def _is_placeholder(node: exp.Expression | None, name: str) -> bool:
    while isinstance(node, exp.Cast):
        node = node.this
    return isinstance(node, exp.Placeholder) and node.name == name


def _is_days(node: exp.Expression) -> bool:
    inner = node.this if isinstance(node, exp.Alias) else node
    return isinstance(inner, exp.Explode) and _is_placeholder(inner.this, "days")
