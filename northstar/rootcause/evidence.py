"""Fetching the evidence for one symptom: bounded slices of the ledger, check results, quarantine, CORE rows of the
affected day, the consistency findings and the marts' publications. Every query is a file in sql/rootcause/ and is
bounded by the day (its UTC bounds and the trailing week), by batch ids of that range, or by an order id; no query
reads a whole table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from northstar.landing import LandingStore
from northstar.slices import day_bounds
from northstar.sources.finance.reports import day_prefix
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse

METRICS = ("daily_revenue", "duplicate_rate", "reconciliation_variance", "quarantine_rate", "freshness")
REVENUE_METRICS = ("daily_revenue", "reconciliation_variance")
TRAILING_DAYS = 7
LATER_DAYS = 2  # batches up to two days after the day may still have published its rows (late arrivals)
_IDENT = re.compile(r"^[A-Z][A-Z0-9_]*$")


class InvestigationError(ValueError):
    """The symptom cannot be investigated (an unknown batch, order or incident); the message says what to do."""


@dataclass(frozen=True)
class Subject:
    """What is investigated: the symptom's kind and value, the business day, and what narrows it."""

    kind: str  # incident, metric, order, batch
    value: str
    metric: str  # one of METRICS, or "checks" for a batch's own check failures
    day: date
    currency: str | None = None
    source: str | None = None
    batch_id: str | None = None
    incident_id: str | None = None


@dataclass
class Evidence:
    """Everything fetched for a subject; rows are dicts keyed by upper-case column name, times naive UTC."""

    subject: Subject
    low: datetime
    high: datetime
    overlap_minutes: int
    reconcile_days: int = 1  # NORTHSTAR_RECONCILE_DAYS: a gate compares the days up to this many before its window end
    batches: list[dict[str, Any]] = field(default_factory=list)  # the ledger from a week before to two days after
    failures: list[dict[str, Any]] = field(default_factory=list)
    null_rates: list[dict[str, Any]] = field(default_factory=list)  # not_null checks per batch: rows checked, failed
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    unknown_values: list[dict[str, Any]] = field(default_factory=list)  # quarantined orders' unknown status/currency
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    sla: list[dict[str, Any]] = field(default_factory=list)
    freshness_now: list[dict[str, Any]] = field(default_factory=list)  # per source: newest committed window, latest SLA
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # the day's duplicate candidate pairs
    duplicates_before: dict[str, Any] = field(default_factory=dict)  # the trailing week's DUPLICATES and ORDERS
    finance_files: list[tuple[str, datetime]] = field(default_factory=list)  # the day's finance reports, landed at
    published_after: list[dict[str, Any]] = field(default_factory=list)
    late_rows: list[dict[str, Any]] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    distribution: list[dict[str, Any]] = field(default_factory=list)
    stripe: list[dict[str, Any]] = field(default_factory=list)
    publications: list[dict[str, Any]] = field(default_factory=list)
    mart_values: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # publication id -> its rows
    model_files: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)  # pub -> node: (checksum, path)
    curated: list[dict[str, Any]] = field(default_factory=list)
    order_facts: list[dict[str, Any]] = field(default_factory=list)
    replay: list[dict[str, Any]] = field(default_factory=list)  # a dry-run reprocess's per-table differences
    queries: list[str] = field(default_factory=list)  # the sql/ files run, in order

    def day_batches(self, sources: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Source batches whose window overlaps the day (the subject's source only, when it names one)."""
        return [
            b
            for b in self.batches
            if b["WINDOW_END"] > self.low and b["WINDOW_START"] < self.high and self._wanted(b, sources)
        ]

    def baseline_batches(self, sources: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Committed source batches of the trailing days (the last good state)."""
        return [
            b
            for b in self.batches
            if b["WINDOW_END"] <= self.low and b["STATUS"] == "COMMITTED" and self._wanted(b, sources)
        ]

    def affected_batches(self) -> list[dict[str, Any]]:
        """The subject's batch, or the day's source batches plus any later batch that published rows of the day."""
        if self.subject.kind == "batch":
            return [b for b in self.batches if b["BATCH_ID"] == self.subject.batch_id]
        late = {r["BATCH_ID"] for r in (*self.published_after, *self.late_rows)}
        day = self.day_batches()
        ids = {b["BATCH_ID"] for b in day}
        return day + [b for b in self.batches if b["BATCH_ID"] in late and b["BATCH_ID"] not in ids]

    def _wanted(self, batch: dict[str, Any], sources: tuple[str, ...] | None) -> bool:
        if batch["SOURCE"] == "consistency":
            return False
        if sources is not None:
            return batch["SOURCE"] in sources
        if self.subject.source is None and self.subject.metric in REVENUE_METRICS and self.subject.kind != "order":
            return batch["SOURCE"] == "payments"  # revenue is counted from payments and refunds
        return self.subject.source is None or batch["SOURCE"] == self.subject.source


class Fetcher:
    """Runs the sql/rootcause/ files on one warehouse session and notes each one it ran."""

    def __init__(self, wh: Warehouse, evidence: Evidence) -> None:
        self.wh, self.evidence = wh, evidence

    def rows(self, relative: str, params: dict[str, Any], sql: str | None = None) -> list[dict[str, Any]]:
        """The rows of sql/rootcause/<relative> (or of sql, its text already completed) with params bound."""
        self.evidence.queries.append(f"sql/rootcause/{relative}")
        return self.wh.query(sql or read_sql(f"rootcause/{relative}"), params)


def gather(
    wh: Warehouse,
    subject: Subject,
    tz: str,
    overlap_minutes: int,
    store: LandingStore | None = None,
    reconcile_days: int = 1,
) -> Evidence:
    """Fetch every slice the hypotheses need for subject (business days in tz); from the landing store (when given)
    the day's finance reports with their landing times and the dbt manifests of publications whose SQL changed."""
    low, high = day_bounds([subject.day], tz)
    ev = Evidence(subject, low, high, overlap_minutes, reconcile_days)
    f = Fetcher(wh, ev)
    wide = {"low": low - timedelta(days=TRAILING_DAYS), "high": high + timedelta(days=LATER_DAYS)}
    day = {"day": subject.day, "low": low, "high": high, "currency": subject.currency}
    ev.batches = f.rows("select_batches_in_range.sql", wide)
    ev.failures = f.rows("select_check_failures_in_range.sql", wide)
    ev.null_rates = f.rows("select_null_rates_in_range.sql", wide)
    ev.quarantine = f.rows("select_quarantine_reasons_in_range.sql", wide)
    ev.unknown_values = f.rows("select_unknown_values_in_range.sql", wide)
    ev.reconciliation = f.rows("select_daily_reconciliation_day.sql", day)
    overlap = day | {"overlap_minutes": overlap_minutes}
    if payments_evidence(subject):
        ev.published_after = f.rows("select_published_after_reconciled.sql", overlap)
        ev.late_rows = f.rows("select_late_event_rows.sql", overlap)
    ev.references = f.rows("select_reference_transitions_day.sql", day)
    trailing = {"low": low - timedelta(days=TRAILING_DAYS), "high": high}
    ev.distribution = f.rows("select_order_distribution.sql", trailing)
    ev.stripe = f.rows("select_stripe_versions_in_range.sql", wide)
    if subject.metric in ("duplicate_rate", "freshness"):
        metric = "freshness%" if subject.metric == "freshness" else subject.metric
        ev.sla = f.rows("select_sla_metrics_day.sql", day | {"metric": metric})
    if subject.metric == "freshness":
        ev.freshness_now = f.rows("select_freshness_now.sql", {"low": low})
    if subject.metric == "duplicate_rate":
        ev.duplicates = f.rows("select_duplicate_candidates_day.sql", day)
        week = {"first_day": subject.day - timedelta(days=TRAILING_DAYS), "day": subject.day, "high": low}
        week["low"] = day_bounds([week["first_day"]], tz)[0]
        ev.duplicates_before = f.rows("select_duplicate_rate_trailing.sql", week)[0]
    if subject.kind == "order":
        ev.order_facts = f.rows("select_order_facts.sql", {"order_id": int(subject.value)})
        ev.duplicates = f.rows("select_duplicate_candidates_day.sql", day)
    _marts(f, ev, day)
    if store is not None:
        landed = store.list_modified(day_prefix(subject.day))
        naive = [(k, t.astimezone(UTC).replace(tzinfo=None)) for k, t in landed]
        ev.finance_files = sorted(naive, key=lambda kv: kv[1])
        ev.queries.append(f"landing: {day_prefix(subject.day)}")
        _model_files(store, ev)
    return ev


def _model_files(store: LandingStore, ev: Evidence) -> None:
    """The models' file checksums of each kept publication whose SQL hash differs from the one before it (from its
    dbt manifest in the landing store): what the analytics engineer changed. At most the five recent ones."""
    pubs = sorted(ev.publications, key=lambda p: p["CREATED_AT"])
    wanted: dict[str, dict[str, Any]] = {}
    for a, b in pairwise(pubs):
        if a["SQL_HASH"] != b["SQL_HASH"]:
            wanted |= {p["PUBLICATION_ID"]: p for p in (a, b) if p.get("MANIFEST_KEY")}
    for pub_id, pub in wanted.items():
        try:
            manifest = json.loads(store.get(str(pub["MANIFEST_KEY"])))
        except Exception:  # a dropped manifest: that publication's files cannot be compared
            continue
        ev.queries.append(f"landing: {pub['MANIFEST_KEY']}")
        ev.model_files[pub_id] = {
            uid: (str((n.get("checksum") or {}).get("checksum")), str(n.get("original_file_path")))
            for uid, n in manifest.get("nodes", {}).items()
            if n.get("resource_type") == "model"
        }


def _marts(f: Fetcher, ev: Evidence, day: dict[str, Any]) -> None:
    """The recent publications and, for each kept one, its certified revenue of the day; the curated table."""
    f.wh.run_file("marts/create_marts_tables.sql")  # a warehouse that never published marts has no ledger of them yet
    ev.publications = [_decoded(p) for p in f.rows("select_publications_recent.sql", {})]
    for pub in ev.publications:
        relation = _revenue_relation(pub)
        if relation is None or not pub["KEPT"]:
            continue
        sql = read_sql("rootcause/select_mart_daily_revenue.sql").format(relation=relation)
        try:
            ev.mart_values[pub["PUBLICATION_ID"]] = f.rows("select_mart_daily_revenue.sql", day, sql)
        except Exception:  # a dropped or half-built schema: that publication has no value to compare
            ev.mart_values[pub["PUBLICATION_ID"]] = []
    ev.curated = f.rows("select_curated_daily_revenue.sql", day)


def _revenue_relation(pub: dict[str, Any]) -> str | None:
    """<schema>.FCT_DAILY_REVENUE_V<latest> of a publication, when both are safe identifiers."""
    schema = str(pub.get("SCHEMA_NAME") or "")
    entry = (pub.get("MODEL_VERSIONS") or {}).get("fct_daily_revenue") or {}
    table = f"FCT_DAILY_REVENUE_V{entry.get('latest', 1)}"
    return f"{schema}.{table}" if _IDENT.match(schema) and _IDENT.match(table) else None


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    value = row.get("MODEL_VERSIONS")
    if isinstance(value, str):
        row = row | {"MODEL_VERSIONS": json.loads(value)}
    return row


def payments_evidence(subject: Subject) -> bool:
    """Whether payments' and refunds' timing can explain the subject: not when it names another source (a late refund
    does not explain an orders quarantine), nor for a quarantine rate or a batch's own checks (rows the contract
    rejected, whenever they arrived)."""
    if subject.source not in (None, "payments"):
        return False
    return subject.metric not in ("quarantine_rate", "checks") or subject.source == "payments"


def gates_before_report(ev: Evidence) -> tuple[list[dict[str, Any]], tuple[str, datetime] | None]:
    """The consistency batches that covered the day (their window ends within NORTHSTAR_RECONCILE_DAYS of it) and
    ran before finance's first report of the day landed, and that report (key, landed at); ([], None) if none."""
    if not ev.finance_files:
        return [], None
    first = ev.finance_files[0]
    last_covering = ev.high + timedelta(days=ev.reconcile_days - 1)
    gates = [
        b
        for b in ev.batches
        if b["SOURCE"] == "consistency"
        and b["STATUS"] in ("COMMITTED", "HELD")
        and ev.low < b["WINDOW_END"] <= last_covering
        and b["STARTED_AT"] is not None
        and b["STARTED_AT"] < first[1]
    ]
    return gates, first


def uncompared(ev: Evidence) -> bool:
    """Finance reported the day after a gate covered it, and no gate has compared the day since."""
    gates, _ = gates_before_report(ev)
    return bool(gates) and not ev.reconciliation


def business_day(moment: datetime, tz: str) -> date:
    """The business day in tz of a UTC moment (naive means UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz)).date()


def batch_subject(wh: Warehouse, batch_id: str, tz: str) -> Subject:
    """The subject of `--batch ID`: its source and the business day its window starts in."""
    rows = wh.query(read_sql("rootcause/select_batch.sql"), {"batch_id": batch_id})
    if not rows:
        raise InvestigationError(f"no batch {batch_id!r} in the ledger: `northstar batches` lists them")
    b = rows[0]
    metric = "daily_revenue" if b["SOURCE"] == "consistency" else "checks"
    source = None if b["SOURCE"] == "consistency" else b["SOURCE"]
    return Subject("batch", batch_id, metric, business_day(b["WINDOW_START"], tz), source=source, batch_id=batch_id)


def order_subject(wh: Warehouse, order_id: int, tz: str) -> Subject:
    """The subject of `--order ID`: the order's business day (created, or first quarantined)."""
    facts = wh.query(read_sql("rootcause/select_order_facts.sql"), {"order_id": order_id})
    if not facts:
        raise InvestigationError(f"order {order_id} is in neither CORE.ORDERS nor QUARANTINE.ORDERS")
    first = min(facts, key=lambda r: r["CREATED_AT"])
    return Subject("order", str(order_id), "daily_revenue", business_day(first["CREATED_AT"], tz), source=None)
