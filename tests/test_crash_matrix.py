"""The crash matrix: a real `northstar` subprocess SIGKILLed at the engine's step boundaries (NORTHSTAR_FAULT_POINT)
for every source, a backfill killed mid-way and a reprocess killed in its publish; after the rerun, the published
tables are identical to an uninterrupted run's (row hashes, load times left out), passed + quarantined = extracted,
each landed batch was processed once, no lease or staged row is left, and every lineage START has its end."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests import stripe_payloads as sp
from tests import wms_samples as w
from tests.replay_helpers import northstar, seed_windows, span
from tests.test_payments_flow import land

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
LEASE_SECONDS = 3
LOAD_TIMES = frozenset({"_LOADED_AT", "_QUARANTINED_AT", "SEEN_AT", "_FIRST_SEEN_AT", "LANDED_AT", "CHECKED_AT"})
TABLES = {
    "orders": ("CORE.ORDERS", "CORE.ORDER_LINES", "QUARANTINE.ORDERS", "QUARANTINE.ORDER_LINES"),
    "payments": ("RAW.STRIPE_EVENTS", "CORE.PAYMENTS", "QUARANTINE.STRIPE_EVENTS"),
    "fulfillment": ("CORE.SHIPMENT_LINES", "QUARANTINE.WMS_LINES"),
    "consistency": ("OPS.CONSISTENCY_INPUTS",),
}
STAGING = (
    "OPS.STAGE_ORDERS",
    "OPS.STAGE_ORDERS_QUARANTINE",
    "OPS.STAGE_ORDER_LINES",
    "OPS.STAGE_ORDER_LINES_QUARANTINE",
)
# Per-run lookup tables (CREATE OR REPLACE before any transaction, read by joins), not load staging.
LOOKUPS = frozenset({"STAGE_WMS_KEYS", "STAGE_CONSISTENCY_KEYS", "STAGE_CONSISTENCY_ORDERS"})
_baselines: dict[str, dict[str, list[str]]] = {}  # per scenario: the uninterrupted run's published tables


def seed(scenario: str, dsn: str) -> None:
    """The scenario's small seeded source, the same every time."""
    if scenario in ("orders", "consistency", "backfill", "reprocess"):
        seed_windows(dsn, 4 if scenario == "backfill" else 1)
    if scenario == "payments":
        land(0, *(sp.for_type(t, 1, created=sp.T0 + 60) for t in ("payment_intent.succeeded", "charge.succeeded")))
    if scenario == "fulfillment":
        drop = load_settings().home / "sftp-drop"
        drop.mkdir(parents=True)
        (drop / "a.csv").write_bytes(w.csv_file(w.shipments(2, prefix="A")))
        moment = (w.T0 + timedelta(minutes=5)).timestamp()
        os.utime(drop / "a.csv", (moment, moment))
    if scenario == "consistency":
        _ok(northstar("run", "orders", "--start", span(1)[0], "--end", span(1)[1]))


def command(scenario: str) -> tuple[str, ...]:
    start, end = span(4 if scenario == "backfill" else 1, 60 if scenario == "fulfillment" else 15)
    if scenario == "backfill":
        return ("backfill", "--source", "orders", "--start", start, "--end", end, "--json")
    if scenario == "reprocess":
        return ("reprocess", "--source", "orders", "--start", start, "--end", end, "--reason", "crash test")
    return ("run", scenario, "--start", start, "--end", end)


def _ok(result: tuple[str, str, int]) -> str:
    out, err, code = result
    assert code == 0, err[-3000:]
    return out


def published(scenario: str) -> dict[str, list[str]]:
    """Row hashes of the scenario's published tables, load times left out and the home's path made neutral (the
    fulfillment drop folder is under the home, which differs between the baseline and the killed run)."""
    tables = TABLES["orders" if scenario in ("backfill", "reprocess") else scenario]
    left_out = LOAD_TIMES | ({"_BATCH_ID", "_SEEN_BATCHES"} if scenario == "reprocess" else set())
    settings = load_settings()
    home = str(settings.home)
    hashes = {}
    with open_warehouse(settings) as wh:
        for table in tables:
            rows = wh.query(f"SELECT * FROM {table}")  # table names come from the test
            kept = [
                [(k, str(v).replace(home, "<home>")) for k, v in sorted(r.items()) if k not in left_out] for r in rows
            ]
            hashes[table] = sorted(hashlib.sha256(repr(items).encode()).hexdigest() for items in kept)
    return hashes


def prepare_reprocess() -> None:
    """The window published, then a row of it damaged by hand: the replay restores it (a real difference)."""
    _ok(northstar("run", "orders", "--start", span(1)[0], "--end", span(1)[1]))
    with open_warehouse(load_settings()) as wh:
        wh.execute("UPDATE CORE.ORDERS SET STATUS = 'tampered' WHERE ORDER_ID = 1")


def baseline(scenario: str, env: Callable[..., dict[str, str]], source_db: str, home: str) -> dict[str, list[str]]:
    """The tables after an uninterrupted run of the scenario in a fresh home (computed once per scenario)."""
    if scenario not in _baselines:
        env(NORTHSTAR_HOME=home)
        seed(scenario, source_db)
        if scenario == "reprocess":
            prepare_reprocess()
        _ok(northstar(*command(scenario)))
        _baselines[scenario] = published(scenario)
    return _baselines[scenario]


def kill_backfill_midway() -> None:
    """Start the backfill and SIGKILL its whole process group once its first window has committed."""
    proc = northstar(*command("backfill"), wait=False, new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        with open_warehouse(load_settings()) as wh:
            n = wh.query("SELECT COUNT(*) AS N FROM OPS.LOAD_BATCHES WHERE STATUS = 'COMMITTED'")[0]["N"]
        if n >= 1:
            break
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


CASES = [
    *(
        ("orders", p)
        for p in ("after_lease", "after_extract", "after_validate", "publish_before_commit", "after_commit")
    ),
    ("payments", "publish_before_commit"),
    ("fulfillment", "after_validate"),
    ("consistency", "publish_before_commit"),
    ("backfill", "midway"),
    ("reprocess", "publish_before_commit"),
]


@pytest.mark.parametrize(("scenario", "point"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_a_run_killed_at_a_step_boundary_reruns_to_the_uninterrupted_result(
    pipeline_env: Callable[..., dict[str, str]],
    source_db: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    scenario: str,
    point: str,
) -> None:
    common = {"NORTHSTAR_LEASE_SECONDS": str(LEASE_SECONDS), "NORTHSTAR_MARTS_PUBLISH": "false",
              "NORTHSTAR_SFTP_STABLE_SECONDS": "0.1"}  # fmt: skip
    pipeline_env(**common)
    expected = baseline(scenario, pipeline_env, source_db, str(tmp_path / "baseline"))
    pipeline_env(NORTHSTAR_HOME=str(tmp_path / "killed"))
    in_transaction = point == "publish_before_commit"
    if in_transaction:  # this home's own local warehouse, restarted after the kill (below)
        monkeypatch.delenv("NORTHSTAR_WAREHOUSE_SERVER")
    _reset_source(source_db)
    seed(scenario, source_db)
    if scenario == "reprocess":
        prepare_reprocess()
    if scenario == "backfill":
        kill_backfill_midway()
    else:
        _, _, code = northstar(*command(scenario), extra_env={"NORTHSTAR_FAULT_POINT": point})
        assert code == -signal.SIGKILL
    if in_transaction:
        # Snowflake ends a dead session's open transaction; the emulator keeps it (and its row locks) until it
        # stops, so the local warehouse is restarted, as Snowflake would have aborted it.
        _ok(northstar("down"))
    time.sleep(LEASE_SECONDS + 0.5)  # the killed run's lease expires
    if scenario == "backfill":  # its process is gone: the listing reads its RUNNING row as INTERRUPTED
        (killed,) = [json.loads(line) for line in _ok(northstar("backfills", "--json")).splitlines()]
        assert killed["STATUS"] == "INTERRUPTED"
    try:
        _ok(northstar(*command(scenario)))
        if scenario == "backfill":  # the resumed backfill recorded it so, and completed itself
            rows = [json.loads(line) for line in _ok(northstar("backfills", "--json")).splitlines()]
            assert [r["STATUS"] for r in rows] == ["COMPLETED", "INTERRUPTED"]
            assert [r["BACKFILL_ID"] for r in rows][1] == killed["BACKFILL_ID"]
            with open_warehouse(load_settings()) as wh:
                stored = wh.query(
                    "SELECT STATUS FROM OPS.BACKFILLS WHERE BACKFILL_ID = %(b)s", {"b": killed["BACKFILL_ID"]}
                )
            assert stored == [{"STATUS": "INTERRUPTED"}]
        assert published(scenario) == expected
        _assert_nothing_left_or_lost(scenario)
    finally:
        if in_transaction:
            northstar("down")


def _reset_source(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn) as conn:
        conn.execute("TRUNCATE orders, order_lines")


def _assert_nothing_left_or_lost(scenario: str) -> None:
    settings = load_settings()
    with open_warehouse(settings) as wh:
        assert wh.query("SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES") == [{"N": 0}]
        staging = wh.query(
            "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'OPS' AND TABLE_NAME LIKE 'STAGE%'"
        )
        assert staging, "the run created its staging tables"
        for row in staging:
            if row["TABLE_NAME"] in LOOKUPS:
                continue
            table = f"OPS.{row['TABLE_NAME']}"
            assert wh.query(f"SELECT COUNT(*) AS N FROM {table}") == [{"N": 0}], table
        ledger = wh.query("SELECT * FROM OPS.LOAD_BATCHES WHERE STATUS = 'COMMITTED'")
    for row in ledger:
        assert row["ROWS_PASSED"] + row["ROWS_QUARANTINED"] == row["ROWS_EXTRACTED"], row["BATCH_ID"]
    windows = [(r["SOURCE"], r["WINDOW_START"]) for r in ledger if not r["SUPERSEDES"]]
    assert len(windows) == len(set(windows))  # each landed batch committed once
    if scenario in ("orders", "backfill"):
        manifests = list((settings.landing_dir / "raw" / "orders").rglob("manifest.json"))
        assert len(manifests) == len(windows)  # landed once per window, never re-extracted
    events = [json.loads(x) for x in (settings.lineage_dir / "events.jsonl").read_text().splitlines()]
    ends = {e["run"]["runId"] for e in events if e["eventType"] in ("COMPLETE", "FAIL")}
    starts = {e["run"]["runId"] for e in events if e["eventType"] == "START"}
    assert starts <= ends, f"lineage STARTs never ended: {sorted(starts - ends)}"
