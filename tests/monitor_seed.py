"""Seeding the ledger and the landing store for the monitor tests: committed batches, a quiet pipeline."""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from northstar.loads import BatchRecord
from northstar.monitoring.ledger import naive
from northstar.settings import Settings
from northstar.sqlfiles import statements
from northstar.warehouse import Warehouse

CADENCE = {"orders": timedelta(minutes=15), "payments": timedelta(minutes=15),
           "fulfillment": timedelta(hours=1), "consistency": timedelta(minutes=15)}  # fmt: skip


def now_minute() -> datetime:
    """The current minute (UTC): NOW for tests whose monitor runs on the real clock (the CLI's)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def now_quarter() -> datetime:
    """The current time floored to the quarter hour (UTC): the tests' NOW, close to the real clock."""
    now = datetime.now(UTC)
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


def add_batch(wh: Warehouse, source: str, end: datetime, rows: int, quarantined: int = 0,
              status: str = "COMMITTED", finished: datetime | None = None) -> str:  # fmt: skip
    """One ledger row for the window of `source` ending at `end`; its batch id."""
    start = end - CADENCE[source]
    batch_id = f"{source}-{start:%Y%m%dT%H%M%S}Z-{end:%Y%m%dT%H%M%S}Z"
    record = BatchRecord(
        batch_id=batch_id, source=source, window_start=naive(start), window_end=naive(end), watermark_low=None,  # type: ignore[arg-type]
        watermark_high=None, rows_extracted=rows, rows_passed=rows - quarantined, rows_quarantined=quarantined,
        rows_published=rows - quarantined, status=status, reason="seeded" if status != "COMMITTED" else None,
        raw_uri=None, code_version="test", flow_run_id=None, lineage_run_id=None, started_at=naive(end),  # type: ignore[arg-type]
        finished_at=naive(finished or end), extract_seconds=None, validate_seconds=None, publish_seconds=None,
    )  # fmt: skip
    delete, insert = statements("snowflake/insert_into_ops_load_batches.sql")
    wh.execute(delete, {"batch_id": batch_id})
    wh.execute(insert, asdict(record))
    return batch_id


def land_arrival(settings: Settings, at: datetime) -> None:
    """One arrival entry of the webhook receiver in the local landing store, dated `at`."""
    folder = Path(settings.landing_dir) / "raw/stripe/_arrivals" / f"dt={at:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    entry = folder / f"evt_seed.created={at:%Y-%m-%d}.json"
    entry.write_text("{}")
    os.utime(entry, (at.timestamp(), at.timestamp()))  # landed at `at`, whatever the clock says now


def quiet_pipeline(wh: Warehouse, settings: Settings, now: datetime) -> None:
    """Every source committed up to now, the gate passed, the receiver landing: no monitor fires."""
    for source in ("orders", "payments", "fulfillment"):
        add_batch(wh, source, now, 100)
    add_batch(wh, "consistency", now - timedelta(minutes=15), 300)
    add_batch(wh, "consistency", now, 300)
    land_arrival(settings, now)
