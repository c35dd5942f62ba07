"""Each check catches what it should and nothing else; the router's split adds up; drift holds the batch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.orders_microbatch import ORDERS_CHECKS
from lineage.events import DatasetRef, new_run_id, run_event
from northstar.sources.wms.landing import LandedFile
from northstar.sqlfiles import read_sql
from tests import helpers
from tests import wms_samples as w
from validators.contracts import INTEGER, ORDERS, TEXT, Contract
from validators.fulfillment import FULFILLMENT, SHIPMENT_LINE_CHECKS, file_results, judge_files
from validators.order_lines import ORDER_LINE_CHECKS, ORDER_LINES
from validators.result import Outcome, Severity
from validators.router import Routed, load_batch, route
from validators.rules import RowCheck, accepted_values, in_range, matches, not_blank, not_null, unique
from validators.stripe import STRIPE_CHECKS, STRIPE_EVENTS

T = helpers.T0
WINDOW_END = T + timedelta(minutes=15)
SCHEMA = pa.schema(
    [
        ("order_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("status", pa.string()),
        ("currency", pa.string()),
        ("total_amount_minor", pa.int64()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


def order(order_id: int | None = 1, **overrides: Any) -> dict[str, Any]:
    return helpers.order(order_id, 1, **overrides)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection


def run(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, rows: list[dict[str, Any]], schema: pa.Schema = SCHEMA
) -> Routed:
    path = tmp_path / "batch.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    schema_results = load_batch(con, path, ORDERS)
    return route(con, ORDERS, ORDERS_CHECKS, schema_results, {"window_end": WINDOW_END})


def failures(routed: Routed) -> dict[str, int]:
    return {r.check_id: r.rows_failed for r in routed.results if r.rows_failed}


def quarantined(con: duckdb.DuckDBPyConnection) -> dict[int, list[str]]:
    rows = con.execute("SELECT _row_id, reasons FROM quarantined ORDER BY _row_id").fetchall()
    return {int(row_id): list(reasons) for row_id, reasons in rows}


def test_clean_batch_passes_every_check(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    routed = run(con, tmp_path, [order(1), order(2), order(3)])
    assert failures(routed) == {}
    assert all(r.outcome is Outcome.PASSED for r in routed.results)
    assert (routed.rows_extracted, routed.rows_passed, routed.rows_quarantined) == (3, 3, 0)


@pytest.mark.parametrize(
    ("bad", "check_id"),
    [
        (order(None), "schema.order_id_required"),
        (order(2, customer_id=None), "schema.customer_id_required"),
        (order(2, status="PAYED"), "schema.status_allowed"),
        (order(2, status=None), "schema.status_allowed"),
        (order(2, currency="usd"), "schema.currency_iso4217"),
        (order(2, currency="XXY"), "schema.currency_iso4217"),
        (order(2, total_amount_minor=-1), "schema.amount_minor_non_negative"),
        (order(2, total_amount_minor=None), "schema.amount_minor_non_negative"),
        (order(2, created_at=T + timedelta(minutes=5)), "schema.timestamps_sane"),
        (order(2, updated_at=WINDOW_END), "schema.timestamps_sane"),
        (order(2, created_at=datetime(1999, 12, 31, tzinfo=UTC)), "schema.timestamps_sane"),
        (order(2, updated_at=None), "schema.timestamps_sane"),
    ],
)
def test_each_row_check_catches_its_fault_and_nothing_else(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, bad: dict[str, Any], check_id: str
) -> None:
    routed = run(con, tmp_path, [order(1), bad, order(3)])
    assert failures(routed) == {check_id: 1}
    assert quarantined(con) == {1: [check_id]}
    assert (routed.rows_passed, routed.rows_quarantined) == (2, 1)


def test_a_row_failing_several_checks_carries_every_reason(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    run(con, tmp_path, [order(1, customer_id=None, currency="EURO", total_amount_minor=-5)])
    assert quarantined(con) == {
        0: ["schema.amount_minor_non_negative", "schema.currency_iso4217", "schema.customer_id_required"]
    }


def test_zero_amount_and_minor_unit_currencies_are_valid(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    routed = run(con, tmp_path, [order(1, total_amount_minor=0), order(2, currency="JPY", total_amount_minor=500)])
    assert failures(routed) == {}


def test_duplicates_conflicting_versions_are_quarantined(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [order(1), order(1, status="cancelled"), order(2)]
    routed = run(con, tmp_path, rows)
    assert failures(routed) == {"duplicates.conflicting_version": 2}
    assert quarantined(con) == {0: ["duplicates.conflicting_version"], 1: ["duplicates.conflicting_version"]}


def test_exact_repeats_are_counted_not_quarantined(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    routed = run(con, tmp_path, [order(1), order(1), order(1), order(2)])
    assert failures(routed) == {"duplicates.exact_repeat": 2}
    repeat = next(r for r in routed.results if r.check_id == "duplicates.exact_repeat")
    assert repeat.severity is Severity.WARN and repeat.outcome is Outcome.WARN and repeat.success
    assert (routed.rows_passed, routed.rows_quarantined) == (4, 0)


def test_older_versions_are_superseded_not_quarantined(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [order(1, status="pending"), order(1, status="paid", updated_at=T + timedelta(minutes=9)), order(2)]
    routed = run(con, tmp_path, rows)
    assert failures(routed) == {"duplicates.superseded_version": 1}
    assert routed.rows_quarantined == 0


def test_passed_plus_quarantined_equals_extracted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    rows = [order(i, total_amount_minor=-i if i % 3 == 0 else i, currency="GBP" if i % 4 else "gbp") for i in range(40)]
    routed = run(con, tmp_path, rows)
    assert routed.rows_passed + routed.rows_quarantined == routed.rows_extracted == 40
    passed_ids = {r[0] for r in con.execute("SELECT order_id FROM passed").fetchall()}
    quarantined_ids = {int(r[0]) for r in con.execute("SELECT _row_id FROM quarantined").fetchall()}
    assert passed_ids.isdisjoint(quarantined_ids)
    assert passed_ids | quarantined_ids == set(range(40))


def test_raw_record_is_kept_exactly_in_quarantine(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    run(con, tmp_path, [order(5, currency="EURO")])
    (raw,) = con.execute("SELECT raw_record FROM quarantined").fetchone() or ("",)
    assert '"currency":"EURO"' in raw and '"order_id":5' in raw and "_row_id" not in raw


@pytest.mark.parametrize(
    ("schema", "check_id"),
    [
        (pa.schema([f for f in SCHEMA if f.name != "currency"]), "schema.columns_present"),
        (
            pa.schema([pa.field("currency_code", pa.string()) if f.name == "currency" else f for f in SCHEMA]),
            "schema.columns_present",
        ),
        (
            pa.schema([pa.field(f.name, pa.float64()) if f.name == "total_amount_minor" else f for f in SCHEMA]),
            "schema.column_types",
        ),
    ],
    ids=["dropped", "renamed", "retyped"],
)
def test_source_schema_change_holds_the_whole_batch(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, schema: pa.Schema, check_id: str
) -> None:
    rows = [{k: v for k, v in order(1).items() if k in schema.names} | {"currency_code": "USD"}]
    rows = [{k: v for k, v in r.items() if k in schema.names} for r in rows]
    routed = run(con, tmp_path, rows, schema)
    assert routed.held and check_id in (routed.held_reason or "")
    assert (routed.rows_passed, routed.rows_quarantined) == (0, 0)
    skipped = [r for r in routed.results if r.outcome is Outcome.NOT_EVALUATED]
    assert {r.check_id for r in skipped} == {c.check_id for c in ORDERS_CHECKS}


def test_a_new_column_only_warns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    schema = SCHEMA.append(pa.field("channel", pa.string()))
    routed = run(con, tmp_path, [order(1) | {"channel": "web"}], schema)
    assert not routed.held
    new_columns = next(r for r in routed.results if r.check_id == "schema.no_new_columns")
    assert new_columns.outcome is Outcome.WARN and "channel" in new_columns.actual
    assert routed.rows_passed == 1


def test_empty_batch_routes_to_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    routed = run(con, tmp_path, [])
    assert (routed.rows_extracted, routed.rows_passed, routed.rows_quarantined, routed.held) == (0, 0, 0, False)


# Generic row checks: each kind, alone on a small contract, catches exactly the rows with its fault.
GENERIC = Contract(
    dataset="generic",
    key="id",
    columns={"id": INTEGER, "code": TEXT, "qty": INTEGER, "ref": TEXT, "ok": frozenset({"BOOLEAN"})},
)
GENERIC_SCHEMA = pa.schema(
    [("id", pa.int64()), ("code", pa.string()), ("qty", pa.int64()), ("ref", pa.string()), ("ok", pa.bool_())]
)


def generic_row(id: int | None = 1, code: str | None = "a", qty: int | None = 5, ref: str | None = "7",
                ok: bool = True) -> dict[str, Any]:  # fmt: skip
    return {"id": id, "code": code, "qty": qty, "ref": ref, "ok": ok}


def run_one(con: duckdb.DuckDBPyConnection, tmp_path: Path, check: RowCheck, rows: list[dict[str, Any]]) -> set[int]:
    """The _row_ids the one check fails (each also quarantined with that one reason when it is an error)."""
    path = tmp_path / "generic.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=GENERIC_SCHEMA), path)
    routed = route(con, GENERIC, (check,), load_batch(con, path, GENERIC), {})
    failed = {int(r[0]) for r in con.execute("SELECT _row_id FROM failures").fetchall()}
    (result,) = [r for r in routed.results if r.check_id == check.check_id]
    assert result.rows_failed == len(failed) and result.rows_checked == len(rows)
    assert quarantined(con) == {row_id: [check.check_id] for row_id in sorted(failed)}
    return failed


@pytest.mark.parametrize(
    ("check", "rows", "failing"),
    [
        (not_null("t.code", "code"), [generic_row(), generic_row(code=None), generic_row(code=" ")], {1}),
        (
            not_blank("t.code", "code"),
            [generic_row(), generic_row(code=None), generic_row(code=""), generic_row(code=" "), generic_row(code="x")],
            {1, 2, 3},
        ),
        (
            accepted_values("t.code", "code", ("a", "O'Brien")),  # a quote in a value: bound, never formatted
            [generic_row(), generic_row(code="O'Brien"), generic_row(code="A"), generic_row(code=None)],
            {2, 3},
        ),
        (
            in_range("t.qty", "qty", min=1, max=10),
            [generic_row(qty=0), generic_row(qty=1), generic_row(qty=10), generic_row(qty=11), generic_row(qty=None)],
            {0, 3, 4},
        ),
        (in_range("t.qty", "qty", min=0), [generic_row(qty=-1), generic_row(qty=0), generic_row(qty=10**15)], {0}),
        (in_range("t.qty", "qty", max=0), [generic_row(qty=-(10**15)), generic_row(qty=0), generic_row(qty=1)], {2}),
        (
            matches("t.ref", "ref", "[1-9][0-9]*"),
            [generic_row(ref="12"), generic_row(ref="012"), generic_row(ref="1a"), generic_row(ref=None)],
            {1, 2, 3},
        ),
        (
            unique("t.key", ("id", "code")),
            [generic_row(1, "a"), generic_row(1, "a"), generic_row(1, "b"), generic_row(2, "a"), generic_row(3, None)],
            {0, 1, 4},
        ),
        (
            unique("t.key", ("id", "code"), required=("code",)),  # a null id is another check's to require
            [generic_row(None, "a"), generic_row(None, "a"), generic_row(4, None), generic_row(5, "a")],
            {2},
        ),
        (
            not_null("t.code", "code", when="ok"),
            [generic_row(code=None, ok=False), generic_row(code=None), generic_row(code="b", ok=False)],
            {1},
        ),
    ],
    ids=[
        "not_null",
        "not_blank",
        "accepted_values",
        "in_range",
        "in_range_min",
        "in_range_max",
        "matches",
        "unique",
        "unique_required",
        "when",
    ],
)
def test_each_generic_kind_catches_its_fault_and_nothing_else(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, check: RowCheck, rows: list[dict[str, Any]], failing: set[int]
) -> None:
    assert run_one(con, tmp_path, check, rows) == failing


def test_a_warning_generic_check_counts_without_quarantining(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    check = not_null("t.code", "code", severity=Severity.WARN)
    path = tmp_path / "generic.parquet"
    pq.write_table(pa.Table.from_pylist([generic_row(code=None), generic_row()], schema=GENERIC_SCHEMA), path)
    routed = route(con, GENERIC, (check,), load_batch(con, path, GENERIC), {})
    (result,) = [r for r in routed.results if r.check_id == "t.code"]
    assert (result.rows_failed, result.outcome, routed.rows_passed, routed.rows_quarantined) == (1, Outcome.WARN, 2, 0)


@pytest.mark.parametrize("column", ['code" OR true --', "Code", "code;", "", "1code"])
def test_a_generic_check_refuses_anything_but_a_column_name(column: str) -> None:
    with pytest.raises(ValueError, match="not a column name"):
        not_null("t.code", column)


def test_the_router_refuses_a_check_on_a_column_the_contract_lacks(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"t.price names \['price'\], not in the generic contract"):
        run_one(con, tmp_path, in_range("t.price", "price", min=0), [generic_row()])


@pytest.mark.parametrize(
    ("checks", "contract"),
    [
        (ORDERS_CHECKS, ORDERS),
        (ORDER_LINE_CHECKS, ORDER_LINES),
        (SHIPMENT_LINE_CHECKS, FULFILLMENT),
        (STRIPE_CHECKS, STRIPE_EVENTS),
    ],
    ids=["orders", "order_lines", "shipment_lines", "stripe_events"],
)
def test_every_declared_check_has_a_query_on_its_contract(checks: tuple[RowCheck, ...], contract: Contract) -> None:
    assert len({c.check_id for c in checks}) == len(checks)
    for check in checks:
        assert set(check.columns) <= set(contract.columns), check.check_id
        assert check.sql(contract.dataset).strip(), check.check_id


def landed_file(name: str, data: bytes) -> LandedFile:
    sha = hashlib.sha256(data).hexdigest()
    return LandedFile(f"/outbound/{name}", name, len(data), T, sha, f"raw/wms/dt=2026-11-20/{sha}/{name}")


def test_a_wms_file_rejected_whole_is_a_failed_check_on_its_own_dataset() -> None:
    good, bad = w.csv_file(w.shipments(2)), w.x12_945(w.shipments(2), total_delta=1)
    files = (landed_file("a.csv", good), landed_file("b.x12", bad), landed_file("c.csv", b""),
             landed_file("a-again.csv", good))  # fmt: skip
    content = {f.key: data for f, data in zip(files, (good, bad, b"", good), strict=True)}
    verdicts, _ = judge_files(files, lambda f: content[f.key], lambda k: f"file:///{k}", {}, {})
    results = file_results(verdicts)  # the duplicate a-again.csv is not parsed again: no result
    assert [(r.check_id, r.dataset, r.rows_checked, r.rows_failed, r.outcome) for r in results] == [
        ("file.parseable", "/outbound/a.csv", 1, 0, Outcome.PASSED),
        ("file.parseable", "/outbound/b.x12", 1, 1, Outcome.FAILED),
        ("file.parseable", "/outbound/c.csv", 1, 1, Outcome.FAILED),
    ]
    assert results[0].actual == "parsed as csv, 4 lines"
    assert results[1].actual.startswith("x12.control_total: ") and results[2].actual.startswith("file.empty: ")
    # each result becomes an assertion on the file's lineage input (the flow names each file by its remote path)
    inputs = [DatasetRef("sftp://wms", f.remote_path) for f in files] + [DatasetRef("sftp://wms", "wms.shipment_lines")]
    event = run_event("COMPLETE", job_name="fulfillment-hourly", run_id=new_run_id(), parent_run_id=None,
                      parent_job_name=None, inputs=inputs, outputs=[], checks=results)  # fmt: skip
    facets = {i.name: i.inputFacets.get("dataQualityAssertions") for i in event.inputs or []}
    assertions = {name: [(a.assertion, a.success) for a in f.assertions] if f else [] for name, f in facets.items()}
    assert assertions == {
        "/outbound/a.csv": [("file.parseable", True)],
        "/outbound/b.x12": [("file.parseable", False)],
        "/outbound/c.csv": [("file.parseable", False)],
        "/outbound/a-again.csv": [],
        "wms.shipment_lines": [],
    }


def quarantine_keys(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[int, str]:
    """The identity sql/checks/copy_quarantined.sql gives each quarantined row, by its position in the batch."""
    folder.mkdir(exist_ok=True)
    con.execute(read_sql("checks/copy_quarantined.sql").replace("$folder", str(folder)))
    return {
        int(r["_source_row"]): str(r["_row_key"]) for r in pq.read_table(folder / "quarantined.parquet").to_pylist()
    }


def test_a_quarantined_row_is_named_by_its_content_not_by_its_batch(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    bad = order(7, currency="usd")
    run(con, tmp_path, [bad, order(1)])
    (key,) = quarantine_keys(con, tmp_path / "first").values()
    row = con.execute("SELECT raw_record::VARCHAR FROM quarantined").fetchone()
    assert row is not None and key == hashlib.sha256(row[0].encode()).hexdigest() + "#1"
    run(con, tmp_path, [order(2), order(1), bad, bad])  # another batch reads it elsewhere, and twice
    assert quarantine_keys(con, tmp_path / "second") == {2: key, 3: key.removesuffix("#1") + "#2"}
