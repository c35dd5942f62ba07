"""The one-transaction load through the real Snowflake connector against fakesnow's server."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.engine import Stopwatch, Validated, new_record
from flows.orders_microbatch import validate_orders
from northstar.batches import Window, batch_id
from northstar.loads import BatchStatus, batch_status, loads_nothing, publish
from northstar.settings import Settings, SnowflakeSettings
from northstar.sources.orders.landing import LandedBatch
from northstar.warehouse import Warehouse, WarehouseError, open_warehouse
from tests.helpers import T0, order, table_hashes

pytestmark = pytest.mark.integration
COLUMNS = ("order_id", "customer_id", "status", "currency", "total_amount_minor", "created_at", "updated_at")


@pytest.fixture
def settings(tmp_path: Path, fakesnow_server: dict[str, Any]) -> Settings:
    """Settings whose warehouse is the fakesnow server reached like Snowflake, in a fresh database."""
    return Settings(
        home=tmp_path,
        profile="local",
        snowflake=SnowflakeSettings.from_connector_args(fakesnow_server),
        database=f"TEST_{secrets.token_hex(4).upper()}",
    )


@pytest.fixture
def wh(settings: Settings) -> Iterator[Warehouse]:
    with open_warehouse(settings) as warehouse:
        yield warehouse


def validated(settings: Settings, minute: int, rows: list[dict[str, Any]]) -> tuple[Validated, Any]:
    """Validate rows as the batch for the 15-minute window starting `minute` minutes after T0."""
    window = Window(T0 + timedelta(minutes=minute), T0 + timedelta(minutes=minute + 15))
    batch = batch_id("orders", window)
    path = settings.home / f"{batch}.parquet"
    pq.write_table(pa.Table.from_pylist([{c: r.get(c) for c in COLUMNS} for r in rows], schema=_schema()), path)
    landed = LandedBatch(
        batch, "raw/orders/x/", {"row_count": len(rows), "watermark": {"low": None, "high": None}}, path
    )
    result = validate_orders.fn(settings, landed, window)
    run_id = "0190b6a4-0000-7000-8000-000000000000"
    return result, new_record(settings, "orders", window, landed.batch_id, result, run_id, Stopwatch())


def _schema() -> pa.Schema:
    ts = pa.timestamp("us", tz="UTC")
    types = [pa.int64(), pa.int64(), pa.string(), pa.string(), pa.int64(), ts, ts]
    return pa.schema(list(zip(COLUMNS, types, strict=True)))


def row(order_id: int, minute: float, **overrides: Any) -> dict[str, Any]:
    return order(order_id, minute, **overrides)


def core(wh: Warehouse) -> dict[int, str]:
    return {int(r["ORDER_ID"]): r["STATUS"] for r in wh.query("SELECT ORDER_ID, STATUS FROM CORE.ORDERS")}


def test_publish_loads_passing_rows_quarantine_and_ledger_together(settings: Settings, wh: Warehouse) -> None:
    result, record = validated(settings, 0, [row(1, 1), row(2, 2, currency="usd"), row(3, 3)])
    committed = publish(wh, result.plan, record, result.results)
    assert committed is not None and committed.status == BatchStatus.COMMITTED and committed.rows_published == 2
    assert core(wh) == {1: "paid", 3: "paid"}
    (q,) = wh.query("SELECT ORDER_ID, REASONS, _BATCH_ID FROM QUARANTINE.ORDERS")
    assert q["ORDER_ID"] == 2 and "schema.currency_iso4217" in q["REASONS"] and q["_BATCH_ID"] == record.batch_id
    (ledger,) = wh.query("SELECT * FROM OPS.LOAD_BATCHES")
    assert (ledger["ROWS_EXTRACTED"], ledger["ROWS_PASSED"], ledger["ROWS_QUARANTINED"]) == (3, 2, 1)
    checks = wh.query("SELECT CHECK_ID, ROWS_FAILED FROM OPS.CHECK_RESULTS WHERE ROWS_FAILED > 0")
    assert checks == [{"CHECK_ID": "schema.currency_iso4217", "ROWS_FAILED": 1}]
    loaded = wh.query("SELECT DISTINCT _BATCH_ID, _LOADED_AT FROM CORE.ORDERS")
    assert len(loaded) == 1 and loaded[0]["_BATCH_ID"] == record.batch_id and loaded[0]["_LOADED_AT"] is not None


def test_republishing_a_committed_batch_changes_nothing(settings: Settings, wh: Warehouse) -> None:
    result, record = validated(settings, 0, [row(1, 1), row(2, 2, status="??")])
    plan = result.plan
    assert publish(wh, plan, record, result.results) is not None
    before = table_hashes(wh)
    later = dataclasses.replace(record, started_at=datetime.now(UTC))
    assert publish(wh, plan, later, result.results) is None
    assert table_hashes(wh) == before


def test_an_older_version_never_overwrites_a_newer_one(settings: Settings, wh: Warehouse) -> None:
    newer, newer_record = validated(settings, 15, [row(1, 20, status="shipped")])
    publish(wh, newer.plan, newer_record, newer.results)
    older, older_record = validated(settings, 0, [row(1, 5, status="paid"), row(2, 6)])  # a backfill, late
    publish(wh, older.plan, older_record, older.results)
    assert core(wh) == {1: "shipped", 2: "paid"}
    newest, newest_record = validated(settings, 30, [row(1, 31, status="delivered")])
    publish(wh, newest.plan, newest_record, newest.results)
    assert core(wh) == {1: "delivered", 2: "paid"}
    assert len(wh.query("SELECT ORDER_ID FROM CORE.ORDERS WHERE ORDER_ID = 1")) == 1


def test_only_the_latest_version_within_a_batch_is_published(settings: Settings, wh: Warehouse) -> None:
    result, record = validated(
        settings, 0, [row(1, 1, status="pending"), row(1, 7, status="paid"), row(1, 7, status="paid")]
    )
    committed = publish(wh, result.plan, record, result.results)
    assert committed is not None and committed.rows_published == 1
    assert core(wh) == {1: "paid"}


def test_a_failure_mid_load_rolls_everything_back_and_a_rerun_completes_it(
    settings: Settings, wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, record = validated(settings, 0, [row(1, 1), row(2, 2, total_amount_minor=-3)])
    plan = result.plan
    original = Warehouse.run_file

    def failing(self: Warehouse, relative: str, params: dict[str, Any] | None = None) -> None:
        if relative == "snowflake/insert_into_quarantine_orders.sql":
            raise RuntimeError("connection dropped mid-load")
        original(self, relative, params)

    monkeypatch.setattr(Warehouse, "run_file", failing)
    with pytest.raises(RuntimeError, match="dropped"):
        publish(wh, plan, record, result.results)
    monkeypatch.setattr(Warehouse, "run_file", original)
    assert core(wh) == {} and batch_status(wh, record.batch_id) is None
    assert wh.query("SELECT * FROM QUARANTINE.ORDERS") == []
    assert publish(wh, plan, record, result.results) is not None
    assert core(wh) == {1: "paid"} and batch_status(wh, record.batch_id) == BatchStatus.COMMITTED


def test_an_unreachable_warehouse_fails_with_a_clear_message(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        snowflake=SnowflakeSettings.from_connector_args(
            {
                "account": "northstar",
                "user": "loader",
                "password": "x",
                "host": "127.0.0.1",
                "port": 9,
                "protocol": "http",
                "network_timeout": 2,
                "login_timeout": 2,
            }
        ),
    )
    with pytest.raises(WarehouseError, match="cannot connect to the warehouse"), open_warehouse(settings):
        pass


LEDGER_SAME = ("SOURCE", "ROWS_EXTRACTED", "ROWS_PASSED", "ROWS_QUARANTINED", "ROWS_PUBLISHED", "STATUS", "REASON",
               "RAW_URI", "ROWS_ALREADY_CURRENT", "ROWS_REQUARANTINED", "SUPERSEDES")  # fmt: skip


def statements_run(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement wh runs from now on (each still runs: this only writes it down)."""
    ran: list[str] = []
    execute, execute_many = Warehouse.execute, Warehouse.execute_many

    def counted(self: Warehouse, sql: str, params: dict[str, Any] | None = None) -> int:
        ran.append(sql)
        return execute(self, sql, params)

    def counted_many(self: Warehouse, insert: str, rows: Any) -> None:
        ran.append(insert)
        execute_many(self, insert, rows)

    monkeypatch.setattr(Warehouse, "execute", counted)
    monkeypatch.setattr(Warehouse, "execute_many", counted_many)
    return ran


def test_an_empty_batch_records_what_the_full_load_records_without_staging_anything(
    settings: Settings, wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, first_record = validated(settings, 0, [row(1, 1), row(2, 2, currency="usd")])
    assert publish(wh, first.plan, first_record, first.results) is not None
    core_before = table_hashes(wh, ("CORE.ORDERS", "CORE.ORDER_LINES", "QUARANTINE.ORDERS", "QUARANTINE.ORDER_LINES"))
    fast, fast_record = validated(settings, 15, [])
    full, full_record = validated(settings, 30, [])
    assert fast.plan is not None and full.plan is not None
    ran = statements_run(wh, monkeypatch)
    fast_done = publish(wh, fast.plan, fast_record, fast.results)
    fast_statements = list(ran)
    ran.clear()
    full_done = publish(wh, dataclasses.replace(full.plan, empty_loads_nothing=False), full_record, full.results)

    assert fast_done is not None and full_done is not None
    assert not any("STAGE_" in sql or sql.startswith(("PUT", "COPY")) for sql in fast_statements)
    assert len(fast_statements) < len(ran) / 3, (len(fast_statements), len(ran))
    ledger = {r["BATCH_ID"]: r for r in wh.query("SELECT * FROM OPS.LOAD_BATCHES")}
    fast_row, full_row = ledger[fast_record.batch_id], ledger[full_record.batch_id]
    assert {k: fast_row[k] for k in LEDGER_SAME} == {k: full_row[k] for k in LEDGER_SAME}
    assert (fast_row["STATUS"], fast_row["ROWS_EXTRACTED"], fast_row["ROWS_PUBLISHED"]) == ("COMMITTED", 0, 0)
    assert (fast_row["ROWS_ALREADY_CURRENT"], fast_row["ROWS_REQUARANTINED"]) == (0, 0)
    assert fast_row["FINISHED_AT"] is not None and fast_row["PUBLISH_SECONDS"] is not None
    checks = "SELECT * EXCLUDE (BATCH_ID, CHECKED_AT) FROM OPS.CHECK_RESULTS WHERE BATCH_ID = %(b)s ORDER BY CHECK_ID"
    fast_checks = wh.query(checks, {"b": fast_record.batch_id})
    assert fast_checks and fast_checks == wh.query(checks, {"b": full_record.batch_id})
    assert len(fast_checks) == len(fast.results)
    core_after = table_hashes(wh, ("CORE.ORDERS", "CORE.ORDER_LINES", "QUARANTINE.ORDERS", "QUARANTINE.ORDER_LINES"))
    assert core_after == core_before
    later = dataclasses.replace(fast_record, started_at=datetime.now(UTC))
    assert publish(wh, fast.plan, later, fast.results) is None  # committed: a rerun changes nothing


def test_the_fast_path_is_taken_only_when_nothing_staged_can_change_a_published_row(settings: Settings) -> None:
    empty, record = validated(settings, 0, [])
    some, some_record = validated(settings, 15, [row(1, 1)])
    assert empty.plan is not None and some.plan is not None
    assert loads_nothing(empty.plan, record, None) and loads_nothing(empty.plan, record, BatchStatus.FAILED)
    assert not loads_nothing(empty.plan, record, BatchStatus.HELD)  # a held batch may have loaded evidence
    assert not loads_nothing(empty.plan, dataclasses.replace(record, supersedes="orders-x"), None)
    assert not loads_nothing(dataclasses.replace(empty.plan, empty_loads_nothing=False), record, None)
    assert not loads_nothing(some.plan, some_record, None)
    assert not loads_nothing(empty.plan.in_folder(settings.home / "missing"), record, None)


def every_plan() -> dict[str, Any]:
    """Every source's load plan, by name."""
    from flows.consistency import HELD_LOAD, PUBLISH_LOAD
    from flows.fulfillment_hourly import WMS_LOAD
    from flows.orders_microbatch import ORDERS_LOAD
    from flows.orders_repair import REPAIR_LOAD
    from flows.payments_microbatch import PAYMENTS_LOAD

    return {"orders": ORDERS_LOAD, "orders repair": REPAIR_LOAD, "payments": PAYMENTS_LOAD, "fulfillment": WMS_LOAD,
            "consistency held": HELD_LOAD, "consistency": PUBLISH_LOAD}  # fmt: skip


def test_each_plan_says_what_its_count_query_returns_and_whether_empty_staging_loads_nothing() -> None:
    """`counted` is what the fast path records as 0; `empty_loads_nothing` holds only when every statement of the
    load files reads the staging tables or this batch's own rows (else an empty batch could still change rows)."""
    import re

    from northstar.sqlfiles import read_sql, statements

    for name, plan in every_plan().items():
        returned = set(re.findall(r"\bAS (N|ALREADY_CURRENT|REQUARANTINED)\b", read_sql(plan.count_published)))
        assert returned == set(plan.counted), name
        driven = all("STAGE_" in sql.upper() or "%(batch_id)s" in sql for f in plan.load_files for sql in statements(f))
        assert plan.empty_loads_nothing == driven, name
