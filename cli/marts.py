"""`northstar marts ...`: publish, list, diff and roll back the marts' publications; deprecations; contracts."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any, TextIO


def add_marts_parser(sub: Any) -> None:
    """Register `northstar marts` on the main parser's subcommands."""
    marts = sub.add_parser("marts", help="the certified marts (dbt): publications, rollback, diff, deprecations")
    cmds = marts.add_subparsers(required=True, metavar="ACTION")

    publish = cmds.add_parser("publish", help="build, test and make live a new publication")
    publish.add_argument(
        "--gate-batch", help="the passed consistency batch it follows (default: the newest gate; refused if held)"
    )
    publish.set_defaults(handler=_publish)

    pubs = cmds.add_parser("publications", help="the recorded publications, newest first")
    pubs.add_argument("--json", action="store_true")
    pubs.set_defaults(handler=_publications)

    diff = cmds.add_parser("diff", help="rows added/removed/changed per mart and revenue per day between two")
    diff.add_argument("a")
    diff.add_argument("b")
    diff.add_argument("--json", action="store_true")
    diff.set_defaults(handler=_diff)

    rollback = cmds.add_parser("rollback", help="make an earlier kept publication live in one step")
    rollback.add_argument("--to", required=True, metavar="PUB")
    rollback.add_argument("--reason", required=True)
    rollback.set_defaults(handler=_rollback)

    deps = cmds.add_parser("deprecations", help="model versions with a deprecation date, in the live publication")
    deps.add_argument("--json", action="store_true")
    deps.set_defaults(handler=_deprecations)

    contracts = cmds.add_parser("contracts", help="fail on an undeclared breaking change against the last release")
    contracts.add_argument("--update", action="store_true", help="record the current contracts as the release's")
    contracts.set_defaults(handler=_contracts)


def _publish(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.marts.publication import LIVE, publish_marts
    from northstar.settings import load_settings

    settings = load_settings()
    pub = publish_marts(settings, passed_gate(settings, args.gate_batch))
    out.write(f"publication {pub.publication_id}: {pub.status} ({pub.dbt_seconds or 0:.1f} s of dbt)\n")
    if pub.reason:
        out.write(f"  why: {pub.reason}\n")
    return 0 if pub.status == LIVE else 1


def passed_gate(settings: Any, batch_id: str | None) -> str:
    """The consistency batch a by-hand publication follows: the one named, else the newest with a gate result.

    Raises ValueError when that batch is unknown, is not a consistency batch, or did not pass (HELD, FAILED,
    RUNNING): the marts are published only after a passed gate, so nothing records a gate as passed that was not.
    """
    from northstar.sqlfiles import read_sql
    from northstar.warehouse import open_warehouse

    with open_warehouse(settings) as wh:
        if batch_id is None:
            rows = wh.query(read_sql("snowflake/select_latest_gate_batch.sql"))
            if not rows:
                raise ValueError("no consistency gate has run yet: `northstar run consistency` first")
        else:
            rows = [r | {"BATCH_ID": batch_id} for r in wh.query(read_sql("snowflake/select_batch_status.sql"),
                                                                   {"batch_id": batch_id})]  # fmt: skip
            if not rows or not batch_id.startswith("consistency"):
                raise ValueError(f"--gate-batch {batch_id}: no consistency batch of that id in the ledger "
                                 "(`northstar batches --source consistency` lists them)")  # fmt: skip
    gate, status = rows[0]["BATCH_ID"], rows[0]["STATUS"]
    if status != "COMMITTED":
        raise ValueError(
            f"gate {gate} is {status}, not passed: the marts keep their live publication "
            f"(`northstar checks` says why; `northstar investigate --batch {gate}` looks for the cause)"
        )
    return str(gate)


def _publications(args: argparse.Namespace, out: TextIO) -> int:
    from cli.output import print_rows
    from northstar.marts.publication import publications
    from northstar.settings import load_settings

    rows = publications(load_settings())
    if args.json:
        print_rows(rows, out, as_json=True)
        return 0
    short = [
        {"PUBLICATION_ID": r["PUBLICATION_ID"], "STATUS": r["STATUS"], "GATE_BATCH_ID": r["GATE_BATCH_ID"],
         "SQL_HASH": (r["SQL_HASH"] or "")[:12], "ROWS": sum((r["ROW_COUNTS"] or {}).values()),
         "CREATED_AT": r["CREATED_AT"], "LIVE_AT": r["LIVE_AT"], "KEPT": r["KEPT"],
         "REASON": (r["REASON"] or "")[:80]}
        for r in rows
    ]  # fmt: skip
    print_rows(short, out, as_json=False)
    return 0


def _diff(args: argparse.Namespace, out: TextIO) -> int:
    from cli.output import print_rows
    from northstar.marts.diff import diff_publications
    from northstar.settings import load_settings

    marts, revenue = diff_publications(load_settings(), args.a, args.b)
    rows = [asdict(m) | {"grain": ",".join(m.grain)} for m in marts]
    money = [asdict(r) | {"difference_minor": r.difference_minor} for r in revenue]
    if args.json:
        out.write(json.dumps({"marts": rows, "revenue": money}, default=str) + "\n")
        return 0
    out.write(f"marts, {args.a} -> {args.b}\n")
    print_rows(rows, out, as_json=False)
    out.write("net revenue per business day and currency that differs (minor units)\n")
    print_rows(money, out, as_json=False)
    return 0


def _rollback(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.marts.publication import actor, rollback
    from northstar.settings import load_settings

    pub = rollback(load_settings(), args.to, args.reason)
    out.write(f"publication {pub.publication_id} is live again (by {actor()}: {args.reason})\n")
    return 0


def _deprecations(args: argparse.Namespace, out: TextIO) -> int:
    from cli.output import print_rows
    from northstar.marts.publication import live_publication
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    with open_warehouse(load_settings()) as wh:
        live = live_publication(wh)
    today = datetime.now(UTC).date()
    rows = []
    for model, entry in sorted((live.model_versions if live else {}).items()):
        for version, deadline in sorted(entry.get("deprecations", {}).items()):
            days = (date.fromisoformat(deadline) - today).days
            rows.append({"MODEL": model, "VERSION": version, "RELATION": f"MARTS.{model}_v{version}".upper(),
                         "DEPRECATION_DATE": deadline, "DAYS_LEFT": days, "LATEST_VERSION": entry.get("latest"),
                         "STATUS": "queryable" if days >= 0 else "past its date"})  # fmt: skip
    print_rows(rows, out, as_json=args.json)
    return 0


def _contracts(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.marts import contracts
    from northstar.settings import load_settings

    settings = load_settings()
    if args.update:
        contracts.write_snapshot(contracts.current_contracts(settings))
        out.write(f"wrote {contracts.SNAPSHOT}\n")
        return 0
    found = contracts.check(settings)
    for item in found:
        out.write(f"breaking: {item}\n")
    out.write(f"{len(found)} undeclared breaking changes against the last release's contracts\n")
    return 1 if found else 0
