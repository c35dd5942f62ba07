"""Order lines through the orders flow: extracted with their orders, checked in DuckDB, published with them."""

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
from demo import seed
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.helpers import T0, source_row
from tests.test_orders_flow import insert, window

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
INSERT_LINE = (
    "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_minor, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def insert_lines(dsn: str, *lines: tuple[Any, ...]) -> None:
    """Lines (order_id, line_no, sku, quantity, unit_price_minor) stamped at T0."""
    with psycopg.connect(dsn) as conn:
        conn.cursor().executemany(INSERT_LINE, [(*line, T0) for line in lines])


def core_lines() -> list[tuple[int, int, str, int, int]]:
    with open_warehouse(load_settings()) as wh:
        rows = wh.query("SELECT ORDER_ID, LINE_NO, SKU, QUANTITY, UNIT_PRICE_MINOR FROM CORE.ORDER_LINES ORDER BY 1, 2")
    return [(r["ORDER_ID"], r["LINE_NO"], r["SKU"], r["QUANTITY"], r["UNIT_PRICE_MINOR"]) for r in rows]


def test_each_line_fault_is_quarantined_with_its_reasons_and_the_rest_published(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    insert(source_db, source_row(1, 1), source_row(2, 2), source_row(3, 3, currency="usd"), source_row(4, 4))
    insert_lines(
        source_db,
        (1, 1, "SKU-A", 2, 1000),
        (1, 2, "SKU-B", 1, 500),
        (2, 1, "SKU-A", 0, 2500),  # quantity 0
        (2, 2, None, 1, 0),  # no sku
        (2, 3, " ", -1, 10),  # blank sku and a negative quantity: two reasons
        (3, 1, "SKU-C", 1, 2500),  # its order is quarantined (bad currency)
        (4, 1, "SKU-D", 1, 2500),
        (4, 1, "SKU-E", 1, 2500),  # (4, 1) twice: neither is published
        (4, 2, "SKU-F", 1, -5),  # a negative unit price
        (99, 1, "SKU-G", 1, 100),  # no such order: never extracted
    )
    outcome = orders_flow.orders_microbatch(**window(0))
    assert outcome.status == BatchStatus.COMMITTED and outcome.rows_published == 3
    assert outcome.details["lines_quarantined_by_reason"] == {
        "duplicates.line_unique": 2,
        "referential.order_in_batch": 1,
        "schema.quantity_positive": 2,
        "schema.sku_present": 2,
        "schema.unit_price_non_negative": 1,
    }
    assert core_lines() == [(1, 1, "SKU-A", 2, 1000), (1, 2, "SKU-B", 1, 500)]
    with open_warehouse(load_settings()) as wh:
        quarantined = wh.query("SELECT ORDER_ID, REASONS FROM QUARANTINE.ORDER_LINES ORDER BY _SOURCE_ROW")
        results = wh.query(
            "SELECT CHECK_ID, ROWS_CHECKED, ROWS_FAILED FROM OPS.CHECK_RESULTS WHERE DATASET = 'order_lines'"
        )
    assert [q["ORDER_ID"] for q in quarantined] == [2, 2, 2, 3, 4, 4, 4]
    out = io.StringIO()
    assert main(["quarantine", "--source", "order_lines", "--json"], out=out) == 0
    listed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["ORDER_ID"] for row in listed] == [2, 2, 2, 3, 4, 4, 4]
    assert {(r["CHECK_ID"], r["ROWS_CHECKED"], r["ROWS_FAILED"]) for r in results} == {
        ("schema.sku_present", 9, 2),
        ("schema.quantity_positive", 9, 2),
        ("schema.unit_price_non_negative", 9, 1),
        ("duplicates.line_unique", 9, 2),
        ("referential.order_in_batch", 9, 1),
        ("schema.columns_present", 9, 0),
        ("schema.column_types", 9, 0),
        ("schema.no_new_columns", 9, 0),
    }


def test_a_newer_version_of_an_order_replaces_its_lines_and_an_older_one_does_not(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    insert(source_db, source_row(1, 1), source_row(2, 2))
    insert_lines(source_db, (1, 1, "SKU-A", 1, 2500), (2, 1, "SKU-B", 1, 1500), (2, 2, "SKU-C", 2, 500))
    assert orders_flow.orders_microbatch(**window(0)).status == BatchStatus.COMMITTED
    with psycopg.connect(source_db) as conn:  # order 2 loses a line and gains another, in one transaction
        conn.execute("DELETE FROM order_lines WHERE order_id = 2 AND line_no = 2")
        conn.execute(INSERT_LINE, (2, 3, "SKU-D", 1, 1000, T0 + timedelta(minutes=20)))
        conn.execute("UPDATE orders SET updated_at = %s WHERE order_id = 2", (T0 + timedelta(minutes=20),))
    second = orders_flow.orders_microbatch(**window(1))
    assert second.status == BatchStatus.COMMITTED
    assert core_lines() == [(1, 1, "SKU-A", 1, 2500), (2, 1, "SKU-B", 1, 1500), (2, 3, "SKU-D", 1, 1000)]
    with open_warehouse(load_settings()) as wh:
        batches = wh.query("SELECT ORDER_ID, _BATCH_ID FROM CORE.ORDER_LINES ORDER BY ORDER_ID, LINE_NO")
    assert [b["_BATCH_ID"] == second.batch_id for b in batches] == [False, True, True]


def test_the_seeded_history_publishes_lines_that_add_up_to_their_orders(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    summary = seed.seed_history(source_db, start=T0 - timedelta(days=1), end=T0, orders=1_000)
    outcome = orders_flow.orders_microbatch(start=(T0 - timedelta(days=1)).isoformat(), end=T0.isoformat())
    with psycopg.connect(source_db) as conn:
        lines_total = conn.execute("SELECT count(*) FROM order_lines").fetchone()
        orders_with_lines = conn.execute("SELECT count(DISTINCT order_id) FROM order_lines").fetchone()
    assert lines_total is not None and orders_with_lines == (summary.orders,)
    with open_warehouse(load_settings()) as wh:
        published = wh.query(
            "SELECT COUNT(*) AS N, COUNT(DISTINCT l.ORDER_ID) AS ORDERS FROM CORE.ORDER_LINES AS l "
            "JOIN CORE.ORDERS AS o ON o.ORDER_ID = l.ORDER_ID"
        )[0]
        off = wh.query(
            "SELECT COUNT(*) AS N FROM CORE.ORDERS AS o JOIN (SELECT ORDER_ID, SUM(QUANTITY * UNIT_PRICE_MINOR) AS S "
            "FROM CORE.ORDER_LINES GROUP BY ORDER_ID) AS l ON l.ORDER_ID = o.ORDER_ID WHERE l.S <> o.TOTAL_AMOUNT_MINOR"
        )[0]["N"]
    assert published["ORDERS"] == outcome.rows_published  # every published order has its lines
    quarantined = sum(outcome.details["lines_quarantined_by_reason"].values())
    assert published["N"] + quarantined == lines_total[0]
    assert set(outcome.details["lines_quarantined_by_reason"]) == {"referential.order_in_batch"} and quarantined > 0
    assert off == 0  # each published order's lines add up to its total
