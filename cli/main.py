"""The `northstar` command: run flows, inspect batches and quarantine, query the warehouse."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from cli import backfill as backfill_cli
from cli import reprocess as reprocess_cli
from cli import warehouse_admin
from northstar.batches import settled_window
from northstar.landing import LandingCorrupt
from northstar.settings import SettingsError, load_settings
from northstar.warehouse import WarehouseError

QUARANTINE_QUERIES = {
    "orders": "snowflake/select_quarantine_orders.sql",
    "order_lines": "snowflake/select_quarantine_order_lines.sql",
    "payments": "snowflake/select_quarantine_stripe_events.sql",
    "fulfillment": "snowflake/select_quarantine_wms_lines.sql",
}


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Entry point; the exit code is 0 on success, 1 on a failed or held run, 2 on bad input or bad settings.

    The settings are read and checked first, before any command runs: a bad variable is reported on its own
    line (`northstar: NAME: what is wrong`), without a traceback.
    """
    args = _parser().parse_args(argv)
    try:
        prefect_defaults(load_settings().home)
        return int(args.handler(args, out))
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"northstar: {problem}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:
        print(f"northstar: {exc}", file=sys.stderr)
        return 2
    except (WarehouseError, LandingCorrupt) as exc:  # expected failures: what failed and what to do, no traceback
        print(f"northstar: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`... --json | head -3`): what it read is all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail again
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="northstar", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one micro-batch of a source")
    run.add_argument("source", choices=["orders", "payments", "fulfillment", "consistency", "stripe-recover"])
    run.add_argument("--start", help="window start, ISO-8601 with offset (default: last closed window)")
    run.add_argument("--end", help="window end, ISO-8601 with offset")
    run.add_argument("--lookback-days", type=int, default=3, help="payments: ignored (read by arrival)")
    run.add_argument("--since", help="stripe-recover: events created since, ISO-8601 with offset (<= 30 days ago)")
    run.set_defaults(handler=_run)

    for name, helptext in (
        ("up", "start the local warehouse server in the background (commands start it on demand too)"),
        ("down", "stop the local warehouse server"),
        ("status", "show whether the local warehouse server runs, where, and for which files"),
    ):
        sub.add_parser(name, help=helptext).set_defaults(handler=_stack, action=name)

    webhooks = sub.add_parser("webhooks", help="the Stripe webhook receiver")
    webhooks.add_argument("action", choices=["serve"])
    webhooks.add_argument("--host", default="127.0.0.1")
    webhooks.add_argument("--port", type=int, default=8000)
    webhooks.set_defaults(handler=_webhooks)

    checks = sub.add_parser("checks", help="a business day's cross-system check results, SLA metrics and gate")
    checks.add_argument("--date", help="business day YYYY-MM-DD in NORTHSTAR_BUSINESS_TZ (default: today)")
    checks.add_argument("--json", action="store_true")
    checks.set_defaults(handler=_checks)

    batches = sub.add_parser("batches", help="batches with status, counts and timings")
    batches.add_argument("--source")
    batches.add_argument("--json", action="store_true")
    batches.set_defaults(handler=_batches)

    quarantine = sub.add_parser("quarantine", help="quarantined rows and their reasons")
    quarantine.add_argument("--source", default="orders", choices=sorted(QUARANTINE_QUERIES))
    quarantine.add_argument("--batch")
    quarantine.add_argument("--json", action="store_true")
    quarantine.set_defaults(handler=_quarantine)

    query = sub.add_parser("query", help="a read-only SQL query on the configured warehouse")
    query.add_argument("sql")
    query.add_argument("--json", action="store_true")
    query.set_defaults(handler=_query)
    warehouse_admin.add_parser(sub)

    from cli.marts import add_marts_parser  # the marts' commands live in cli/marts.py

    add_marts_parser(sub)

    from cli.reconcile import add_commands  # reconcile-source and completeness

    add_commands(sub)
    backfill_cli.add_commands(sub)  # backfill, backfills (cli/backfill.py)
    reprocess_cli.add_commands(sub)  # reprocess (cli/reprocess.py)
    return parser


def prefect_defaults(home: Path) -> None:
    """Keep Prefect's local state beside ours and give its ephemeral server time to start on 2 cores.

    These are Prefect's own variables, set for Prefect to read (the pipeline's settings are northstar.settings).
    """
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")  # seen at 135 s under load


def _stack(args: argparse.Namespace, out: TextIO) -> int:
    """up, down, status of the local warehouse server (the aws profile has nothing to start)."""
    from northstar.warehouse_server import ensure_server, running_server, stop_server

    settings = load_settings()
    folder = settings.warehouse_dir
    if settings.snowflake is not None:
        out.write("the warehouse is Snowflake (SNOWFLAKE_ACCOUNT is set): nothing runs locally\n")
        return 0
    if args.action == "down":
        out.write("local warehouse: stopped\n" if stop_server(folder) else "local warehouse: was not running\n")
        return 0
    running = ensure_server(folder) if args.action == "up" else running_server(folder)
    if running is None:
        out.write(f"local warehouse: not running (files {folder}; `northstar up` starts it)\n")
        return 1
    out.write(f"local warehouse: running, pid {running.pid}, {running.host}:{running.port}, files {folder}\n")
    return 0


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if bool(args.start) != bool(args.end):
        raise ValueError("give both --start and --end, or neither")
    if (args.source == "stripe-recover") != bool(args.since):
        raise ValueError("--since goes with stripe-recover, and stripe-recover needs --since")
    if args.source == "stripe-recover":
        return _stripe_recover(args.since, out)
    if args.start and args.end:  # refused in milliseconds, before Prefect or the warehouse start
        settle = load_settings().settle.get(args.source, timedelta(0))
        settled_window(args.source, timedelta(0), settle, args.start, args.end)
    if args.source == "payments":
        from flows.payments_microbatch import payments_microbatch

        outcome = payments_microbatch(start=args.start, end=args.end, lookback_days=args.lookback_days)
    elif args.source == "consistency":
        from flows.consistency import consistency_check

        outcome = consistency_check(start=args.start, end=args.end)
    elif args.source == "fulfillment":
        from flows.fulfillment_hourly import fulfillment_hourly

        outcome = fulfillment_hourly(start=args.start, end=args.end)
    else:
        from flows.orders_microbatch import orders_microbatch

        outcome = orders_microbatch(start=args.start, end=args.end)
    out.write(json.dumps(_outcome_dict(outcome)) + "\n")
    return 1 if outcome.status == "HELD" else 0


def _stripe_recover(since_text: str, out: TextIO) -> int:
    """Land what the Events API has since --since, then process exactly what recovery wrote as one payments batch.

    The batch's window is the recovery's own run time: events are picked by when they arrived (were landed),
    whatever their own creation time; its lookback only keeps it a batch of its own.
    """
    from datetime import UTC, datetime

    from flows.payments_microbatch import payments_microbatch
    from northstar.batches import parse_utc
    from northstar.landing import landing_store
    from northstar.sources.stripe.recover import recover_events, recovery_lookback_days

    since = parse_utc(since_text)
    settings = load_settings()
    api_key, api_base = settings.payments.require_api_key(), settings.payments.api_base
    started = datetime.now(UTC)
    summary = recover_events(landing_store(settings), since=since, api_key=api_key, api_base=api_base)
    ended = datetime.now(UTC)
    outcome = payments_microbatch(
        start=started.isoformat(), end=ended.isoformat(), lookback_days=recovery_lookback_days(since, started)
    )
    out.write(json.dumps({"recovery": asdict(summary), "batch": _outcome_dict(outcome)}) + "\n")
    return 1 if outcome.status == "HELD" else 0


def _webhooks(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.sources.stripe.receiver import serve

    serve(args.host, args.port)
    return 0


def _outcome_dict(outcome: Any) -> dict[str, Any]:
    return asdict(outcome)


def _checks(args: argparse.Namespace, out: TextIO) -> int:
    from cli.checks import show_checks

    return show_checks(args.date, out, args.json)


def _batches(args: argparse.Namespace, out: TextIO) -> int:
    return _print_query("snowflake/select_load_batches.sql", {"source": args.source}, out, args.json)


def _quarantine(args: argparse.Namespace, out: TextIO) -> int:
    return _print_query(QUARANTINE_QUERIES[args.source], {"batch_id": args.batch}, out, args.json)


def _query(args: argparse.Namespace, out: TextIO) -> int:
    from cli.output import print_rows
    from northstar.readonly import require_read_only
    from northstar.warehouse import open_warehouse

    require_read_only(args.sql)
    with open_warehouse(load_settings()) as wh:
        rows = wh.query_rolled_back(args.sql)
    print_rows(rows, out, as_json=args.json)
    return 0


def _print_query(relative: str, params: dict[str, Any], out: TextIO, as_json: bool) -> int:
    from cli.output import print_rows
    from northstar.sqlfiles import read_sql
    from northstar.warehouse import open_warehouse

    with open_warehouse(load_settings()) as wh:
        rows = wh.query(read_sql(relative), params)
    print_rows(rows, out, as_json=as_json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
