"""`northstar investigate`: from a symptom (an incident, a metric on a day, an order, a batch) to its likely cause."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TextIO

from cli.incidents import add_commands as add_incidents
from northstar.incidents import INVESTIGATING, OPEN, get_incident, transition
from northstar.rootcause import METRICS, Evidence, Replayer, investigate, resolve_subject
from northstar.rootcause.report import write_html, write_text
from northstar.rootcause.verdict import as_dict
from northstar.settings import Settings, load_settings
from northstar.warehouse import open_warehouse


def add_commands(sub: Any) -> None:
    """Register `investigate` (and `incidents`, cli/incidents.py) on the CLI's subparsers."""
    add_incidents(sub)
    parser = sub.add_parser("investigate", help="classify an inconsistency: source change, late data, ETL bug, marts")
    symptom = parser.add_mutually_exclusive_group(required=True)
    symptom.add_argument("--incident", metavar="ID", help="an incident (northstar incidents list)")
    symptom.add_argument("--metric", choices=METRICS, help="a metric on a business day (with --date)")
    symptom.add_argument("--order", type=int, metavar="ID", help="one order id")
    symptom.add_argument("--batch", metavar="ID", help="one batch id (northstar batches)")
    parser.add_argument("--date", help="business day YYYY-MM-DD in NORTHSTAR_BUSINESS_TZ (with --metric)")
    parser.add_argument("--currency", help="narrow a revenue metric to one currency")
    parser.add_argument("--source", choices=["orders", "payments", "fulfillment"], help="narrow to one source")
    parser.add_argument("--json", action="store_true", help="one JSON object: classification, confidence, evidence")
    parser.add_argument(
        "--html", metavar="FILE", help="write a self-contained HTML page with the timeline; prints where it went"
    )
    parser.set_defaults(handler=run_investigate)


def run_investigate(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when nothing is inconsistent (`none`), 1 when a cause was classified. Prints the text report, or with
    --json one JSON object; --html FILE writes the page and, without --json, prints one line saying where."""
    if args.date and not args.metric:
        raise ValueError("--date goes with --metric (an incident, order or batch carries its own day)")
    settings = load_settings()
    with open_warehouse(settings) as wh:
        subject = resolve_subject(
            wh,
            settings,
            incident=args.incident,
            metric=args.metric,
            day=args.date,
            currency=args.currency,
            source=args.source,
            order=args.order,
            batch=args.batch,
        )
        verdict, ev = investigate(wh, settings, subject, dry_run_replay(settings))
        if args.incident and get_incident(wh, args.incident)["STATUS"] in (OPEN, INVESTIGATING):
            transition(wh, args.incident, INVESTIGATING, actor=settings.user, classification=verdict.classification)
    marquez = settings.lineage.marquez_url
    if args.html:  # the page instead of the text report; with --json, the JSON as well
        write_html(args.html, verdict, ev, marquez)
        if not args.json:
            size = os.path.getsize(args.html)
            out.write(
                f"wrote {args.html} ({size / 1024:.0f} KiB): {verdict.classification} "
                f"(confidence {verdict.confidence:.2f})\n"
            )
    if args.json:
        out.write(json.dumps(as_dict(verdict, ev, marquez), default=str) + "\n")
    elif not args.html:
        write_text(out, verdict, ev, marquez)
    return 0 if verdict.classification == "none" else 1


def dry_run_replay(settings: Settings) -> Replayer:
    """Replay the affected orders batches that ran another code version than this one, as a dry run of
    flows.reprocess (nothing is written); their per-table differences. Orders only: reprocess replays orders.
    A batch whose raw is gone (ReprocessError) gives no replay, and the investigation goes on without it."""

    def replay(ev: Evidence) -> list[dict[str, Any]]:
        from flows.reprocess import ReprocessError, reprocess  # the flows import Prefect: only when replaying

        stale = sorted(
            b["BATCH_ID"]
            for b in ev.affected_batches()
            if b["SOURCE"] == "orders"
            and b["STATUS"] in ("COMMITTED", "HELD")
            and b["CODE_VERSION"] not in (None, settings.code_version)
        )
        if not stale:
            return []
        reason = (
            f"investigate: dry-run replay of {ev.subject.kind} {ev.subject.value} with code {settings.code_version}"
        )
        try:
            report = reprocess(settings, "orders", batch_ids=stale, reason=reason, dry_run=True)
        except ReprocessError:
            return []
        return [
            {
                "batch_id": b.superseded,
                "table": d.table,
                "added": d.added,
                "removed": d.removed,
                "changed": d.changed,
                "sample": d.sample,
            }
            for b in report.batches
            for d in b.diffs
        ]

    return replay
