"""The completeness inventory as check results: every landed object is taken by exactly one batch.

run_completeness() turns each source's inventory (northstar/completeness.py) into two CheckResults,
`completeness.landed_unprocessed` (error: landed, older than the grace period, taken by no batch) and
`completeness.processed_twice` (error: taken by more than one batch), and records them in OPS.CHECK_RESULTS
under a completeness batch id with its ledger row (source `completeness`), in one transaction.
`northstar completeness` runs it; the demo and a schedule can too.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from northstar.completeness import SOURCES, SourceInventory, take_inventory
from northstar.landing import landing_store
from northstar.loads import BatchRecord, BatchStatus
from northstar.settings import Settings
from northstar.warehouse import open_warehouse
from validators.result import CheckResult, Severity

SOURCE = "completeness"
SAMPLE = 5  # keys named in a result's `actual`


@dataclass(frozen=True)
class CompletenessReport:
    """One inventory run: its batch id, each source's inventory and the check results recorded."""

    batch_id: str
    inventories: list[SourceInventory]
    checks: list[CheckResult]

    @property
    def failed(self) -> bool:
        return any(c.rows_failed and c.severity is Severity.ERROR for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "checks": [c.as_dict() for c in self.checks],
            "unprocessed": [f.as_dict() for inv in self.inventories for f in inv.unprocessed],
            "processed_twice": [f.as_dict() for inv in self.inventories for f in inv.processed_twice],
        }


def run_completeness(
    settings: Settings, source: str | None = None, since: datetime | None = None, now: datetime | None = None
) -> CompletenessReport:
    """Take the inventory of one source (default: all) of objects written since `since` (UTC) and record it.

    Raises ValueError for an unknown source or a `since` without an offset."""
    if since is not None and since.tzinfo is None:
        raise ValueError("--since must carry a UTC offset")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    sources = (source,) if source else SOURCES
    grace_until = now - timedelta(minutes=settings.completeness_grace_minutes)
    batch = f"{SOURCE}-{now:%Y%m%dt%H%M%S}-{hashlib.sha256(now.isoformat().encode()).hexdigest()[:8]}"
    with open_warehouse(settings) as wh:
        inventories = take_inventory(landing_store(settings), wh, sources, since, grace_until)
        checks = [c for inv in inventories for c in _checks(inv, settings.completeness_grace_minutes)]
        record = _record(settings, batch, since or datetime(2000, 1, 1, tzinfo=UTC), now, inventories)
        with wh.transaction():
            for check in checks:
                wh.run_file(
                    "snowflake/insert_into_ops_check_results.sql",
                    check.as_dict() | {"batch_id": batch, "source": SOURCE, "checked_at": now},
                )
            wh.run_file("snowflake/insert_into_ops_load_batches.sql", asdict(record))
    return CompletenessReport(batch, inventories, checks)


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
