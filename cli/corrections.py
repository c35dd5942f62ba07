"""`northstar corrections ...` and `northstar audit verify` (README, "Corrections and audit").

Exit codes: 0 done; 1 a held gate (`applied, gate held`), a correction that does not reproduce, a broken audit
log, or a correction whose batch the checks held; 2 a refusal (role, segregation of duties, state) or bad input,
one line on stderr naming why and what to do next.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from cli.output import print_rows
from northstar.corrections import KINDS, STATUSES


def add_commands(sub: Any) -> None:
    """Register `corrections` (request, approve, reject, apply, show, list, verify, export) and `audit verify`."""
    corr = sub.add_parser("corrections", help="request, approve, apply and verify corrections to published numbers")
    actions = corr.add_subparsers(dest="action", required=True, metavar="ACTION")
    req = actions.add_parser("request", help="ask for a correction (recorded with you as requester)")
    req.add_argument("--kind", required=True, choices=KINDS)
    req.add_argument("--reason", required=True)
    req.add_argument("--ticket", required=True, help="the change ticket it answers (e.g. FIN-1234)")
    req.add_argument("--date", help="adjustment: business day YYYY-MM-DD")
    req.add_argument("--currency", help="adjustment: ISO 4217 code (USD)")
    req.add_argument("--amount-minor", type=int, help="adjustment: signed amount in minor units")
    req.add_argument(
        "--source", help="reprocess: orders, payments or fulfillment; source_refresh, quarantine_release: orders"
    )
    req.add_argument("--start", help="source_refresh, reprocess: window start, ISO-8601 with offset")
    req.add_argument("--end", help="source_refresh, reprocess: window end, ISO-8601 with offset")
    req.add_argument("--batch-id", action="append", dest="batch_ids", help="reprocess: a batch to replay")
    req.add_argument("--override", type=Path, help="quarantine_release: JSON file of the reviewed rows")
    for name, helptext in (
        ("approve", "approve (an approver other than the requester)"),
        ("apply", "apply an approved correction through the checks and the gate"),
        ("show", "a correction, its events and evidence"),
        ("verify", "rebuild from the evidence in a scratch warehouse and compare hashes"),
    ):
        p = actions.add_parser(name, help=helptext)
        p.add_argument("correction_id", metavar="ID")
    rej = actions.add_parser("reject", help="reject (final)")
    rej.add_argument("correction_id", metavar="ID")
    rej.add_argument("--reason", required=True)
    lst = actions.add_parser("list", help="corrections, newest first")
    lst.add_argument("--status", choices=STATUSES)
    exp = actions.add_parser("export", help="the evidence as a folder for an auditor: Markdown summary + CSV")
    exp.add_argument("correction_id", metavar="ID")
    exp.add_argument("--out", required=True, type=Path)
    for p in (*actions.choices.values(),):
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=corrections)
    audit = sub.add_parser("audit", help="the audit log")
    audit.add_argument("action", choices=["verify"], help="check the hash chain; names the first bad entry")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(handler=audit_verify)


def corrections(args: argparse.Namespace, out: TextIO) -> int:
    """Run one corrections action; refusals become one line on stderr and exit code 2."""
    from flows.corrections_apply import CorrectionHeld
    from northstar.evidence import EvidenceExists

    try:
        return int(ACTIONS[args.action](args, out))
    except CorrectionHeld as exc:
        print(
            f"northstar: {exc}; nothing was published, see `northstar corrections show {args.correction_id}`",
            file=sys.stderr,
        )
        return 1
    except (EvidenceExists, FileExistsError) as exc:
        print(f"northstar: {exc}", file=sys.stderr)
        return 2


def _request(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.corrections import request_correction
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    kind_args: dict[str, Any] = {
        "date": args.date,
        "currency": args.currency,
        "amount_minor": args.amount_minor,
        "source": args.source,
        "start": args.start,
        "end": args.end,
        "batch_ids": args.batch_ids,
    }
    if args.kind == "adjustment":
        kind_args = {k: kind_args[k] for k in ("date", "currency", "amount_minor")}
    if args.override is not None:
        kind_args["override"] = _read_override(args.override)
    settings = load_settings()
    if args.kind == "reprocess":  # the batches must exist, be the source's and still have their raw, before approval
        from flows.corrections_reprocess import replayable_targets
        from northstar.corrections import check_args

        replayable_targets(settings, check_args(args.kind, kind_args))
    with open_warehouse(settings) as wh:
        corr = request_correction(wh, settings, kind=args.kind, reason=args.reason, ticket=args.ticket, args=kind_args)
    if args.json:
        out.write(json.dumps({"correction_id": corr.correction_id}) + "\n")
    else:
        out.write(
            f"{corr.correction_id} requested by {corr.requested_by}: needs {settings.required_approvals} "
            f"approval(s) (`northstar corrections approve {corr.correction_id}`)\n"
        )
    return 0


def _read_override(path: Path) -> list[dict[str, Any]]:
    """The reviewed rows: a JSON list of objects; ValueError naming the file and what is wrong."""
    try:
        rows = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"--override {path}: cannot read it as JSON ({exc})") from None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ValueError(f"--override {path}: must be a non-empty JSON list of row objects")
    return rows


def _decide(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.corrections import approve_correction, reject_correction
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    settings = load_settings()
    with open_warehouse(settings) as wh:
        if args.action == "approve":
            corr = approve_correction(wh, settings, args.correction_id)
        else:
            corr = reject_correction(wh, settings, args.correction_id, args.reason)
    status = corr.status(settings.required_approvals)
    _emit(
        out,
        args.json,
        {"correction_id": corr.correction_id, "status": status, "by": settings.user},
        f"{corr.correction_id}: {args.action.replace('approve', 'approved').replace('reject', 'rejected')} "
        f"by {settings.user}; now {status}",
    )
    return 0


def _apply(args: argparse.Namespace, out: TextIO) -> int:
    from flows.corrections_apply import apply_correction
    from northstar.settings import load_settings

    result = apply_correction(load_settings(), args.correction_id)
    _emit(out, args.json, result.as_dict(), result.message)
    return 1 if result.status == "applied, gate held" else 0


def _show(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.corrections import load_correction
    from northstar.evidence import Bundle
    from northstar.landing import landing_store
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    settings = load_settings()
    with open_warehouse(settings) as wh:
        corr = load_correction(wh, args.correction_id).as_dict(settings.required_approvals)
    corr["evidence"] = Bundle(landing_store(settings), args.correction_id).names()
    if args.json:
        out.write(json.dumps(corr) + "\n")
        return 0
    for key in ("correction_id", "kind", "status", "reason", "ticket", "requested_by", "requested_at", "approved_by"):
        out.write(f"{key}: {corr[key]}\n")
    out.write(f"args: {json.dumps(corr['args'])[:300]}\nevidence: {', '.join(corr['evidence']) or '(none yet)'}\n")
    print_rows(
        [
            {"at": e["at"], "event": e["event"], "actor": e["actor"], "details": json.dumps(e["details"])}
            for e in corr["events"]
        ],
        out,
        as_json=False,
    )
    return 0


def _list(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.corrections import list_corrections
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    settings = load_settings()
    with open_warehouse(settings) as wh:
        found = list_corrections(wh, settings, args.status)
    rows = [
        {
            "correction_id": c.correction_id,
            "kind": c.kind,
            "status": c.status(settings.required_approvals),
            "requested_by": c.requested_by,
            "approved_by": ",".join(c.approvers()),
            "ticket": c.ticket,
            "reason": c.reason,
        }
        for c in found
    ]
    print_rows(rows, out, as_json=args.json)
    return 0


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    from flows.corrections_verify import verify_correction
    from northstar.settings import load_settings

    result = verify_correction(load_settings(), args.correction_id)
    text = f"{args.correction_id}: " + (
        "reproducible: every rebuilt table hash matches the recorded one"
        if result.reproducible
        else "NOT reproducible\n  " + "\n  ".join(result.problems)
    )
    _emit(out, args.json, result.as_dict(), text)
    return 0 if result.reproducible else 1


def _export(args: argparse.Namespace, out: TextIO) -> int:
    from northstar.corrections import load_correction
    from northstar.evidence import Bundle
    from northstar.evidence_export import export_bundle
    from northstar.landing import landing_store
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    settings = load_settings()
    with open_warehouse(settings) as wh:
        corr = load_correction(wh, args.correction_id).as_dict(settings.required_approvals)
    folder = export_bundle(Bundle(landing_store(settings), args.correction_id), corr, args.out)
    _emit(out, args.json, {"correction_id": args.correction_id, "folder": str(folder)}, f"exported to {folder}")
    return 0


def audit_verify(args: argparse.Namespace, out: TextIO) -> int:
    """`northstar audit verify`: 0 when the chain is intact, 1 naming the first bad entry."""
    from northstar.audit import verify_audit_chain
    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    with open_warehouse(load_settings()) as wh:
        verdict = verify_audit_chain(wh)
    _emit(out, args.json, verdict.as_dict(), verdict.message)
    return 0 if verdict.ok else 1


def _emit(out: TextIO, as_json: bool, value: dict[str, Any], text: str) -> None:
    out.write((json.dumps(value, default=str) if as_json else text) + "\n")


ACTIONS = {
    "request": _request,
    "approve": _decide,
    "reject": _decide,
    "apply": _apply,
    "show": _show,
    "list": _list,
    "verify": _verify,
    "export": _export,
}
