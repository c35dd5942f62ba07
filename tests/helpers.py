"""Helpers shared by the integration tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from northstar.warehouse import Warehouse

TABLES = (
    "CORE.ORDERS",
    "CORE.ORDER_LINES",
    "QUARANTINE.ORDERS",
    "QUARANTINE.ORDER_LINES",
    "OPS.LOAD_BATCHES",
    "OPS.CHECK_RESULTS",
)
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def table_hashes(
    wh: Warehouse, tables: tuple[str, ...] = TABLES, exclude: frozenset[str] = frozenset()
) -> dict[str, list[str]]:
    """A sorted list of row hashes per table: equal lists mean identical tables, row for row (leaving out the
    columns named in exclude, such as load timestamps)."""
    hashes: dict[str, list[str]] = {}
    for table in tables:
        rows = wh.query(f"SELECT * FROM {table}")  # table names come from the tests
        kept = ([(k, v) for k, v in sorted(r.items()) if k not in exclude] for r in rows)
        hashes[table] = sorted(hashlib.sha256(repr(items).encode()).hexdigest() for items in kept)
    return hashes


def order(order_id: int | None, minutes: float = 1, **overrides: Any) -> dict[str, Any]:
    """A valid orders row updated `minutes` after T0, with the given fields changed."""
    return {
        "order_id": order_id,
        "customer_id": 42,
        "status": "paid",
        "currency": "USD",
        "total_amount_minor": 2500,
        "created_at": T0 - timedelta(hours=1),
        "updated_at": T0 + timedelta(minutes=minutes),
    } | overrides


def source_row(order_id: int, minutes: float, **overrides: Any) -> tuple[Any, ...]:
    """The same row as a tuple in the source table's column order."""
    return tuple(order(order_id, minutes, **overrides).values())


Cli = Callable[..., tuple[int, str, str]]
"""The `cli` fixture (tests/conftest.py): run `northstar ...` as a user, (exit code, stdout, stderr)."""
