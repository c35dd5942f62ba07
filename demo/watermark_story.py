"""The demo's third act: what a watermark cannot see. A transaction open while a batch reads commits late (o01),
an order is deleted at the source (o03); the safe watermark, the source reconciliation and the completeness
inventory catch them."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import TextIO

import psycopg
from pydantic import SecretStr

from cli.output import print_rows
from northstar.settings import Settings
from northstar.warehouse import open_warehouse

INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, 'paid', 'USD', %s, %s, {})"
)  # two different purchases (customer, amount): the same customer and amount seconds apart is a duplicate
LATE_ORDER, EARLY_ORDER = 990_001, 990_002


def run_watermark_story(out: TextIO, settings: Settings, dsn: str) -> None:
    """Run two real-time orders batches around an open transaction, delete an order, reconcile, take inventory."""
    from flows.completeness import run_completeness
    from flows.orders_microbatch import orders_microbatch
    from flows.orders_repair import reconcile_source_orders

    orders = settings.orders.model_copy(update={"pg_dsn": SecretStr(dsn)})
    settings = settings.model_copy(update={"orders": orders})  # the demo's own source database
    out.write("\nWhat a watermark cannot see (o01: a late commit; o03: a delete)\n")
    # Real time, seconds apart: its windows are run as soon as they end (the orders settle margin would make
    # the demo wait a minute per window; the margin's own behaviour is tested in tests/test_engine.py).
    os.environ["NORTHSTAR_ORDERS_SETTLE_SECONDS"] = "0"
    late = psycopg.connect(dsn)  # a transaction that stays open: its rows are stamped by now(), its start
    late.execute(INSERT.format("now()"), (LATE_ORDER, 4242, 1999, datetime.now(UTC) - timedelta(hours=1)))
    (t_b,) = late.execute("SELECT now()").fetchone()  # type: ignore[misc]
    with psycopg.connect(dsn) as conn:  # an ordinary order, committed at once, in the same window
        conn.execute(
            INSERT.format("%s"), (EARLY_ORDER, 4343, 2599, t_b - timedelta(hours=1), t_b + timedelta(seconds=1))
        )
    first = (t_b - timedelta(minutes=2), t_b + timedelta(seconds=2))
    _wait_until(first[1])
    one = orders_microbatch(start=first[0].isoformat(), end=first[1].isoformat())
    late.commit()
    late.close()
    second_end = datetime.now(UTC) + timedelta(seconds=1)
    _wait_until(second_end)
    two = orders_microbatch(start=first[1].isoformat(), end=second_end.isoformat())
    with open_warehouse(settings) as wh:
        rows = wh.query(
            "SELECT BATCH_ID, WATERMARK_LOW, WATERMARK_HIGH, SAFE_UNTIL, ROWS_PUBLISHED FROM OPS.LOAD_BATCHES "
            "WHERE BATCH_ID IN (%(a)s, %(b)s) ORDER BY WINDOW_START",
            {"a": one.batch_id, "b": two.batch_id},
        )
        where = wh.query("SELECT _BATCH_ID FROM CORE.ORDERS WHERE ORDER_ID = %(id)s", {"id": LATE_ORDER})
    out.write(
        f"Order {LATE_ORDER} was written at {t_b:%H:%M:%S} by a transaction still open while batch {one.batch_id} "
        "read; the batch capped its watermark at that transaction's start (SAFE_UNTIL):\n"
    )
    print_rows(rows, out, as_json=False)
    out.write(f"Order {LATE_ORDER} published by: {where[0]['_BATCH_ID'] if where else 'nobody (LOST)'}\n")

    with psycopg.connect(dsn) as conn:
        (victim,) = conn.execute(
            "SELECT min(order_id) FROM orders WHERE status = 'paid' AND order_id > %s", (EARLY_ORDER,)
        ).fetchone()  # type: ignore[misc]
        conn.execute("DELETE FROM orders WHERE order_id = %s", (victim,))
    report = reconcile_source_orders(settings, days=None)
    d = report.diff
    out.write(
        f"\nOrder {victim} was deleted at the source. `northstar reconcile-source orders --all`: {d.days_checked} "
        f"created days, {len(d.days_differing)} differing, {d.queries} queries in {d.seconds:.2f} s; deleted "
        f"(marked _DELETED_AT, OPS.SOURCE_DELETES) {d.deleted}; missing {d.missing}; stale {d.stale}; "
        f"quarantined at the source's version (nothing to repair) {len(d.quarantined)}\n"
    )
    if report.repair:
        out.write(
            f"Repair batch {report.repair.batch_id}: {report.repair.status}, {report.repair.rows_published} published\n"
        )
    with open_warehouse(settings) as wh:
        print_rows(wh.query("SELECT * FROM OPS.SOURCE_DELETES ORDER BY ORDER_ID"), out, as_json=False)

    inventory = run_completeness(settings.model_copy(update={"completeness_grace_minutes": 0}))
    out.write(f"\nCompleteness inventory {inventory.batch_id} (`northstar completeness`, grace 0 for the demo):\n")
    rows = [{k: c.as_dict()[k] for k in ("check_id", "dataset", "outcome", "rows_checked", "rows_failed")}
            for c in inventory.checks]  # fmt: skip
    print_rows(rows, out, as_json=False)
    handed = {source: n for source, n in inventory.handed_over.items() if n}
    out.write(f"Handed to each source's next batch: {handed or 'nothing (every landed object was taken)'}\n")


def _wait_until(moment: datetime) -> None:
    """Sleep until a window's end has passed (a batch takes only windows that have ended)."""
    time.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0) + 0.1)
