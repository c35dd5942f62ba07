"""`northstar held`: resolve a batch held for a source schema change, as an explicit, recorded action.

A held batch stays held on every rerun, because a rerun re-reads the raw data it landed first. Two ways out,
each recorded in `OPS.BATCH_RESOLUTIONS` (who: NORTHSTAR_USER, else the OS user; why: --reason) before the
window runs again, whose own ledger row then says what came of it:

- `northstar held reextract BATCH --reason TEXT`: the source was fixed; the batch's landed raw is moved aside
  under `raw/superseded/<time>/...` (kept, and recorded), and the window is run again, landing a new raw version.
- `northstar held accept BATCH --reason TEXT`: the change is accepted by updating the contract in code
  (`validators/`; deploy it first); the window is run again on the raw it landed, checked by the new contract.

Re-extraction is for orders batches (their raw is an extract of a window). A payments or fulfillment batch's raw
is what the sender delivered: it is resolved by accepting the contract, or by a new delivery.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TextIO


def add_commands(sub: Any) -> None:
    """Register `held reextract` and `held accept`."""
    held = sub.add_parser("held", help="resolve a batch held for a source schema change (recorded: who and why)")
    actions = held.add_subparsers(required=True, metavar="ACTION")
    for action, helptext in (
        ("reextract", "the source was fixed: set the landed raw aside and extract the window again"),
        ("accept", "the contract was updated to accept the change: run the window again on its landed raw"),
    ):
        cmd = actions.add_parser(action, help=helptext)
        cmd.add_argument("batch", metavar="BATCH_ID")
        cmd.add_argument("--reason", required=True, help="why (recorded with who)")
        cmd.set_defaults(handler=resolve, action=action)


def resolve(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when the rerun committed, 1 when it is still held (its reason printed); bad input raises ValueError."""
    from cli.run import _prefect, progress, require_reachable
    from northstar.audit import append_audit
    from northstar.settings import load_settings
    from northstar.sqlfiles import read_sql
    from northstar.warehouse import open_warehouse

    settings = load_settings()
    if not args.reason.strip():
        raise ValueError("--reason is empty: say why (it is recorded with who)")
    with open_warehouse(settings) as wh:
        batch = _held(wh, args.batch)
    if args.action == "reextract" and batch["SOURCE"] != "orders":
        raise ValueError(f"{args.batch} is a {batch['SOURCE']} batch: its raw is what was delivered, so it cannot be "
                         "extracted again\nupdate the contract and use `northstar held accept`")  # fmt: skip
    require_reachable(batch["SOURCE"], settings)
    superseded = _set_aside(settings, args.batch) if args.action == "reextract" else None
    record = {"batch_id": args.batch, "action": "reextract" if superseded else "accept_contract",
              "resolved_by": os.environ.get("NORTHSTAR_USER") or getpass.getuser(), "reason": args.reason,
              "held_reason": batch.get("REASON"), "superseded_to": superseded, "code_version": settings.code_version,
              "resolved_at": datetime.now(UTC).replace(tzinfo=None)}  # fmt: skip
    with open_warehouse(settings) as wh:
        wh.execute(read_sql("snowflake/insert_into_ops_batch_resolutions.sql"), record)
        append_audit(wh, kind=f"held.{record['action']}", actor=record["resolved_by"], subject=args.batch,
                     details=record)  # a manual override of a hold is an audit entry (SOX)  # fmt: skip
    start = batch["WINDOW_START"].replace(tzinfo=UTC).isoformat()
    end = batch["WINDOW_END"].replace(tzinfo=UTC).isoformat()
    with progress(f"running {batch['SOURCE']} {start} .. {end}"), _prefect(settings.home):
        outcome = asdict(_rerun(batch["SOURCE"], start, end))
    out.write(json.dumps({"resolution": record | {"resolved_at": record["resolved_at"].isoformat() + "+00:00"},
                          "batch": outcome}, default=str) + "\n")  # fmt: skip
    if outcome["status"] == "HELD":
        print(f"northstar: {args.batch} is still held: {outcome.get('reason')}", file=_stderr())
        return 1
    return 0


def _held(wh: Any, batch_id: str) -> dict[str, Any]:
    """The batch's ledger row; ValueError when there is none or it is not HELD."""
    from northstar.sqlfiles import read_sql

    found = wh.query(read_sql("snowflake/select_load_batches_newest.sql"),
                     {"source": None, "status": None, "batch_id": batch_id, "limit": 1})  # fmt: skip
    if not found:
        raise ValueError(f"no batch {batch_id} in the ledger; `northstar batches --status HELD` lists the held ones")
    if found[0]["STATUS"] != "HELD":
        raise ValueError(f"{batch_id} is {found[0]['STATUS']}, not HELD: nothing to resolve")
    return dict(found[0])


def _set_aside(settings: Any, batch_id: str) -> str:
    """Move the batch's landed raw under raw/superseded/<time>/; the prefix it moved to."""
    from northstar.landing import landing_store, supersede

    store = landing_store(settings)
    keys = [k for k in store.keys("raw/orders/") if f"/batch={batch_id}/" in k]
    if not keys:
        raise ValueError(f"no landed raw for {batch_id} under raw/orders/: nothing to set aside")
    prefix = keys[0][: keys[0].index(f"/batch={batch_id}/") + len(f"/batch={batch_id}/")]
    into = f"raw/superseded/{datetime.now(UTC):%Y%m%dT%H%M%SZ}/"
    supersede(store, prefix, into)
    return into + prefix


def _rerun(source: str, start: str, end: str) -> Any:
    if source == "payments":
        from flows.payments_microbatch import payments_microbatch

        return payments_microbatch(start=start, end=end)
    if source == "fulfillment":
        from flows.fulfillment_hourly import fulfillment_hourly

        return fulfillment_hourly(start=start, end=end)
    if source != "orders":
        raise ValueError(f"{source} batches are not held for a schema change")
    from flows.orders_microbatch import orders_microbatch

    return orders_microbatch(start=start, end=end)


def _stderr() -> TextIO:
    import sys

    return sys.stderr
