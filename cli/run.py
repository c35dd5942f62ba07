"""`northstar run SOURCE` and `northstar webhooks serve`: arguments checked first, then the flow.

Everything that can be refused without a service is refused first, in milliseconds: the window (both ends, with
offsets, end after start, ended and settled), stripe-recover's --since, and a source that does not answer on
its port (a closed port is said at once instead of after the extract's retries). Then the flow runs against the
local Prefect server (started on demand, see cli/stack.py), with a spinner on a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

SOURCES = ("orders", "payments", "fulfillment", "consistency", "stripe-recover", "monitor")


def add_commands(sub: Any) -> None:
    """Register run and webhooks."""
    run = sub.add_parser("run", help="run one micro-batch of a source")
    run.add_argument("source", choices=SOURCES)
    run.add_argument("--start", help="window start, ISO-8601 with offset (default: last closed window)")
    run.add_argument("--end", help="window end, ISO-8601 with offset")
    run.add_argument("--lookback-days", type=int, default=3, help="payments: ignored (read by arrival)")
    run.add_argument("--since", help="stripe-recover: events created since, ISO-8601 with offset (<= 30 days ago)")
    run.set_defaults(handler=run_command)

    demo = sub.add_parser("demo", help="seed the local sources and run every flow (deletes the home's state)")
    demo.add_argument("--yes", action="store_true", help="delete the existing state without asking")
    demo.set_defaults(handler=_demo)

    webhooks = sub.add_parser("webhooks", help="the Stripe webhook receiver")
    webhooks.add_argument("action", choices=["serve"])
    webhooks.add_argument("--host", default="127.0.0.1")
    webhooks.add_argument("--port", type=int, default=8000)
    webhooks.set_defaults(handler=_webhooks)


def run_command(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when the batch committed or was skipped, 1 when it was held; bad arguments raise ValueError."""
    from northstar.settings import load_settings

    settings = load_settings()
    if args.source == "monitor":  # not a batch: no window (cli/alerts.py)
        from cli.alerts import run_monitor

        return run_monitor(args, out)
    if bool(args.start) != bool(args.end):
        raise ValueError("give both --start and --end, or neither")
    if (args.source == "stripe-recover") != bool(args.since):
        raise ValueError("--since goes with stripe-recover, and stripe-recover needs --since")
    if args.start and args.end:
        from northstar.batches import settled_window

        settle = settings.settle.get(args.source, timedelta(0))
        settled_window(args.source, timedelta(0), settle, args.start, args.end)
    if args.source == "stripe-recover":
        from northstar.batches import parse_utc

        parse_utc(args.since)
        settings.payments.require_api_key()
    require_reachable(args.source, settings)
    with progress(f"running {args.source}"), _prefect(settings.home):
        if args.source == "stripe-recover":
            report = _stripe_recover(args.since, settings)
            status = report["batch"]["status"]
        else:
            report = asdict(_flow(args)) | {}
            status = report["status"]
    out.write(json.dumps(report, default=str) + "\n")
    return 1 if status == "HELD" else 0


STRIPE_API = "https://api.stripe.com"


def require_reachable(source: str, settings: Any, timeout: float = 3.0) -> None:
    """Refuse at once when the source's server does not accept a connection (the orders' PostgreSQL, the SFTP
    drop, Stripe's Events API for a recovery); the extract's own retries are for a source that answers and then
    fails. Raises SourceUnreachable."""
    if source == "orders":
        dsn = settings.orders.pg_dsn.get_secret_value()
        parts = urlsplit(dsn)
        host, port, name = parts.hostname or "127.0.0.1", parts.port or 5432, "NORTHSTAR_SOURCE_PG_DSN"
        hint = "start PostgreSQL (`make pg`) or fix NORTHSTAR_SOURCE_PG_DSN"
    elif source == "fulfillment" and settings.fulfillment.sftp.host:
        host, port, name = settings.fulfillment.sftp.host, settings.fulfillment.sftp.port, "NORTHSTAR_SFTP_HOST"
        hint = "check NORTHSTAR_SFTP_HOST and NORTHSTAR_SFTP_PORT, or ask the sender whether the server is up"
    elif source == "stripe-recover":  # the Events API: the SDK would retry a refused connection before saying so
        parts = urlsplit(settings.payments.api_base or STRIPE_API)
        host = parts.hostname or "api.stripe.com"
        name = "STRIPE_API_BASE" if settings.payments.api_base else "Stripe's API"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        hint = "check STRIPE_API_BASE and the network (https://status.stripe.com), then run the recovery again"
    else:
        return
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        what = f"cannot reach the {source} source at {host}:{port} ({name}): {reason}"
        raise SourceUnreachable(f"{what}\n{hint}") from None


class SourceUnreachable(ConnectionError):
    """A source's server refused or did not answer a connection: a service that is not available (exit 1), with
    the setting that names it and the next step on a second line."""


def _flow(args: argparse.Namespace) -> Any:
    if args.source == "payments":
        from flows.payments_microbatch import payments_microbatch

        return payments_microbatch(start=args.start, end=args.end, lookback_days=args.lookback_days)
    if args.source == "consistency":
        from flows.consistency import consistency_check

        return consistency_check(start=args.start, end=args.end)
    if args.source == "fulfillment":
        from flows.fulfillment_hourly import fulfillment_hourly

        return fulfillment_hourly(start=args.start, end=args.end)
    from flows.orders_microbatch import orders_microbatch

    return orders_microbatch(start=args.start, end=args.end)


def _stripe_recover(since_text: str, settings: Any) -> dict[str, Any]:
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
    api_key, api_base = settings.payments.require_api_key(), settings.payments.api_base
    started = datetime.now(UTC)
    summary = recover_events(landing_store(settings), since=since, api_key=api_key, api_base=api_base)
    ended = datetime.now(UTC)
    outcome = payments_microbatch(
        start=started.isoformat(), end=ended.isoformat(), lookback_days=recovery_lookback_days(since, started)
    )
    return {"recovery": asdict(summary), "batch": asdict(outcome)}


@contextlib.contextmanager
def _prefect(home: Path) -> Iterator[None]:
    import os

    from cli.stack import prefect_api

    with prefect_api(Path(os.environ.get("PREFECT_HOME") or home / "prefect")):
        yield


@contextlib.contextmanager
def progress(label: str) -> Iterator[None]:
    """A spinner with the elapsed time on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"{label} ...", spinner="dots"):
        yield


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    """Run `python -m demo` from the checkout (the demo ships with the repository, not the package); it asks
    before deleting an existing state unless --yes."""
    import subprocess

    from northstar.settings import checkout_home

    root = checkout_home().parent
    if not (root / "demo" / "__main__.py").is_file():
        raise ValueError(f"the demo ships with the repository and {root} has none: run it from a checkout")
    return subprocess.call([sys.executable, "-m", "demo", *(["--yes"] if args.yes else [])], cwd=root)


def _webhooks(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.sources.stripe.receiver import serve

    serve(args.host, args.port)
    return 0
