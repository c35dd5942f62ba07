"""Full-history cross-system checks: the batch path (northstar/slices.py's fetch into DuckDB, the suite there) and the
warehouse path (validators/history_consistency.py: the slice as the session's tables over CORE, the same family files
transpiled by sqlglot, run on fakesnow) agree check for check on the same rows and days: rows checked, rows failed,
the actual text and the failing keys."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cli.main import main
from northstar.batches import Window
from northstar.landing import landing_store
from northstar.settings import Settings, load_settings
from northstar.slices import Slice, day_bounds, fetch_slice, params_for
from northstar.sources.finance.reports import load_reports
from northstar.sqlfiles import bound_params, read_sql, statements
from northstar.warehouse import Warehouse, open_warehouse
from tests.consistency_seed import SourceBatch, commit, drop_finance, order_row, payment_row
from validators.consistency.suite import FAMILIES, run_suite
from validators.history import _body
from validators.history_consistency import (
    audit_consistency,
    audit_history_consistency,
    build_history_slice,
    history_days,
    read_finance,
    snowflake_file,
)
from validators.snowflake_render import render

pytestmark = pytest.mark.integration

TZ = "America/New_York"
D0 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 10:00 in New York
AS_OF = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _seed(wh: Warehouse) -> None:
    """Orders, payments, refunds, disputes and shipments over two business days, failing several checks."""
    orders = [  # each its own customer, but 4 and 5
        order_row(1, D0),  # paid 2500, paid 2500: matched, shipped in full
        order_row(2, D0 + MIN, total=3000),  # paid 2000: underpaid
        order_row(3, D0 + 2 * MIN, status="cancelled"),  # shipped: cancelled_but_shipped
        order_row(4, D0 + 3 * MIN, customer_id=77, total=900),  # same purchase as 5
        order_row(5, D0 + 5 * MIN, customer_id=77, total=900),
        order_row(6, D0 + 6 * MIN),  # paid, refunded in full, still paid: refunded_still_completed
        order_row(7, D0 + 7 * MIN),  # paid, never shipped for five days: paid_not_shipped
        order_row(8, D0 + timedelta(days=1), status="shipped"),  # shipped, never paid
        order_row(9, D0 + timedelta(days=1, minutes=1), status="delivered"),  # dispute lost, over-shipped
    ]
    orders = [o | {"customer_id": o["order_id"]} if o["customer_id"] == 42 else o for o in orders]
    commit(wh, SourceBatch("orders", "orders-1", D0 + timedelta(days=1, minutes=10), orders=orders,
                           order_lines=[(1, 1, "SKU-1", 1), (9, 1, "SKU-1", 1), (4, 1, "SKU-2", 1),
                                        (5, 1, "SKU-2", 1)]))  # fmt: skip
    payments = [
        payment_row("pi_1", 1, 2500, D0 + MIN),
        payment_row("pi_2", 2, 2000, D0 + 2 * MIN),
        payment_row("pi_4", 4, 900, D0 + 4 * MIN),
        payment_row("pi_5", 5, 900, D0 + 6 * MIN),
        payment_row("pi_6", 6, 2500, D0 + 7 * MIN),
        payment_row("pi_7", 7, 2500, D0 + 8 * MIN),
        payment_row("pi_9", 9, 2500, D0 + timedelta(days=1, minutes=2)),
        payment_row("pi_404", 404, 1200, D0 + timedelta(days=1, minutes=3)),  # no such order: waits
        payment_row("pi_none", None, 700, D0 + timedelta(days=1, minutes=4)),  # no order id at all
    ]
    commit(wh, SourceBatch("payments", "payments-1", D0 + timedelta(days=1, minutes=20), payments=payments,
                           refunds=[{"refund_id": "re_6", "pi": "pi_6", "amount": 2500,
                                     "created_at": D0 + timedelta(minutes=30)}],
                           disputes=[{"dispute_id": "dp_9", "pi": "pi_9", "amount": 2500,
                                      "status": "lost"}]))  # fmt: skip
    lines = [
        {"shipment_id": "S1", "order_id": 1},
        {"shipment_id": "S3", "order_id": 3},
        {"shipment_id": "S8", "order_id": 8},
        {"shipment_id": "S9", "order_id": 9, "quantity": 2},
        {"shipment_id": "S4", "order_id": 4, "sku": "SKU-2"},
        {"shipment_id": "S5", "order_id": 5, "sku": "SKU-2"},
        {"shipment_id": "S6", "order_id": 6},
    ]
    commit(wh, SourceBatch("fulfillment", "fulfillment-1", D0 + timedelta(days=1, minutes=30), lines=lines))


@pytest.fixture
def settings(tmp_path: Path, warehouse_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NORTHSTAR_WAREHOUSE_SERVER", warehouse_server)
    monkeypatch.setenv("NORTHSTAR_BUSINESS_TZ", TZ)
    for name in ("SNOWFLAKE_ACCOUNT", "NORTHSTAR_PROFILE", "NORTHSTAR_LANDING_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    loaded = load_settings()
    with open_warehouse(loaded) as wh:
        _seed(wh)
    store = landing_store(loaded)
    drop_finance(store, date(2026, 11, 20), {"USD": (2500 + 2000 + 900 + 900 + 2500 + 2500, 2500)})  # matches
    drop_finance(store, date(2026, 11, 21), {"USD": (9999, 0)})  # off: finance counted more than we have
    yield loaded


def _batch_path(settings: Settings, days: list[date], tmp_path: Path) -> tuple[dict[tuple[str, str], tuple], dict]:
    """The suite in DuckDB over the slice the batch path fetches when every committed batch is unchecked."""
    cfg = settings.consistency.model_copy(update={"reconcile_days": len(days)})
    window = Window(AS_OF - timedelta(minutes=15), AS_OF)
    with duckdb.connect() as con, open_warehouse(settings) as wh:
        con.execute("SET TimeZone = 'UTC'")
        sl = fetch_slice(wh, con, window, cfg, tmp_path / "batch", "consistency-test")
        assert sl.days == days
        load_reports(con, landing_store(settings), sl.days, tmp_path / "batch")
        params = params_for(sl, cfg)
        suite = run_suite(con, params, "finance")
        keys_sql = read_sql("consistency/select_failing_keys.sql")
        rows = con.execute(keys_sql, bound_params(keys_sql, params | {"max_duplicate_rate": 0.001})).fetchall()
    results = {(r.check_id, r.dataset): (r.rows_checked, r.rows_failed, r.actual) for r in suite.results}
    keys: dict[tuple[str, str], list[str]] = {}
    for check_id, scope, key in sorted(set(rows), key=lambda r: (r[0], r[1] or "", r[2])):
        keys.setdefault((check_id, scope or ""), []).append(key)
    return results, keys


def test_consistency_batch_and_warehouse_paths_agree_check_for_check(settings: Settings, tmp_path: Path) -> None:
    as_of = AS_OF.replace(tzinfo=None)
    with open_warehouse(settings) as wh:
        days = history_days(wh, since=datetime(1970, 1, 1), as_of=as_of, tz=TZ)
        assert days[0] == date(2026, 11, 20) and days[-1] == date(2026, 11, 25)
        finance = read_finance(landing_store(settings), days, tmp_path / "finance")
        build_history_slice(wh, since=datetime(1970, 1, 1), days=days, tz=TZ,
                            duplicate_window=settings.consistency.duplicate_window, finance=finance)  # fmt: skip
        low, high = day_bounds(days, TZ)
        params = params_for(Slice({}, days, (low, high), as_of), settings.consistency)
        found = audit_consistency(wh, params, key_limit=None)
    batch_results, batch_keys = _batch_path(settings, days, tmp_path)

    warehouse_results = {(h.result.check_id, h.result.dataset): (h.result.rows_checked, h.result.rows_failed,
                                                                  h.result.actual) for h in found}  # fmt: skip
    assert warehouse_results == batch_results
    scoped = {"payments": "payment", "shipment_lines": "shipment_line"}
    warehouse_keys = {(h.result.check_id, scoped[h.result.dataset] if h.result.check_id.startswith("referential")
                       else ""): list(h.failing_keys) for h in found if h.failing_keys}  # fmt: skip
    assert warehouse_keys == batch_keys
    assert batch_keys == {
        ("referential.order_pending", "payment"): ["404"],
        ("reconciliation.order_amounts", ""): ["2", "6", "8"],  # underpaid, refunded in full, shipped unpaid
        ("reconciliation.payment_without_order", ""): ["pi_none"],
        ("reconciliation.daily_revenue", ""): ["2026-11-21 USD"],
        ("duplicates.same_purchase", ""): ["5"],
        ("duplicates.daily_rate", ""): ["2026-11-20"],
        ("status.shipped_never_paid", ""): ["3", "8"],
        ("status.cancelled_but_shipped", ""): ["3"],
        ("status.refunded_still_completed", ""): ["6"],
        ("status.paid_not_shipped", ""): ["2", "7"],  # five days old, paid, nothing shipped
        ("status.dispute_lost_counted", ""): ["9"],
        ("fulfillment.over_shipped", ""): ["9"],
    }


def test_cli_audit_history_consistency_reports_each_check(settings: Settings) -> None:
    out = io.StringIO()
    code = main(["audit-history", "--source", "consistency", "--checks", "status.cancelled_but_shipped",
                 "reconciliation.daily_revenue", "--json"], out=out)  # fmt: skip
    report: dict[str, Any] = json.loads(out.getvalue())
    assert code == 1  # reconciliation.daily_revenue is error severity and one day is off
    assert [(c["check_id"], c["rows_failed"], c["failing_keys"]) for c in report["checks"]] == [
        ("reconciliation.daily_revenue", 1, ["2026-11-21 USD"]),
        ("status.cancelled_but_shipped", 1, ["3"]),
    ]


def test_cli_audit_history_consistency_in_a_new_session(settings: Settings) -> None:
    """The user's path: `northstar audit-history` in its own process, on a warehouse an earlier session set up, so
    its session created no schema and has no current one (Snowflake's 090106 for an unqualified CREATE TABLE)."""
    northstar = str(Path(sys.executable).with_name("northstar"))
    done = subprocess.run([northstar, "audit-history", "--source", "consistency", "--json"], env=os.environ.copy(),
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert (done.returncode, done.stderr) == (1, "")  # reconciliation.daily_revenue fails on one day
    report = json.loads(done.stdout)
    failing = {c["check_id"]: c["failing_keys"] for c in report["checks"] if c["failing_keys"]}
    assert failing["reconciliation.daily_revenue"] == ["2026-11-21 USD"]
    assert failing["status.cancelled_but_shipped"] == ["3"]


DUCKDB_ONLY = re.compile(
    r"\b(PRINTF|FORMAT|LIST_\w+|LIST|EPOCH|ARG_MIN|ARG_MAX|STRUCT_PACK|TIMEZONE|UNNEST)\s*\(|\[:\d+\]|->"
)


def test_rendered_family_sql_uses_no_duckdb_only_function() -> None:
    """What sqlglot passes through unchanged (format, printf, list functions, timezone(), lambdas, slices) is
    rewritten by render or lives in a Snowflake file; the rendered statements name none of it."""
    params = {"as_of": AS_OF, "tz": TZ, "grace_seconds": 1.0, "duplicate_window_seconds": 1.0,
              "unshipped_seconds": 1.0, "days": [], "max_variance": 0.1, "max_duplicate_rate": 0.1,
              "check_id": "x", "severity": "warn"}  # fmt: skip
    queries = [(r, s, dict(f.params)) for f in FAMILIES for r in f.prepare for s in statements(r)]
    queries += [(c.measure, _body(read_sql(c.measure)), dict(c.params)) for f in FAMILIES for c in f.checks]
    queries += [(c.violations, _body(read_sql(c.violations)), {}) for f in FAMILIES for c in f.checks if c.violations]
    rendered = {
        (relative, sql[:60]): render(sql, params | own)[0]
        for relative, sql, own in queries
        if not snowflake_file(sql, relative)
    }
    assert {key: DUCKDB_ONLY.findall(sql) for key, sql in rendered.items() if DUCKDB_ONLY.search(sql)} == {}
    assert snowflake_file("CREATE OR REPLACE TABLE out_daily AS SELECT 1", "consistency/x.sql") == (
        "consistency/snowflake/create_out_daily.sql"
    )
    assert (
        "CONVERT_TIMEZONE('UTC', %(tz)s, created_at)"
        in render("SELECT timezone($tz, created_at AT TIME ZONE 'UTC') FROM t", {"tz": TZ})[0]
    )


def test_since_narrows_the_days_and_unknown_checks_are_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    as_of = AS_OF.replace(tzinfo=None)
    with open_warehouse(settings) as wh:
        checks = ["duplicates.daily_rate", "reconciliation.daily_revenue"]
        found = audit_history_consistency(wh, settings, as_of=as_of, since=datetime(2026, 11, 21), check_ids=checks)
        later = audit_history_consistency(wh, settings, as_of=as_of, since=datetime(2026, 11, 26))
    assert [(h.result.check_id, h.result.rows_checked, h.result.rows_failed, h.failing_keys) for h in found] == [
        ("reconciliation.daily_revenue", 1, 1, ("2026-11-21 USD",)),  # the days from the 21st: finance has one
        ("duplicates.daily_rate", 5, 0, ()),  # 21st to 25th; the duplicate pair was created on the 20th
    ]
    assert later == []  # nothing in CORE from then
    assert main(["audit-history", "--source", "consistency", "--checks", "status.nope"], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "status.nope not declared for consistency" in err and "Traceback" not in err
