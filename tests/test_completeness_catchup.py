"""completeness.landed_unprocessed is picked up by the next batch: a landed object that no batch took is handed to
its source's next batch by the completeness run, taken by that one batch, and never twice."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

import flows.fulfillment_hourly as wms_flow
import flows.orders_microbatch as orders_flow
import flows.payments_microbatch as payments_flow
from flows.completeness import completeness_check, run_completeness
from lineage.validate import validate_event
from northstar.batches import Window, batch_id
from northstar.landing import landing_store
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.sources.stripe.landing import land_event, prepare_event
from northstar.warehouse import open_warehouse
from tests import stripe_payloads as sp
from tests import wms_samples as w
from tests.helpers import T0, source_row
from tests.sftp_server import SftpTestServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def now() -> datetime:
    time.sleep(0.05)  # file times are a little coarser than the clock: keep window bounds clear of them
    return datetime.now(UTC)


def window(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params)


def failed(report: dict[str, Any], source: str) -> dict[str, int]:
    return {c["check_id"]: c["rows_failed"] for c in report["checks"] if c["dataset"] == source}


def body(n: int, created: datetime) -> bytes:
    return json.dumps(
        sp.for_type("payment_intent.succeeded", n, amount=1000 * n, created=int(created.timestamp()))
    ).encode()


def test_stripe_events_no_batch_read_are_taken_by_the_next_payments_batch_once(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_COMPLETENESS_GRACE_MINUTES="0")
    settings = load_settings()
    store = landing_store(settings)
    base = now()
    passed = payments_flow.payments_microbatch(**window(base - timedelta(minutes=30), base - timedelta(minutes=15)))
    assert (passed.status, passed.rows_extracted) == (BatchStatus.COMMITTED, 0)
    created = base - timedelta(days=5)
    # Event 1: its envelope landed in its old dt= partition, its arrival entry never written (the receiver's second
    # put failed and the sender stopped retrying). Event 2: its arrival entry became visible only after the batch of
    # the window it is dated in had run (a slow write): no batch lists it.
    lost = prepare_event(body(1, created), received_at=base, signature_timestamp=None, source="webhook")
    assert store.put_if_absent(lost.key, lost.data)
    late = land_event(store, body(2, created), received_at=base, signature_timestamp=None, source="webhook")
    arrival = Path(settings.landing_dir, *f"raw/stripe/_arrivals/dt={base:%Y-%m-%d}".split("/"))
    (entry,) = arrival.glob("evt_*.json")
    stamp = (base - timedelta(minutes=20)).timestamp()
    os.utime(entry, (stamp, stamp))
    first = now()
    assert payments_flow.payments_microbatch(**window(base - timedelta(minutes=15), first)).rows_extracted == 0

    report = run_completeness(settings)
    assert failed(report.as_dict(), "payments")["completeness.landed_unprocessed"] == 2
    assert report.handed_over["payments"] == 2
    assert run_completeness(settings).handed_over["payments"] == 0  # handed over once, while it waits
    second = now()
    caught = payments_flow.payments_microbatch(**window(first, second))
    assert (caught.status, caught.rows_extracted, caught.rows_passed) == (BatchStatus.COMMITTED, 2, 2)
    captured = {r["PAYMENT_INTENT_ID"]: r["AMOUNT_CAPTURED"] for r in query("SELECT * FROM CORE.PAYMENTS")}
    assert captured == {sp.ids(1)["pi"]: 1000, sp.ids(2)["pi"]: 2000}
    handed = [k for k in store.keys("raw/stripe/_arrivals/") if ".catchup=" in k]
    assert len(handed) == 2 and all(k.endswith(f".catchup={report.batch_id}.json") for k in handed)
    assert {lost.key, late.key} == {k for k in store.keys("raw/stripe/") if "/dt=" in k and "/_" not in k}

    after = run_completeness(settings).as_dict()
    assert failed(after, "payments") == {"completeness.landed_unprocessed": 0, "completeness.processed_twice": 0}
    assert after["handed_over"]["payments"] == 0
    assert payments_flow.payments_microbatch(**window(second, now())).rows_extracted == 0  # taken exactly once


@pytest.fixture
def sftp(tmp_path: Path) -> Any:
    with SftpTestServer(tmp_path / "sftp") as server:
        yield server


def hour(i: int) -> dict[str, str]:
    start = w.T0 + timedelta(hours=i)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}


def test_a_wms_file_landed_by_a_batch_that_never_committed_is_taken_by_the_next_batch_once(
    pipeline_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    pipeline_env(**sftp.env(), NORTHSTAR_COMPLETENESS_GRACE_MINUTES="0")
    settings = load_settings()
    items = w.shipments(2)
    sftp.drop("confirm-lost.csv", w.csv_file(items), w.T0 + timedelta(minutes=5))
    # Hour 0's run landed the file and was killed before it committed (the extract is the real task, the crash is
    # that nothing follows it); the warehouse then removed the file from its drop folder, as 3PLs do after a day.
    crashed = batch_id("fulfillment", Window(w.T0, w.T0 + timedelta(hours=1)))
    landed = wms_flow.land_wms_files.fn(settings, settings.fulfillment.sftp, Window.parse(**hour(0)), crashed)
    (file,) = landed.files
    (sftp.root / "outbound" / "confirm-lost.csv").unlink()
    assert wms_flow.fulfillment_hourly(**hour(1)).rows_extracted == 0  # nothing left in the drop

    report = completeness_check(source="fulfillment")
    assert report["unprocessed"][0]["key"] == file.key and report["handed_over"] == {"fulfillment": 1}
    assert failed(report, "fulfillment")["completeness.landed_unprocessed"] == 1
    assert run_completeness(settings, "fulfillment").handed_over == {"fulfillment": 0}  # asked once
    caught = wms_flow.fulfillment_hourly(**hour(2))
    assert (caught.status, caught.rows_extracted, caught.rows_published) == (BatchStatus.COMMITTED, 4, 4)
    (row,) = query("SELECT * FROM OPS.WMS_FILES")
    assert (row["REMOTE_PATH"], row["STATUS"], row["_BATCH_ID"]) == (file.remote_path, "LOADED", caught.batch_id)
    assert row["LANDED_URI"] == landing_store(settings).uri(file.key)  # taken from the landing store, as landed
    assert len(query("SELECT * FROM CORE.SHIPMENT_LINES")) == 4

    after = run_completeness(settings, "fulfillment").as_dict()
    assert failed(after, "fulfillment") == {"completeness.landed_unprocessed": 0, "completeness.processed_twice": 0}
    assert wms_flow.fulfillment_hourly(**hour(3)).rows_extracted == 0  # taken exactly once
    rerun = wms_flow.fulfillment_hourly(**hour(0))  # the crashed batch run again reads its manifest: a duplicate
    assert (rerun.status, rerun.rows_published) == (BatchStatus.COMMITTED, 0)
    final = run_completeness(settings, "fulfillment").as_dict()
    assert failed(final, "fulfillment")["completeness.processed_twice"] == 0
    assert len(query("SELECT * FROM CORE.SHIPMENT_LINES")) == 4

    events = [json.loads(line) for line in (settings.lineage_dir / "events.jsonl").read_text().splitlines()]
    runs = [e for e in events if e["job"]["name"] == "completeness-check"]
    assert [e["eventType"] for e in runs][:2] == ["START", "COMPLETE"]
    for event in runs:
        validate_event(event)
    assertions = runs[1]["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert {a["assertion"]: a["success"] for a in assertions} == {
        "completeness.landed_unprocessed": False,
        "completeness.processed_twice": True,
    }


def test_an_orders_batch_killed_after_landing_is_run_again_by_the_inventory(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env(NORTHSTAR_COMPLETENESS_GRACE_MINUTES="0")
    settings = load_settings()
    insert = "INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)"
    with psycopg.connect(source_db) as conn:
        conn.execute(insert, source_row(1, 1))
    quarter = [Window(T0 + timedelta(minutes=15 * i), T0 + timedelta(minutes=15 * (i + 1))) for i in range(3)]
    assert orders_flow.orders_microbatch(start=quarter[0].start.isoformat(), end=quarter[0].end.isoformat())
    with psycopg.connect(source_db) as conn:
        conn.execute(insert, source_row(2, 16))
    crashed = batch_id("orders", quarter[1])
    landed = orders_flow.extract_orders.fn(settings, quarter[1], crashed)  # then the process was killed
    orders_flow.orders_microbatch(start=quarter[2].start.isoformat(), end=quarter[2].end.isoformat())
    assert len(query("SELECT * FROM CORE.ORDERS")) == 2  # the watermark never moved: the next batch read order 2

    report = run_completeness(settings, "orders")
    (finding,) = report.as_dict()["unprocessed"]
    assert finding["key"] == landed.prefix + "manifest.json" and report.handed_over == {"orders": 1}
    with open_warehouse(settings) as wh:
        (rerun,) = wh.query(
            "SELECT STATUS, ROWS_EXTRACTED FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s", {"b": crashed}
        )
    assert rerun["STATUS"] == "COMMITTED" and rerun["ROWS_EXTRACTED"] == landed.rows  # what it landed, taken once
    after = run_completeness(settings, "orders").as_dict()
    assert failed(after, "orders") == {"completeness.landed_unprocessed": 0, "completeness.processed_twice": 0}
    assert after["handed_over"] == {"orders": 0}
    assert len(query("SELECT * FROM CORE.ORDERS")) == 2
