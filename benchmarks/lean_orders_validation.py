"""The lean baseline for orders validation: one hand-written DuckDB query, to compare the project against.

It loads the landed Parquet into a table, then runs ONE statement computing every row check of
sql/checks/orders/ with the same semantics (6 schema checks, conflicting version, exact repeat, superseded
version), keeping each failing row with its reasons; then writes passed.parquet and quarantined.parquet in the
project's format and counts the failures per check. Only an order with more than one row in the batch can be a
duplicate of any kind, so the duplicate windows see those rows alone (one GROUP BY finds them). The order lines
get the same treatment: one statement for every check of sql/checks/order_lines/ against the passed orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from flows.engine import Validated
from validators.contracts import ORDERS
from validators.router import Routed

COLUMNS = "order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at"
SOURCE = f"""
CREATE TEMP TABLE src AS
SELECT file_row_number AS _row_id, {COLUMNS}
FROM read_parquet($path, file_row_number = true, hive_partitioning = false)
"""
FAILED = """
CREATE TEMP TABLE failed AS
WITH duplicates AS (
    SELECT _row_id,
        min(content) OVER version <> max(content) OVER version AS conflicting,
        row_number() OVER (
            PARTITION BY order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at
            ORDER BY _row_id
        ) > 1 AS repeated,
        updated_at < max(updated_at) OVER (PARTITION BY order_id) AS superseded
    FROM (
        SELECT *, hash(customer_id, status, currency, total_amount_minor, created_at) AS content
        FROM src
        WHERE order_id IN (
            SELECT order_id FROM src WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1
        )
    )
    WINDOW version AS (PARTITION BY order_id, updated_at)
),
flagged AS (
    SELECT
        _row_id,
        order_id IS NULL AS no_order_id,
        customer_id IS NULL AS no_customer,
        status IS NULL OR status NOT IN (SELECT unnest($allowed_statuses)) AS bad_status,
        currency IS NULL OR currency NOT IN (SELECT unnest($iso_currencies)) AS bad_currency,
        total_amount_minor IS NULL OR total_amount_minor < 0 AS bad_amount,
        created_at IS NULL OR updated_at IS NULL OR created_at < TIMESTAMPTZ '2000-01-01 00:00:00+00'
            OR created_at > updated_at OR updated_at >= $window_end AS bad_times,
        coalesce(d.conflicting, false) AS conflicting,
        coalesce(d.repeated, false) AS repeated,
        coalesce(d.superseded, false) AS superseded
    FROM src
    LEFT JOIN duplicates AS d USING (_row_id)
)
SELECT *,
    list_filter([
        CASE WHEN conflicting THEN 'duplicates.conflicting_version' END,
        CASE WHEN bad_amount THEN 'schema.amount_minor_non_negative' END,
        CASE WHEN bad_currency THEN 'schema.currency_iso4217' END,
        CASE WHEN no_customer THEN 'schema.customer_id_required' END,
        CASE WHEN no_order_id THEN 'schema.order_id_required' END,
        CASE WHEN bad_status THEN 'schema.status_allowed' END,
        CASE WHEN bad_times THEN 'schema.timestamps_sane' END
    ], lambda r: r IS NOT NULL) AS reasons
FROM flagged
WHERE no_order_id OR no_customer OR bad_status OR bad_currency OR bad_amount OR bad_times
   OR conflicting OR repeated OR superseded
"""
# exact_repeat (warn) and superseded_version (info) are counted but quarantine nothing: only error checks do.
PASSED = f"SELECT {COLUMNS} FROM src ANTI JOIN (SELECT _row_id FROM failed WHERE len(reasons) > 0) USING (_row_id)"
QUARANTINED = f"""
SELECT _row_id AS _source_row, to_json(reasons) AS reasons, to_json(struct_pack({COLUMNS})) AS raw_record
FROM src
JOIN failed USING (_row_id)
WHERE len(reasons) > 0
"""
LINE_COLUMNS = "order_id, line_no, sku, quantity, unit_price_minor, updated_at"
LINES_SOURCE = f"""
CREATE TEMP TABLE lsrc AS
SELECT file_row_number AS _row_id, {LINE_COLUMNS}
FROM read_parquet($path, file_row_number = true, hive_partitioning = false)
"""
LINES_FAILED = f"""
CREATE TEMP TABLE lfailed AS
WITH repeated AS (
    SELECT order_id, line_no FROM lsrc WHERE line_no IS NOT NULL GROUP BY ALL HAVING count(*) > 1
),
passed_orders AS (SELECT DISTINCT order_id FROM ({PASSED})),
flagged AS (
    SELECT l._row_id,
        l.line_no IS NULL OR r.order_id IS NOT NULL AS line_repeated,
        o.order_id IS NULL AS order_not_passed,
        l.quantity IS NULL OR l.quantity <= 0 AS bad_quantity,
        l.sku IS NULL OR trim(l.sku) = '' AS no_sku,
        l.unit_price_minor IS NULL OR l.unit_price_minor < 0 AS bad_price
    FROM lsrc AS l
    LEFT JOIN repeated AS r ON r.order_id = l.order_id AND r.line_no = l.line_no
    LEFT JOIN passed_orders AS o ON o.order_id = l.order_id
)
SELECT *,
    list_filter([
        CASE WHEN line_repeated THEN 'duplicates.line_unique' END,
        CASE WHEN order_not_passed THEN 'referential.order_in_batch' END,
        CASE WHEN bad_quantity THEN 'schema.quantity_positive' END,
        CASE WHEN no_sku THEN 'schema.sku_present' END,
        CASE WHEN bad_price THEN 'schema.unit_price_non_negative' END
    ], lambda r: r IS NOT NULL) AS reasons
FROM flagged
WHERE line_repeated OR order_not_passed OR bad_quantity OR no_sku OR bad_price
"""
LINES_PASSED = f"SELECT {LINE_COLUMNS} FROM lsrc ANTI JOIN lfailed USING (_row_id)"
LINES_QUARANTINED = f"""
SELECT _row_id AS _source_row, to_json(reasons) AS reasons, to_json(struct_pack({LINE_COLUMNS})) AS raw_record
FROM lsrc
JOIN lfailed USING (_row_id)
"""
LINE_FLAGS = {  # check id -> column of `lfailed`
    "duplicates.line_unique": "line_repeated",
    "referential.order_in_batch": "order_not_passed",
    "schema.quantity_positive": "bad_quantity",
    "schema.sku_present": "no_sku",
    "schema.unit_price_non_negative": "bad_price",
}
LINE_COUNTS = "SELECT " + ", ".join(f"count_if({flag})" for flag in LINE_FLAGS.values()) + " FROM lfailed"
FLAGS = {  # check id -> column of `failed`
    "schema.order_id_required": "no_order_id",
    "schema.customer_id_required": "no_customer",
    "schema.status_allowed": "bad_status",
    "schema.currency_iso4217": "bad_currency",
    "schema.amount_minor_non_negative": "bad_amount",
    "schema.timestamps_sane": "bad_times",
    "duplicates.conflicting_version": "conflicting",
    "duplicates.exact_repeat": "repeated",
    "duplicates.superseded_version": "superseded",
}
COUNTS = (
    "SELECT (SELECT count(*) FROM src) - count_if(len(reasons) > 0), count_if(len(reasons) > 0), "
    + ", ".join(f"count_if({flag})" for flag in FLAGS.values())
    + " FROM failed"
)
DIFFERING_ROWS = """
SELECT count(*) FROM (
    (SELECT * FROM read_parquet($a) EXCEPT ALL SELECT * FROM read_parquet($b))
    UNION ALL
    (SELECT * FROM read_parquet($b) EXCEPT ALL SELECT * FROM read_parquet($a))
)
"""


@dataclass(frozen=True)
class Verdict:
    """What one validation decided: the split and the failing rows per check."""

    passed: int
    quarantined: int
    failed_by_check: dict[str, int]


def lean_validate(parquet: Path, lines: Path, folder: Path, window_end: datetime) -> Verdict:
    """Validate the landed orders and lines with the lean queries; write the four files the project writes."""
    folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")  # as validate_orders sets it
        con.execute(SOURCE, {"path": str(parquet)})
        con.execute(FAILED, {"window_end": window_end} | ORDERS.params)
        con.sql(PASSED).write_parquet(str(folder / "passed.parquet"))
        con.sql(QUARANTINED).write_parquet(str(folder / "quarantined.parquet"))
        row = con.execute(COUNTS).fetchone()
        con.execute(LINES_SOURCE, {"path": str(lines)})
        con.execute(LINES_FAILED)
        con.sql(LINES_PASSED).write_parquet(str(folder / "lines_passed.parquet"))
        con.sql(LINES_QUARANTINED).write_parquet(str(folder / "lines_quarantined.parquet"))
        line_row = con.execute(LINE_COUNTS).fetchone()
    assert row is not None and line_row is not None
    counts = [int(n) for n in row]
    failed = dict(zip(FLAGS, counts[2:], strict=True)) | dict(zip(LINE_FLAGS, map(int, line_row), strict=True))
    return Verdict(counts[0], counts[1], failed)


def project_verdict(routed: Routed | Validated) -> Verdict:
    """The project's split and per-check failures, from the router's results."""
    failed = {r.check_id: r.rows_failed for r in routed.results if r.check_id in FLAGS | LINE_FLAGS}
    return Verdict(routed.rows_passed, routed.rows_quarantined, failed)


def differing_rows(a: Path, b: Path) -> int:
    """Rows in one Parquet file and not in the other, compared as multisets of whole rows."""
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(DIFFERING_ROWS, {"a": str(a), "b": str(b)}).fetchone()
    return int(row[0]) if row else -1


def assert_same_outputs(project: Path, lean: Path) -> None:
    """The project's passed.parquet and quarantined.parquet hold exactly the lean query's rows."""
    for name in ("passed.parquet", "quarantined.parquet", "lines_passed.parquet", "lines_quarantined.parquet"):
        differing = differing_rows(project / name, lean / name)
        assert differing == 0, f"{name}: {differing:,} rows differ between {project} and {lean}"
