"""Revenue adjustments (MARTS.REVENUE_ADJUSTMENTS, written by the corrections) in the consistency gate's
reconciliation.daily_revenue: an adjustment row moves the reconciled net revenue by exactly its amount, in real DuckDB
on a seeded slice. The mart side (fct_daily_revenue.adjustments_minor) is tests/test_marts.py's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from northstar.settings import load_settings
from northstar.sqlfiles import read_sql, statements
from northstar.warehouse import open_warehouse
from validators.consistency.suite import run_suite

AS_OF = datetime(2026, 11, 20, 12, 0)
DAY = date(2026, 11, 20)
PARAMS = {"as_of": AS_OF, "tz": "UTC", "grace_seconds": 86400.0, "duplicate_window_seconds": 600.0,
          "unshipped_seconds": 3 * 86400.0, "days": [DAY]}  # fmt: skip


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        for sql in statements("consistency/create_slice_tables.sql"):
            con.execute(sql)
        insert(con, "day_payments", {"payment_intent_id": "pi_1", "order_id": 1, "currency": "USD",
                                     "amount_captured": 100_000, "created_at": AS_OF, "order_known": True,
                                     "order_status": "paid", "order_currency": "USD",
                                     "order_total_minor": 100_000})  # fmt: skip
        # finance booked a 300 refund Stripe never sent, and 250 EUR of revenue we have no payment for
        usd = {"business_date": DAY, "currency": "USD", "net_revenue_minor": 99_700, "source_file": "f"}
        insert(con, "finance", usd, usd | {"currency": "EUR", "net_revenue_minor": 250})
        yield con


def insert(con: duckdb.DuckDBPyConnection, table: str, *rows: dict[str, Any]) -> None:
    for row in rows:
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})", list(row.values()))  # test's names


def daily(con: duckdb.DuckDBPyConnection) -> tuple[int, dict[str, tuple[Any, ...]]]:
    results = run_suite(con, dict(PARAMS), "raw/finance")
    (check,) = [r for r in results.results if r.check_id == "reconciliation.daily_revenue"]
    rows = con.execute("SELECT currency, net_minor, within_sla FROM out_daily ORDER BY currency").fetchall()
    return check.rows_failed, {r[0]: r[1:] for r in rows}


def test_without_adjustments_both_days_are_off(con: duckdb.DuckDBPyConnection) -> None:
    assert daily(con) == (2, {"EUR": (0, False), "USD": (100_000, False)})


def test_each_adjustment_moves_the_reconciled_revenue_by_exactly_its_amount(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "day_adjustments",
           {"business_date": DAY, "currency": "USD", "amount_minor": -300, "reason": "refund outside Stripe",
            "correction_id": "corr-1"},
           {"business_date": DAY, "currency": "EUR", "amount_minor": 250, "reason": "wire payment",
            "correction_id": "corr-2"})  # fmt: skip
    assert daily(con) == (0, {"EUR": (250, True), "USD": (99_700, True)})
    assert con.execute("SELECT currency, adjustments_minor FROM daily_revenue ORDER BY 1").fetchall() == [
        ("EUR", 250),
        ("USD", -300),
    ]


@pytest.mark.integration
def test_the_gate_reads_the_rows_the_corrections_write_in_the_agreed_shape(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, warehouse_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A correction's row, inserted with exactly the agreed columns into the real table (fakesnow), is fetched by
    the gate's query for the reconciled days (not the day after) and moves the day's net revenue."""
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NORTHSTAR_WAREHOUSE_SERVER", warehouse_server)
    for name in ("SNOWFLAKE_ACCOUNT", "NORTHSTAR_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with open_warehouse(load_settings()) as wh:
        for day, amount in ((DAY, -300), (DAY + timedelta(days=1), -999)):
            wh.execute(
                "INSERT INTO MARTS.REVENUE_ADJUSTMENTS (BUSINESS_DAY, CURRENCY, AMOUNT_MINOR, REASON, CORRECTION_ID,"
                " CREATED_AT) VALUES (%(d)s, 'USD', %(a)s, 'refund outside Stripe', %(id)s, %(at)s)",
                {"d": day, "a": amount, "id": f"corr-{day}", "at": datetime(2026, 11, 21, tzinfo=UTC)},
            )
        fetched = wh.query_arrow(read_sql("snowflake/select_consistency_day_adjustments.sql"),
                                 {"first_day": DAY, "last_day": DAY})  # fmt: skip
    assert fetched is not None and fetched.num_rows == 1
    con.register("fetched", fetched)
    con.execute("INSERT INTO day_adjustments BY NAME SELECT * FROM fetched")
    assert daily(con) == (1, {"EUR": (0, False), "USD": (99_700, True)})
