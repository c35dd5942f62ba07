"""Seeding published state for the consistency tests: rows as the source flows publish them, with their ledger rows.

The consistency flow reads only what the source flows published (CORE tables and committed OPS.LOAD_BATCHES
rows), so its scenarios are seeded there directly, through the real connector, one source batch at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from northstar.landing import LandingStore
from northstar.sources.finance.reports import day_prefix
from northstar.warehouse import Warehouse
from tests.helpers import T0


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


@dataclass
class SourceBatch:
    """One committed source batch: its rows are inserted with its id and load time."""

    source: str
    batch_id: str
    loaded_at: datetime
    orders: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    disputes: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    order_lines: list[tuple[int, int, str, int]] = field(default_factory=list)  # (order_id, line_no, sku, quantity)


def order_row(order_id: int, created: datetime, total: int = 2500, **kw: Any) -> dict[str, Any]:
    return {"order_id": order_id, "customer_id": 42, "status": "paid", "currency": "USD", "total": total,
            "created_at": created} | kw  # fmt: skip


def payment_row(pi: str, order_id: int | None, captured: int, created: datetime, **kw: Any) -> dict[str, Any]:
    return {"pi": pi, "order_id": order_id, "captured": captured, "currency": "USD", "created_at": created} | kw


def commit(wh: Warehouse, batch: SourceBatch) -> None:
    """Insert the batch's rows and its COMMITTED ledger row, as its source flow's load would."""
    b, at = batch.batch_id, naive(batch.loaded_at)
    for o in batch.orders:
        wh.execute("DELETE FROM CORE.ORDERS WHERE ORDER_ID = %(id)s", {"id": o["order_id"]})
        wh.execute(
            "INSERT INTO CORE.ORDERS (ORDER_ID, CUSTOMER_ID, STATUS, CURRENCY, TOTAL_AMOUNT_MINOR, CREATED_AT,"
            " UPDATED_AT, _BATCH_ID, _LOADED_AT) VALUES (%(id)s, %(customer)s, %(status)s, %(currency)s, %(total)s,"
            " %(created)s, %(updated)s, %(b)s, %(at)s)",
            {"id": o["order_id"], "customer": o["customer_id"], "status": o["status"], "currency": o["currency"],
             "total": o["total"], "created": naive(o["created_at"]), "updated": at, "b": b, "at": at},
        )  # fmt: skip
    for p in batch.payments:
        wh.execute("DELETE FROM CORE.PAYMENTS WHERE PAYMENT_INTENT_ID = %(pi)s", {"pi": p["pi"]})
        wh.execute(
            "INSERT INTO CORE.PAYMENTS (PAYMENT_INTENT_ID, STATUS, AMOUNT, AMOUNT_CAPTURED, CURRENCY, ORDER_ID,"
            " CREATED_AT, UPDATED_AT, _BATCH_ID, _LOADED_AT) VALUES (%(pi)s, 'succeeded', %(c)s, %(c)s, %(cur)s,"
            " %(order)s, %(created)s, %(at)s, %(b)s, %(at)s)",
            {"pi": p["pi"], "c": p["captured"], "cur": p["currency"], "order": p["order_id"],
             "created": naive(p["created_at"]), "at": at, "b": b},
        )  # fmt: skip
    for r in batch.refunds:
        wh.execute(
            "INSERT INTO CORE.REFUNDS (REFUND_ID, PAYMENT_INTENT_ID, AMOUNT, CURRENCY, STATUS, CREATED_AT, UPDATED_AT,"
            " _STATE_EVENT_ID, _STATE_EVENT_CREATED, _STATE_PRECEDENCE, _BATCH_ID, _LOADED_AT) VALUES (%(id)s,"
            " %(pi)s, %(amount)s, %(cur)s, 'succeeded', %(created)s, %(at)s, %(id)s, %(at)s, 0, %(b)s, %(at)s)",
            {"id": r["refund_id"], "pi": r["pi"], "amount": r["amount"], "cur": r.get("currency", "USD"),
             "created": naive(r["created_at"]), "at": at, "b": b},
        )  # fmt: skip
    for d in batch.disputes:
        wh.execute(
            "INSERT INTO CORE.DISPUTES (DISPUTE_ID, PAYMENT_INTENT_ID, AMOUNT, CURRENCY, STATUS, UPDATED_AT,"
            " _STATE_EVENT_ID, _STATE_EVENT_CREATED, _STATE_PRECEDENCE, _BATCH_ID, _LOADED_AT) VALUES (%(id)s,"
            " %(pi)s, %(amount)s, 'USD', %(status)s, %(at)s, %(id)s, %(at)s, 0, %(b)s, %(at)s)",
            {"id": d["dispute_id"], "pi": d["pi"], "amount": d["amount"], "status": d["status"], "at": at, "b": b},
        )
    for i, line in enumerate(batch.lines):
        wh.execute(
            "INSERT INTO CORE.SHIPMENT_LINES VALUES (%(s)s, %(n)s, %(order)s, %(sku)s, %(q)s, 'W1', 'UPS', 'T1',"
            " 'shipped', %(at)s, 'csv', 'drop/x.csv', 'sha', %(pos)s, %(b)s, %(at)s)",
            {"s": line["shipment_id"], "n": line.get("line_no", 1), "order": line["order_id"],
             "sku": line.get("sku", "SKU-1"), "q": line.get("quantity", 1), "at": at, "pos": i + 1, "b": b},
        )  # fmt: skip
    for order_id, line_no, sku, quantity in batch.order_lines:
        wh.execute(
            "INSERT INTO CORE.ORDER_LINES (ORDER_ID, LINE_NO, SKU, QUANTITY, UNIT_PRICE_MINOR, UPDATED_AT, _BATCH_ID,"
            " _LOADED_AT) VALUES (%(o)s, %(n)s, %(sku)s, %(q)s, 1000, %(at)s, %(b)s, %(at)s)",
            {"o": order_id, "n": line_no, "sku": sku, "q": quantity, "at": at, "b": b},
        )
    rows = len(batch.orders) + len(batch.payments) + len(batch.lines)
    wh.execute(
        "INSERT INTO OPS.LOAD_BATCHES (BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED,"
        " ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS, STARTED_AT, FINISHED_AT) VALUES (%(b)s, %(source)s, %(start)s,"
        " %(end)s, %(n)s, %(n)s, 0, %(n)s, 'COMMITTED', %(at)s, %(at)s)",
        {"b": b, "source": batch.source, "start": at - timedelta(minutes=15), "end": at, "n": rows, "at": at},
    )


def drop_finance(store: LandingStore, day: date, totals: dict[str, tuple[int, int]], name: str = "report.csv") -> str:
    """Finance's report for a day: currency -> (captured, refunded), in the documented layout; its key."""
    lines = ["business_date,currency,captured_minor,refunded_minor,net_revenue_minor"]
    lines += [f"{day},{cur},{cap},{ref},{cap - ref}" for cur, (cap, ref) in totals.items()]
    key = day_prefix(day) + name
    assert store.put_if_absent(key, ("\n".join(lines) + "\n").encode())
    return key


def window(minutes: int) -> dict[str, str]:
    """The 15-minute window starting `minutes` after T0, as flow parameters."""
    start = T0 + timedelta(minutes=minutes)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}
