"""The synthetic orders source: reproducible history, exact fault counts, late updates and the bulk seed."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from demo.seed import (
    BAD_CURRENCIES,
    CURRENCIES,
    FIRST_ORDER_ID,
    STATUSES,
    UNKNOWN_STATUSES,
    SeedSummary,
    ensure_database,
    seed_bulk,
    seed_history,
    seed_late_updates,
)

pytestmark = pytest.mark.integration

ADMIN_DSNS = ("postgresql://postgres@127.0.0.1:5432/postgres", "postgresql://127.0.0.1:5432/postgres")
START = datetime(2024, 3, 1, tzinfo=UTC)
END = datetime(2024, 3, 8, tzinfo=UTC)
ORDERS = 3_000

ROW_MD5 = "SELECT md5(string_agg(o::text, '|' ORDER BY o::text)) FROM orders AS o"

REPEATED = """
SELECT count(*) FROM (
    SELECT order_id FROM orders
    GROUP BY order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at
    HAVING count(*) = 2
) AS r
"""

CONFLICTING = """
SELECT count(*) FROM (
    SELECT order_id FROM orders
    GROUP BY order_id, updated_at
    HAVING count(*) = 2 AND count(DISTINCT (status, total_amount_minor)) = 2
) AS c
"""

FAULTS_PER_ROW = """
SELECT count(*) FROM (
    SELECT o.*,
        (NOT status = ANY(%(st)s))::int + (total_amount_minor < 0)::int + (customer_id IS NULL)::int
        + (NOT currency = ANY(%(c)s))::int
        + (count(*) OVER (PARTITION BY order_id) > 1)::int AS faults
    FROM orders AS o
) AS f
WHERE faults > 1
"""


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    """A uniquely named scratch database, dropped afterwards."""
    dbname = f"northstar_test_seed_{secrets.token_hex(4)}"
    admin, created = _create_scratch_db(dbname)
    try:
        yield created
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def _create_scratch_db(dbname: str) -> tuple[str, str]:
    """Create dbname as user postgres, else as the default user; returns (admin DSN, new DSN)."""
    error: psycopg.OperationalError | None = None
    for admin in ADMIN_DSNS:
        try:
            return admin, ensure_database(admin, dbname, recreate=True)
        except psycopg.OperationalError as exc:
            error = exc
    raise RuntimeError(f"cannot reach PostgreSQL at 127.0.0.1:5432: {error}")


def _one(dsn: str, query: str, params: dict[str, Any] | None = None) -> Any:
    """The single value a query returns."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def _valid() -> dict[str, Any]:
    """Bound parameters naming the valid statuses and currencies."""
    return {"st": list(STATUSES), "c": list(CURRENCIES)}


def _seed(dsn: str, seed: int = 7) -> SeedSummary:
    """The standard small history used by these tests."""
    return seed_history(dsn, start=START, end=END, orders=ORDERS, seed=seed)


def test_history_is_reproducible(dsn: str) -> None:
    first = _seed(dsn)
    first_md5 = _one(dsn, ROW_MD5)
    second = _seed(dsn)
    assert second == first
    assert _one(dsn, ROW_MD5) == first_md5
    _seed(dsn, seed=8)
    assert _one(dsn, ROW_MD5) != first_md5


def test_history_shape(dsn: str) -> None:
    summary = _seed(dsn)
    assert summary.orders == ORDERS
    assert summary.rows == ORDERS + summary.repeated_rows + summary.conflicting_versions
    assert _one(dsn, "SELECT count(*) FROM orders") == summary.rows
    assert _one(dsn, "SELECT count(DISTINCT order_id) FROM orders") == ORDERS
    assert _one(dsn, "SELECT min(order_id) FROM orders") == FIRST_ORDER_ID
    assert _one(dsn, "SELECT max(order_id) FROM orders") == FIRST_ORDER_ID + ORDERS - 1
    outside = "SELECT count(*) FROM orders WHERE NOT (created_at >= %(s)s AND updated_at < %(e)s)"
    assert _one(dsn, outside, {"s": START, "e": END}) == 0
    assert _one(dsn, "SELECT count(*) FROM orders WHERE updated_at < created_at") == 0
    assert _one(dsn, "SELECT count(*) FROM orders WHERE updated_at > created_at") > ORDERS // 2
    assert _one(dsn, "SELECT count(DISTINCT currency) FROM orders WHERE currency = ANY(%(c)s)", _valid()) == 4
    assert _one(dsn, "SELECT count(DISTINCT customer_id) FROM orders") < ORDERS


def test_fault_counts_match_the_table(dsn: str) -> None:
    summary = _seed(dsn)
    assert all(count > 0 for count in summary.fault_counts().values())
    assert summary.faulty_rows == sum(summary.fault_counts().values())
    assert _one(dsn, "SELECT count(*) FROM orders WHERE total_amount_minor < 0") == summary.negative_total
    assert _one(dsn, "SELECT count(*) FROM orders WHERE customer_id IS NULL") == summary.null_customer
    unknown_status = "SELECT count(*) FROM orders WHERE NOT status = ANY(%(st)s)"
    assert _one(dsn, unknown_status, _valid()) == summary.unknown_status
    bad_currency = "SELECT count(*) FROM orders WHERE NOT currency = ANY(%(c)s)"
    assert _one(dsn, bad_currency, _valid()) == summary.bad_currency
    assert _one(dsn, REPEATED) == summary.repeated_rows
    assert _one(dsn, CONFLICTING) == summary.conflicting_versions
    assert _one(dsn, "SELECT count(*) FROM orders WHERE total_amount_minor = 0") == 0


def test_fault_values_are_the_documented_ones(dsn: str) -> None:
    _seed(dsn)
    unknown = "SELECT count(*) FROM orders WHERE NOT status = ANY(%(st)s) AND NOT status = ANY(%(u)s)"
    assert _one(dsn, unknown, _valid() | {"u": list(UNKNOWN_STATUSES)}) == 0
    bad = "SELECT count(*) FROM orders WHERE NOT currency = ANY(%(c)s) AND NOT currency = ANY(%(b)s)"
    assert _one(dsn, bad, _valid() | {"b": list(BAD_CURRENCIES)}) == 0


def test_each_faulty_row_has_exactly_one_fault(dsn: str) -> None:
    _seed(dsn)
    assert _one(dsn, FAULTS_PER_ROW, _valid()) == 0
    assert _one(dsn, "SELECT max(n) FROM (SELECT count(*) AS n FROM orders GROUP BY order_id) AS g") == 2


def test_late_updates_move_updated_at_into_the_window(dsn: str) -> None:
    before = _seed(dsn)
    window_start, window_end = END - timedelta(hours=6), END
    ids = seed_late_updates(dsn, window_start=window_start, window_end=window_end, count=25)
    assert len(set(ids)) == 25
    window = {"ids": ids, "ws": window_start, "we": window_end} | _valid()
    moved = """
        SELECT count(*) FROM orders
        WHERE order_id = ANY(%(ids)s) AND updated_at >= %(ws)s AND updated_at < %(we)s
          AND created_at < %(ws)s AND status = ANY(%(st)s) AND status <> 'pending'
    """
    assert _one(dsn, moved, window) == 25
    assert _one(dsn, "SELECT count(*) FROM orders WHERE order_id = ANY(%(ids)s)", window) == 25
    assert _one(dsn, "SELECT count(*) FROM orders WHERE total_amount_minor < 0") == before.negative_total
    assert _one(dsn, CONFLICTING) == before.conflicting_versions
    _seed(dsn)
    assert seed_late_updates(dsn, window_start=window_start, window_end=window_end, count=25) == ids


def test_late_updates_refuse_more_than_available(dsn: str) -> None:
    _seed(dsn)
    with pytest.raises(ValueError, match="late update"):
        seed_late_updates(dsn, window_start=START, window_end=END, count=1)


def test_naive_datetimes_are_refused(dsn: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        seed_history(dsn, start=datetime(2024, 3, 1), end=END, orders=10)


def test_bulk_seed_inserts_distinct_valid_rows(dsn: str) -> None:
    seed_bulk(dsn, start=START, end=END, orders=20_000)
    assert _one(dsn, "SELECT count(*) FROM orders") == 20_000
    assert _one(dsn, "SELECT count(DISTINCT order_id) FROM orders") == 20_000
    assert _one(dsn, "SELECT min(updated_at) FROM orders") == START
    outside = "SELECT count(*) FROM orders WHERE NOT (created_at >= %(s)s AND updated_at < %(e)s)"
    assert _one(dsn, outside, {"s": START, "e": END}) == 0
    invalid = """
        SELECT count(*) FROM orders
        WHERE NOT status = ANY(%(st)s) OR NOT currency = ANY(%(c)s) OR customer_id IS NULL
           OR total_amount_minor <= 0 OR created_at > updated_at
    """
    assert _one(dsn, invalid, _valid()) == 0
    assert _one(dsn, "SELECT count(DISTINCT currency) FROM orders") == 4
