"""`northstar audit-history`: the current row or cross-system checks over the whole CORE history, in the warehouse."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, date, datetime
from typing import Any, TextIO

from cli.output import print_rows

SOURCE_NAMES = ("orders", "payments", "fulfillment", "consistency")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def add_commands(sub: Any) -> None:
    """Register `audit-history` on the CLI's subparsers."""
    cmd = sub.add_parser(
        "audit-history",
        help="re-run the current checks over the whole CORE history, in the warehouse: the row checks of orders "
        "(and their lines) or fulfillment, or the cross-system checks (consistency); payments have no warehouse path",
    )
    cmd.add_argument(
        "--source",
        required=True,
        metavar="SOURCE",
        help="orders, fulfillment: row checks; consistency: cross-system checks per business day; payments: refused"
        " (README, Full-history checks)",
    )
    cmd.add_argument("--checks", nargs="+", metavar="CHECK_ID", help="only these checks (default: all of the source)")
    cmd.add_argument("--since", metavar="YYYY-MM-DD", help="only rows updated (shipped) since YYYY-MM-DD, UTC")
    cmd.add_argument("--keys", type=int, default=20, help="failing keys to read per check (default 20)")
    cmd.add_argument("--json", action="store_true", help="one JSON object: the run and every check's result")
    cmd.set_defaults(handler=audit_history)


def _audit_consistency(
    wh: Any, settings: Any, *, as_of: datetime, since: datetime, check_ids: list[str] | None, keys: int
) -> list[Any]:
    """The cross-system checks over the history (validators/history_consistency.py), finance named as the gate
    names it."""
    from flows.consistency import finance_dataset
    from northstar.landing import landing_store
    from validators.history_consistency import audit_history_consistency

    name = finance_dataset(landing_store(settings)).name
    return audit_history_consistency(
        wh, settings, as_of=as_of, since=since, check_ids=check_ids, key_limit=keys, finance_dataset=name
    )


def _day(text: str) -> date:
    """--since's day; ValueError naming the argument and the form."""
    try:
        if DAY.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"--since: {text!r} is not a day; write it as YYYY-MM-DD, like 2026-11-20 (UTC)")


def _check_arguments(args: argparse.Namespace, today: date) -> None:
    """Refuse, without the warehouse, an unknown source or check id, a --since that is not a day or is after today
    (UTC), or a negative --keys: ValueError, one line naming the argument and what it takes."""
    if args.source not in SOURCE_NAMES:
        raise ValueError(f"--source: {args.source!r} is not a source; give one of {', '.join(SOURCE_NAMES)}")
    if args.since is not None and _day(args.since) > today:
        raise ValueError(f"--since: {args.since} is after today ({today}, UTC); give a day up to today")
    if args.keys < 0:
        raise ValueError("--keys: give 0 or more failing keys to read per check")
    if args.source == "consistency":
        from validators.history_consistency import check_selection as consistency_selection

        consistency_selection(args.checks)
    else:
        from validators.history import check_selection

        check_selection(args.source, args.checks)


def audit_history(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when every check passes (warnings and information included), 1 when an error-severity check fails."""
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse
    from validators.history import EPOCH, audit_source

    as_of = datetime.now(UTC).replace(tzinfo=None)
    _check_arguments(args, as_of.date())  # refused before the warehouse opens
    since = datetime.combine(_day(args.since), datetime.min.time()) if args.since else EPOCH
    settings = load_settings()
    with open_warehouse(settings) as wh:
        if args.source == "consistency":
            found = _audit_consistency(wh, settings, as_of=as_of, since=since, check_ids=args.checks, keys=args.keys)
        else:
            found = audit_source(wh, args.source, as_of=as_of, since=since, check_ids=args.checks, key_limit=args.keys)
    failed = any(not h.result.success for h in found)
    if args.json:
        report = {"source": args.source, "as_of": as_of.isoformat() + "Z", "since": since.isoformat() + "Z",
                  "failed": failed, "checks": [h.as_dict() for h in found]}  # fmt: skip
        out.write(json.dumps(report) + "\n")
        return int(failed)
    out.write(f"Full-history checks of {args.source} since {since:%Y-%m-%d} (UTC), as of {as_of:%Y-%m-%d %H:%M} UTC\n")
    rows = [
        {k: h.as_dict()[k] for k in ("dataset", "check_id", "outcome", "rows_checked", "rows_failed", "seconds")}
        | {"first_failing_keys": " ".join(h.failing_keys)}
        for h in found
    ]
    print_rows(rows, out, as_json=False)
    return int(failed)
