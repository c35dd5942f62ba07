"""`northstar reprocess`: replay batches from their landed raw with the current code (flows/reprocess.py)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from cli.output import print_rows
from northstar.settings import Settings, load_settings

if TYPE_CHECKING:
    from flows.reprocess import ReprocessReport


def add_commands(sub: Any) -> None:
    """Register `reprocess` on the CLI's subparsers."""
    rp = sub.add_parser("reprocess", help="replay batches from their landed raw with the current code and checks")
    rp.add_argument(
        "--source", required=True, help="orders, payments or fulfillment (replayed); consistency (checks run again)"
    )
    rp.add_argument("--batch", nargs="+", dest="batch_ids", metavar="ID", help="batch ids (any version)")
    rp.add_argument("--start", help="range start, ISO-8601 with offset (instead of --batch)")
    rp.add_argument("--end", help="range end (exclusive), ISO-8601 with offset")
    rp.add_argument("--reason", required=True, help="why (recorded with the differences)")
    rp.add_argument("--dry-run", action="store_true", help="compute and print the differences, publish nothing")
    rp.add_argument("--json", action="store_true", help="one JSON line per batch")
    rp.set_defaults(handler=_reprocess)


def _reprocess(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when every batch was published (or had nothing to change) and the consistency gate passed; 1 when
    the new checks held a batch or the gate held the marts."""
    from cli.stack import prefect_api
    from flows.reprocess import reprocess
    from flows.reprocess_gate import gate_replayed

    settings = load_settings()
    if args.source == "consistency":
        return _recheck(args, settings, out)
    report = reprocess(
        settings, args.source, batch_ids=args.batch_ids, start=args.start, end=args.end,
        reason=args.reason, dry_run=args.dry_run,
    )  # fmt: skip
    if args.json:
        for b in report.batches:
            line = {"reprocess_id": report.reprocess_id, "dry_run": report.dry_run} | asdict(b)
            out.write(json.dumps(line, default=str) + "\n")
    else:
        _print_report(report, out)
    out.flush()
    verdicts = []
    if report.new_batch_ids:  # the marts follow through the consistency gate, never around it
        with prefect_api(Path(os.environ.get("PREFECT_HOME") or settings.home / "prefect")):
            verdicts = gate_replayed(settings, report)
    for v in verdicts:
        out.write(json.dumps({"gate": asdict(v)}, default=str) + "\n" if args.json else v.message + "\n")
    return 1 if report.held or any(v.status != "COMMITTED" for v in verdicts) else 0


def _recheck(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """The consistency checks and gate again over the business days of --start..--end; exit 1 when one holds."""
    from cli.stack import prefect_api
    from flows.reprocess import ReprocessError
    from flows.reprocess_gate import recheck_consistency

    if args.batch_ids or args.dry_run or not (args.start and args.end):
        raise ReprocessError(
            "--source consistency runs the checks again for days: give --start and --end only "
            "(no --batch, no --dry-run: a gate run publishes the marts only when it passes)"
        )
    with prefect_api(Path(os.environ.get("PREFECT_HOME") or settings.home / "prefect")):
        verdicts = recheck_consistency(settings, args.start, args.end, args.reason)
    for v in verdicts:
        out.write(json.dumps({"gate": asdict(v)}, default=str) + "\n" if args.json else v.message + "\n")
    return 1 if any(v.status != "COMMITTED" for v in verdicts) else 0


def _print_report(report: ReprocessReport, out: TextIO) -> None:
    """Each batch's outcome, then the differences per table summed over the batches, with sample keys."""
    for b in report.batches:
        out.write(f"{b.window.start:%Y-%m-%dT%H:%MZ}  {b.status:<9}  {b.message}\n")
    rows = [
        {"table": d.table, "added": d.added, "changed": d.changed, "removed": d.removed,
         "sample": "; ".join(f"{k}: {', '.join(v[:5])}" for k, v in sorted(d.sample.items()))}
        for d in report.totals().values()
    ]  # fmt: skip
    print_rows(rows, out, as_json=False)
    what = "dry run, nothing written" if report.dry_run else f"new versions: {len(report.new_batch_ids)}"
    n = len(report.batches)
    out.write(f"reprocess {report.reprocess_id} {report.source}: {n} batch{'es' if n != 1 else ''}; {what}\n")
