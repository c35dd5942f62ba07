"""The completeness inventory as check results: every landed object is taken by exactly one batch.

run_completeness() turns each source's inventory (northstar/completeness.py) into two CheckResults,
`completeness.landed_unprocessed` (error: landed, older than the grace period, taken by no batch) and
`completeness.processed_twice` (error: taken by more than one batch), and records them in OPS.CHECK_RESULTS
under a completeness batch id with its ledger row (source `completeness`), in one transaction. Then it hands
what the payments and fulfillment batches missed to their next batch (northstar/completeness.py,
hand_over_missed) and runs again each orders batch killed after landing (rerun_orders_batches). Each run is an
OpenLineage run (START, then COMPLETE or FAIL) with the checks as assertions on the landing prefixes it read.
`northstar completeness` runs it, and the flow `completeness-check` on a schedule.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from prefect import flow, get_run_logger

from flows.engine import LineageRun, current_flow_run_id, lineage_emitter, warehouse_namespace
from flows.orders_microbatch import orders_microbatch
from lineage.events import DatasetRef
from northstar.batches import Window, batch_id, parse_utc
from northstar.completeness import (
    PREFIXES,
    SOURCES,
    Finding,
    SourceInventory,
    hand_over_missed,
    missed_objects,
    take_inventory,
)
from northstar.incidents import report_batch
from northstar.landing import LandingStore, landing_store
from northstar.loads import BatchRecord, BatchStatus
from northstar.settings import Settings, load_settings
from northstar.sources.orders import SOURCE as ORDERS
from northstar.warehouse import open_warehouse
from validators.result import CheckResult, Severity

log = logging.getLogger(__name__)
SOURCE = "completeness"
JOB = "completeness-check"
SAMPLE = 5  # keys named in a result's `actual`


@dataclass(frozen=True)
class CompletenessReport:
    """One inventory run: its batch id, each source's inventory and the check results recorded."""

    batch_id: str
    inventories: list[SourceInventory]
    checks: list[CheckResult]
    handed_over: dict[str, int] = field(default_factory=dict)  # per source: objects handed to its next batch

    @property
    def failed(self) -> bool:
        return any(c.rows_failed and c.severity is Severity.ERROR for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "checks": [c.as_dict() for c in self.checks],
            "unprocessed": [f.as_dict() for inv in self.inventories for f in inv.unprocessed],
            "processed_twice": [f.as_dict() for inv in self.inventories for f in inv.processed_twice],
            "handed_over": self.handed_over,
        }


def run_completeness(
    settings: Settings, source: str | None = None, since: datetime | None = None, now: datetime | None = None
) -> CompletenessReport:
    """Take the inventory of one source (default: all) of objects written since `since` (UTC), record it, and hand
    what a payments or fulfillment batch missed to the source's next batch.

    Raises ValueError for an unknown source or a `since` without an offset."""
    if since is not None and since.tzinfo is None:
        raise ValueError("--since must carry a UTC offset")
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose from {', '.join(SOURCES)}")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    sources = (source,) if source else SOURCES
    grace_until = now - timedelta(minutes=settings.completeness_grace_minutes)
    batch = f"{SOURCE}-{now:%Y%m%dt%H%M%S}-{hashlib.sha256(now.isoformat().encode()).hexdigest()[:8]}"
    store = landing_store(settings)
    inputs = {s: landing_dataset(store, s) for s in sources}
    low = since or datetime(2000, 1, 1, tzinfo=UTC)
    run = LineageRun(lineage_emitter(settings), JOB, Window(low, now), current_flow_run_id(), list(inputs.values()))
    run.start()
    try:
        with open_warehouse(settings) as wh:
            inventories = take_inventory(store, wh, sources, since, grace_until)
            checks = [c for inv in inventories for c in _checks(inv, settings.completeness_grace_minutes)]
            record = replace(
                _record(settings, batch, low, now, inventories),
                lineage_run_id=run.run_id,
                flow_run_id=current_flow_run_id(),
            )
            with wh.transaction():
                for check in checks:
                    wh.run_file(
                        "snowflake/insert_into_ops_check_results.sql",
                        check.as_dict() | {"batch_id": batch, "source": SOURCE, "checked_at": now},
                    )
                wh.run_file("snowflake/insert_into_ops_load_batches.sql", asdict(record))
            handed = hand_over_missed(store, wh, inventories, now, batch)
            orders_missed = missed_objects(wh, inventories).get("orders", [])
    except Exception as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        raise
    run.complete(_outputs(settings), [replace(c, dataset=inputs[c.dataset].name) for c in checks])
    for name in sources:  # a finding is an incident of the source whose object was dropped or taken twice
        report_batch(settings, name, batch, now, [c for c in checks if c.dataset == name])
    if "orders" in sources:
        handed["orders"] = rerun_orders_batches(store, orders_missed)
    return CompletenessReport(batch, inventories, checks, handed)


def rerun_orders_batches(store: LandingStore, findings: list[Finding]) -> int:
    """Run again each orders batch that landed its manifest and never recorded it (killed after landing): the
    rerun reads what the batch landed and commits (or holds) it, as `northstar run orders` for its window would.
    The number of batches that recorded a result; a rerun that fails is logged (and recorded FAILED by it)."""
    done = 0
    for finding in findings:
        window = _manifest_window(store, finding.key)
        if window is None or f"/batch={batch_id(ORDERS, window)}/" not in finding.key:
            continue  # not a window's batch: a repair batch's landing, or nothing this pipeline wrote
        try:
            outcome = orders_microbatch(start=window.start.isoformat(), end=window.end.isoformat())
        except Exception as exc:  # the batch recorded its own failure; the next inventory tries again
            log.warning("rerun of the orders batch of %s failed: %s", finding.key, exc)
            continue
        done += outcome.status in (BatchStatus.COMMITTED, BatchStatus.HELD)
    return done


def _manifest_window(store: LandingStore, key: str) -> Window | None:
    try:
        manifest = json.loads(store.get(key))
        return Window.parse(manifest["window"]["start"], manifest["window"]["end"])
    except (KeyError, TypeError, ValueError):
        return None


@flow(name=JOB)
def completeness_check(source: str | None = None, since: str | None = None) -> dict[str, Any]:
    """The scheduled inventory: every landed object taken by exactly one batch; what was missed is handed on.

    since: ISO-8601 with an offset (default: the whole landing store)."""
    report = run_completeness(load_settings(), source, parse_utc(since) if since else None)
    if report.failed:
        get_run_logger().error("completeness %s: %s", report.batch_id,
                               "; ".join(c.actual for c in report.checks if c.rows_failed))  # fmt: skip
    return report.as_dict()


def landing_dataset(store: LandingStore, source: str) -> DatasetRef:
    """A source's landing prefix as an OpenLineage input: s3://<bucket> + raw/<system>, or file + its path."""
    uri = urlsplit(store.uri(PREFIXES[source].rstrip("/")))
    if uri.scheme == "s3":
        return DatasetRef(f"s3://{uri.netloc}", uri.path.lstrip("/"))
    return DatasetRef("file", unquote(uri.path))


def _outputs(settings: Settings) -> list[DatasetRef]:
    namespace, db = warehouse_namespace(settings), settings.database
    return [
        DatasetRef(namespace, f"{db}.OPS.CHECK_RESULTS"),
        DatasetRef(namespace, f"{db}.OPS.LOAD_BATCHES", row_count=1),
    ]


def _checks(inv: SourceInventory, grace_minutes: int) -> list[CheckResult]:
    unprocessed = ", ".join(f.key for f in inv.unprocessed[:SAMPLE])
    twice = ", ".join(f"{f.key} ({' '.join(f.batch_ids)})" for f in inv.processed_twice[:SAMPLE])
    return [
        CheckResult(
            "completeness.landed_unprocessed", inv.source, Severity.ERROR, inv.expected, len(inv.unprocessed),
            f"every object landed more than {grace_minutes} minutes ago is taken by a batch",
            f"{len(inv.unprocessed)} of {inv.expected} never taken" + (f": {unprocessed}" if unprocessed else ""),
        ),
        CheckResult(
            "completeness.processed_twice", inv.source, Severity.ERROR, inv.landed, len(inv.processed_twice),
            "no landed object is taken by more than one batch",
            f"{len(inv.processed_twice)} of {inv.landed} taken twice" + (f": {twice}" if twice else ""),
        ),
    ]  # fmt: skip


def _record(
    settings: Settings, batch: str, since: datetime, now: datetime, inventories: list[SourceInventory]
) -> BatchRecord:
    landed = sum(inv.landed for inv in inventories)
    missing = sum(len(inv.unprocessed) + len(inv.processed_twice) for inv in inventories)
    summary = "; ".join(
        f"{inv.source}: {inv.landed} landed, {len(inv.unprocessed)} unprocessed, {len(inv.processed_twice)} twice"
        for inv in inventories
    )
    return BatchRecord(
        batch_id=batch, source=SOURCE, window_start=since, window_end=now, watermark_low=None, watermark_high=None,
        rows_extracted=landed, rows_passed=landed - missing, rows_quarantined=missing, rows_published=0,
        status=str(BatchStatus.COMMITTED), reason=summary, raw_uri=None, code_version=settings.code_version,
        flow_run_id=None,
        lineage_run_id=None, started_at=now, finished_at=datetime.now(UTC), extract_seconds=None,
        validate_seconds=None, publish_seconds=None,
    )  # fmt: skip
