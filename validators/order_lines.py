"""The order lines contract: the lines of a batch's orders, checked in DuckDB after the orders themselves.

A line is published only with its order: one whose order did not pass the orders checks of the same batch is
quarantined (`referential.order_in_batch`) with every other reason it fails.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from northstar.sqlfiles import read_sql
from validators.contracts import INTEGER, TEXT, TIMESTAMP_UTC, Contract
from validators.result import Severity
from validators.router import Routed, check_raw_batch, load_batch, route
from validators.rules import RowCheck, in_range, not_blank, unique

ORDER_LINES = Contract(
    dataset="order_lines",
    key="order_id",
    columns={
        "order_id": INTEGER,
        "line_no": INTEGER,
        "sku": TEXT,
        "quantity": INTEGER,
        "unit_price_minor": INTEGER,
        "updated_at": TIMESTAMP_UTC,
    },
)

ORDER_LINE_CHECKS = (
    not_blank("schema.sku_present", "sku"),
    in_range("schema.quantity_positive", "quantity", min=1, expected="quantity ordered > 0"),
    in_range("schema.unit_price_non_negative", "unit_price_minor", min=0),
    # a line without an order_id is referential.order_in_batch's to quarantine, not this check's
    unique("duplicates.line_unique", ("order_id", "line_no"), required=("line_no",)),
    RowCheck("referential.order_in_batch", Severity.ERROR, "order_id", "the line's order passed in the same batch"),
)


def route_order_lines(con: duckdb.DuckDBPyConnection, lines: Path | None) -> Routed:
    """Check the batch's lines against the orders that passed (the router's `passed`) and split them.

    Replaces the router's tables, so the orders' passed and quarantined rows must be written out first.
    """
    con.execute(read_sql("checks/order_lines/create_batch_orders.sql"))
    if lines is None:
        con.execute(read_sql("checks/order_lines/create_empty_batch.sql"))
        schema_results = check_raw_batch(con, ORDER_LINES)
    else:
        schema_results = load_batch(con, lines, ORDER_LINES)
    return route(con, ORDER_LINES, ORDER_LINE_CHECKS, schema_results, {})
