"""`northstar warehouse setup [--dry-run]`: roles, warehouses, resource monitor, views, Time Travel, retention."""

from __future__ import annotations

import argparse
from typing import Any, TextIO


def add_parser(sub: Any) -> None:
    """Register `warehouse` on the main parser's subparsers (cli/main.py calls this)."""
    warehouse = sub.add_parser("warehouse", help="Snowflake account objects: roles, warehouses, budget, retention")
    warehouse.add_argument("action", choices=["setup"])
    warehouse.add_argument("--dry-run", action="store_true", help="print the statements, run none")
    warehouse.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run (or print) the set-up on the configured warehouse; every statement skipped locally is printed with why.

    Exit code 0; a statement Snowflake refuses raises the connector's error (the command exits non-zero).
    """
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse
    from northstar.warehouse_admin import setup

    settings = load_settings()
    emulated = settings.snowflake is None
    with open_warehouse(settings) as wh:
        done = setup(wh, emulated=emulated, dry_run=args.dry_run)
    target = "the local fakesnow warehouse" if emulated else f"Snowflake database {settings.database}"
    verb = "would run" if args.dry_run else "ran"
    for statement in done:
        mark = f"SKIPPED ({statement.skipped_because})" if statement.skipped_because else verb.upper()
        out.write(f"-- {mark}: {statement.source}\n{statement.sql};\n")
    skipped = [s for s in done if s.skipped_because]
    out.write(f"\n{verb} {len(done) - len(skipped)} statements on {target}; skipped {len(skipped)}.\n")
    if skipped:
        reasons = sorted({s.skipped_because for s in skipped if s.skipped_because})
        out.write("Not emulated locally (they run on Snowflake): " + "; ".join(reasons) + ".\n")
    return 0
