"""Correction records (README, "Corrections and audit"): a request, its approvals or rejection, its application and
verifications, each an append-only row (OPS.CORRECTIONS, OPS.CORRECTION_EVENTS) and an audit log entry.

A correction's status is derived from its events, never stored: `requested` until it has the required approvals
(NORTHSTAR_REQUIRED_APPROVALS) from approvers other than the requester, then `approved`; `rejected` once rejected;
`applied` or `applied, gate held` once applied (the consistency gate's verdict on the corrected marts). Applying is
flows/corrections_apply.py; this module only records and refuses.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from northstar.audit import append_audit, canonical_json
from northstar.batches import Window
from northstar.evidence import Bundle
from northstar.identity import NotPermitted, require_approver, require_requester
from northstar.landing import landing_store
from northstar.settings import Settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse, jsonable

KINDS = ("reprocess", "source_refresh", "quarantine_release", "adjustment")
STATUSES = ("requested", "approved", "rejected", "applied", "applied, gate held")
APPLIED_EVENTS = ("APPLIED", "APPLIED_GATE_HELD")
REPROCESS_SOURCES = ("orders", "payments", "fulfillment")
INSTEAD = {  # what to do for a payments or fulfillment source instead (README, "Corrections and audit")
    "source_refresh": "for payments or fulfillment, land the missing raw first (`northstar run stripe-recover`, or "
    "the file dropped again), then request a reprocess correction of the window",
    "quarantine_release": "for payments or fulfillment, fix the check or contract and request a reprocess "
    "correction of the batch, which checks its landed raw again",
}
ORDER_COLUMNS = ("order_id", "customer_id", "status", "currency", "total_amount_minor", "created_at", "updated_at")


class CorrectionRefused(ValueError):
    """The correction cannot take this step (not found, not approved, rejected, already decided); says why."""


@dataclass(frozen=True)
class Correction:
    """A correction's request and its events (oldest first); args are the kind's arguments."""

    correction_id: str
    kind: str
    reason: str
    ticket: str
    requested_by: str
    requested_at: datetime
    args: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    def approvers(self) -> list[str]:
        """Who approved it, in order."""
        return [e["actor"] for e in self.events if e["event"] == "APPROVED"]

    def last(self, *events: str) -> dict[str, Any] | None:
        """The latest event of these kinds, or None."""
        found = [e for e in self.events if e["event"] in events]
        return found[-1] if found else None

    def status(self, required_approvals: int) -> str:
        """requested, approved, rejected, applied, or `applied, gate held`."""
        applied = self.last(*APPLIED_EVENTS)
        if applied is not None:
            return "applied, gate held" if applied["event"] == "APPLIED_GATE_HELD" else "applied"
        if self.last("REJECTED"):
            return "rejected"
        return "approved" if len(self.approvers()) >= required_approvals else "requested"

    def as_dict(self, required_approvals: int) -> dict[str, Any]:
        """The correction for --json and the evidence bundle."""
        return {
            "correction_id": self.correction_id,
            "kind": self.kind,
            "status": self.status(required_approvals),
            "reason": self.reason,
            "ticket": self.ticket,
            "requested_by": self.requested_by,
            "requested_at": jsonable(self.requested_at),
            "args": self.args,
            "approved_by": self.approvers(),
            "events": [{k: jsonable(v) for k, v in e.items()} for e in self.events],
        }


def new_correction_id(now: datetime | None = None) -> str:
    """A sortable id safe in landing keys: `cor-<UTC time to the second>-<6 hex digits>`."""
    return f"cor-{(now or datetime.now(UTC)):%Y%m%dt%H%M%S}-{secrets.token_hex(3)}"


def check_args(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """The kind's arguments checked and normalised; ValueError naming the bad argument."""
    if kind not in KINDS:
        raise ValueError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "adjustment":
        return _adjustment_args(args)
    source = args.get("source")
    if kind == "reprocess" and source not in REPROCESS_SOURCES:
        hint = "; `northstar reprocess --source consistency` runs the checks and gate again" * (source == "consistency")
        raise ValueError(f"--source: reprocess corrections replay {', '.join(REPROCESS_SOURCES)}, not {source!r}{hint}")
    if kind in ("source_refresh", "quarantine_release") and source != "orders":
        raise ValueError(f"--source: {kind} corrections support the orders source, not {source!r}; {INSTEAD[kind]}")
    if kind == "source_refresh" and not (args.get("start") and args.get("end")):
        raise ValueError("source_refresh needs --start and --end (ISO-8601 with offset): the window to re-extract")
    if args.get("start") or args.get("end"):
        if not (args.get("start") and args.get("end")):
            raise ValueError("give both --start and --end, or neither")
        try:  # a bound without its offset is refused here, before it is written into the write-once evidence
            window = Window.parse(str(args["start"]), str(args["end"]))
        except ValueError as exc:
            raise ValueError(f"--start/--end: {exc}") from None
        args = args | {"start": window.start.isoformat(), "end": window.end.isoformat()}
    if kind == "quarantine_release" and not args.get("override"):
        raise ValueError("quarantine_release needs --override FILE: the reviewed rows (JSON list of orders rows)")
    for row in args.get("override") or []:
        missing = [c for c in ORDER_COLUMNS if c not in row]
        if missing:
            raise ValueError(f"--override: the row of order {row.get('order_id')!r} lacks {', '.join(missing)}")
    if kind == "reprocess" and not (args.get("batch_ids") or (args.get("start") and args.get("end"))):
        raise ValueError("reprocess needs --batch-id (repeatable) or --start and --end")
    return {k: v for k, v in args.items() if v not in (None, [], "")}


def _adjustment_args(args: dict[str, Any]) -> dict[str, Any]:
    try:
        day = date.fromisoformat(str(args.get("date")))
    except ValueError:
        raise ValueError(f"--date must be a business day YYYY-MM-DD, not {args.get('date')!r}") from None
    currency = str(args.get("currency") or "")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(f"--currency must be an ISO 4217 code in capitals (USD), not {currency!r}")
    amount = args.get("amount_minor")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
        raise ValueError(f"--amount-minor must be a non-zero whole number of minor units, not {amount!r}")
    return {"date": day.isoformat(), "currency": currency, "amount_minor": amount}


def request_correction(
    wh: Warehouse, settings: Settings, *, kind: str, reason: str, ticket: str, args: dict[str, Any]
) -> Correction:
    """Record a new request by the acting user (NotPermitted outside NORTHSTAR_REQUESTERS); the correction."""
    user = require_requester(settings)
    if not reason.strip() or not ticket.strip():
        raise ValueError("--reason and --ticket must not be blank: an auditor asks why, and under which ticket")
    checked = check_args(kind, args)
    if kind == "quarantine_release":
        _require_quarantined(wh, checked["override"])
    now = datetime.now(UTC)
    cid = new_correction_id(now)
    row = {
        "correction_id": cid,
        "kind": kind,
        "reason": reason,
        "ticket": ticket,
        "requested_by": user,
        "requested_at": now.replace(tzinfo=None),
        "args": canonical_json(checked),
    }
    request = {k: v for k, v in row.items() if k != "args"} | {"args": checked, "requested_at": now.isoformat()}
    ref = Bundle(landing_store(settings), cid).write("request.json", request)  # first: the evidence starts here
    wh.run_file("snowflake/insert_into_ops_corrections.sql", row)
    details = {"kind": kind, "reason": reason, "ticket": ticket, "args": checked, "evidence": ref}
    record_event(wh, cid, "REQUESTED", user, details)
    return load_correction(wh, cid)


def _require_quarantined(wh: Warehouse, rows: list[dict[str, Any]]) -> None:
    """ValueError naming the override's order ids that are not in QUARANTINE.ORDERS (nothing to release there)."""
    ids: list[int] = sorted({int(r["order_id"]) for r in rows if isinstance(r.get("order_id"), int)})
    if len(ids) != len(rows):
        raise ValueError("--override: every row needs a whole-number order_id, once")
    found = wh.query(read_sql("snowflake/select_quarantine_orders_quarantined_ids.sql"), {"order_ids": tuple(ids)})
    missing = sorted(set(ids) - {int(r["ORDER_ID"]) for r in found})
    if missing:
        raise ValueError(f"--override: orders {', '.join(map(str, missing))} are not quarantined: nothing to release")


def approve_correction(wh: Warehouse, settings: Settings, correction_id: str) -> Correction:
    """Record the acting approver's approval; refused for the requester, a non-approver, a second approval by the
    same person, and a correction already rejected or applied."""
    corr = load_correction(wh, correction_id)
    user = audited(wh, settings, correction_id, "approve", lambda: require_approver(settings, corr.requested_by))
    _refuse_decided(corr, settings, "approve")
    if user in corr.approvers():
        raise CorrectionRefused(f"{user} already approved {correction_id}")
    n = len(corr.approvers()) + 1
    approval = {"correction_id": correction_id, "approved_by": user, "approved_at": datetime.now(UTC).isoformat()}
    name = f"approvals/{n:02d}-{re.sub(r'[^A-Za-z0-9._-]', '_', user)}.json"
    ref = Bundle(landing_store(settings), correction_id).write(name, approval)
    record_event(wh, correction_id, "APPROVED", user, {"approvals": n, "evidence": ref})
    return load_correction(wh, correction_id)


def reject_correction(wh: Warehouse, settings: Settings, correction_id: str, reason: str) -> Correction:
    """Record the acting approver's rejection (final); refused as approve is."""
    if not reason.strip():
        raise ValueError("--reason must not be blank: say why the correction is rejected")
    corr = load_correction(wh, correction_id)
    user = audited(wh, settings, correction_id, "reject", lambda: require_approver(settings, corr.requested_by))
    _refuse_decided(corr, settings, "reject")
    rejection = {
        "correction_id": correction_id,
        "rejected_by": user,
        "reason": reason,
        "rejected_at": datetime.now(UTC).isoformat(),
    }
    ref = Bundle(landing_store(settings), correction_id).write("rejection.json", rejection)
    record_event(wh, correction_id, "REJECTED", user, {"reason": reason, "evidence": ref})
    return load_correction(wh, correction_id)


def audited(wh: Warehouse, settings: Settings, correction_id: str, action: str, check: Callable[[], str]) -> str:
    """Run a role check; a refusal (NotPermitted) is itself an audit entry (`correction.refused`), then raised."""
    try:
        return check()
    except NotPermitted as exc:
        details = {"action": action, "refusal": str(exc)}
        append_audit(wh, kind="correction.refused", actor=settings.user, subject=correction_id, details=details)
        raise


def _refuse_decided(corr: Correction, settings: Settings, action: str) -> None:
    status = corr.status(settings.required_approvals)
    if status == "rejected" or status.startswith("applied"):
        raise CorrectionRefused(f"cannot {action} {corr.correction_id}: it is {status}")


def require_applicable(corr: Correction, settings: Settings) -> None:
    """CorrectionRefused unless the correction is approved (or already applied: the caller makes that a no-op)."""
    status = corr.status(settings.required_approvals)
    if status == "rejected":
        rejected = corr.last("REJECTED") or {}
        raise CorrectionRefused(
            f"cannot apply {corr.correction_id}: it was rejected by {rejected.get('actor')} "
            f"({rejected.get('details', {}).get('reason', '')})"
        )
    if status == "requested":
        have, need = len(corr.approvers()), settings.required_approvals
        raise CorrectionRefused(
            f"cannot apply {corr.correction_id}: it has {have} of the {need} approvals it needs "
            f"(`northstar corrections approve {corr.correction_id}` by a user in NORTHSTAR_APPROVERS)"
        )


def record_event(wh: Warehouse, correction_id: str, event: str, actor: str, details: dict[str, Any]) -> None:
    """Append the event to OPS.CORRECTION_EVENTS and to the audit log (kind `correction.<event>`)."""
    row = {
        "correction_id": correction_id,
        "event": event,
        "actor": actor,
        "event_at": datetime.now(UTC).replace(tzinfo=None),
        "details": canonical_json(details),
    }
    wh.run_file("snowflake/insert_into_ops_correction_events.sql", row)
    append_audit(wh, kind=f"correction.{event.lower()}", actor=actor, subject=correction_id, details=details)


def load_correction(wh: Warehouse, correction_id: str) -> Correction:
    """The correction and its events; CorrectionRefused when no correction has that id."""
    found = _corrections(wh, correction_id)
    if not found:
        raise CorrectionRefused(f"no correction {correction_id!r}: `northstar corrections list` shows them")
    return found[0]


def list_corrections(wh: Warehouse, settings: Settings, status: str | None = None) -> list[Correction]:
    """Every correction (newest first), or those with the given status."""
    every = _corrections(wh, None)
    return [c for c in every if status is None or c.status(settings.required_approvals) == status]


def _corrections(wh: Warehouse, correction_id: str | None) -> list[Correction]:
    key = {"correction_id": correction_id}
    events: dict[str, list[dict[str, Any]]] = {}
    for e in wh.query(read_sql("snowflake/select_ops_correction_events.sql"), key):
        events.setdefault(e["CORRECTION_ID"], []).append(
            {"event": e["EVENT"], "actor": e["ACTOR"], "at": e["EVENT_AT"], "details": json.loads(e["DETAILS"])}
        )
    return [
        Correction(
            r["CORRECTION_ID"],
            r["KIND"],
            r["REASON"],
            r["TICKET"],
            r["REQUESTED_BY"],
            r["REQUESTED_AT"],
            json.loads(r["ARGS"]),
            events.get(r["CORRECTION_ID"], []),
        )
        for r in wh.query(read_sql("snowflake/select_ops_corrections.sql"), key)
    ]
