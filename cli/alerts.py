"""`northstar alerts ...`, `northstar monitor` and `northstar report`: monitoring, alerts and the status page."""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from cli.output import print_rows
from northstar.settings import load_settings

STATES = ("firing", "resolved", "muted")
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def add_commands(sub: Any) -> None:
    """Register `alerts`, `monitor` and `report` on the CLI's subparsers."""
    alerts = sub.add_parser("alerts", help="the monitors' alerts: list, mute, test Slack, Prefect automations")
    actions = alerts.add_subparsers(required=True, metavar="ACTION", dest="action")
    listing = actions.add_parser("list", help="alerts with state, severity, counts and pending messages")
    listing.add_argument("--state", choices=STATES)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=list_alerts)
    muting = actions.add_parser("mute", help="mute an alert key for a while (who and why are recorded)")
    muting.add_argument("key", help="the alert key, e.g. freshness:orders (`northstar alerts list`)")
    muting.add_argument("--for", dest="duration", required=True, help="how long: 30m, 2h, 1d, 1h30m")
    muting.add_argument("--reason", required=True, help="why (recorded in OPS.ALERT_EVENTS)")
    muting.set_defaults(handler=mute)
    testing = actions.add_parser("test", help="send one test message on every configured Slack route")
    testing.set_defaults(handler=send_test)
    autos = actions.add_parser("automations", help="apply prefect-automations.yaml (crashed/failed runs to Slack)")
    autos.set_defaults(handler=automations)

    monitor = sub.add_parser("monitor", help="run the monitors once (the monitor flow's work) and deliver alerts")
    monitor.set_defaults(handler=run_monitor)

    report = sub.add_parser("report", help="write the status page: one self-contained HTML file")
    report.add_argument("--days", type=int, default=14, help="days ending today (default 14)")
    report.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    report.set_defaults(handler=write_report)


def parse_duration(text: str) -> timedelta:
    """30m, 2h, 1d, 1h30m as a timedelta; ValueError naming --for otherwise."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"--for: {text!r} is not a duration such as 30m, 2h, 1d or 1h30m")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes)
    if duration <= timedelta(0):
        raise ValueError("--for must be longer than 0 minutes")
    return duration


def list_alerts(args: argparse.Namespace, out: TextIO) -> int:
    """Print the alerts (exit 0)."""
    from northstar.monitoring.service import list_alerts as rows

    print_rows(rows(load_settings(), args.state), out, as_json=args.json)
    return 0


def mute(args: argparse.Namespace, out: TextIO) -> int:
    """Mute a key; exit 2 for a bad duration, key or reason."""
    from northstar.marts.publication import actor
    from northstar.monitoring.service import mute_alert

    duration = parse_duration(args.duration)
    who = actor()
    muted = mute_alert(load_settings(), args.key, duration, args.reason, who)
    out.write(f"muted {muted.key} until {muted.muted_until:%Y-%m-%d %H:%M} UTC by {who}: {args.reason}\n")
    return 0


def send_test(args: argparse.Namespace, out: TextIO) -> int:
    """Send a test message per route; exit 1 when a route failed."""
    from northstar.marts.publication import actor
    from northstar.monitoring.service import send_test as send

    outcome = send(load_settings(), actor())
    for route, result in outcome.items():
        out.write(f"{route}: {result}\n")
    return 0 if all(result == "sent" for result in outcome.values()) else 1


def automations(args: argparse.Namespace, out: TextIO) -> int:
    """Create or replace the declared Prefect automations."""
    from northstar.monitoring.automations import apply_automations

    for name, automation_id in apply_automations(load_settings().alerts).items():
        out.write(f"{name}: {automation_id}\n")
    return 0


def run_monitor(args: argparse.Namespace, out: TextIO) -> int:
    """One monitor run (the monitor flow); its summary as JSON. Exit 0 even when Slack failed."""
    if getattr(args, "start", None) or getattr(args, "end", None):
        raise ValueError("--start/--end do not apply to monitor: it reads the ledger as of now")
    from flows.monitor import monitor

    out.write(json.dumps(monitor()) + "\n")
    return 0


def write_report(args: argparse.Namespace, out: TextIO) -> int:
    """Write the status page to --out."""
    from northstar.monitoring.service import build_report

    page = build_report(load_settings(), args.days)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    out.write(f"wrote {args.out} ({len(page) // 1024} KiB, the last {args.days} days)\n")
    return 0
