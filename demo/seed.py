"""Synthetic orders source: a reproducible legacy OLTP history with known faults, late updates, bulk seed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from demo.seed_lines import BULK_LINES, REPEAT_LINES, SKU_POOL, copy_lines, lines_for, seeded_lines

CREATE_ORDERS_SQL = Path(__file__).resolve().parents[1] / "sql" / "postgres" / "create_orders.sql"

FIRST_ORDER_ID = 1_000_000
CUSTOMER_ID_BASE = 500_000
FAULT_RATE = 0.01  # share of orders per fault kind

STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")
UPDATED_STATUSES = STATUSES[1:]  # an order still "pending" has never been updated
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "pending": ("paid", "cancelled"),
    "paid": ("shipped", "refunded"),
    "shipped": ("delivered",),
    "delivered": ("refunded",),
}
CURRENCIES = ("USD", "EUR", "GBP", "JPY")
CURRENCY_WEIGHTS = (85, 7, 5, 3)
UNKNOWN_STATUSES = ("shipped_maybe", "PAYED", "canceled", "on_hold")
BAD_CURRENCIES = ("US", "usd ", "XXY", "EURO")
UPDATED_SHARE = 0.7  # share of orders whose current row is a later status update
CUSTOMER_POOL = 5_000
BULK_CUSTOMER_POOL = 50_000
BULK_CURRENCY_SLOTS = ("USD",) * 16 + ("EUR", "EUR", "GBP", "JPY")  # mostly USD, indexed by row number

COPY_ORDERS = (
    "COPY orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) FROM STDIN"
)

FAULT_KINDS = (
    "repeated_rows",
    "unknown_status",
    "negative_total",
    "null_customer",
    "bad_currency",
    "conflicting_versions",
)


class _OrderRow(NamedTuple):
    """One row of the orders table."""

    order_id: int
    customer_id: int | None
    status: str
    currency: str
    total_amount_minor: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SeedSummary:
    """What seed_history wrote: orders, rows, exact rows per fault kind and the time range [start, end)."""

    orders: int
    rows: int
    repeated_rows: int
    unknown_status: int
    negative_total: int
    null_customer: int
    bad_currency: int
    conflicting_versions: int
    start: datetime
    end: datetime

    def fault_counts(self) -> dict[str, int]:
        """Rows per fault kind, keyed by the names in FAULT_KINDS."""
        return {kind: int(getattr(self, kind)) for kind in FAULT_KINDS}

    @property
    def faulty_rows(self) -> int:
        """Rows carrying a fault (each faulty row carries exactly one)."""
        return sum(self.fault_counts().values())


def ensure_database(admin_dsn: str, dbname: str, *, recreate: bool) -> str:
    """Create database dbname (dropping it first when recreate) and return its DSN."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        if recreate:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists is None:
            with suppress(psycopg.errors.DuplicateDatabase):  # created concurrently: just as good
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    return make_conninfo(admin_dsn, dbname=dbname)


def create_schema(dsn: str) -> None:
    """Create the orders and order_lines tables and their indexes if missing (sql/postgres/create_orders.sql)."""
    with psycopg.connect(dsn) as conn:
        _create_schema(conn)


def _create_schema(conn: psycopg.Connection) -> None:
    """Run the schema file on an open connection."""
    conn.execute(CREATE_ORDERS_SQL.read_text())


def seed_history(dsn: str, *, start: datetime, end: datetime, orders: int, seed: int = 7) -> SeedSummary:
    """Replace the orders (and their lines) with a reproducible history of orders plus ~1% faults per kind."""
    start, end = _utc_range(start, end)
    rng = random.Random(seed)
    rows = [_order_row(rng, FIRST_ORDER_ID + i, start, end) for i in range(orders)]
    extra, counts = _inject_faults(rng, rows)
    lines = seeded_lines(((r.order_id, r.total_amount_minor, r.updated_at) for r in [*rows, *extra]), seed)
    with psycopg.connect(dsn) as conn:
        _create_schema(conn)
        conn.execute("TRUNCATE orders, order_lines")
        _copy_rows(conn, [*rows, *extra])
        copy_lines(conn, lines)
    return SeedSummary(orders=orders, rows=len(rows) + len(extra), start=start, end=end, **counts)


def _utc_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """Both ends as aware UTC datetimes, start before end."""
    start, end = _utc(start), _utc(end)
    if start >= end:
        raise ValueError(f"start {start} must be before end {end}")
    return start, end


def _utc(moment: datetime) -> datetime:
    """An aware datetime converted to UTC; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime {moment} must be timezone-aware (UTC)")
    return moment.astimezone(UTC)


def _micros(delta: timedelta) -> int:
    """A timedelta in whole microseconds."""
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _order_row(rng: random.Random, order_id: int, start: datetime, end: datetime) -> _OrderRow:
    """A valid current-state row: created in [start, end), updated at or after creation and before end."""
    span = _micros(end - start)
    created_us = rng.randrange(span)
    created_at = start + timedelta(microseconds=created_us)
    currency = rng.choices(CURRENCIES, weights=CURRENCY_WEIGHTS)[0]
    customer_id = CUSTOMER_ID_BASE + rng.randrange(CUSTOMER_POOL)
    status, updated_at = "pending", created_at
    if rng.random() < UPDATED_SHARE:
        status = rng.choice(UPDATED_STATUSES)
        updated_at = created_at + timedelta(microseconds=rng.randrange(span - created_us))
    return _OrderRow(order_id, customer_id, status, currency, _amount(rng, currency), created_at, updated_at)


def _amount(rng: random.Random, currency: str) -> int:
    """A positive total in minor units: whole yen for JPY, cents otherwise."""
    if currency == "JPY":
        return rng.randint(100, 300_000)
    return rng.randint(199, 250_000)


def _fault_count(orders: int) -> int:
    """Faulty rows per kind: about FAULT_RATE of the orders."""
    return round(orders * FAULT_RATE)


def _inject_faults(rng: random.Random, rows: list[_OrderRow]) -> tuple[list[_OrderRow], dict[str, int]]:
    """Give distinct orders exactly one fault each; returns the extra rows and the counts per kind."""
    per_kind = _fault_count(len(rows))
    picked = rng.sample(range(len(rows)), per_kind * len(FAULT_KINDS))
    groups = {kind: picked[i * per_kind : (i + 1) * per_kind] for i, kind in enumerate(FAULT_KINDS)}
    for index in groups["unknown_status"]:
        rows[index] = rows[index]._replace(status=rng.choice(UNKNOWN_STATUSES))
    for index in groups["negative_total"]:
        rows[index] = rows[index]._replace(total_amount_minor=-rows[index].total_amount_minor)
    for index in groups["null_customer"]:
        rows[index] = rows[index]._replace(customer_id=None)
    for index in groups["bad_currency"]:
        rows[index] = rows[index]._replace(currency=rng.choice(BAD_CURRENCIES))
    extra = [rows[index] for index in groups["repeated_rows"]]
    extra += [_conflicting_version(rng, rows[index]) for index in groups["conflicting_versions"]]
    return extra, {kind: len(indexes) for kind, indexes in groups.items()}


def _conflicting_version(rng: random.Random, row: _OrderRow) -> _OrderRow:
    """A second, otherwise valid row for the order with the same updated_at but another status or amount."""
    if rng.random() < 0.5:
        return row._replace(status=rng.choice([s for s in STATUSES if s != row.status]))
    return row._replace(total_amount_minor=row.total_amount_minor + rng.randint(1, 5_000))


def _copy_rows(conn: psycopg.Connection, rows: Sequence[_OrderRow]) -> None:
    """Load rows with COPY FROM STDIN."""
    with conn.cursor() as cur, cur.copy(COPY_ORDERS) as copy:
        for row in rows:
            copy.write_row(row)


_LATE_CANDIDATES = """
SELECT order_id, status
FROM (
    SELECT *, count(*) OVER (PARTITION BY order_id) AS versions
    FROM orders
) AS o
WHERE versions = 1
  AND created_at < %(window_start)s
  AND updated_at < %(window_start)s
  AND status = ANY(%(movable)s)
  AND currency = ANY(%(currencies)s)
  AND customer_id IS NOT NULL
  AND total_amount_minor > 0
ORDER BY order_id
"""

_LATE_UPDATE = """
UPDATE orders AS o
SET status = u.status, updated_at = u.updated_at
FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(updated)s::timestamptz[])
    AS u(order_id, status, updated_at)
WHERE o.order_id = u.order_id
"""


def seed_late_updates(
    dsn: str, *, window_start: datetime, window_end: datetime, count: int, seed: int = 11
) -> list[int]:
    """Move count clean orders created before window_start to a next status updated inside the window."""
    window_start, window_end = _utc_range(window_start, window_end)
    rng = random.Random(seed)
    with psycopg.connect(dsn) as conn:
        candidates = conn.execute(
            _LATE_CANDIDATES,
            {"window_start": window_start, "movable": list(NEXT_STATUSES), "currencies": list(CURRENCIES)},
        ).fetchall()
        if len(candidates) < count:
            raise ValueError(f"only {len(candidates)} orders can take a late update, {count} requested")
        chosen = sorted(rng.sample(candidates, count))
        span = _micros(window_end - window_start)
        params = {
            "ids": [order_id for order_id, _ in chosen],
            "statuses": [rng.choice(NEXT_STATUSES[status]) for _, status in chosen],
            "updated": [window_start + timedelta(microseconds=rng.randrange(span)) for _ in chosen],
        }
        conn.execute(_LATE_UPDATE, params)
    return list(params["ids"])


_BULK_INSERT = """
INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at)
SELECT
    %(first_id)s + g - 1,
    %(customer_base)s + mod(g * 7919, %(customers)s),
    (%(statuses)s::text[])[1 + mod(g, 6)],
    (%(currencies)s::text[])[1 + mod(g / 3, %(slots)s)],
    199 + mod(g * 104729, 250000),
    greatest(%(start)s::timestamptz, t.updated_at - mod(g * 37, 86400) * interval '1 second'),
    t.updated_at
FROM generate_series(1::bigint, %(orders)s::bigint) AS g
CROSS JOIN LATERAL (
    SELECT %(start)s::timestamptz
        + floor(%(span_us)s::numeric * (g - 1) / %(orders)s)::bigint * interval '1 microsecond' AS updated_at
) AS t
"""


def seed_bulk(dsn: str, *, start: datetime, end: datetime, orders: int) -> None:
    """Replace the orders with `orders` valid rows, updated_at evenly over [start, end), and 1-3 lines each."""
    start, end = _utc_range(start, end)
    params = {
        "first_id": FIRST_ORDER_ID,
        "customer_base": CUSTOMER_ID_BASE,
        "customers": BULK_CUSTOMER_POOL,
        "statuses": list(STATUSES),
        "currencies": list(BULK_CURRENCY_SLOTS),
        "start": start,
        "span_us": _micros(end - start),
        "orders": orders,
        "slots": len(BULK_CURRENCY_SLOTS),
    }
    with psycopg.connect(dsn) as conn:
        _create_schema(conn)
        conn.execute("TRUNCATE orders, order_lines")
        conn.execute(_BULK_INSERT, params)
        conn.execute(BULK_LINES, {"skus": SKU_POOL})
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE orders")
        conn.execute("ANALYZE order_lines")


_PURCHASE_TO_REPEAT = """
SELECT order_id, customer_id, currency, total_amount_minor, created_at
FROM (
    SELECT DISTINCT ON (order_id) *
    FROM orders
    WHERE order_id IS NOT NULL
    ORDER BY order_id, updated_at DESC
) AS latest
WHERE status = 'paid' AND customer_id IS NOT NULL AND currency = ANY(%(currencies)s) AND total_amount_minor > 0
  AND created_at >= %(low)s AND created_at < %(high)s
ORDER BY order_id
LIMIT 1
"""
_REPEAT_PURCHASE = """
INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at)
SELECT max(order_id) + 1, %(customer_id)s, 'paid', %(currency)s, %(total)s, %(created)s, %(created)s FROM orders
RETURNING order_id
"""


def seed_duplicate_purchase(dsn: str, *, low: datetime, high: datetime, after: timedelta) -> tuple[int, int]:
    """The same purchase entered twice: a new order repeating a clean paid order created in [low, high) by the
    same customer, amount, currency and items, `after` later. Returns (original order id, repeated order id)."""
    low, high = _utc_range(low, high)
    with psycopg.connect(dsn) as conn:
        params = {"currencies": list(CURRENCIES), "low": low, "high": high}
        row = conn.execute(_PURCHASE_TO_REPEAT, params).fetchone()
        if row is None:
            raise ValueError("no clean paid order to repeat in the given range")
        original, customer_id, currency, total, created = row
        repeat = {"customer_id": customer_id, "currency": currency, "total": total, "created": created + after}
        new = conn.execute(_REPEAT_PURCHASE, repeat).fetchone()
        assert new is not None
        conn.execute(REPEAT_LINES, {"new": new[0], "original": original, "updated": created + after})
    return int(original), int(new[0])


_LATE_ORDER = """
INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at)
VALUES (%(order_id)s, %(customer_id)s, 'paid', %(currency)s, %(total)s, %(created)s, %(updated)s)
"""


def seed_late_order(
    dsn: str, *, order_id: int, total: int, currency: str, created: datetime, updated: datetime
) -> None:
    """An order (with its lines) whose row reaches the source only now (its payment may already have arrived)."""
    params = {"order_id": order_id, "customer_id": CUSTOMER_ID_BASE, "currency": currency, "total": total,
              "created": _utc(created), "updated": _utc(updated)}  # fmt: skip
    with psycopg.connect(dsn) as conn:
        conn.execute(_LATE_ORDER, params)
        copy_lines(conn, lines_for(random.Random(order_id), order_id, total, _utc(updated)))
