"""The verdict: the symptom, the four hypotheses ranked, a confidence, and the next step as a ready command line."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from northstar.batches import utc_text
from northstar.rootcause.duplicates import SOURCE_PAIRS
from northstar.rootcause.evidence import Evidence, uncompared
from northstar.rootcause.hypotheses import source_change, symptom
from northstar.rootcause.items import ETL_BUG, LATE, NONE, SOURCE_CHANGE, TRANSFORMATION, Finding, Item, Symptom
from northstar.rootcause.timing_and_code import etl_bug, late_arriving_data, transformation_logic

MIN_SCORE = 0.15  # below it a hypothesis has no real support


@dataclass(frozen=True)
class Verdict:
    """The classification (one of the four, or none), its confidence (0..1), the ranked findings, the next step."""

    classification: str
    confidence: float
    symptom: Symptom
    ranked: tuple[Finding, ...]
    next_step: str

    @property
    def evidence(self) -> list[Item]:
        """The symptom's items, then the winning hypothesis's, then the others' (ranked)."""
        items = list(self.symptom.items)
        for finding in self.ranked:
            items += finding.evidence
        return items


def classify(ev: Evidence) -> Verdict:
    """Test every hypothesis on ev and rank them. Nothing inconsistent: `none`, confidence 1 - the best score.
    Inconsistent with no hypothesis reaching MIN_SCORE: the best one, its score as confidence, and a next step that
    says the evidence is weak (or absent)."""
    seen = symptom(ev)
    ranked = tuple(
        sorted(
            (source_change(ev), late_arriving_data(ev), etl_bug(ev), transformation_logic(ev)), key=lambda f: -f.score
        )
    )
    top = ranked[0]
    if not seen.inconsistent:
        return Verdict(
            NONE,
            round(1 - top.score / 2, 2),
            seen,
            ranked,
            f"nothing to correct: {ev.subject.metric} on {ev.subject.day} is consistent",
        )
    if top.score < MIN_SCORE:  # inconsistent all the same: never `none`, which says nothing is off
        return Verdict(top.hypothesis, top.score, seen, ranked, _weak_step(ev, top))
    total = sum(f.score for f in ranked) or 1.0
    confidence = round(min(0.97, top.score * (0.5 + 0.5 * top.score / total)), 2)
    return Verdict(top.hypothesis, confidence, seen, ranked, next_step(ev, top))


def next_step(ev: Evidence, top: Finding) -> str:
    """Which correction fits the cause, as a ready `northstar corrections request ...` line (cli/corrections.py; the
    ticket is the incident id when investigating one, else the placeholder TICKET)."""
    s = ev.subject
    source_batches = [
        b
        for b in ev.batches
        if b["SOURCE"] != "consistency" and b["BATCH_ID"] in {i for item in top.evidence for i in item.batch_ids}
    ]
    source = source_batches[0]["SOURCE"] if source_batches else (s.source or "orders")
    tail = ["--reason", f"{top.hypothesis} on {s.day}", "--ticket", s.incident_id or "TICKET"]
    request = ["northstar", "corrections", "request", "--kind"]
    if top.hypothesis == SOURCE_CHANGE and (pairs := _source_pairs(top)):
        return _duplicate_step(ev, pairs, [*request, "source_refresh"], tail)
    if top.hypothesis == SOURCE_CHANGE:
        held = [b for b in source_batches if b["STATUS"] == "HELD"] or source_batches
        if held and any(i.claim.startswith("the source's contract changed") for i in top.evidence):
            window = ["--start", _iso(held[0]["WINDOW_START"]), "--end", _iso(held[-1]["WINDOW_END"])]
            cmd = [*request, "source_refresh", "--source", source, *window, *tail]
            return (
                "update the contract for the new shape (validators/), then re-extract the held window: "
                + shlex.join(cmd)
            )
        return _release_step(ev, source, source_batches, [*request, "quarantine_release"], tail)
    if top.hypothesis == ETL_BUG:
        cmd = [*request, "reprocess", "--source", source, *_batch_args([b["BATCH_ID"] for b in source_batches]), *tail]
        return "the current code loads the same raw differently; reprocess the affected batches: " + shlex.join(cmd)
    gap = _gap(ev, top)
    if top.hypothesis == LATE and uncompared(ev):
        return _rerun_gate_step(ev)
    if top.hypothesis == LATE and s.metric == "freshness" and (stale := _freshness_step(ev)):
        return stale
    if top.hypothesis == LATE and not gap:
        close = f"northstar incidents close {s.incident_id} --reason 'late rows arrived'" if s.incident_id else ""
        return f"none needed: the late rows arrived and {s.day} reconciles with finance now. {close}".strip()
    if not gap:
        return "fix the cause above; no adjustment is needed (the published figures match finance)"
    currency, amount = gap
    cmd = [*request, "adjustment", "--date", s.day.isoformat(), "--currency", currency, "--amount-minor", str(amount)]
    if top.hypothesis == TRANSFORMATION:
        good = _last_good_publication(top)
        rollback = f"`northstar marts rollback --to {good} --reason ...` or " if good else ""
        return f"{rollback}fix the mart's model (dbt/models/marts/), or adjust: " + shlex.join([*cmd, *tail])
    return "the day's figures are still off; adjust: " + shlex.join([*cmd, *tail])


def _release_step(
    ev: Evidence, source: str, source_batches: list[dict[str, Any]], request: list[str], tail: list[str]
) -> str:
    """Review the affected batches' quarantined rows, write the reviewed values, request their release."""
    quarantining = sorted({b["BATCH_ID"] for b in source_batches if int(b["ROWS_QUARANTINED"] or 0) > 0}) or sorted(
        {b["BATCH_ID"] for b in source_batches}
    )
    review = " and ".join(f"`northstar quarantine --batch {b} --json`" for b in quarantining[:5])
    if source != "orders":  # corrections re-publish orders rows only (northstar.corrections.check_args)
        return (
            f"review the quarantined rows ({review}) and update {source}'s contract for the new values "
            "(validators/); a quarantine_release correction applies to orders only"
        )
    override = f"reviewed-{ev.subject.day}.json"
    cmd = [*request, "--source", source, "--override", override, *tail]
    return (
        f"review the quarantined rows ({review}), write their reviewed values to {override} (a JSON list of "
        "complete orders rows), then: " + shlex.join(cmd)
    )


def _weak_step(ev: Evidence, top: Finding) -> str:
    """The day is inconsistent but no hypothesis reaches MIN_SCORE: say so, and where to look."""
    look = f"read `northstar checks --date {ev.subject.day}` and the batches listed"
    if top.score == 0:
        return (
            f"unexplained: {ev.subject.metric} on {ev.subject.day} is inconsistent but no hypothesis has any evidence "
            f"({top.hypothesis} is only the first of the four, confidence 0); {look}"
        )
    return (
        f"weak evidence: {top.hypothesis} is the best supported cause ({top.score} under {MIN_SCORE}); confirm it "
        f"before any correction: {look}"
    )


def _source_pairs(top: Finding) -> list[dict[str, Any]]:
    """The duplicate pairs the source created, from the winning evidence (northstar.rootcause.duplicates)."""
    return [r for i in top.evidence if i.claim.startswith(SOURCE_PAIRS) for r in i.rows]


def _duplicate_step(ev: Evidence, pairs: list[dict[str, Any]], request: list[str], tail: list[str]) -> str:
    """One purchase created twice: the shop cancels the later order at the source, then the window that published it
    is re-extracted (a source_refresh), which the gate follows."""
    later = sorted({int(r["ORDER_ID"]) for r in pairs})
    batch_ids = {r["ORDER_BATCH_ID"] for r in pairs}
    loads = sorted((b for b in ev.batches if b["BATCH_ID"] in batch_ids), key=lambda b: b["WINDOW_START"])
    orders = ", ".join(map(str, later))
    ask = (
        f"confirm with the shop that order(s) {orders} repeat a purchase already made and have it cancel them at the "
        "source (the marts count a confirmed duplicate once; a cancellation that moves updated_at is published by "
        "the next orders batch, a delete is marked by `northstar reconcile-source orders`)"
    )
    if not loads:
        return ask
    window = ["--start", _iso(loads[0]["WINDOW_START"]), "--end", _iso(loads[-1]["WINDOW_END"])]
    cmd = [*request, "--source", "orders", *window, *tail]
    return f"{ask}; then re-extract the window that published them: " + shlex.join(cmd)


def _rerun_gate_step(ev: Evidence) -> str:
    """Finance reported after the gate: the next gate window after the last one, which compares the day."""
    gates = [b for b in ev.batches if b["SOURCE"] == "consistency"]
    last = max(gates, key=lambda b: b["WINDOW_END"])
    start, end = last["WINDOW_END"], last["WINDOW_END"] + (last["WINDOW_END"] - last["WINDOW_START"])
    days = (end - timedelta(microseconds=1) - ev.low).days + 1
    env = f"NORTHSTAR_RECONCILE_DAYS={days} " if days > ev.reconcile_days else ""
    return (
        f"finance's report for {ev.subject.day} arrived after the gate ran: run the gate again so it compares the day "
        f"(the marts publish only if it passes): {env}northstar run consistency --start {_iso(start)} "
        f"--end {_iso(end)}"
    )


def _freshness_step(ev: Evidence) -> str:
    """A source behind its SLA: none needed when its latest measurement (any day since) is within the SLA again;
    else look at its batches, then run the window after its newest committed one overall (not the day's)."""
    late = [str(r["METRIC"]).removeprefix("freshness_minutes_") for r in ev.sla if r["WITHIN_SLA"] is False]
    now = {r["SOURCE"]: r for r in ev.freshness_now}
    steps = []
    for source in dict.fromkeys(late):
        command = {"wms": "fulfillment"}.get(source, source)
        state = now.get(source) or {}
        if state.get("WITHIN_SLA") is True:
            steps.append(
                f"none needed for {source}: fresh again at the latest measurement ({state['MEASURED_BY']}, "
                f"{float(state['VALUE']):.4g} minutes behind at {utc_text(state['MEASURED_AT'])}, SLA "
                f"{float(state['THRESHOLD']):.4g})"
            )
            continue
        mine = [b for b in ev.batches if b["SOURCE"] == source and b["STATUS"] == "COMMITTED"]
        done = sorted(mine, key=lambda b: b["WINDOW_END"])
        ends = [b["WINDOW_END"] for b in done] + [e for e in [state.get("NEWEST_WINDOW_END")] if e]
        if ends:
            start = max(ends)
            width = done[-1]["WINDOW_END"] - done[-1]["WINDOW_START"] if done else timedelta(minutes=15)
            run = f"northstar run {command} --start {_iso(start)} --end {_iso(start + width)}"
        else:
            run = f"northstar run {command}"
        steps.append(f"see why {source} stopped committing (`northstar batches --source {source}`), then {run}")
    return "; ".join(steps)


def _gap(ev: Evidence, top: Finding) -> tuple[str, int] | None:
    """(currency, amount in minor units) that would bring the published figure to finance's, when it is off."""
    latest: dict[str, dict[str, Any]] = {}
    for r in ev.reconciliation:
        latest[r["CURRENCY"]] = r
    if top.hypothesis == TRANSFORMATION:
        for item in top.evidence:  # the mart's figures are the rows of the disagreement's item
            for row in item.rows:
                finance = latest.get(str(row.get("CURRENCY")), {}).get("FINANCE_NET_MINOR")
                if "MART_MINOR" in row and finance is not None:
                    return str(row["CURRENCY"]), int(finance) - int(row["MART_MINOR"])
        return None
    for currency, r in sorted(latest.items()):
        if not r["WITHIN_SLA"] and r["FINANCE_NET_MINOR"] is not None:
            return currency, int(r["FINANCE_NET_MINOR"]) - int(r["NET_MINOR"])
    return None


def _iso(moment: Any) -> str:
    return utc_text(moment)


def _batch_args(batch_ids: list[str]) -> list[str]:
    out: list[str] = []
    for b in sorted(set(batch_ids))[:20]:
        out += ["--batch-id", b]
    return out


def _last_good_publication(top: Finding) -> str | None:
    for item in top.evidence:
        if item.claim.startswith("the marts' definition changed between the good publication "):
            return item.claim.split("the good publication ", 1)[1].split(" ", 1)[0]
    return None


def as_dict(verdict: Verdict, ev: Evidence, marquez_url: str | None = None) -> dict[str, Any]:
    """The JSON report: classification, confidence, evidence (each with its query and ids), next_step, and more."""
    return {
        "classification": verdict.classification,
        "confidence": verdict.confidence,
        "evidence": [_item(i, marquez_url) for i in verdict.evidence],
        "next_step": verdict.next_step,
        "subject": {
            "kind": ev.subject.kind,
            "value": ev.subject.value,
            "metric": ev.subject.metric,
            "date": ev.subject.day.isoformat(),
            "currency": ev.subject.currency,
            "source": ev.subject.source,
            "incident_id": ev.subject.incident_id,
        },
        "hypotheses": [{"hypothesis": f.hypothesis, "score": f.score} for f in verdict.ranked],
        "affected_batches": [b["BATCH_ID"] for b in report_batches(verdict, ev)],
        "queries": sorted(set(ev.queries)),
    }


def report_batches(verdict: Verdict, ev: Evidence) -> list[dict[str, Any]]:
    """The one list of batches a report counts, lists and draws (text, JSON and the HTML timeline): the affected
    batches and every ledger batch the evidence names, in window order."""
    named = {i for item in verdict.evidence for i in item.batch_ids}
    affected = {b["BATCH_ID"] for b in ev.affected_batches()}
    rows = {b["BATCH_ID"]: b for b in ev.batches if b["BATCH_ID"] in affected | named}
    return sorted(rows.values(), key=lambda b: (b["WINDOW_START"], b["BATCH_ID"]))


def _item(item: Item, marquez_url: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "hypothesis": item.hypothesis,
        "claim": item.claim,
        "weight": item.weight,
        "query": item.query,
        "batch_ids": list(item.batch_ids),
        "raw_uris": list(item.raw_uris),
        "lineage_run_ids": list(item.lineage_run_ids),
    }
    if marquez_url and item.lineage_run_ids:
        out["marquez_links"] = [marquez_link(marquez_url, r) for r in item.lineage_run_ids]
    return out


def marquez_link(base: str, run_id: str) -> str:
    """Marquez's page of a lineage run (its API: /api/v1/jobs/runs/<run id>)."""
    return f"{base.rstrip('/')}/api/v1/jobs/runs/{run_id}"
