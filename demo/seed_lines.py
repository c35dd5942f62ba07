"""Synthetic order lines for the seeded orders: 1-3 lines per order whose quantity x unit price sums to its total.

Kept apart from seed.py (the orders) and driven by its own random generator, so adding lines changes none of
the seeded orders or their fault counts.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple

import psycopg

SKU_POOL = 400
COPY_LINES = "COPY order_lines (order_id, line_no, sku, quantity, unit_price_minor, updated_at) FROM STDIN"


class LineRow(NamedTuple):
    """One row of the order_lines table."""

    order_id: int
    line_no: int
    sku: str
    quantity: int
    unit_price_minor: int
    updated_at: datetime


def sku(n: int) -> str:
    """The n-th SKU of the synthetic catalogue."""
    return f"SKU-{n % SKU_POOL:04d}"


def lines_for(rng: random.Random, order_id: int, total: int, updated_at: datetime) -> list[LineRow]:
    """1-3 lines with distinct SKUs; their quantity x unit price sums to total when total > 0."""
    count = rng.randint(1, 3)
    skus = rng.sample(range(SKU_POOL), count)
    remaining = abs(total) or 1  # an invalid (negative) total gets lines that do not add up to it
    priced: list[tuple[int, int]] = []
    for k in range(count - 1):
        quantity = rng.randint(1, 3)
        most = (remaining - 1) // (quantity * (count - k))  # leave at least 1 for each later line
        if most < 1:
            break
        price = rng.randint(1, most)
        priced.append((quantity, price))
        remaining -= quantity * price
    priced.append((1, remaining))
    return [
        LineRow(order_id, n + 1, sku(skus[n]), quantity, price, updated_at)
        for n, (quantity, price) in enumerate(priced)
    ]


def seeded_lines(orders: Iterable[tuple[int | None, int, datetime]], seed: int) -> list[LineRow]:
    """Lines for each distinct order id of (order_id, total, updated_at), from its first row's total and latest
    updated_at, deterministically for the seed."""
    first: dict[int, tuple[int, datetime]] = {}
    for order_id, total, updated_at in orders:
        if order_id is None:
            continue
        kept = first.setdefault(order_id, (total, updated_at))
        first[order_id] = (kept[0], max(kept[1], updated_at))
    rng = random.Random(seed * 7_919 + 1)
    return [line for order_id in sorted(first) for line in lines_for(rng, order_id, *first[order_id])]


def copy_lines(conn: psycopg.Connection, lines: Sequence[LineRow]) -> None:
    """Load lines with COPY FROM STDIN."""
    with conn.cursor() as cur, cur.copy(COPY_LINES) as copy:
        for line in lines:
            copy.write_row(line)


# Bulk lines for seed_bulk's orders: 1 + order_id mod 3 lines of quantity 1, the last taking the remainder.
BULK_LINES = """
INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_minor, updated_at)
SELECT o.order_id, n, 'SKU-' || lpad(mod(o.order_id * 31 + n * 7, %(skus)s)::text, 4, '0'), 1,
       CASE WHEN n < c THEN o.total_amount_minor / c
            ELSE o.total_amount_minor - (c - 1) * (o.total_amount_minor / c) END,
       o.updated_at
FROM (SELECT order_id, total_amount_minor, updated_at, 1 + mod(order_id, 3)::int AS c FROM orders) AS o
CROSS JOIN LATERAL generate_series(1, o.c) AS n
"""

# The lines of one order repeated under another order id (the same purchase entered twice).
REPEAT_LINES = """
INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_minor, updated_at)
SELECT %(new)s, line_no, sku, quantity, unit_price_minor, %(updated)s FROM order_lines WHERE order_id = %(original)s
"""
