"""The read commands: `batches`, `quarantine`, `query`, `checks`. They import the warehouse client only.

One name per source everywhere: the ledger's `SOURCE` values (`orders`, `payments`, `fulfillment`, `consistency`,
and the bookkeeping runs `source_reconcile`, `completeness`); `--source` takes exactly those, so an unknown name
is an error listing them, never an empty listing.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

LEDGER_SOURCES = ("orders", "payments", "fulfillment", "consistency", "source_reconcile", "completeness")
STATUSES = ("COMMITTED", "HELD", "FAILED")
# Every quarantine table: its source, and the query that lists it (with --batch: the rows that batch saw).
QUARANTINE_TABLES = {
    "QUARANTINE.ORDERS": ("orders", "snowflake/select_quarantine_orders.sql"),
    "QUARANTINE.ORDER_LINES": ("orders", "snowflake/select_quarantine_order_lines.sql"),
    "QUARANTINE.STRIPE_EVENTS": ("payments", "snowflake/select_quarantine_stripe_events.sql"),
    "QUARANTINE.WMS_LINES": ("fulfillment", "snowflake/select_quarantine_wms_lines.sql"),
    "QUARANTINE.WMS_FILES": ("fulfillment", "snowflake/select_quarantine_wms_files.sql"),
    "QUARANTINE.ORPHAN_REFERENCES": ("consistency", "snowflake/select_quarantine_orphan_references.sql"),
}


def add_commands(sub: Any) -> None:
    """Register batches, quarantine, query and checks."""
    batches = sub.add_parser("batches", help="batches with status, counts and timings, newest first")
    batches.add_argument("--source", choices=LEDGER_SOURCES)
    batches.add_argument("--status", choices=STATUSES, type=str.upper)
    batches.add_argument("--batch", help="one batch by id")
    batches.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")
    batches.add_argument("--json", action="store_true", help="one JSON object per batch (README, JSON output)")
    batches.set_defaults(handler=show_batches)

    quarantine = sub.add_parser("quarantine", help="quarantined rows and their reasons, every quarantine table")
    quarantine.add_argument(
        "--source",
        choices=[*sorted({s for s, _ in QUARANTINE_TABLES.values()}), "order_lines"],
        help="one source's tables (order_lines: only QUARANTINE.ORDER_LINES, as before)",
    )
    quarantine.add_argument("--batch", help="the rows this batch quarantined (any source)")
    quarantine.add_argument("--limit", type=_positive, default=50, help="at most this many per table (default 50)")
    quarantine.add_argument("--json", action="store_true", help="one JSON object per row, with its TABLE")
    quarantine.set_defaults(handler=show_quarantine)

    query = sub.add_parser("query", help="a read-only SQL query on the configured warehouse")
    query.add_argument("sql")
    query.add_argument("--json", action="store_true")
    query.set_defaults(handler=run_query)

    checks = sub.add_parser("checks", help="a business day's cross-system check results, SLA metrics and gate")
    checks.add_argument("--date", help="business day YYYY-MM-DD in NORTHSTAR_BUSINESS_TZ (default: latest run)")
    checks.add_argument("--json", action="store_true")
    checks.set_defaults(handler=_checks)


def show_batches(args: argparse.Namespace, out: TextIO) -> int:
    """Newest first; exit 0 (an empty listing is not an error)."""
    from cli.output import print_rows

    params = {"source": args.source, "status": args.status, "batch_id": args.batch, "limit": args.limit}
    with _warehouse() as wh:
        from northstar.sqlfiles import read_sql

        rows = wh.query(read_sql("snowflake/select_load_batches_newest.sql"), params)
        if args.batch and not rows:
            _require_batch(wh, args.batch)
    if args.json:
        print_rows(rows, out, as_json=True)
        return 0
    shown = [{_SHORT.get(k, k): v for k, v in r.items() if k in _SHORT or k in _SHOWN} for r in rows]
    print_rows(shown, out, as_json=False)
    if len(rows) == args.limit:
        out.write(f"(the newest {args.limit}; --limit shows more)\n")
    return 0


# The table keeps to what a person scans (--json has every column); counts under short headers.
_SHOWN = ("BATCH_ID", "STATUS", "WINDOW_START", "WINDOW_END", "REASON")
_SHORT = {
    "ROWS_EXTRACTED": "EXTRACTED",
    "ROWS_PASSED": "PASSED",
    "ROWS_QUARANTINED": "QUARANTINED",
    "ROWS_PUBLISHED": "PUBLISHED",
}


def show_quarantine(args: argparse.Namespace, out: TextIO) -> int:
    """Every quarantine table (or one source's), newest first; with --batch, what that batch quarantined."""
    from cli.output import print_rows
    from northstar.sqlfiles import read_sql

    tables = {t: q for t, (s, q) in QUARANTINE_TABLES.items() if args.source in (None, s)}
    if args.source == "order_lines":
        tables = {"QUARANTINE.ORDER_LINES": QUARANTINE_TABLES["QUARANTINE.ORDER_LINES"][1]}
    found: dict[str, list[dict[str, Any]]] = {}
    with _warehouse() as wh:
        if args.batch:
            _require_batch(wh, args.batch)
        for table, relative in tables.items():
            rows = wh.query(read_sql(relative), {"batch_id": args.batch})
            rows.sort(key=lambda r: str(r.get("_QUARANTINED_AT") or ""), reverse=True)
            found[table] = rows[: args.limit]
    if args.json:
        print_rows([{"TABLE": t} | r for t, rows in found.items() for r in rows], out, as_json=True)
        return 0
    shown = {t: rows for t, rows in found.items() if rows}
    if not shown:
        scope = f"batch {args.batch}" if args.batch else (f"source {args.source}" if args.source else "any source")
        out.write(f"(no rows) no quarantined rows for {scope}\n")
    for table, rows in shown.items():
        print_rows(rows, out, as_json=False, title=f"{table}:")
    return 0


def _require_batch(wh: Any, batch_id: str) -> None:
    """ValueError (exit 2) when the ledger has no batch of that id: a typo must not read as "nothing there"."""
    from northstar.sqlfiles import read_sql

    if not wh.query(read_sql("snowflake/select_batch_status.sql"), {"batch_id": batch_id}):
        raise ValueError(f"--batch {batch_id}: no batch of that id in the ledger (`northstar batches` lists them)")


def run_query(args: argparse.Namespace, out: TextIO) -> int:
    """One read-only statement, run in a transaction that is rolled back."""
    from cli.output import print_rows
    from northstar.readonly import require_read_only

    require_read_only(args.sql)
    with _warehouse() as wh:
        rows = wh.query_rolled_back(args.sql)
        if not args.json and rows and SHOW_COLUMNS.issubset(k.lower() for k in rows[0]):
            rows = object_listing(wh, rows)
    print_rows(rows, out, as_json=args.json)
    return 0


SHOW_COLUMNS = {"created_on", "name", "database_name", "schema_name"}  # what SHOW TABLES/OBJECTS/VIEWS return


def object_listing(wh: Any, shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a SHOW TABLES/OBJECTS/VIEWS as a table shows them: NAME, SCHEMA, KIND and ROWS, out of the
    twenty-odd columns SHOW returns (--json keeps them all). ROWS is counted, in one query over the listed tables,
    as the local emulator's SHOW says 0 for every table; a view's is left empty."""
    rows = [{k.lower(): v for k, v in r.items()} for r in shown]
    kinds = [str(r.get("kind") or "VIEW").upper() for r in rows]  # SHOW VIEWS has no kind column
    tables = [(i, _qualified(r)) for i, (r, kind) in enumerate(zip(rows, kinds, strict=True)) if kind == "TABLE"]
    counts: dict[int, int] = {}
    if tables:
        union = " UNION ALL ".join(f"SELECT {i} AS I, COUNT(*) AS N FROM {name}" for i, name in tables)
        counts = {int(r["I"]): int(r["N"]) for r in wh.query(union)}
    return [
        {"NAME": r["name"], "SCHEMA": r["schema_name"], "KIND": kind, "ROWS": counts.get(i)}
        for i, (r, kind) in enumerate(zip(rows, kinds, strict=True))
    ]


def _qualified(row: dict[str, Any]) -> str:
    """database.schema.name, each part quoted as the warehouse spelled it (names from SHOW, never from input)."""
    parts = (row["database_name"], row["schema_name"], row["name"])
    return ".".join('"' + str(part).replace('"', '""') + '"' for part in parts)


def _checks(args: argparse.Namespace, out: TextIO) -> int:
    from cli.checks import show_checks

    return show_checks(args.date, out, args.json)


# The commands that only read through the connector's row cursor (cli.main skips the imports below for them).
LEAN_COMMANDS = ("batches", "quarantine", "query", "checks")
UNUSED_BY_READS = ("pandas", "boto3", "botocore", "pyarrow", "numpy")


def skip_unused_imports() -> None:
    """Keep the Snowflake connector from importing pandas, boto3, pyarrow and numpy in a read command's own process
    (about 1 CPU-s, BENCHMARKS.md "CLI fixed cost"): it imports them only to offer DataFrame and Arrow results,
    numpy bindings and AWS workload identity, which a read does not use (its rows come through the connector's own
    Arrow reader, not pyarrow), and treats a package it cannot import as not installed.
    Only for a fresh `northstar` process (cli.main.main with argv None); a module already imported is left alone."""
    import sys

    for name in UNUSED_BY_READS:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError: "not installed"


def _warehouse() -> Any:
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    return open_warehouse(load_settings())


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return int(text)
