"""o03 to the end: an order the source reconciliation marks deleted leaves the marts at the next publication (real dbt
against a real fakesnow server, published by the consistency gate), while CORE keeps it for audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from flows.consistency import consistency_check
from northstar.landing import landing_store
from northstar.settings import Settings, load_settings
from northstar.sources.orders.reconcile import mark_deleted
from northstar.warehouse import open_warehouse
from northstar.warehouse_server import stop_server
from tests.consistency_seed import SourceBatch, commit, drop_finance, order_row, payment_row, window
from tests.helpers import T0

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
DAY = date(2026, 11, 20)


@pytest.fixture
def home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Two paid orders of customer 42 with their payments and finance's report; the gate published the marts."""
    # dbt cannot name a database path: this home gets its own warehouse server, not the session's shared one
    for key in ("NORTHSTAR_PROFILE", "NORTHSTAR_LANDING_BUCKET", "SNOWFLAKE_ACCOUNT", "NORTHSTAR_MARQUEZ_URL",
                "NORTHSTAR_WAREHOUSE_SERVER"):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NORTHSTAR_MARTS_PUBLISH", "true")
    settings = load_settings()
    with open_warehouse(settings) as wh:
        commit(wh, SourceBatch("orders", "orders-1", T0 + timedelta(minutes=12), orders=[
            order_row(1, T0 + timedelta(minutes=1)), order_row(2, T0 + timedelta(minutes=2), total=1000)],
            order_lines=[(1, 1, "SKU-1", 1), (2, 1, "SKU-2", 3)]))  # fmt: skip
        commit(wh, SourceBatch("payments", "payments-1", T0 + timedelta(minutes=13), payments=[
            payment_row("pi_1", 1, 2500, T0 + timedelta(minutes=3)),
            payment_row("pi_2", 2, 1000, T0 + timedelta(minutes=4))]))  # fmt: skip
    drop_finance(landing_store(settings), DAY, {"USD": (3500, 0)})
    try:
        yield settings
    finally:
        stop_server(settings.warehouse_dir)


def query(settings: Settings, sql: str) -> list[dict[str, Any]]:
    with open_warehouse(settings) as wh:
        return wh.query(sql)


def test_an_order_marked_deleted_leaves_the_marts_at_the_next_publication(home: Settings) -> None:
    assert consistency_check(**window(0)).status == "COMMITTED"
    assert sorted(r["ORDER_ID"] for r in query(home, "SELECT ORDER_ID FROM MARTS.FCT_ORDERS")) == [1, 2]
    (customer,) = query(home, "SELECT ORDERS FROM MARTS.DIM_CUSTOMER WHERE CUSTOMER_ID = 42")
    assert customer["ORDERS"] == 2

    with open_warehouse(home) as wh, wh.transaction():  # what the source reconciliation does on finding the delete
        assert mark_deleted(wh, [2], "source_reconcile-o03", datetime.now(UTC), "source_reconciliation") == 1
    gate = consistency_check(**window(15))
    assert gate.status == "COMMITTED", gate.reason

    assert [r["ORDER_ID"] for r in query(home, "SELECT ORDER_ID FROM MARTS.FCT_ORDERS")] == [1]
    assert [r["ORDER_ID"] for r in query(home, "SELECT ORDER_ID FROM MARTS.FCT_ORDERS_V1")] == [1]
    assert [r["ORDER_ID"] for r in query(home, "SELECT ORDER_ID FROM MARTS.ORDER_PAYMENTS")] == [1]
    (customer,) = query(home, "SELECT ORDERS FROM MARTS.DIM_CUSTOMER WHERE CUSTOMER_ID = 42")
    assert customer["ORDERS"] == 1
    ordered = query(home, "SELECT ORDER_ID, SUM(ORDERED_QUANTITY) AS Q FROM MARTS.FCT_FULFILLMENT GROUP BY 1")
    assert [r["ORDER_ID"] for r in ordered] == [1]
    payment = {r["PAYMENT_INTENT_ID"]: r for r in query(home, "SELECT * FROM MARTS.FCT_PAYMENTS")}["pi_2"]
    assert (payment["ORDER_ID"], payment["LINKED_ORDER_ID"], payment["ORDER_KNOWN"]) == (None, 2, False)
    # The money Stripe captured is still the day's cash revenue, as finance booked it: the gate still passes, and
    # the payment is no longer any order's.
    (revenue,) = query(home, "SELECT NET_REVENUE_MINOR FROM MARTS.FCT_DAILY_REVENUE")
    assert revenue["NET_REVENUE_MINOR"] == 3500
    (kept,) = query(home, "SELECT ORDER_ID, _DELETED_AT FROM CORE.ORDERS WHERE ORDER_ID = 2")
    assert kept["_DELETED_AT"] is not None  # kept for audit
