"""What the hypotheses are made of: the classifications, the evidence Item, a tested hypothesis (Finding), the
symptom, and the scoring of weighted evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from northstar.rootcause.evidence import Evidence

SOURCE_CHANGE, LATE, ETL_BUG, TRANSFORMATION, NONE = (
    "source_change",
    "late_arriving_data",
    "etl_bug",
    "transformation_logic",
    "none",
)
# a column dropped, retyped or added (orders), a WMS file in no known format or without its keys, a Stripe body that
# is not the JSON object its contract describes
CONTRACT_CHECKS = (
    "schema.columns_present",
    "schema.column_types",
    "schema.no_new_columns",
    "file.parseable",
    "schema.keys_present",
    "schema.payload_parseable",
)
VALUE_CHECKS = ("schema.status_allowed", "schema.currency_iso4217", "schema.event_type_handled")


@dataclass(frozen=True)
class Item:
    """One piece of evidence: what it shows, the query or command that shows it, and the ids it names."""

    hypothesis: str
    claim: str
    weight: float
    query: str
    batch_ids: tuple[str, ...] = ()
    raw_uris: tuple[str, ...] = ()
    lineage_run_ids: tuple[str, ...] = ()
    rows: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Finding:
    """One hypothesis tested: its score (0..1, the weights of its evidence, capped) and the evidence."""

    hypothesis: str
    score: float
    evidence: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Symptom:
    """Whether anything is inconsistent for the subject, and what shows it."""

    inconsistent: bool
    items: tuple[Item, ...] = field(default_factory=tuple)


def _score(items: list[Item]) -> float:
    return round(max(0.0, min(0.97, sum(i.weight for i in items))), 2)


def _ids(ev: Evidence, batch_ids: set[str] | list[str]) -> dict[str, Any]:
    """batch ids, raw URIs and lineage run ids of the named batches, for an Item."""
    rows = [b for b in ev.batches if b["BATCH_ID"] in set(batch_ids)]
    return {
        "batch_ids": tuple(sorted({b["BATCH_ID"] for b in rows} | set(batch_ids))),
        "raw_uris": tuple(sorted({b["RAW_URI"] for b in rows if b["RAW_URI"]})),
        "lineage_run_ids": tuple(sorted({b["LINEAGE_RUN_ID"] for b in rows if b["LINEAGE_RUN_ID"]})),
    }
