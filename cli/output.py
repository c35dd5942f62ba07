"""Printing query results: an aligned table for people, one JSON object per line for programs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from northstar.warehouse import jsonable


def print_rows(rows: Sequence[dict[str, Any]], out: TextIO, *, as_json: bool) -> None:
    """Rows as JSON lines, or as a table with a header."""
    if as_json:
        for row in rows:
            out.write(json.dumps({k: jsonable(v) for k, v in row.items()}) + "\n")
        return
    if not rows:
        out.write("(no rows)\n")
        return
    columns = list(rows[0])
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")


def _cell(value: Any) -> str:
    text = "" if value is None else str(jsonable(value))
    text = " ".join(text.split())  # VARIANT values arrive as pretty-printed JSON
    return text if len(text) <= 80 else text[:77] + "..."
