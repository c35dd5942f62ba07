"""Full-history checks: the batch path (DuckDB router) and the warehouse path (validators/history.py, Snowflake SQL
rendered by sqlglot, run on fakesnow over CORE) agree row for row on the same rows: the same rows checked, the same
failing count and the same failing keys for every check."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli.main import main
from flows.orders_microbatch import ORDERS_CHECKS
from northstar.settings import load_settings
from northstar.warehouse import Warehouse, open_warehouse
from validators.contracts import ORDERS
from validators.fulfillment import FULFILLMENT, route_lines
from validators.history import (
    ORDER_LINES_HISTORY,
    ORDERS_HISTORY,
    SHIPMENT_LINES_HISTORY,
    HistoryDataset,
    audit_dataset,
    check_sql,
)
from validators.order_lines import ORDER_LINE_CHECKS, ORDER_LINES
from validators.router import load_batch, route

pytestmark = pytest.mark.integration

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
T = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _order(order_id: int, **changes: Any) -> dict[str, Any]:
    row = {"order_id": order_id, "customer_id": 7, "status": "paid", "currency": "USD", "total_amount_minor": 1000,
           "created_at": T, "updated_at": T + HOUR}  # fmt: skip
    return row | changes


ORDERS_ROWS = [
    _order(1),
    _order(2, status="lost"),  # schema.status_allowed
    _order(3, currency="usd"),  # schema.currency_iso4217
    _order(4, total_amount_minor=-1),  # schema.amount_minor_non_negative
    _order(5, created_at=datetime(1999, 12, 31, 23, 30, tzinfo=UTC)),  # timestamps_sane: before 2000 (UTC)
    _order(6, created_at=T + 2 * HOUR),  # timestamps_sane: created after updated
    _order(7, updated_at=AS_OF),  # timestamps_sane: at the window end
    _order(8, status="refunded", currency="JPY", total_amount_minor=0),
    _order(9, currency="XXX", total_amount_minor=-5, status="open"),  # three checks at once
]


def _line(order_id: int, line_no: int, **changes: Any) -> dict[str, Any]:
    row = {"order_id": order_id, "line_no": line_no, "sku": "SKU-1", "quantity": 1, "unit_price_minor": 500,
           "updated_at": T + HOUR}  # fmt: skip
    return row | changes


LINES_ROWS = [
    _line(1, 1),
    _line(1, 2, sku="  "),  # schema.sku_present
    _line(2, 1, quantity=0),  # schema.quantity_positive
    _line(3, 1, unit_price_minor=-10),  # schema.unit_price_non_negative
    _line(404, 1),  # referential.order_in_batch: no such order
    _line(405, 2, quantity=-1, sku=""),  # both
]


def _shipment(shipment_id: str, line_no: int, **changes: Any) -> dict[str, Any]:
    row = {"shipment_id": shipment_id, "order_id": 1, "line_no": line_no, "sku": "SKU-1", "quantity": 1,
           "warehouse_code": "ATL1", "carrier": "UPS", "tracking_number": "1Z", "status": "shipped",
           "shipped_at": T + 3 * HOUR, "source_file": "/out/a.csv", "file_sha256": "ab" * 32, "position": line_no,
           "format": "csv", "parse_error": None}  # fmt: skip
    return row | changes


SHIPMENT_ROWS = [
    _shipment("S1", 1),
    _shipment("S1", 2, warehouse_code="XYZ9"),  # schema.warehouse_known
    _shipment("S2", 1, status="lost"),  # schema.status_allowed
    _shipment("S3", 1, quantity=0),  # schema.quantity_positive
    _shipment("S4", 0),  # schema.keys_present: line_no < 1
    _shipment("S5", 1, sku=" "),  # schema.keys_present: blank sku
    _shipment("S6", 1, shipped_at=AS_OF + timedelta(minutes=15)),  # schema.shipped_at_sane: window end + 15 min
    _shipment("S7", 1, shipped_at=AS_OF + timedelta(minutes=14)),  # inside the tolerance: passes
]

TYPES = {"order_id": pa.int64(), "customer_id": pa.int64(), "total_amount_minor": pa.int64(), "line_no": pa.int64(),
         "quantity": pa.int64(), "unit_price_minor": pa.int64(), "position": pa.int64()}  # fmt: skip
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _parquet(rows: list[dict[str, Any]], path: Path) -> Path:
    fields = [(k, TYPES.get(k, TIMESTAMP if isinstance(v, datetime) else pa.string())) for k, v in rows[0].items()]
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(fields)), path)
    return path


def _batch_failures(con: duckdb.DuckDBPyConnection, key_sql: str) -> dict[str, list[str]]:
    """The router's failing rows as (check -> sorted keys), keys spelled as the history spells them."""
    rows = con.execute(
        f"SELECT DISTINCT f.check_id, {key_sql} AS k FROM failures f JOIN batch b USING (_row_id)"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for check_id, key in rows:
        out.setdefault(check_id, []).append(str(key))
    return {k: sorted(v) for k, v in out.items()}


def _warehouse_failures(wh: Warehouse, history: HistoryDataset) -> tuple[dict[str, int], dict[str, list[str]]]:
    found = audit_dataset(wh, history, as_of=AS_OF.replace(tzinfo=None), key_limit=None)
    rows_checked = {h.result.check_id: h.result.rows_checked for h in found}
    keys = {h.result.check_id: sorted(h.failing_keys) for h in found if h.failing_keys}
    assert all(h.result.rows_failed == len(h.failing_keys) for h in found)
    return rows_checked, keys


@pytest.fixture
def wh(tmp_path: Path, warehouse_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NORTHSTAR_WAREHOUSE_SERVER", warehouse_server)
    for name in ("SNOWFLAKE_ACCOUNT", "NORTHSTAR_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with open_warehouse(load_settings()) as warehouse:
        _insert(warehouse, "CORE.ORDERS", ORDERS_ROWS)
        _insert(warehouse, "CORE.ORDER_LINES", LINES_ROWS)
        _insert(warehouse, "CORE.SHIPMENT_LINES", SHIPMENT_ROWS)
        yield warehouse


CORE_NAMES = {"source_file": "_SOURCE_FILE", "file_sha256": "_FILE_SHA256", "position": "_POSITION"}


def _insert(wh: Warehouse, table: str, rows: list[dict[str, Any]]) -> None:
    """The rows into a CORE table (naive UTC timestamps, as the loads write them), with batch bookkeeping."""
    for row in rows:
        values = {k: (v.replace(tzinfo=None) if isinstance(v, datetime) else v) for k, v in row.items()}
        values = {k: v for k, v in values.items() if k != "parse_error"} | {"_batch_id": "b1", "_loaded_at": AS_OF}
        columns = ", ".join(CORE_NAMES.get(k, k.upper()) for k in values)
        marks = ", ".join(f"%({k})s" for k in values)
        wh.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # names from the test's rows


def test_orders_batch_and_warehouse_paths_agree_row_for_row(wh: Warehouse, tmp_path: Path) -> None:
    assert ORDERS_HISTORY.checks == ORDERS_CHECKS  # the orders flow's own declarations
    con = duckdb.connect()
    schema = load_batch(con, _parquet(ORDERS_ROWS, tmp_path / "orders.parquet"), ORDERS)
    routed = route(con, ORDERS, ORDERS_CHECKS, schema, {"window_end": AS_OF})
    batch = _batch_failures(con, "b.order_id")
    checked, warehouse = _warehouse_failures(wh, ORDERS_HISTORY)
    assert warehouse == batch
    assert batch == {
        "schema.status_allowed": ["2", "9"],
        "schema.currency_iso4217": ["3", "9"],
        "schema.amount_minor_non_negative": ["4", "9"],
        "schema.timestamps_sane": ["5", "6", "7"],
    }
    assert set(checked.values()) == {routed.rows_extracted} == {len(ORDERS_ROWS)}


def test_order_lines_batch_and_warehouse_paths_agree_row_for_row(wh: Warehouse, tmp_path: Path) -> None:
    con = duckdb.connect()
    ids = [r["order_id"] for r in ORDERS_ROWS]  # the orders CORE holds: the history's batch_orders
    con.execute("CREATE TABLE batch_orders AS SELECT unnest($ids) AS order_id", {"ids": ids})
    schema = load_batch(con, _parquet(LINES_ROWS, tmp_path / "lines.parquet"), ORDER_LINES)
    route(con, ORDER_LINES, ORDER_LINE_CHECKS, schema, {})
    batch = _batch_failures(con, "b.order_id::VARCHAR || '#' || b.line_no::VARCHAR")
    _, warehouse = _warehouse_failures(wh, ORDER_LINES_HISTORY)
    assert warehouse == batch
    assert batch == {
        "schema.sku_present": ["1#2", "405#2"],
        "schema.quantity_positive": ["2#1", "405#2"],
        "schema.unit_price_non_negative": ["3#1"],
        "referential.order_in_batch": ["404#1", "405#2"],
    }


def test_shipment_lines_batch_and_warehouse_paths_agree_row_for_row(wh: Warehouse, tmp_path: Path) -> None:
    con = duckdb.connect()
    published = pa.table({"shipment_id": pa.array([], pa.string()), "line_no": pa.array([], pa.int64()),
                          "source_file": pa.array([], pa.string())})  # fmt: skip
    route_lines(con, _parquet(SHIPMENT_ROWS, tmp_path / "lines.parquet"), published, AS_OF)
    batch = _batch_failures(con, "b.shipment_id || '#' || b.line_no::VARCHAR")
    _, warehouse = _warehouse_failures(wh, SHIPMENT_LINES_HISTORY)
    assert warehouse == batch
    assert batch == {
        "schema.warehouse_known": ["S1#2"],
        "schema.status_allowed": ["S2#1"],
        "schema.quantity_positive": ["S3#1"],
        "schema.keys_present": ["S4#0", "S5#1"],
        "schema.shipped_at_sane": ["S6#1"],
    }
    assert FULFILLMENT.dataset == SHIPMENT_LINES_HISTORY.dataset


def test_since_and_check_selection_narrow_the_history(wh: Warehouse) -> None:
    found = audit_dataset(wh, ORDERS_HISTORY, since=datetime(2026, 11, 20, 11), as_of=AS_OF.replace(tzinfo=None),
                          check_ids=["schema.timestamps_sane"], key_limit=1)  # fmt: skip
    assert [(h.result.check_id, h.result.rows_checked, h.result.rows_failed, h.failing_keys) for h in found] == [
        ("schema.timestamps_sane", 1, 1, ("7",))  # only order 7 was updated from 11:00
    ]


def test_rendered_sql_is_snowflake_with_bound_parameters() -> None:
    rendered = {c.check_id: check_sql(c, "orders", {"window_end": "TIMESTAMP_NTZ"}) for c in ORDERS_HISTORY.checks}
    assert "CAST(%(window_end)s AS TIMESTAMPNTZ)" in rendered["schema.timestamps_sane"]
    assert "NOT IN (%(values)s)" in rendered["schema.status_allowed"]  # sql/checks/snowflake/generic/, says why
    assert all("$" not in sql and '"' not in sql for sql in rendered.values())


def test_cli_audit_history_json_and_exit_code(wh: Warehouse) -> None:
    out = io.StringIO()
    code = main(["audit-history", "--source", "orders", "--checks", "schema.status_allowed", "--json"], out=out)
    report = json.loads(out.getvalue())
    assert code == 1  # an error-severity check fails over the history
    assert [(r["dataset"], r["check_id"], r["rows_failed"], r["failing_keys"]) for r in report["checks"]] == [
        ("orders", "schema.status_allowed", 2, ["2", "9"])
    ]


def test_cli_audit_history_refuses_unknown_checks_and_sources(
    wh: Warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit-history", "--source", "orders", "--checks", "schema.nope"], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "schema.nope" in err and "known checks" in err and "Traceback" not in err
    assert main(["audit-history", "--source", "payments"], out=io.StringIO()) == 2
    assert "no full-history path for 'payments'" in capsys.readouterr().err


TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date()
KNOWN_CONSISTENCY = (
    "referential.order_missing, referential.order_pending, reconciliation.order_amounts, "
    "reconciliation.payment_without_order, reconciliation.finance_report_readable, reconciliation.daily_revenue, "
    "duplicates.order_id_across_batches, duplicates.same_purchase, duplicates.payment_intent_two_orders, "
    "duplicates.daily_rate, status.shipped_never_paid, status.cancelled_but_shipped, status.refunded_still_completed, "
    "status.paid_not_shipped, status.dispute_lost_counted, fulfillment.over_shipped, fulfillment.under_shipped"
)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--source", "consistency", "--since", "2026-13-01"],
         "--since: '2026-13-01' is not a day; write it as YYYY-MM-DD, like 2026-11-20 (UTC)"),
        (["--source", "consistency", "--since", "yesterday"],
         "--since: 'yesterday' is not a day; write it as YYYY-MM-DD, like 2026-11-20 (UTC)"),
        (["--source", "orders", "--since", "2026-11-20T00:00:00+00:00"],
         "--since: '2026-11-20T00:00:00+00:00' is not a day; write it as YYYY-MM-DD, like 2026-11-20 (UTC)"),
        (["--source", "consistency", "--since", "20261120"],
         "--since: '20261120' is not a day; write it as YYYY-MM-DD, like 2026-11-20 (UTC)"),
        (["--source", "nope"],
         "--source: 'nope' is not a source; give one of orders, payments, fulfillment, consistency"),
        (["--source", "fulfillment", "--since", TOMORROW.isoformat()],
         f"--since: {TOMORROW} is after today ({TOMORROW - timedelta(days=1)}, UTC); give a day up to today"),
        (["--source", "consistency", "--checks", "status.nope"],
         f"--checks: status.nope not declared for consistency; known checks: {KNOWN_CONSISTENCY}"),
        (["--source", "orders", "--keys", "-1"], "--keys: give 0 or more failing keys to read per check"),
    ],
)  # fmt: skip
def test_cli_audit_history_bad_arguments_are_one_line_before_the_warehouse(
    argv: list[str], line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad argument is one line naming it and the form it takes, exit 2; no server answers at the warehouse
    address, so reaching the warehouse would be a different line and exit 1."""
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NORTHSTAR_WAREHOUSE_SERVER", "127.0.0.1:1")
    for name in ("SNOWFLAKE_ACCOUNT", "NORTHSTAR_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["audit-history", *argv], out=io.StringIO()) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err.splitlines()) == ("", [f"northstar: {line}"])
