"""`northstar warehouse setup` against fakesnow: what it can run runs (twice), what it cannot is listed and
really fails there, and the two-year purge keeps OPS evidence."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import snowflake.connector

from cli.main import main
from northstar.settings import load_settings
from northstar.sqlfiles import statements
from northstar.warehouse import Warehouse, open_warehouse
from northstar.warehouse_admin import PURGE_FILE, plan, purge_past_retention, purge_procedure_sql, setup
from northstar.warehouse_server import stop_server

pytestmark = pytest.mark.integration


@pytest.fixture
def wh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    for name in ("SNOWFLAKE_ACCOUNT", "NORTHSTAR_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    try:
        with open_warehouse(settings) as warehouse:
            yield warehouse
    finally:
        stop_server(settings.warehouse_dir)  # this home's own server process: do not leave it running


def _views(wh: Warehouse) -> set[str]:
    rows = wh.query("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.VIEWS WHERE TABLE_SCHEMA = 'MARTS'")
    return {row["TABLE_NAME"] for row in rows}


def test_setup_runs_what_fakesnow_can_twice_and_lists_the_rest(wh: Warehouse) -> None:
    first = setup(wh, emulated=True)
    second = setup(wh, emulated=True)  # idempotent
    assert [s.sql for s in first] == [s.sql for s in second]
    ran = [s for s in first if s.skipped_because is None]
    assert [s.source for s in ran] == ["snowflake/admin/02_views.sql"] * 2
    assert _views(wh) >= {"V_DAILY_REVENUE", "V_ORDER_PAYMENTS"}
    assert wh.query("SELECT COUNT(*) AS N FROM MARTS.V_ORDER_PAYMENTS") == [{"N": 0}]
    reasons = {s.skipped_because for s in first if s.skipped_because}
    assert reasons == {
        f"fakesnow cannot emulate {kind}"
        for kind in (
            "roles",
            "grants",
            "warehouses",
            "resource monitors",
            "Time Travel retention",
            "stored procedures (Snowflake Scripting)",
            "tasks",
        )
    }
    # Against Snowflake nothing is skipped.
    assert all(s.skipped_because is None for s in plan(emulated=False))


def test_every_statement_skipped_locally_really_fails_on_fakesnow(wh: Warehouse) -> None:
    """If fakesnow learns one of these, this fails: then take it off UNSUPPORTED_BY_FAKESNOW and let it run."""
    setup(wh, emulated=True)
    skipped = [s for s in plan(emulated=True) if s.skipped_because]
    assert len(skipped) > 60
    for statement in skipped:
        with pytest.raises(snowflake.connector.errors.ProgrammingError):
            wh.execute(statement.sql, {"database": wh.database} if "%(database)s" in statement.sql else None)


def test_cli_dry_run_prints_every_statement_and_runs_none(wh: Warehouse) -> None:
    out = io.StringIO()
    assert main(["warehouse", "setup", "--dry-run"], out=out) == 0
    text = out.getvalue()
    assert "CREATE RESOURCE MONITOR IF NOT EXISTS NORTHSTAR_MONTHLY" in text
    assert "-- SKIPPED (fakesnow cannot emulate roles): snowflake/admin/03_roles.sql" in text
    assert "-- WOULD RUN: snowflake/admin/02_views.sql" in text
    assert "would run 2 statements on the local fakesnow warehouse" in text
    assert not _views(wh) & {"V_DAILY_REVENUE", "V_ORDER_PAYMENTS"}

    out = io.StringIO()
    assert main(["warehouse", "setup"], out=out) == 0
    assert "ran 2 statements on the local fakesnow warehouse" in out.getvalue()
    assert "Not emulated locally (they run on Snowflake): fakesnow cannot emulate Time" in out.getvalue()
    assert _views(wh) >= {"V_DAILY_REVENUE", "V_ORDER_PAYMENTS"}


def test_purge_deletes_core_rows_past_two_years_and_keeps_ops(wh: Warehouse) -> None:
    old, recent = "2024-11-29 10:00:00", "2024-12-01 10:00:00"  # now is 2026-11-30 12:00 UTC
    for order_id, created in ((1, old), (2, recent)):
        wh.execute(
            "INSERT INTO CORE.ORDERS VALUES (%(id)s, 7, 'paid', 'USD', 100, %(t)s, %(t)s, 'b', %(t)s, NULL)",
            {"id": order_id, "t": created},
        )
        wh.execute(
            "INSERT INTO CORE.ORDER_LINES VALUES (%(id)s, 1, 'SKU-1', 1, 100, %(t)s, 'b', %(t)s, NULL)",
            {"id": order_id, "t": created},
        )
    wh.execute(
        "INSERT INTO OPS.LOAD_BATCHES (BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED, "
        "ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS) VALUES ('b', 'orders', %(t)s, %(t)s, 1, 1, 0, 1, 'COMMITTED')",
        {"t": old},
    )
    purge_past_retention(wh, datetime(2026, 11, 30, 12, tzinfo=UTC))
    assert wh.query("SELECT ORDER_ID FROM CORE.ORDERS") == [{"ORDER_ID": 2}]
    assert wh.query("SELECT ORDER_ID FROM CORE.ORDER_LINES") == [{"ORDER_ID": 2}]
    assert wh.query("SELECT BATCH_ID FROM OPS.LOAD_BATCHES") == [{"BATCH_ID": "b"}]


def test_the_scheduled_procedure_runs_the_same_purge_statements() -> None:
    procedure = purge_procedure_sql()
    assert "%(" not in procedure
    for sql in statements(PURGE_FILE):
        assert sql.replace("%(cutoff)s", "DATEADD(year, -2, SYSDATE())") + ";" in procedure
    assert not any("OPS." in sql or "QUARANTINE." in sql for sql in statements(PURGE_FILE))
