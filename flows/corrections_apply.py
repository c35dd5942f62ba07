"""Applying an approved correction: its kind's change through the engine, then the consistency gate, then its
evidence (README, "Corrections and audit").

Applying is idempotent: a correction already applied is not applied again (the command says so and changes
nothing); an adjustment's row is inserted once whatever happens; a correction's orders batch is a batch like any
other (its id is its key in the ledger); the gate runs as batch `consistency-<correction id>`, once committed.
A held gate leaves the correction `applied, gate held`: the change is in its tables, the marts keep their previous
state, and the gate's reason is recorded (a later gate run publishes it once what held is fixed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flows.consistency import consistency_check
from flows.corrections_kinds import KindRun, Plan, plan_adjustment, plan_quarantine_release, plan_source_refresh
from flows.corrections_reprocess import plan_reprocess
from northstar.audit import verify_audit_chain
from northstar.corrections import Correction, audited, load_correction, record_event, require_applicable
from northstar.evidence import Bundle, code_version, row_differences, snapshot
from northstar.identity import require_applier
from northstar.incidents import mark_corrected
from northstar.landing import landing_store
from northstar.loads import BatchStatus
from northstar.settings import Settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse, jsonable, open_warehouse

PLANS: dict[str, Plan] = {
    "adjustment": plan_adjustment,
    "quarantine_release": plan_quarantine_release,
    "source_refresh": plan_source_refresh,
    "reprocess": plan_reprocess,
}


class CorrectionHeld(RuntimeError):
    """The correction's own batch was held by a batch-level check: nothing was published (its reason says why)."""


@dataclass(frozen=True)
class ApplyResult:
    """What `apply` did: the status after it, whether it changed anything, the gate's verdict, the evidence keys, the
    incidents it corrected."""

    correction_id: str
    status: str
    changed: bool
    message: str
    gate: dict[str, Any] | None = None
    evidence: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)  # the incidents it moved to corrected

    def as_dict(self) -> dict[str, Any]:
        """The result for --json."""
        return asdict(self)


def apply_correction(settings: Settings, correction_id: str) -> ApplyResult:
    """Apply an approved correction once; CorrectionRefused when it is not approved or was rejected, NotPermitted
    when the acting user may not apply, CorrectionHeld when its batch was held by the checks."""
    with open_warehouse(settings) as wh:
        corr = load_correction(wh, correction_id)
        require_applicable(corr, settings)
        status = corr.status(settings.required_approvals)
        if status.startswith("applied"):
            return ApplyResult(correction_id, status, False, f"{correction_id} is already {status}: nothing to do")
        actor = audited(wh, settings, correction_id, "apply", lambda: require_applier(settings))
        try:
            return _apply(settings, wh, corr, actor)
        except Exception as exc:
            record_event(wh, correction_id, "APPLY_FAILED", actor, {"error": f"{type(exc).__name__}: {exc}"[:2000]})
            raise


def _apply(settings: Settings, wh: Warehouse, corr: Correction, actor: str) -> ApplyResult:
    store = landing_store(settings)
    bundle = Bundle(store, corr.correction_id)
    kind = PLANS[corr.kind](settings, corr, bundle)
    before = _keep("before.json", bundle, lambda: snapshot(wh, kind.scopes))
    did = kind.run(settings, store)
    batch = did.get("batch") or {}
    if batch.get("status") == BatchStatus.HELD:
        raise CorrectionHeld(f"the correction's batch {batch['batch_id']} was held: {batch.get('reason')}")
    gate = _gate(corr, kind)
    after = snapshot(wh, kind.scopes)
    gate_checks = wh.query(read_sql("snowflake/select_ops_check_results_batch.sql"), {"batch_id": gate["batch_id"]})
    written = _write_evidence(settings, bundle, corr, kind, before, after, did, gate, gate_checks, actor)
    held = gate["status"] != BatchStatus.COMMITTED
    event = "APPLIED_GATE_HELD" if held else "APPLIED"
    incidents = [] if held else _correct_incidents(settings, wh, corr, actor, gate["batch_id"])
    details = {"gate": gate, "evidence": written[-1]} | ({"incidents": incidents} if incidents else {})
    record_event(wh, corr.correction_id, event, actor, details)
    status = "applied, gate held" if held else "applied"
    message = f"{corr.correction_id} {status}" + (f": {gate.get('reason')}" if held else "")
    message += "".join(f"; incident {i} corrected" for i in incidents)
    return ApplyResult(corr.correction_id, status, True, message, gate, written, incidents)


def _correct_incidents(settings: Settings, wh: Warehouse, corr: Correction, actor: str, gate: str) -> list[str]:
    """The incidents the correction answers (its ticket names one, or its day, window or batches match), moved to
    corrected now that its gate passed (northstar.incidents.mark_corrected)."""
    return mark_corrected(
        wh,
        corr.correction_id,
        corr.ticket,
        corr.kind,
        corr.args,
        tz=settings.consistency.business_tz,
        actor=actor,
        gate=gate,
    )


def _gate(corr: Correction, kind: KindRun) -> dict[str, Any]:
    """The consistency gate over the corrected data, as its own batch; its outcome as JSON values."""
    start = kind.gate_end - timedelta(minutes=15)
    outcome = consistency_check(start.isoformat(), kind.gate_end.isoformat(), rerun_for=corr.correction_id)
    return {
        "batch_id": outcome.batch_id,
        "status": str(outcome.status),
        "reason": outcome.reason,
        "window_end": kind.gate_end.isoformat(),
    }


def _keep(name: str, bundle: Bundle, make: Any) -> Any:
    """The bundle's object `name` when a previous attempt wrote it, else made now and written (write-once)."""
    if bundle.has(name):
        return bundle.read(name)
    value = make()
    bundle.write(name, value)
    return value


def _write_evidence(
    settings: Settings,
    bundle: Bundle,
    corr: Correction,
    kind: KindRun,
    before: dict[str, Any],
    after: dict[str, Any],
    did: dict[str, Any],
    gate: dict[str, Any],
    gate_checks: list[dict[str, Any]],
    actor: str,
) -> list[str]:
    """The bundle's remaining objects (each once; a retry keeps what an earlier attempt wrote); their keys."""
    with open_warehouse(settings) as wh:
        head = verify_audit_chain(wh).head
    tables = {
        t: {
            "scope": after[t]["scope"],
            "rebuilt": t in kind.rebuilt,
            "before": {"count": before[t]["count"], "sha256": before[t]["sha256"]},
            "after": {"count": after[t]["count"], "sha256": after[t]["sha256"]},
        }
        for t in after
    }
    diffs = {t: row_differences(before[t]["rows"], after[t]["rows"], tuple(after[t]["scope"]["keys"])) for t in after}
    objects = {
        "approvals.json": {"approved_by": corr.approvers(), "events": [_plain(e) for e in corr.events]},
        "inputs.json": kind.inputs,
        "code.json": code_version(settings.code_version),
        "tables.json": tables,
        "diff.json": diffs,
        "checks.json": {"correction": did.get("checks", []), "gate": [_plain(c) for c in gate_checks]},
        "outcome.json": {
            "correction_id": corr.correction_id,
            "kind": corr.kind,
            "applied_by": actor,
            "applied_at": datetime.now(UTC).isoformat(),
            "did": did,
            "gate": gate,
            "audit_head": head,
        },
    }
    for name, value in objects.items():
        if not bundle.has(name):
            bundle.write(name, value)
    return [bundle.prefix + name for name in ("before.json", *objects)]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k.lower(): jsonable(v) for k, v in row.items()}
