"""`northstar incidents list|show|correct|close`: incidents opened by failed error checks and held gates."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime
from typing import Any, TextIO

from cli.output import print_rows, terminal_width
from northstar.incidents import CLOSED, CORRECTED, STATUSES, get_incident, incident_events, list_incidents, transition
from northstar.settings import load_settings
from northstar.warehouse import jsonable, open_warehouse


def add_commands(sub: Any) -> None:
    """Register `incidents` and its actions on the CLI's subparsers."""
    parser = sub.add_parser("incidents", help="incidents: one per failing cause (source, check, business day)")
    actions = parser.add_subparsers(required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="incidents, newest first (a compact table; --json: every field)")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", help="one incident and its transitions")
    show.add_argument("incident_id", metavar="ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)
    correct = actions.add_parser("correct", help="mark an incident corrected by a correction")
    correct.add_argument("incident_id", metavar="ID")
    correct.add_argument("--correction", required=True, help="the correction's id (northstar corrections request)")
    correct.set_defaults(handler=_correct)
    close = actions.add_parser("close", help="close an incident")
    close.add_argument("incident_id", metavar="ID")
    close.add_argument("--reason", required=True, help="why it is closed (kept in OPS.INCIDENT_EVENTS)")
    close.set_defaults(handler=_close)


def _list(args: argparse.Namespace, out: TextIO) -> int:
    with open_warehouse(load_settings()) as wh:
        rows = list_incidents(wh, args.status)
    if args.json:
        print_rows(rows, out, as_json=True)
    else:
        print_incidents(rows, out)
    return 0


def print_incidents(rows: list[dict[str, Any]], out: TextIO) -> None:
    """The incidents as a compact table sized to the terminal (80 columns and up): id, when opened (UTC, to the
    minute), status, and the subject, wrapped, never cut: what failed (source and check, how many batches saw it)
    over the check's measured value. rows: as list_incidents returns them. `incidents show ID` and `--json` have
    every field."""
    if not rows:
        out.write("(no rows)\n")
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), header_style="bold")
    for column in ("INCIDENT_ID", "OPENED", "STATUS"):  # copied and pasted back: never wrapped
        table.add_column(column, no_wrap=True)
    table.add_column("SUBJECT", overflow="fold", ratio=1)
    for row in rows:
        table.add_row(row["INCIDENT_ID"], _minute(row["OPENED_AT"]), row["STATUS"], _subject(row))
    buffer = io.StringIO()
    Console(file=buffer, width=terminal_width(out), highlight=False, soft_wrap=False, emoji=False).print(table)
    out.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    out.write("Details: northstar incidents show ID (every field: incidents list --json)\n")


def _minute(moment: datetime) -> str:
    """A moment to the minute in UTC, ISO-8601 with its offset: 2026-11-20T12:16Z."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _subject(incident: dict[str, Any]) -> str:
    seen = int(incident["OCCURRENCES"])
    cause = f"{incident['SOURCE']} {incident['CHECK_ID']}" + (f" ({seen} batches)" if seen > 1 else "")
    summary = " ".join(str(incident.get("SUMMARY") or "").split())
    return f"{cause}\n{summary}" if summary else cause


def _show(args: argparse.Namespace, out: TextIO) -> int:
    """The incident's row and its events; exit 0 whatever its status (a shown incident is a success)."""
    with open_warehouse(load_settings()) as wh:
        row = get_incident(wh, args.incident_id)
        events = incident_events(wh, args.incident_id)
    if args.json:
        report = {k.lower(): jsonable(v) for k, v in row.items()}
        report["events"] = [{k.lower(): jsonable(v) for k, v in e.items()} for e in events]
        out.write(json.dumps(report) + "\n")
    else:
        width = max(len(k) for k in row)
        for key, value in row.items():
            out.write(f"{key.ljust(width)}  {'' if value is None else jsonable(value)}\n")
        out.write("\nTransitions (OPS.INCIDENT_EVENTS):\n")
        print_rows(events, out, as_json=False)
        if row["STATUS"] in ("open", "investigating"):
            out.write(f"Next: northstar investigate --incident {row['INCIDENT_ID']}\n")
    return 0


def _correct(args: argparse.Namespace, out: TextIO) -> int:
    settings = load_settings()
    with open_warehouse(settings) as wh:
        row = transition(wh, args.incident_id, CORRECTED, actor=settings.user, correction_id=args.correction)
    out.write(f"incident {row['INCIDENT_ID']}: corrected by {row['CORRECTION_ID']}\n")
    return 0


def _close(args: argparse.Namespace, out: TextIO) -> int:
    if not args.reason.strip():
        raise ValueError("--reason is empty: say why the incident is closed")
    settings = load_settings()
    with open_warehouse(settings) as wh:
        if get_incident(wh, args.incident_id)["STATUS"] == CLOSED:  # closing twice is a no-op, like a re-run backfill
            out.write(f"incident {args.incident_id}: already closed (nothing changed)\n")
            return 0
        row = transition(wh, args.incident_id, CLOSED, actor=settings.user, reason=args.reason)
    out.write(f"incident {row['INCIDENT_ID']}: closed ({args.reason})\n")
    return 0
