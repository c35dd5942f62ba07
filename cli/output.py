"""Printing query results: a table sized to the terminal for people, one JSON object per line for programs.

Tables (rich): numbers right-aligned; long text wrapped, never cut; a money column (`*_MINOR` beside a
`CURRENCY` column, or Stripe's `AMOUNT*` columns beside `AMOUNT_DECIMALS`) shown in major units with its
currency (`USD 338,572.02`, `JPY 1,599,375`, `KWD 1.500`: ISO 4217 minor-unit exponents); a rate
(`VARIANCE`, an SLA metric named `*_rate` or `*_variance`) as a percentage; timestamps with their offset
(northstar.batches.utc_text, the one formatter of times); headers upper-case. JSON: the stored values (money in
minor units, timestamps ISO-8601 with offset, VARIANT and ARRAY values as JSON, never JSON text inside JSON).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TextIO

from northstar.batches import utc_text
from northstar.money import money

RATE_COLUMNS = {"VARIANCE"}
MAX_CELL = 2000  # a longer value (a raw record) is shortened even when wrapped, with its length said


def jsonable(value: Any) -> Any:
    """A warehouse value as JSON carries it: a naive timestamp is UTC and gets `+00:00`, a date YYYY-MM-DD,
    a whole Decimal an int, VARIANT/ARRAY text (a JSON object or array) its parsed value."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str) and value[:1] in "{[" and value.rstrip()[-1:] in "}]":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def percent(rate: Any) -> str:
    """A fraction as a percentage with two decimals (0.0123 -> 1.23%)."""
    return "" if rate is None else f"{float(rate) * 100:.2f}%"


def print_rows(rows: Sequence[dict[str, Any]], out: TextIO, *, as_json: bool, title: str | None = None) -> None:
    """Rows as JSON lines, or as a table with a header (and a title above it when given)."""
    if as_json:
        for row in rows:
            out.write(json.dumps({k: jsonable(v) for k, v in row.items()}) + "\n")
        return
    if title:
        out.write(f"{title}\n")
    if not rows:
        out.write("(no rows)\n")
        return
    columns = list(rows[0])
    cells = [{c: _cell(c, row) for c in columns} for row in rows]
    width = terminal_width(out)
    if sum(_least_width(c, rows, cells) + 2 for c in columns) > width:
        _print_records(cells, columns, out)  # too many columns to read side by side: one block per row
    else:
        _print_table(rows, cells, columns, out, width)
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _print_table(
    rows: Sequence[dict[str, Any]], cells: list[dict[str, str]], columns: list[str], out: TextIO, width: int
) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        numeric = all(_numeric(r.get(column)) for r in rows) or _is_money(column, rows[0])
        justify: Literal["right", "left"] = "right" if numeric else "left"
        table.add_column(  # headers upper-case in every table, as the warehouse's columns are; --json keeps keys
            column.upper(),
            justify=justify,
            overflow="fold",
            no_wrap=_unbroken(column, rows),
            min_width=_least_width(column, rows, cells),  # an id or a timestamp keeps its whole width
        )
    for row in cells:
        table.add_row(*(row[c] for c in columns))
    import io

    buffer = io.StringIO()
    Console(file=buffer, width=width, highlight=False, soft_wrap=False, emoji=False).print(table)
    out.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))


def _identifier(column: str) -> bool:
    """A column holding an id (ORDER_ID, DUPLICATE_OF, LINE_NO): printed as written, never grouped as 1,000,099."""
    return column in ("ID", "SEQ") or column.endswith(("_ID", "_OF", "_NO"))


def _unbroken(column: str, rows: Sequence[dict[str, Any]]) -> bool:
    """Ids and timestamps are never wrapped (they are copied and pasted back)."""
    return _identifier(column) or any(isinstance(r.get(column), datetime) for r in rows[:20])


def _least_width(column: str, rows: Sequence[dict[str, Any]], cells: list[dict[str, str]]) -> int:
    natural = max(len(column), *(len(r[column]) for r in cells))
    return natural if _unbroken(column, rows) else min(natural, 12)


def _print_records(cells: list[dict[str, str]], columns: list[str], out: TextIO) -> None:
    """One block per row, long values wrapped at the terminal's width under their column (URIs and JSON broken
    where they must be), as psql's expanded display does."""
    import textwrap

    label = max(len(c) for c in columns)
    room = max(20, terminal_width(out) - label - 3)
    indent = " " * label + " | "
    for n, row in enumerate(cells, 1):
        out.write(f"-[ row {n} ]{'-' * max(0, label - 8)}\n")
        for column in columns:
            parts = row[column].split("\n")
            lines = [x for part in parts for x in ((textwrap.wrap(part, room) or [""]) if len(part) > room else [part])]
            out.write(f"{column.upper().ljust(label)} | {lines[0]}\n" + "".join(f"{indent}{x}\n" for x in lines[1:]))


def terminal_width(out: TextIO) -> int:
    """The terminal's width when printing to one; else $COLUMNS, or 200 for files and pipes."""
    if hasattr(out, "isatty") and out.isatty():
        return shutil.get_terminal_size((120, 24)).columns
    try:
        return max(40, int(os.environ.get("COLUMNS", "200")))
    except ValueError:
        return 200


def _numeric(value: Any) -> bool:
    return value is None or (isinstance(value, int | float | Decimal) and not isinstance(value, bool))


def _is_money(column: str, row: dict[str, Any]) -> bool:
    """`*_MINOR` beside CURRENCY; or Stripe's own amount columns (`AMOUNT`, `AMOUNT_CAPTURED`, ...: minor units, as
    the rows that carry them say with AMOUNT_DECIMALS) beside CURRENCY."""
    if "CURRENCY" not in row:
        return False
    stripe = "AMOUNT_DECIMALS" in row and (column == "AMOUNT" or column.startswith("AMOUNT_"))
    return column.endswith("_MINOR") or (stripe and column != "AMOUNT_DECIMALS")


def _cell(column: str, row: dict[str, Any]) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if _is_money(column, row):
        return money(value, row.get("CURRENCY"))
    metric = str(row.get("METRIC") or "")
    if column in RATE_COLUMNS or (column in ("VALUE", "THRESHOLD") and metric.endswith(("_rate", "_variance"))):
        return percent(value)
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool) and not _identifier(column):
        return f"{value:,}"
    shown = jsonable(value)
    text = json.dumps(shown) if isinstance(shown, dict | list) else str(shown)
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())  # JSON above is compact already
    return text if len(text) <= MAX_CELL else f"{text[: MAX_CELL - 20]}... ({len(text)} chars)"
