"""The demo's other feeds, derived from the orders it published: Stripe events, a WMS drop, finance's reports.

Each feed is what its real source would send (Stripe event JSON landed as the webhook receiver lands it, a
CSV shipment confirmation in the drop folder, finance's daily CSV), with a few known cross-system faults,
so that `northstar demo` can show what the consistency checks find. Local profile only: write times are set
on the files, as the demo's clock is fixed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from northstar.landing import LocalLanding
from northstar.sources.finance.reports import day_prefix
from northstar.sources.stripe.landing import land_prepared, prepare_event
from northstar.sources.wms.formats.lines import FIELDS

API_VERSION = "2025-03-31.basil"
UNKNOWN_ORDER_BASE = 9_000_000  # payments and shipment lines naming these wait for an order that never comes


@dataclass(frozen=True)
class DemoOrder:
    """A published order as the feeds need it."""

    order_id: int
    status: str
    currency: str
    total: int
    created_at: datetime  # UTC
    items: tuple[tuple[str, int], ...] = ()  # (sku, quantity) as ordered


@dataclass(frozen=True)
class UnknownPayment:
    """A payment naming an order the warehouse does not hold."""

    order_id: int
    amount: int
    created_at: datetime


@dataclass
class Feeds:
    """What was generated: Stripe event bodies (with their late ones apart), WMS lines, money per day, faults."""

    events: list[dict[str, Any]] = field(default_factory=list)
    late_events: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    money: Counter[tuple[date, str, str]] = field(default_factory=Counter)  # (day, currency, captured|refunded)
    faults: Counter[str] = field(default_factory=Counter)
    unknown_payments: list[UnknownPayment] = field(default_factory=list)


def build_feeds(orders: list[DemoOrder], late_refund_day: date, shipped_by: datetime) -> Feeds:
    """Payments for paid, shipped, delivered and refunded orders, shipments of their ordered items for shipped and
    delivered ones, with faults: underpaid, charged twice, wrong currency, payments and lines naming unknown
    orders, lines for cancelled orders, one order over-shipped and the oldest multi-item one under-shipped, and
    one refund on late_refund_day whose event arrives only after the first check."""
    feeds = Feeds()
    charged = [o for o in orders if o.status in ("paid", "shipped", "delivered", "refunded")]
    for i, o in enumerate(charged):
        captured, currency = o.total, o.currency
        if i % 97 == 5:  # a partial capture
            captured = o.total - 100
            feeds.faults["underpaid"] += 1
        if i % 131 == 7 and currency != "EUR":  # charged in the wrong currency
            currency = "EUR"
            feeds.faults["currency_mismatch"] += 1
        _pay(feeds, f"pi_demo{o.order_id}", o.order_id, captured, currency, o.created_at + timedelta(minutes=1))
        if i % 149 == 11:
            _pay(feeds, f"pi_demo{o.order_id}b", o.order_id, captured, currency, o.created_at + timedelta(minutes=3))
            feeds.faults["charged_twice"] += 1
        if o.status == "refunded":
            _refund(
                feeds,
                f"re_demo{o.order_id}",
                f"pi_demo{o.order_id}",
                captured,
                currency,
                o.created_at + timedelta(hours=2),
            )
    _ship(feeds, [o for o in orders if o.status in ("shipped", "delivered")], shipped_by)
    # finance saw this refund on the last day; its event reaches us only after the first check (a full refund of
    # the day's largest GBP order, large enough to break the 0.05% variance of the day's GBP revenue)
    late = max((o for o in charged if o.currency == "GBP" and o.created_at.date() == late_refund_day),
               key=lambda o: o.total)  # fmt: skip
    _refund(feeds, f"re_demolate{late.order_id}", f"pi_demo{late.order_id}", late.total, late.currency,
            late.created_at + timedelta(minutes=30), late=True)  # fmt: skip
    for n in range(5):
        when = orders[-1].created_at - timedelta(minutes=n)
        _pay(feeds, f"pi_demounknown{n}", UNKNOWN_ORDER_BASE + n, 1999, "USD", when)
        feeds.unknown_payments.append(UnknownPayment(UNKNOWN_ORDER_BASE + n, 1999, when))
    feeds.faults["payment_for_unknown_order"] = 5
    for o in [o for o in orders if o.status == "cancelled"][:3]:
        feeds.lines += _shipment(o.order_id, o.items, min(o.created_at + timedelta(hours=1), shipped_by))
        feeds.faults["shipped_cancelled_order"] += 1
    for n in range(2):
        feeds.lines += _shipment(UNKNOWN_ORDER_BASE + 100 + n, (), shipped_by)
    feeds.faults["line_for_unknown_order"] = 2
    return feeds


def land_stripe(store: LocalLanding, events: list[dict[str, Any]], written_at: datetime) -> int:
    """Land events as the webhook receiver does; their files' write time set to written_at (the demo's clock)."""
    for evt in events:
        prepared = prepare_event(json.dumps(evt, indent=2).encode(), received_at=written_at,
                                 signature_timestamp=evt["created"] + 1, source="webhook")  # fmt: skip
        land_prepared(store, prepared)
        for key in (prepared.key, prepared.arrival_key):  # the envelope and its arrival entry
            os.utime(store.root / key, (written_at.timestamp(), written_at.timestamp()))
    return len(events)


def drop_shipments(folder: Path, lines: list[dict[str, Any]], written_at: datetime) -> Path:
    """One CSV shipment confirmation in the drop folder, written at written_at (the layout:
    northstar/sources/wms/formats/csv_format.py)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"shipments-{written_at:%Y%m%d%H%M}.csv"
    rows = [",".join(FIELDS)] + [",".join(str(line[f]) for f in FIELDS) for line in lines]
    path.write_text("\n".join(rows) + "\n")
    os.utime(path, (written_at.timestamp(), written_at.timestamp()))
    return path


def drop_finance_reports(store: LocalLanding, feeds: Feeds, days: list[date], written_at: datetime) -> list[str]:
    """Finance's report per day from the money that really moved (late events included), in its documented layout."""
    keys = []
    for day in days:
        currencies = sorted({cur for d, cur, _ in feeds.money if d == day})
        rows = ["business_date,currency,captured_minor,refunded_minor,net_revenue_minor"]
        for cur in currencies:
            captured, refunded = feeds.money[(day, cur, "captured")], feeds.money[(day, cur, "refunded")]
            rows.append(f"{day},{cur},{captured},{refunded},{captured - refunded}")
        key = day_prefix(day) + "daily_revenue.csv"
        store.put_if_absent(key, ("\n".join(rows) + "\n").encode())
        os.utime(store.root / key, (written_at.timestamp(), written_at.timestamp()))
        keys.append(key)
    return keys


def _pay(feeds: Feeds, pi: str, order_id: int, amount: int, currency: str, created: datetime) -> None:
    ts = int(created.timestamp())
    charge = {"id": pi.replace("pi_", "ch_"), "object": "charge", "amount": amount, "amount_captured": amount,
              "amount_refunded": 0, "captured": True, "currency": currency.lower(), "created": ts,
              "payment_intent": pi, "status": "succeeded", "paid": True, "refunded": False}  # fmt: skip
    intent = {"id": pi, "object": "payment_intent", "amount": amount, "amount_capturable": 0,
              "amount_received": amount, "currency": currency.lower(), "created": ts, "status": "succeeded",
              "customer": f"cus_demo{order_id}", "metadata": {"order_id": str(order_id)}, "latest_charge": charge,
              "canceled_at": None, "cancellation_reason": None, "livemode": False}  # fmt: skip
    feeds.events.append(_event("payment_intent.succeeded", intent, ts))
    feeds.money[(created.date(), currency, "captured")] += amount


def _refund(feeds: Feeds, refund_id: str, pi: str, amount: int, currency: str, created: datetime,
            late: bool = False) -> None:  # fmt: skip
    ts = int(created.timestamp())
    obj = {"id": refund_id, "object": "refund", "amount": amount, "charge": pi.replace("pi_", "ch_"),
           "payment_intent": pi, "currency": currency.lower(), "created": ts, "status": "succeeded",
           "reason": "requested_by_customer", "metadata": {}}  # fmt: skip
    (feeds.late_events if late else feeds.events).append(_event("refund.updated", obj, ts))
    feeds.money[(created.date(), currency, "refunded")] += amount


def _event(event_type: str, obj: dict[str, Any], created: int) -> dict[str, Any]:
    return {"id": f"evt_demo_{obj['id']}_{event_type.replace('.', '_')}", "object": "event",
            "api_version": API_VERSION, "created": created, "data": {"object": obj}, "livemode": False,
            "pending_webhooks": 1, "type": event_type}  # fmt: skip


def _ship(feeds: Feeds, shippable: list[DemoOrder], shipped_by: datetime) -> None:
    """One shipment per shipped or delivered order, of its ordered items, an hour after it was created; one order
    gets an extra unit (over-shipped) and the oldest order with two or more items misses its last (under-shipped)."""
    short = min((o for o in shippable if len(o.items) > 1), key=lambda o: o.created_at, default=None)
    for i, o in enumerate(shippable):
        items = list(o.items)
        if o is short:
            items = items[:-1]
            feeds.faults["under_shipped"] += 1
        elif i == 17 and items:
            items[0] = (items[0][0], items[0][1] + 1)
            feeds.faults["over_shipped"] += 1
        feeds.lines += _shipment(o.order_id, tuple(items), min(o.created_at + timedelta(hours=1), shipped_by))


def _shipment(order_id: int, items: tuple[tuple[str, int], ...], shipped_at: datetime) -> list[dict[str, Any]]:
    """A shipment's lines, numbered within the shipment; an order without known items ships one demo unit."""
    at = shipped_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [{"shipment_id": f"SHP-{order_id}", "order_id": order_id, "line_no": n, "sku": sku, "quantity": quantity,
             "warehouse_code": "ATL1", "carrier": "UPSN", "tracking_number": f"1Z{order_id}", "status": "shipped",
             "shipped_at": at} for n, (sku, quantity) in enumerate(items or (("SKU-DEMO", 1),), 1)]  # fmt: skip
