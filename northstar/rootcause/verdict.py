"""The verdict: the symptom, the four hypotheses ranked, a confidence, and the next step as a ready command line."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from northstar.rootcause.evidence import Evidence
from northstar.rootcause.hypotheses import (
    ETL_BUG,
    LATE,
    NONE,
    SOURCE_CHANGE,
    TRANSFORMATION,
    Finding,
    Item,
    Symptom,
    source_change,
    symptom,
)
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
    """Test every hypothesis on ev and rank them. Nothing inconsistent: `none`, confidence 1 - the best score."""
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
    if top.score < MIN_SCORE:
        return Verdict(
            NONE,
            0.3,
            seen,
            ranked,
            "inconsistent, but no hypothesis is supported by the evidence: "
            f"read `northstar checks --date {ev.subject.day}` and the batches listed",
        )
    total = sum(f.score for f in ranked) or 1.0
    confidence = round(min(0.97, top.score * (0.5 + 0.5 * top.score / total)), 2)
    return Verdict(top.hypothesis, confidence, seen, ranked, next_step(ev, top))


def next_step(ev: Evidence, top: Finding) -> str:
    """Which correction fits the cause, as a `northstar corrections request ...` line."""
    s = ev.subject
    batches = sorted({b for item in top.evidence for b in item.batch_ids})
    source_batches = [
        b for b in batches if any(x["BATCH_ID"] == b and x["SOURCE"] != "consistency" for x in ev.batches)
    ]
    source = next((x["SOURCE"] for x in ev.batches if x["BATCH_ID"] in source_batches), s.source or "consistency")
    reason = f"{top.hypothesis} on {s.day}" + (f" ({s.incident_id})" if s.incident_id else "")
    args: list[str] = ["northstar", "corrections", "request"]
    if top.hypothesis == SOURCE_CHANGE:
        kind = "source_refresh" if any("contract" in i.claim for i in top.evidence) else "quarantine_release"
        args += ["--kind", kind, "--source", source, *_batch_args(source_batches)]
        prefix = "update the contract for the new shape (validators/), then: "
    elif top.hypothesis == LATE:
        args += ["--kind", "reprocess", "--source", "consistency", "--date", s.day.isoformat()]
        prefix = "the late rows are in CORE now; re-run the day's checks and marts: "
    elif top.hypothesis == ETL_BUG:
        args += ["--kind", "reprocess", "--source", source, *_batch_args(source_batches)]
        prefix = "the current code loads the raw correctly; reprocess the affected batches: "
    elif top.hypothesis == TRANSFORMATION:
        good = _last_good_publication(top)
        args += ["--kind", "adjustment", "--date", s.day.isoformat()]
        prefix = (
            f"roll the marts back (`northstar marts rollback --to {good} --reason ...`) or fix the model, then: "
            if good
            else "fix the mart's model (dbt/models/marts/), then: "
        )
    else:
        return ""
    if s.currency:
        args += ["--currency", s.currency]
    return prefix + shlex.join([*args, "--reason", reason])


def _batch_args(batch_ids: list[str]) -> list[str]:
    out: list[str] = []
    for b in batch_ids[:20]:
        out += ["--batch", b]
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
        "affected_batches": [b["BATCH_ID"] for b in ev.affected_batches()],
        "queries": sorted(set(ev.queries)),
    }


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
