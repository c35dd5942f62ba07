"""The demo: a seeded orders source, a backfill and six 15-minute batches, then the other feeds and the
cross-system checks (demo/consistency_story.py), and a summary. Not part of the installed product."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cli.output import print_rows
from demo import seed
from demo.consistency_story import run_cross_system
from demo.watermark_story import run_watermark_story
from flows.engine import BatchOutcome
from northstar.settings import Settings, load_settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from northstar.warehouse_server import stop_server

# A fixed clock keeps the demo reproducible: history for three days before T0, then six live windows.
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HISTORY = timedelta(days=3)
WINDOWS = 6
ORDERS = 4_000
LATE_UPDATES = 12


@dataclass(frozen=True)
class LateUpdates:
    """Source updates stamped inside [low, high) but committed after the batch for that time had run."""

    order_ids: list[int]
    low: datetime
    high: datetime


def run_demo(out: TextIO) -> int:
    """Seed, run the orders flow window by window, and print what happened."""
    from flows.orders_microbatch import orders_microbatch

    settings = load_settings()
    dsn = _demo_source(settings.orders.pg_dsn.get_secret_value())
    os.environ["NORTHSTAR_SOURCE_PG_DSN"] = dsn
    drop = settings.home / "sftp-drop"
    if stop_server(settings.warehouse_dir):  # it holds the files about to be removed
        print("northstar: stopped the local warehouse to start the demo from nothing", file=sys.stderr)
    for folder in (settings.landing_dir, settings.warehouse_dir, settings.lineage_dir, settings.work_dir, drop):
        shutil.rmtree(folder, ignore_errors=True)  # the demo starts from nothing, every time
    live_end = T0 + timedelta(minutes=15 * WINDOWS)
    summary = seed.seed_history(dsn, start=T0 - HISTORY, end=live_end, orders=ORDERS)
    # one purchase entered twice, three minutes apart, on the day before T0 (one in ~1,300 orders: within the SLA)
    day_before = T0 - timedelta(days=1)
    repeated = seed.seed_duplicate_purchase(
        dsn, low=day_before, high=day_before + timedelta(hours=1), after=timedelta(minutes=3)
    )
    out.write(f"Seeded {summary.rows} source rows for {summary.orders} orders in {_dbname(dsn)}; faults injected:\n")
    for kind, count in summary.fault_counts().items():
        out.write(f"  {kind:22} {count}\n")

    outcomes = [orders_microbatch(start=(T0 - HISTORY).isoformat(), end=T0.isoformat())]
    late = LateUpdates([], T0, T0)
    for i in range(WINDOWS):
        start = T0 + timedelta(minutes=15 * i)
        if i == 3:  # updates stamped just before this window's start, committed after the last batch ran
            low = start - timedelta(minutes=4)
            ids = seed.seed_late_updates(dsn, window_start=low, window_end=start, count=LATE_UPDATES)
            late = LateUpdates(ids, low, start)
        outcomes.append(orders_microbatch(start=start.isoformat(), end=(start + timedelta(minutes=15)).isoformat()))
    rerun = orders_microbatch(start=T0.isoformat(), end=(T0 + timedelta(minutes=15)).isoformat())
    _summary(out, settings, outcomes, late, rerun.status)
    out.write(f"\nOne purchase was entered twice in the source: order {repeated[1]} repeats order {repeated[0]}.\n")
    run_cross_system(out, settings, dsn, live_end)
    run_watermark_story(out, settings, dsn)
    return 0


def _summary(
    out: TextIO, settings: Settings, outcomes: list[BatchOutcome], late: LateUpdates, rerun_status: str
) -> None:
    out.write("\nBatches (OPS.LOAD_BATCHES):\n")
    with open_warehouse(settings) as wh:
        print_rows(wh.query(read_sql("snowflake/select_load_batches.sql"), {"source": "orders"}), out, as_json=False)
        out.write("\nRows quarantined by reason (QUARANTINE.ORDERS):\n")
        print_rows(wh.query(read_sql("snowflake/count_quarantine_orders_by_reason.sql")), out, as_json=False)
        published = wh.query("SELECT COUNT(*) AS N FROM CORE.ORDERS")[0]["N"]
        source_rows = wh.query("SELECT COUNT(*) AS N FROM QUARANTINE.ORDERS")[0]["N"]
        rows = wh.query(
            read_sql("snowflake/select_core_orders_updated_between.sql"), {"low": late.low, "high": late.high}
        )
    caught = {r["ORDER_ID"] for r in rows} & set(late.order_ids)
    events = settings.lineage_dir / "events.jsonl"
    n_events = len(events.read_text().splitlines()) if events.exists() else 0
    passed, quarantined = sum(o.rows_passed for o in outcomes), sum(o.rows_quarantined for o in outcomes)
    out.write(
        f"\nCORE.ORDERS holds {published} orders after {len(outcomes)} batches: "
        f"{passed} rows passed, {quarantined} quarantined: {source_rows} source rows in QUARANTINE.ORDERS, each once "
        f"({quarantined - source_rows} re-read by a batch's overlap, listed with both batches in _SEEN_BATCHES).\n"
        f"Late-arriving updates: {len(late.order_ids)} committed after their window's batch had run; "
        f"{len(caught)} published by the next batch through its {settings.orders.overlap} overlap.\n"
        f"Rerun of the first live window: {rerun_status} (the batch key makes a rerun a no-op).\n"
        f"Lineage: {n_events} OpenLineage events in {events}\n"
        f"Landed raw data: {settings.landing_dir / 'raw' / 'orders'}\n\n"
        "Try:\n"
        "  .venv/bin/northstar batches\n"
        "  .venv/bin/northstar quarantine --json | head -3\n"
        '  .venv/bin/northstar query "SELECT STATUS, COUNT(*) AS N FROM CORE.ORDERS GROUP BY STATUS ORDER BY N DESC"\n'
    )


def _demo_source(dsn: str) -> str:
    """The demo's own database on the configured server, recreated so every demo starts alike."""
    info = conninfo_to_dict(dsn)
    info["dbname"] = "postgres"
    demo = seed.ensure_database(make_conninfo("", **info), "northstar_demo", recreate=True)
    seed.create_schema(demo)
    return demo


def _dbname(dsn: str) -> str:
    return str(conninfo_to_dict(dsn).get("dbname"))
