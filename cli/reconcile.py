"""`northstar reconcile-source orders` and `northstar completeness`: the checks that nothing was dropped."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any, TextIO

from cli.output import print_rows


def add_commands(sub: Any) -> None:
    """Register both commands on the CLI's subparsers."""
    rec = sub.add_parser("reconcile-source", help="prove the source's rows are in CORE; repair and mark deletes")
    rec.add_argument("source", choices=["orders"])
    span = rec.add_mutually_exclusive_group()
    span.add_argument("--days", type=int, default=3, help="created days (UTC) ending today (default 3)")
    span.add_argument(
        "--all", action="store_true", help="every created day, from the earliest in the source or CORE to today"
    )
    rec.add_argument("--json", action="store_true")
    rec.set_defaults(handler=reconcile_source)

    comp = sub.add_parser("completeness", help="every landed object taken by exactly one batch")
    comp.add_argument("--source", choices=["orders", "payments", "fulfillment", "finance"])
    comp.add_argument("--since", help="only objects landed since, ISO-8601 with offset")
    comp.add_argument("--json", action="store_true")
    comp.set_defaults(handler=completeness)


def reconcile_source(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when the source and CORE agree (or were repaired), 1 when the mass-delete guard held the run or a
    repair batch was held."""
    from flows.orders_repair import reconcile_source_orders
    from northstar.settings import load_settings

    report = reconcile_source_orders(load_settings(), None if args.all else args.days)
    if args.json:
        out.write(json.dumps(report.as_dict()) + "\n")
    else:
        out.write(summary(report.run_id, report.diff, args.all, bool(report.held_reason)))
        if report.repair:
            r = report.repair
            out.write(f"  repair batch {r.batch_id}: {r.status}, {r.rows_published} published, "
                      f"{r.rows_quarantined} quarantined\n")  # fmt: skip
        print_rows([c.as_dict() for c in report.checks], out, as_json=False)
        if report.held_reason:
            out.write(f"HELD {report.run_id}: {report.held_reason}\n")
    return 1 if report.held_reason or (report.repair and report.repair.status == "HELD") else 0


SHOWN_IDS = 10  # ids listed per kind in the text; --json has them all


def summary(run_id: str, diff: Any, whole_history: bool, held: bool) -> str:
    """The reconciliation's text report: its day range in words, then each kind of difference as a count and at
    most SHOWN_IDS order ids. diff is a northstar.sources.orders.reconcile.OrdersDiff ([low, high) UTC)."""
    last = (diff.high - timedelta(days=1)).date()  # high is the exclusive end: tomorrow's midnight
    if whole_history:
        earliest = "--all: the earliest created day in the source or CORE"
        span = f"every UTC day from {diff.low:%Y-%m-%d} ({earliest}) to {last} (today)"
    else:
        days = (diff.high - diff.low).days
        span = f"the last {days} UTC day(s), {diff.low:%Y-%m-%d} to {last} (today)"
    return (
        f"Source reconciliation {run_id}: orders created on {span}; {diff.days_checked} day(s) with orders, "
        f"{len(diff.days_differing)} differing ({diff.queries} queries, {diff.seconds:.2f} s)\n"
        f"  missing {_ids(diff.missing)}\n  stale {_ids(diff.stale)}\n  moved {_ids(diff.moved)}\n"
        f"  deleted at the source ({'NOT marked: held' if held else 'marked'}) {_ids(diff.deleted)}\n"
        f"  quarantined (nothing to repair) {_ids(diff.quarantined)}\n"
    )


def _ids(ids: list[int]) -> str:
    """`0`, or the count and the first SHOWN_IDS ids: `12: 1, 2, ... and 2 more (--json lists all)`."""
    if not ids:
        return "0"
    more = f", ... and {len(ids) - SHOWN_IDS} more (--json lists all)" if len(ids) > SHOWN_IDS else ""
    return f"{len(ids)}: {', '.join(str(i) for i in ids[:SHOWN_IDS])}{more}"


def completeness(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 1 when an object was never taken or taken twice."""
    from northstar.batches import parse_utc

    since = parse_utc(args.since) if args.since else None  # refused before Prefect and the flows are imported
    from flows.completeness import run_completeness
    from northstar.settings import load_settings

    report = run_completeness(load_settings(), args.source, since)
    if args.json:
        out.write(json.dumps(report.as_dict()) + "\n")
    else:
        out.write(f"Completeness {report.batch_id}:\n")
        rows = [{k: c.as_dict()[k] for k in ("check_id", "dataset", "outcome", "rows_checked", "rows_failed", "actual")}
                for c in report.checks]  # fmt: skip
        print_rows(rows, out, as_json=False)
        for source, n in report.handed_over.items():
            if n:
                out.write(f"  {n} {source} object(s) no batch took handed to the next {source} batch\n")
    return 1 if report.failed else 0
