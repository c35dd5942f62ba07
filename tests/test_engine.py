"""The batch engine's guarantees, on real processes: the ledger guard, leases, failures that leave a trace,
windows that must have ended, landed files verified against their manifest."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prefect.settings import PREFECT_API_URL

import flows.orders_microbatch as orders_flow
from flows import engine
from flows.engine import Stopwatch, Validated, new_record
from northstar import loads
from northstar.batches import Window, WindowNotClosed, batch_id, landing_prefix
from northstar.loads import BatchStatus, acquire_lease, publish, record_failed
from northstar.settings import load_settings
from northstar.warehouse import Warehouse, open_warehouse
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
CONTENT_TABLES = ("CORE.ORDERS", "CORE.ORDER_LINES", "QUARANTINE.ORDERS", "QUARANTINE.ORDER_LINES")
LOAD_TIMES = {"_LOADED_AT", "_QUARANTINED_AT"}  # when a row was loaded differs between two runs; nothing else may


def window(i: int) -> dict[str, str]:
    """The i-th 15-minute window after T0 as flow parameters."""
    start = T0 + timedelta(minutes=15 * i)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}


def seed(dsn: str) -> None:
    """Three good orders and one with a negative total in window 0, two good ones in window 1."""
    rows = [source_row(1, 1), source_row(2, 2), source_row(3, 3), source_row(4, 4, total_amount_minor=-5)]
    rows += [source_row(5, 16), source_row(6, 17)]
    with psycopg.connect(dsn) as conn:
        conn.cursor().executemany(INSERT, rows)


def content_hashes(wh: Warehouse) -> dict[str, list[str]]:
    """Row hashes of the published and quarantined tables, load timestamps left out."""
    hashes = {}
    for table in CONTENT_TABLES:
        rows = [{k: v for k, v in r.items() if k not in LOAD_TIMES} for r in wh.query(f"SELECT * FROM {table}")]
        hashes[table] = sorted(hashlib.sha256(repr(sorted(r.items())).encode()).hexdigest() for r in rows)
    return hashes


def ledger() -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query("SELECT BATCH_ID, STATUS, REASON, ROWS_PUBLISHED FROM OPS.LOAD_BATCHES ORDER BY WINDOW_START")


def northstar(*args: str, extra_env: dict[str, str] | None = None, wait: bool = True) -> Any:
    """`northstar ARGS` as a subprocess on the test's home, using the session's Prefect server."""
    env = dict(os.environ) | {"PREFECT_API_URL": str(PREFECT_API_URL.value())} | (extra_env or {})
    cmd = [str(Path(sys.executable).parent / "northstar"), *args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return (*proc.communicate(timeout=300), proc.returncode) if wait else proc


def test_two_runs_of_one_window_at_once_commit_exactly_once(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, tmp_path: Path
) -> None:
    pipeline_env()
    seed(source_db)
    args = ("run", "orders", "--start", window(0)["start"], "--end", window(0)["end"])
    procs = [northstar(*args, wait=False) for _ in range(2)]
    results = [(*p.communicate(timeout=300), p.returncode) for p in procs]
    outcomes = [json.loads(out.strip().splitlines()[-1]) for out, _, _ in results]
    assert [code for _, _, code in results] == [0, 0], [err[-2000:] for _, err, _ in results]
    statuses = sorted(o["status"] for o in outcomes)
    assert statuses == ["COMMITTED", "SKIPPED"], outcomes
    skipped = next(o for o in outcomes if o["status"] == "SKIPPED")
    assert skipped["reason"].startswith(("running elsewhere", "already committed", "committed meanwhile"))
    assert [(r["STATUS"], r["ROWS_PUBLISHED"]) for r in ledger()] == [("COMMITTED", 3)]
    with open_warehouse(load_settings()) as wh:
        concurrent = content_hashes(wh)
        assert wh.query("SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES") == [{"N": 0}]

    pipeline_env(NORTHSTAR_HOME=str(tmp_path / "single"))  # the same window, run once, in a fresh warehouse
    assert orders_flow.orders_microbatch(**window(0)).status == BatchStatus.COMMITTED
    with open_warehouse(load_settings()) as wh:
        assert content_hashes(wh) == concurrent


def test_two_windows_of_one_source_at_once_both_commit(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    seed(source_db)
    procs = [northstar("run", "orders", "--start", window(i)["start"], "--end", window(i)["end"], wait=False)
             for i in (0, 1)]  # fmt: skip
    results = [(*p.communicate(timeout=300), p.returncode) for p in procs]
    assert [code for _, _, code in results] == [0, 0], [err[-2000:] for _, err, _ in results]
    assert [(r["STATUS"], r["ROWS_PUBLISHED"]) for r in ledger()] == [("COMMITTED", 3), ("COMMITTED", 2)]
    with open_warehouse(load_settings()) as wh:
        published = wh.query("SELECT ORDER_ID FROM CORE.ORDERS ORDER BY ORDER_ID")
    assert [r["ORDER_ID"] for r in published] == [1, 2, 3, 5, 6]


def test_a_killed_run_leaves_a_lease_that_expires_and_the_rerun_completes_the_batch(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env(NORTHSTAR_LEASE_SECONDS="20")
    seed(source_db)
    args = ("run", "orders", "--start", window(0)["start"], "--end", window(0)["end"])
    _, _, code = northstar(*args, extra_env={"NORTHSTAR_FAULT_POINT": "after_extract"})
    assert code == -9  # SIGKILLed after landing, holding its lease (renewed just before)
    with open_warehouse(load_settings()) as wh:
        (lease,) = wh.query("SELECT OWNER, LINEAGE_RUN_ID, EXPIRES_AT FROM OPS.BATCH_LEASES")
    skipped = orders_flow.orders_microbatch(**window(0))  # at once: the lease is still live
    assert skipped.status == BatchStatus.SKIPPED and (skipped.reason or "").startswith("running elsewhere")

    time.sleep(max((lease["EXPIRES_AT"].replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds(), 0) + 0.5)
    out, err, code = northstar(*args)
    assert code == 0 and json.loads(out.splitlines()[-1])["status"] == "COMMITTED", err[-2000:]
    assert [(r["STATUS"], r["ROWS_PUBLISHED"]) for r in ledger()] == [("COMMITTED", 3)]
    events = [json.loads(line) for line in (load_settings().lineage_dir / "events.jsonl").read_text().splitlines()]
    killed = [e["eventType"] for e in events if e["run"]["runId"] == lease["LINEAGE_RUN_ID"]]
    assert killed == ["START", "FAIL"]  # the killed run's START is closed by the run that took over


def test_the_guarded_ledger_insert_rolls_the_whole_load_back_when_the_batch_is_committed(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    seed(source_db)
    settings = load_settings()
    win = Window.parse(**window(0))
    batch = batch_id("orders", win)
    landed = orders_flow.extract_orders.fn(settings, win, batch)
    validated = orders_flow.validate_orders.fn(settings, landed, win)
    record = new_record(settings, "orders", win, batch, validated, "0190b6a4-0000-7000-8000-000000000000", Stopwatch())
    assert validated.plan is not None
    with open_warehouse(settings) as wh:
        committed = publish(wh, validated.plan, record, validated.results)
        assert committed is not None and committed.status == BatchStatus.COMMITTED
        before = content_hashes(wh)
        # a second load of the same batch that got past the early check (as a concurrent run would):
        wh.execute("UPDATE CORE.ORDERS SET STATUS = 'tampered' WHERE ORDER_ID = 1")
        original = loads.batch_status
        try:
            loads.batch_status = lambda wh, batch_id: None  # type: ignore[assignment]
            assert publish(wh, validated.plan, replace(record, code_version="other"), validated.results) is None
        finally:
            loads.batch_status = original  # type: ignore[assignment]
        after = content_hashes(wh)
        rows = wh.query("SELECT STATUS, CODE_VERSION FROM OPS.LOAD_BATCHES")
    assert rows == [{"STATUS": "COMMITTED", "CODE_VERSION": record.code_version}]
    assert after["CORE.ORDERS"] != before["CORE.ORDERS"]  # the manual edit stays: the reload rolled back whole
    assert after["QUARANTINE.ORDERS"] == before["QUARANTINE.ORDERS"]


def test_a_failed_record_never_replaces_a_committed_one(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    seed(source_db)
    assert orders_flow.orders_microbatch(**window(0)).status == BatchStatus.COMMITTED
    settings = load_settings()
    win = Window.parse(**window(0))
    record = new_record(
        settings, "orders", win, batch_id("orders", win), Validated([], 0, 0, 0, None), "r", Stopwatch()
    )
    with open_warehouse(settings) as wh:
        record_failed(wh, record, "RuntimeError: late failure of a duplicate run")
    assert [r["STATUS"] for r in ledger()] == ["COMMITTED"]


def test_a_live_lease_of_another_run_is_respected(pipeline_env: Callable[..., dict[str, str]], source_db: str) -> None:
    pipeline_env()
    seed(source_db)
    win = Window.parse(**window(0))
    with open_warehouse(load_settings()) as wh:
        acquire_lease(wh, batch_id("orders", win), "orders", "elsewhere:1:abc", timedelta(minutes=5), None)
    outcome = orders_flow.orders_microbatch(**window(0))
    assert outcome.status == BatchStatus.SKIPPED and outcome.reason is not None
    assert outcome.reason.startswith("running elsewhere: elsewhere:1:abc holds the lease until")
    assert ledger() == []


def test_a_window_that_has_not_ended_and_settled_is_refused(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env(NORTHSTAR_ORDERS_SETTLE_SECONDS="60")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with pytest.raises(WindowNotClosed, match="has not ended and settled"):
        orders_flow.orders_microbatch(start=(now - timedelta(minutes=15)).isoformat(), end=now.isoformat())
    _out, err, code = northstar("run", "orders", "--start", (now - timedelta(minutes=15)).isoformat(),
                               "--end", (now + timedelta(minutes=15)).isoformat())  # fmt: skip
    assert code == 2 and "has not ended and settled" in err and "Traceback" not in err
    end = (now + timedelta(minutes=15)).isoformat()  # times with their offset, as the CLI prints every time
    assert f"to {end} has not ended" in err and f"run it after {(now + timedelta(minutes=16)).isoformat()}" in err
    assert ledger() == []


def test_a_damaged_landed_file_fails_the_batch_with_landing_corrupt_and_shows_in_batches(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    seed(source_db)
    settings = load_settings()
    win = Window.parse(**window(0))
    batch = batch_id("orders", win)
    orders_flow.extract_orders.fn(settings, win, batch)  # landed once, as a run that then died would have
    prefix = settings.landing_dir / landing_prefix("orders", win, batch)
    damaged = next(prefix.glob("orders-*.parquet"))
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(orders_flow, "extract_orders", orders_flow.extract_orders.with_options(retries=0))
    monkeypatch.setattr(engine, "publish_or_hold", engine.publish_or_hold.with_options(retries=0))
    with pytest.raises(Exception, match=r"landing\.corrupt") as raised:
        orders_flow.orders_microbatch(**window(0))
    assert str(damaged) in str(raised.value)  # a plain path, ready for the recovery's mv
    (row,) = ledger()
    assert row["STATUS"] == "FAILED" and "landing.corrupt" in row["REASON"] and damaged.name in row["REASON"]
    out, _, code = northstar("batches", "--json")
    assert code == 0 and '"FAILED"' in out and "landing.corrupt" in out
