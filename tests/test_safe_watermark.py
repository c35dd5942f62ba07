"""o01: a transaction open while a batch reads commits a row stamped (by now()) inside the window already read.

Two real PostgreSQL connections: one holds the transaction open while the batch runs. The batch must not move
its watermark past the moment that transaction started, and says in the ledger how far it could safely read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, 42, 'paid', 'USD', 2500, %s, {})"
)


def wait_until(moment: datetime) -> None:
    time.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0) + 0.1)


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def test_a_late_commit_stamped_inside_a_read_window_is_published_by_a_later_batch(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    late = psycopg.connect(source_db)  # order B's transaction: open all along, stamped by now() at its start
    late.execute(INSERT.format("now()"), (2, datetime.now(UTC) - timedelta(hours=1)))
    (t_b,) = late.execute("SELECT now()").fetchone()  # type: ignore[misc]
    t_b = t_b.astimezone(UTC)
    with psycopg.connect(source_db) as conn:  # order A, committed, updated just after B's stamp
        conn.execute(INSERT.format("%s"), (1, t_b - timedelta(hours=1), t_b + timedelta(seconds=1)))

    # real time: each window is run as soon as it has ended (a batch takes only ended windows; settle 0 here)
    first_end = t_b + timedelta(seconds=2)
    wait_until(first_end)
    first = orders_flow.orders_microbatch(start=(t_b - timedelta(minutes=2)).isoformat(), end=first_end.isoformat())
    late.commit()  # B commits after the batch that covered its stamp
    late.close()
    later, start = [], first_end
    for _ in range(2):
        end = datetime.now(UTC) + timedelta(seconds=1)
        wait_until(end)
        later.append(orders_flow.orders_microbatch(start=start.isoformat(), end=end.isoformat()))
        start = end

    assert first.status == BatchStatus.COMMITTED and first.rows_published == 1  # A only: B was not committed yet
    with open_warehouse(load_settings()) as wh:
        ledger = wh.query("SELECT BATCH_ID, WATERMARK_HIGH, SAFE_UNTIL FROM OPS.LOAD_BATCHES ORDER BY WINDOW_START")
        core = wh.query("SELECT ORDER_ID, _BATCH_ID FROM CORE.ORDERS ORDER BY ORDER_ID")
    assert ledger[0]["SAFE_UNTIL"] == naive(t_b)  # B's transaction start: nothing before it could still commit
    assert ledger[0]["WATERMARK_HIGH"] == naive(t_b)  # capped there, not at A's second later
    assert [r["ORDER_ID"] for r in core] == [1, 2]
    assert core[1]["_BATCH_ID"] == later[0].batch_id  # B published by the next batch


def test_without_an_open_transaction_the_watermark_is_the_newest_row_read(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    t0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a window long closed: the safe point is the window's end
    with psycopg.connect(source_db) as conn:
        conn.execute(INSERT.format("%s"), (1, t0 - timedelta(hours=1), t0 + timedelta(minutes=14)))
    end = t0 + timedelta(minutes=15)
    orders_flow.orders_microbatch(start=t0.isoformat(), end=end.isoformat())
    with open_warehouse(load_settings()) as wh:
        (row,) = wh.query("SELECT WATERMARK_HIGH, SAFE_UNTIL FROM OPS.LOAD_BATCHES")
    assert (row["WATERMARK_HIGH"], row["SAFE_UNTIL"]) == (naive(t0 + timedelta(minutes=14)), naive(end))
