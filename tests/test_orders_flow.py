"""The orders flow end to end: real PostgreSQL, DuckDB, fakesnow through the connector, Prefect's harness."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from demo import seed
from flows import engine
from lineage.validate import validate_event
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.sources.orders.postgres import SourceUnavailableError
from northstar.warehouse import open_warehouse
from tests.helpers import T0, source_row, table_hashes
from validators.order_lines import ORDER_LINE_CHECKS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def window(i: int) -> dict[str, str]:
    """The i-th 15-minute window after T0 as flow parameters."""
    start = T0 + timedelta(minutes=15 * i)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}


def insert(dsn: str, *rows: tuple[Any, ...]) -> None:
    with psycopg.connect(dsn) as conn:
        conn.cursor().executemany(INSERT, rows)


def execute(dsn: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(sql, params)  # type: ignore[arg-type]


def core_orders() -> dict[int, tuple[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        rows = wh.query("SELECT ORDER_ID, STATUS, UPDATED_AT FROM CORE.ORDERS")
    return {int(r["ORDER_ID"]): (r["STATUS"], r["UPDATED_AT"]) for r in rows}


def ledger() -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query("SELECT * FROM OPS.LOAD_BATCHES ORDER BY WINDOW_START")


def lineage_events() -> list[dict[str, Any]]:
    path = load_settings().lineage_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_extract_picks_up_inserts_and_updates_and_honours_watermark_and_overlap(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    insert(source_db, source_row(1, 1), source_row(2, 4), source_row(3, 14))
    first = orders_flow.orders_microbatch(**window(0))
    assert (first.status, first.rows_extracted, first.rows_published) == (BatchStatus.COMMITTED, 3, 3)

    insert(source_db, source_row(4, 20))  # a new order in the next window
    execute(
        source_db,
        "UPDATE orders SET status = 'shipped', updated_at = %s WHERE order_id = 1",
        (T0 + timedelta(minutes=22),),
    )
    insert(source_db, source_row(5, 12))  # committed late, stamped inside the overlap (watermark 14 min - 5)
    insert(source_db, source_row(6, 2))  # committed very late, stamped before the overlap: not re-read
    second = orders_flow.orders_microbatch(**window(1))

    assert second.status == BatchStatus.COMMITTED
    assert second.rows_extracted == 4  # orders 1 (updated), 4 (new), 5 (late, in overlap), 3 (overlap repeat)
    orders = core_orders()
    assert sorted(orders) == [1, 2, 3, 4, 5]
    assert orders[1][0] == "shipped"
    low = ledger()[1]["WATERMARK_LOW"]
    assert low == (T0 + timedelta(minutes=14 - 5)).replace(tzinfo=None)


def test_a_rerun_of_the_same_window_leaves_every_table_identical(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    insert(source_db, source_row(1, 1), source_row(2, 2, currency="usd"), source_row(3, 3), source_row(3, 3))
    outcome = orders_flow.orders_microbatch(**window(0))
    assert outcome.status == BatchStatus.COMMITTED
    assert not (load_settings().work_dir / outcome.batch_id).exists()  # derived files go when the run ends
    with open_warehouse(load_settings()) as wh:
        before = table_hashes(wh)
    insert(source_db, source_row(9, 5))  # the source moved on; the committed batch must not
    assert orders_flow.orders_microbatch(**window(0)).status == "SKIPPED"
    with open_warehouse(load_settings()) as wh:
        assert table_hashes(wh) == before


def test_a_failed_publish_is_completed_by_its_rerun_from_the_same_landed_raw(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    insert(source_db, source_row(1, 1), source_row(2, 2))
    real_publish = engine.publish

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("warehouse went away")

    monkeypatch.setattr(engine, "publish_or_hold", engine.publish_or_hold.with_options(retries=0))
    monkeypatch.setattr(engine, "publish", broken)
    with pytest.raises(ConnectionError):
        orders_flow.orders_microbatch(**window(0))
    (failed,) = ledger()  # the failure leaves a trace, and nothing published
    assert (failed["STATUS"], failed["REASON"]) == ("FAILED", "ConnectionError: warehouse went away")
    assert core_orders() == {}
    assert [e["eventType"] for e in lineage_events()] == ["START", "FAIL"]

    insert(source_db, source_row(3, 3))  # changed at the source meanwhile: the rerun reuses what was landed
    monkeypatch.setattr(engine, "publish", real_publish)
    outcome = orders_flow.orders_microbatch(**window(0))
    assert outcome.status == BatchStatus.COMMITTED and sorted(core_orders()) == [1, 2]
    assert [row["STATUS"] for row in ledger()] == ["COMMITTED"]


def test_an_empty_window_records_what_the_full_load_records_and_leaves_core_unchanged(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty batch takes publish's fast path (nothing staged): its ledger row and check results are those of
    the same empty batch loaded the full way, nothing published changes, and the next window reads on from it.
    (After a window that read rows, the overlap re-reads its newest row: an empty window follows an empty one.)"""
    pipeline_env()
    insert(source_db, source_row(1, 50))  # in window 3: not read by windows 0 and 1
    fast = orders_flow.orders_microbatch(**window(0))
    full_plan = replace(orders_flow.ORDERS_LOAD, empty_loads_nothing=False)
    with monkeypatch.context() as patch:
        patch.setattr(orders_flow, "ORDERS_LOAD", full_plan)
        full = orders_flow.orders_microbatch(**window(1))
    assert (fast.status, fast.rows_extracted, fast.rows_published) == (BatchStatus.COMMITTED, 0, 0)
    assert (full.status, full.rows_extracted, full.rows_published) == (BatchStatus.COMMITTED, 0, 0)
    rows = {r["BATCH_ID"]: r for r in ledger()}
    same = ("STATUS", "ROWS_EXTRACTED", "ROWS_PASSED", "ROWS_QUARANTINED", "ROWS_PUBLISHED", "ROWS_ALREADY_CURRENT",
            "ROWS_REQUARANTINED", "REASON", "WATERMARK_HIGH", "SUPERSEDES")  # fmt: skip
    assert {k: rows[fast.batch_id][k] for k in same} == {k: rows[full.batch_id][k] for k in same}
    checks = "SELECT * EXCLUDE (BATCH_ID, CHECKED_AT) FROM OPS.CHECK_RESULTS WHERE BATCH_ID = %(b)s ORDER BY CHECK_ID"
    with open_warehouse(load_settings()) as wh:
        fast_checks = wh.query(checks, {"b": fast.batch_id})
        assert fast_checks and fast_checks == wh.query(checks, {"b": full.batch_id})
        assert wh.query("SELECT COUNT(*) AS N FROM CORE.ORDERS") == [{"N": 0}]
    later = orders_flow.orders_microbatch(**window(3))
    assert (later.status, later.rows_extracted, later.rows_published) == (BatchStatus.COMMITTED, 1, 1)
    assert sorted(core_orders()) == [1]


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE orders DROP COLUMN customer_id",
        "ALTER TABLE orders RENAME COLUMN currency TO currency_code",
        "ALTER TABLE orders ALTER COLUMN total_amount_minor TYPE numeric(12, 2)",
        "ALTER TABLE order_lines DROP COLUMN sku",
    ],
    ids=["dropped", "renamed", "retyped", "lines-dropped"],
)
def test_a_source_schema_change_holds_the_batch_and_publishes_nothing(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline_env()
    insert(source_db, source_row(1, 1), source_row(2, 2))
    execute(source_db, change)
    with caplog.at_level(logging.ERROR, logger="northstar.alerts"):
        outcome = orders_flow.orders_microbatch(**window(0))
    assert outcome.status == BatchStatus.HELD and outcome.rows_published == 0
    assert core_orders() == {}
    (held,) = ledger()
    assert held["STATUS"] == BatchStatus.HELD and held["REASON"].startswith("schema.")
    assert any("orders batch held" in r.getMessage() for r in caplog.records)
    raw = load_settings().landing_dir / "raw" / "orders"
    assert len(list(raw.rglob("*.parquet"))) == 2 and len(list(raw.rglob("manifest.json"))) == 1  # orders, lines
    assert lineage_events()[-1]["eventType"] == "FAIL"
    with open_warehouse(load_settings()) as wh:
        lines = wh.query("SELECT CHECK_ID, OUTCOME FROM OPS.CHECK_RESULTS WHERE DATASET = 'order_lines'")
    row_checks = {c.check_id for c in ORDER_LINE_CHECKS}
    assert {r["CHECK_ID"]: r["OUTCOME"] for r in lines if r["CHECK_ID"] in row_checks} == dict.fromkeys(
        row_checks, "not_evaluated"
    )


def test_seeded_faults_are_quarantined_with_exact_counts(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    summary = seed.seed_history(source_db, start=T0 - timedelta(days=1), end=T0, orders=1_000)
    outcome = orders_flow.orders_microbatch(start=(T0 - timedelta(days=1)).isoformat(), end=T0.isoformat())
    assert outcome.quarantined_by_reason == {
        "duplicates.conflicting_version": 2 * summary.conflicting_versions,
        "schema.amount_minor_non_negative": summary.negative_total,
        "schema.currency_iso4217": summary.bad_currency,
        "schema.customer_id_required": summary.null_customer,
        "schema.status_allowed": summary.unknown_status,
    }
    assert outcome.rows_extracted == summary.rows == outcome.rows_passed + outcome.rows_quarantined
    with open_warehouse(load_settings()) as wh:
        repeats = wh.query("SELECT ROWS_FAILED FROM OPS.CHECK_RESULTS WHERE CHECK_ID = 'duplicates.exact_repeat'")
        new_columns = wh.query(
            "SELECT ACTUAL FROM OPS.CHECK_RESULTS WHERE CHECK_ID = 'schema.no_new_columns' AND DATASET = 'orders'"
        )
    assert repeats == [{"ROWS_FAILED": summary.repeated_rows}]
    assert new_columns == [{"ACTUAL": "as contracted"}]  # the landing path's dt=/batch= are not columns
    clean_orders = summary.orders - sum(summary.fault_counts().values()) + summary.repeated_rows
    assert len(core_orders()) == outcome.rows_published == clean_orders


def test_every_lineage_event_validates_against_the_openlineage_spec(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    insert(source_db, source_row(1, 1), source_row(2, 2, status="lost"))
    orders_flow.orders_microbatch(**window(0))
    execute(source_db, "ALTER TABLE orders DROP COLUMN status")
    orders_flow.orders_microbatch(**window(1))
    events = lineage_events()
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "START", "FAIL"]
    for event in events:
        validate_event(event)
    complete = events[1]
    assert complete["run"]["runId"] == events[0]["run"]["runId"]
    assert complete["run"]["facets"]["parent"]["job"]["name"] == "orders-microbatch"
    assert complete["inputs"][0]["namespace"] == "postgres://127.0.0.1:5432"
    assertions = complete["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    status = next(a for a in assertions if a["assertion"] == "schema.status_allowed")
    assert status["success"] is False and status["actual"].startswith("1 of 2")
    assert {o["name"].split(".", 1)[1] for o in complete["outputs"]} >= {"CORE.ORDERS", "QUARANTINE.ORDERS"}
    assert "errorMessage" in events[3]["run"]["facets"]


def test_landing_in_s3_keeps_the_manifested_bytes(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, moto_s3: str, s3_bucket: str
) -> None:
    pipeline_env(NORTHSTAR_LANDING_BUCKET=s3_bucket, NORTHSTAR_S3_ENDPOINT_URL=moto_s3)
    insert(source_db, source_row(1, 1), source_row(2, 2))
    outcome = orders_flow.orders_microbatch(**window(0))
    assert outcome.status == BatchStatus.COMMITTED
    s3 = boto3.client("s3", endpoint_url=moto_s3)
    prefix = f"raw/orders/dt=2026-11-20/batch={outcome.batch_id}/"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix=prefix)["Contents"]]
    manifest = json.loads(s3.get_object(Bucket=s3_bucket, Key=prefix + "manifest.json")["Body"].read())
    data, lines = manifest["files"]
    assert (data["dataset"], lines["dataset"], lines["rows"], manifest["line_count"]) == ("orders", "order_lines", 0, 0)
    assert sorted(keys) == sorted([prefix + "manifest.json", data["key"], lines["key"]])
    for landed in (data, lines):
        body = s3.get_object(Bucket=s3_bucket, Key=landed["key"])["Body"].read()
        assert hashlib.sha256(body).hexdigest() == landed["sha256"]
    assert manifest["row_count"] == 2
    assert ledger()[0]["RAW_URI"] == f"s3://{s3_bucket}/{prefix}manifest.json"


def test_an_unreachable_source_fails_clearly_and_the_next_run_picks_up(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env(NORTHSTAR_SOURCE_PG_DSN="postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    monkeypatch.setattr(orders_flow, "extract_orders", orders_flow.extract_orders.with_options(retries=0))
    with pytest.raises(SourceUnavailableError, match="orders source query failed"):
        orders_flow.orders_microbatch(**window(0))
    (failed,) = ledger()  # recorded FAILED with its cause; nothing landed
    assert failed["STATUS"] == "FAILED" and failed["REASON"].startswith("SourceUnavailableError: orders source")
    assert not (load_settings().landing_dir / "raw").exists()
    pipeline_env(NORTHSTAR_SOURCE_PG_DSN=source_db)
    insert(source_db, source_row(1, 1))
    assert orders_flow.orders_microbatch(**window(0)).status == BatchStatus.COMMITTED
    assert [row["STATUS"] for row in ledger()] == ["COMMITTED"]
