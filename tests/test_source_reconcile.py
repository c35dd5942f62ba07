"""o03 and the kind: rows the watermark misses (a delete, a late row with an old stamp, a bulk fix that did not
touch updated_at, a NULL updated_at) are found by the source reconciliation, repaired or marked deleted."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from cli.main import main
from flows.orders_repair import reconcile_source_orders
from lineage.validate import validate_event
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
INSERT = "INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)"


def window(i: int) -> dict[str, str]:
    start = T0 + timedelta(minutes=15 * i)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}


def sql(dsn: str, statement: str, *rows: tuple[Any, ...]) -> None:
    with psycopg.connect(dsn) as conn:
        if rows:
            conn.cursor().executemany(statement, rows)
        else:
            conn.execute(statement)  # type: ignore[arg-type]


def test_deletes_and_rows_the_watermark_missed_are_found_repaired_and_marked(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    sql(source_db, INSERT, *(source_row(i, i) for i in (1, 2, 3)), source_row(4, 14), source_row(7, 13, currency="usd"))
    assert orders_flow.orders_microbatch(**window(0)).rows_published == 4  # 7 quarantined (currency)
    sql(source_db, "DELETE FROM orders WHERE order_id = 2")  # o03: deleted at the source
    sql(source_db, INSERT, source_row(5, 2))  # committed late with an old stamp: before the overlap
    sql(source_db, "UPDATE orders SET status = 'cancelled' WHERE order_id = 3")  # a bulk fix, updated_at untouched
    sql(source_db, INSERT, source_row(6, 3, updated_at=None))  # no updated_at: no watermark ever reads it
    assert orders_flow.orders_microbatch(**window(1)).rows_extracted == 2  # the overlap's 4 and 7: none of the above

    settings = load_settings()
    report = reconcile_source_orders(settings, days=None)
    diff = report.diff
    assert (diff.missing, diff.stale, diff.deleted, diff.quarantined, diff.moved) == ([5, 6], [3], [2], [7], [])
    assert report.deletes_marked == 1
    repair = report.repair
    assert (
        repair is not None and repair.status == BatchStatus.COMMITTED and repair.batch_id.startswith("orders-repair-")
    )
    assert (repair.rows_extracted, repair.rows_published, repair.rows_quarantined) == (3, 2, 1)
    assert repair.quarantined_by_reason == {"schema.timestamps_sane": 1}  # order 6: published never, now explained
    with open_warehouse(settings) as wh:
        core = {r["ORDER_ID"]: r for r in wh.query("SELECT ORDER_ID, STATUS, _DELETED_AT FROM CORE.ORDERS")}
        deletes = wh.query("SELECT ORDER_ID, BATCH_ID, HOW FROM OPS.SOURCE_DELETES")
        ledger = wh.query("SELECT BATCH_ID, SOURCE, REASON FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s",
                          {"b": repair.batch_id})  # fmt: skip
        checks = wh.query(
            "SELECT CHECK_ID, ROWS_FAILED FROM OPS.CHECK_RESULTS WHERE BATCH_ID = %(b)s ORDER BY CHECK_ID",
            {"b": report.run_id},
        )
    assert sorted(core) == [1, 2, 3, 4, 5]
    assert core[2]["_DELETED_AT"] is not None and core[1]["_DELETED_AT"] is None  # kept for audit, marked
    assert core[3]["STATUS"] == "cancelled"  # the bulk fix reached CORE
    assert deletes == [{"ORDER_ID": 2, "BATCH_ID": report.run_id, "HOW": "source_reconciliation"}]
    assert ledger[0]["SOURCE"] == "orders" and "2 missing, 1 stale" in ledger[0]["REASON"]
    assert [(c["CHECK_ID"], c["ROWS_FAILED"]) for c in checks] == [
        ("reconcile.orders_deleted", 1),
        ("reconcile.orders_missing", 3),
        ("reconcile.orders_quarantined", 1),
    ]

    again = reconcile_source_orders(settings, days=None)  # everything accounted for: nothing to repair or mark
    assert again.diff.complete and again.repair is None and again.deletes_marked == 0
    assert again.diff.quarantined == [6, 7]
    nxt = orders_flow.orders_microbatch(**window(2))  # repairs never move the micro-batches' watermark
    with open_warehouse(settings) as wh:
        (low,) = wh.query("SELECT WATERMARK_LOW FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s", {"b": nxt.batch_id})
    assert low["WATERMARK_LOW"] == (T0 + timedelta(minutes=14 - 5)).replace(tzinfo=None)


def lineage_events(job: str) -> list[dict[str, Any]]:
    path = load_settings().lineage_dir / "events.jsonl"
    events = [json.loads(line) for line in path.read_text().splitlines()]
    return [e for e in events if e["job"]["name"] == job]


def test_a_day_whose_only_differences_are_quarantined_rows_proves_complete_without_bisecting(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    sql(source_db, INSERT, *(source_row(i, i) for i in (1, 2, 3)), source_row(4, 4, currency="usd"),
        source_row(5, 5, total_amount_minor=-1))  # fmt: skip
    assert orders_flow.orders_microbatch(**window(0)).rows_quarantined == 2
    report = reconcile_source_orders(load_settings(), days=None)
    diff = report.diff
    assert diff.complete and diff.quarantined == [4, 5]  # accounted for, and still reported
    assert diff.days_checked == 1 and diff.days_differing == [] and diff.keys_fetched == 0  # no bisection
    assert diff.queries == 5  # a day digest per side, the quarantine, the quarantined orders' digests per side
    quarantined = {c.check_id: (c.rows_failed, c.actual) for c in report.checks}["reconcile.orders_quarantined"]
    assert quarantined == (2, "2 in QUARANTINE.ORDERS at the source's version")
    with open_warehouse(load_settings()) as wh:  # a comparison moves no rows: its ledger row counts none
        (row,) = wh.query("SELECT ROWS_EXTRACTED, ROWS_PASSED, ROWS_QUARANTINED, REASON FROM OPS.LOAD_BATCHES "
                          "WHERE SOURCE = 'source_reconcile'")  # fmt: skip
    assert (row["ROWS_EXTRACTED"], row["ROWS_PASSED"], row["ROWS_QUARANTINED"]) == (0, 0, 0)
    assert row["REASON"].endswith("0 missing, 0 stale, 0 moved, 0 deleted, 2 already quarantined; 0 keys fetched")

    sql(source_db, "UPDATE orders SET currency = 'USD', updated_at = updated_at + interval '1 second' "
                   "WHERE order_id = 4")  # fmt: skip
    fixed = reconcile_source_orders(load_settings(), days=None)  # a fixed row is no longer the quarantined version
    assert (fixed.diff.missing, fixed.diff.quarantined) == ([4], [5])
    assert fixed.repair is not None and fixed.repair.rows_published == 1

    events = lineage_events("reconcile-source-orders")
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "START", "COMPLETE"]
    for event in events:
        validate_event(event)
    (orders,) = [i for i in events[1]["inputs"] if i["name"].endswith(".public.orders")]
    assertions = orders["inputFacets"]["dataQualityAssertions"]
    assert {a["assertion"] for a in assertions["assertions"]} == {
        "reconcile.orders_missing", "reconcile.orders_deleted", "reconcile.orders_quarantined",
    }  # fmt: skip


def test_more_deletes_than_the_guard_allows_are_held_not_marked(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_MAX_DELETES="2", NORTHSTAR_RECONCILE_MAX_DELETE_PERCENT="50")
    sql(source_db, INSERT, *(source_row(i, i) for i in (1, 2, 3, 4, 5)))
    assert orders_flow.orders_microbatch(**window(0)).rows_published == 5
    sql(source_db, "DELETE FROM orders WHERE order_id <> 5")  # a truncated table: 4 of 5 gone (> 2 and > 50%)
    sql(source_db, INSERT, source_row(6, 2))  # missing too, but a held run repairs nothing either

    out = io.StringIO()
    assert main(["reconcile-source", "orders", "--all"], out=out) == 1
    text = out.getvalue()
    assert "HELD" in text and "mass-delete guard: 4 of 5 orders in CORE are gone from the source" in text
    assert "NORTHSTAR_SOURCE_PG_DSN" in text  # what to check next
    settings = load_settings()
    with open_warehouse(settings) as wh:
        marked = wh.query("SELECT ORDER_ID FROM CORE.ORDERS WHERE _DELETED_AT IS NOT NULL")
        deletes = wh.query("SELECT * FROM OPS.SOURCE_DELETES")
        (ledger,) = wh.query("SELECT STATUS, REASON FROM OPS.LOAD_BATCHES WHERE SOURCE = 'source_reconcile'")
        orders = wh.query("SELECT ORDER_ID FROM CORE.ORDERS")
    assert (marked, deletes) == ([], [])
    assert sorted(r["ORDER_ID"] for r in orders) == [1, 2, 3, 4, 5]  # order 6 not repaired by a held run
    assert ledger["STATUS"] == "HELD" and ledger["REASON"].startswith("mass-delete guard: 4 of 5")
    (held,) = lineage_events("reconcile-source-orders")[1:]
    assert held["eventType"] == "FAIL" and "mass-delete guard" in held["run"]["facets"]["errorMessage"]["message"]
    validate_event(held)

    pipeline_env(NORTHSTAR_RECONCILE_MAX_DELETES="4")  # a real bulk delete: the limit raised, the run goes through
    report = reconcile_source_orders(load_settings(), days=None)
    assert report.held_reason is None and report.deletes_marked == 4 and report.repair is not None


def test_the_whole_history_starts_at_the_earliest_created_day_in_the_source_or_core(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    now = T0 + timedelta(days=1)
    today = now.replace(hour=0, minute=0)
    assert reconcile_source_orders(load_settings(), days=None, now=now).diff.low == today  # no orders: one day

    sql(source_db, INSERT, source_row(1, 1), source_row(2, 2, created_at=T0 - timedelta(days=40)),
        source_row(3, 3, created_at=T0 - timedelta(days=7)))  # fmt: skip
    assert orders_flow.orders_microbatch(**window(0)).rows_published == 3
    sql(source_db, "DELETE FROM orders WHERE order_id = 2")  # its created day is now only in CORE
    report = reconcile_source_orders(load_settings(), days=None, now=now + timedelta(minutes=1))  # a new run id
    assert report.diff.low == (T0 - timedelta(days=40)).replace(hour=0, minute=0)
    assert report.diff.deleted == [2] and report.diff.days_checked == 3
    with open_warehouse(load_settings()) as wh:
        starts = wh.query("SELECT WINDOW_START FROM OPS.LOAD_BATCHES WHERE SOURCE = 'source_reconcile' "
                          "ORDER BY STARTED_AT")  # fmt: skip
    assert [r["WINDOW_START"] for r in starts] == [
        today.replace(tzinfo=None),
        (T0 - timedelta(days=40)).replace(hour=0, minute=0, tzinfo=None),
    ]
