"""`northstar backfill` and `northstar backfills`: run a source's windows over a range, and list past backfills."""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from northstar.settings import load_settings


def add_commands(sub: Any) -> None:
    """Register `backfill` and `backfills` on the CLI's subparsers."""
    bf = sub.add_parser("backfill", help="run a source's windows over a range, N at a time (resumable)")
    bf.add_argument("--source", required=True, help="orders, payments, fulfillment or consistency")
    bf.add_argument("--start", required=True, help="range start, ISO-8601 with offset")
    bf.add_argument("--end", required=True, help="range end (exclusive), ISO-8601 with offset")
    bf.add_argument("--window", help="window size 15m, 1h or 1d (default: the source's cadence)")
    bf.add_argument("--workers", type=int, default=1, help="windows run at once (default 1)")
    bf.add_argument("--reason", help="why (recorded in OPS.BACKFILLS)")
    bf.add_argument("--json", action="store_true", help="one JSON line per window, then the summary")
    bf.set_defaults(handler=_backfill)
    listed = sub.add_parser("backfills", help="the recorded backfills, newest first")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(handler=_backfills)


def _backfill(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when every window committed or was already committed, 1 when one was held or failed, 130 when
    interrupted (Ctrl-C: the windows in progress finished, the rest were not started; a rerun resumes)."""
    if args.workers < 1:
        raise ValueError(f"--workers {args.workers}: give 1 or more")
    from cli.stack import prefect_api
    from flows.backfill import (
        INTERRUPTED,
        backfill,
        listening,
        parse_window,
        plan_windows,
        refuse_unsettled,
        source_for,
    )

    settings = load_settings()
    source_for(args.source)
    windows = plan_windows(args.start, args.end, parse_window(args.window, args.source))  # before Prefect starts
    refuse_unsettled(args.source, windows, settings)

    params = {"source": args.source, "start": args.start, "end": args.end, "window": args.window,
              "workers": args.workers, "reason": args.reason}  # fmt: skip
    # the local Prefect server (started when not running): the pool's workers get its address from Prefect
    with prefect_api(Path(os.environ.get("PREFECT_HOME") or settings.home / "prefect")):
        if args.json:

            def line(result: dict[str, Any]) -> None:
                out.write(json.dumps(result, default=str) + "\n")
                out.flush()

            with listening(line):
                summary = backfill(**params)
            out.write(json.dumps({"summary": asdict(summary)}) + "\n")
        else:
            summary = _with_progress(params, len(windows), out)
            s = summary
            ended = f"interrupted after {s.windows} of {len(windows)} windows" if s.status == INTERRUPTED else ""
            out.write(
                f"backfill {s.backfill_id} {s.source}: {ended or f'{s.windows} windows'}, {s.committed} committed, "
                f"{s.skipped} skipped (already committed or running elsewhere), {s.held} held, {s.failed} failed; "
                f"{s.rows_extracted:,} rows extracted, {s.rows_published:,} published in {s.seconds:.1f} s: "
                f"{s.status}\n"
            )
            if s.status == INTERRUPTED:
                out.write("rerun the same command to resume: committed windows are skipped\n")
    if summary.status == INTERRUPTED:
        return 130
    return 1 if summary.held or summary.failed else 0


def _with_progress(params: dict[str, Any], total: int, out: TextIO) -> Any:
    """Run the backfill with a progress bar: windows done/total, rows, rows/s, held, ETA."""
    from rich.console import Console  # here, not at the top: building the parser does not pay for rich
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from flows.backfill import backfill, listening

    console = Console(file=out)
    stats = {"rows": 0, "held": 0, "failed": 0, "t0": time.perf_counter()}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(f"{params['source']} windows", total=total, info="")

        def on_window(result: dict[str, Any]) -> None:
            stats["rows"] += result["rows_extracted"]
            stats["held"] += result["status"] == "HELD"
            stats["failed"] += result["status"] == "FAILED"
            rate = stats["rows"] / max(time.perf_counter() - stats["t0"], 1e-6)
            info = (
                f"{stats['rows']:,} rows extracted  {rate:,.0f} rows/s  held {stats['held']}  failed {stats['failed']}"
            )
            progress.update(bar, advance=1, info=info)
            if result["status"] in ("HELD", "FAILED"):
                progress.console.print(f"{result['window_start']} {result['status']}: {result['reason']}")

        with listening(on_window):
            return backfill(**params)


def _backfills(args: argparse.Namespace, out: TextIO) -> int:
    from cli.output import print_rows
    from northstar.sqlfiles import read_sql
    from northstar.warehouse import open_warehouse

    settings = load_settings()
    # a RUNNING backfill without a heartbeat for a lease TTL has lost its process: it reads as INTERRUPTED (the
    # same rule as flows/backfill.py::stale_before, not imported: a listing does not load Prefect)
    stale = datetime.now(UTC).replace(tzinfo=None) - settings.lease_ttl
    with open_warehouse(settings) as wh:
        rows = wh.query(read_sql("snowflake/select_ops_backfills.sql"), {"stale_before": stale})
    print_rows(rows, out, as_json=args.json)
    return 0
