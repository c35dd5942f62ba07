"""The slice of the warehouse one consistency run needs, fetched into DuckDB: never whole tables.

Three kinds of slice, each bounded by the batch or by the reconciled days, not by the history:
- by batch id: the rows the not-yet-checked source batches published (`_LOADED_AT` lets Snowflake prune);
- by key: the orders those rows reference (and the waiting references' orders), with every payment, refund,
  dispute, shipment line and ordered line of those orders, joined in the warehouse against keys staged as Parquet;
- by time: the reconciled business days' payments, refunds and orders, and the orders turning N days old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from northstar.batches import Window
from northstar.settings import ConsistencySettings
from northstar.sqlfiles import read_sql, statements
from northstar.warehouse import Warehouse

if TYPE_CHECKING:  # only in annotations: `northstar checks` reads day_bounds without paying for DuckDB and Arrow
    import duckdb
    import pyarrow as pa

SOURCE = "consistency"
CHUNK = 1000  # batch ids bound into one IN (...) list


@dataclass(frozen=True)
class Slice:
    """What a run fetched: the source batches it checks, its reconciled days and their UTC bounds."""

    source_batches: dict[str, list[str]]  # source -> batch ids
    days: list[date]
    day_bounds: tuple[datetime, datetime]  # naive UTC [low, high) covering the days
    as_of: datetime  # naive UTC: the window's end, the run's "now"


def business_days(window: Window, cfg: ConsistencySettings) -> list[date]:
    """The reconcile_days business days ending with the one the window ends in."""
    last = (window.end - timedelta(microseconds=1)).astimezone(ZoneInfo(cfg.business_tz)).date()
    return [last - timedelta(days=n) for n in range(cfg.reconcile_days - 1, -1, -1)]


def day_bounds(days: list[date], tz: str) -> tuple[datetime, datetime]:
    """Naive UTC [start of the first day, start of the day after the last) in the business timezone."""
    zone, utc = ZoneInfo(tz), ZoneInfo("UTC")
    low = datetime.combine(days[0], time(), zone).astimezone(utc).replace(tzinfo=None)
    high = datetime.combine(days[-1] + timedelta(days=1), time(), zone).astimezone(utc).replace(tzinfo=None)
    return low, high


def fetch_slice(
    wh: Warehouse, con: duckdb.DuckDBPyConnection, window: Window, cfg: ConsistencySettings, folder: Path, batch: str
) -> Slice:
    """Create the slice tables (sql/consistency/create_slice_tables.sql) and fill them from the warehouse."""
    for sql in statements("consistency/create_slice_tables.sql"):
        con.execute(sql)
    _insert(con, "inputs", wh.query_arrow(read_sql("snowflake/select_consistency_inputs.sql")))
    _insert(con, "latest_batches", wh.query_arrow(read_sql("snowflake/select_latest_batches.sql")))
    _insert(con, "pending", wh.query_arrow(read_sql("snowflake/select_ops_pending_references.sql")))
    by_source: dict[str, list[str]] = {}
    for source, batch_id in con.execute("SELECT source, batch_id FROM inputs ORDER BY batch_id").fetchall():
        by_source.setdefault(source, []).append(batch_id)
    (since,) = con.execute("SELECT min(started_at) FROM inputs").fetchall()  # fetchall: DuckDB 2 wants results done
    for table, relative, source in (
        ("new_orders", "select_consistency_new_orders.sql", "orders"),
        ("new_payments", "select_consistency_new_payments.sql", "payments"),
        ("changed_intents", "select_consistency_changed_intents.sql", "payments"),
        ("new_links", "select_consistency_new_links.sql", "payments"),
        ("new_shipment_lines", "select_consistency_new_shipment_lines.sql", "fulfillment"),
    ):
        ids = by_source.get(source, [])
        for i in range(0, len(ids), CHUNK):
            params = {"since": since[0], "batch_ids": tuple(ids[i : i + CHUNK])}
            _insert(con, table, wh.query_arrow(read_sql(f"snowflake/{relative}"), params))
    _fetch_by_keys(wh, con, window, cfg, folder, batch)
    days = business_days(window, cfg)
    low, high = day_bounds(days, cfg.business_tz)
    _fetch_by_time(wh, con, window, cfg, days, (low, high))
    as_of = window.end.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    return Slice(by_source, days, (low, high), as_of)


def _fetch_by_keys(
    wh: Warehouse, con: duckdb.DuckDBPyConnection, window: Window, cfg: ConsistencySettings, folder: Path, batch: str
) -> None:
    """Stage the referenced keys once, then fetch their orders, payments, refunds, disputes and lines by join."""
    keys = folder / "keys.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(read_sql("consistency/copy_keys.sql").replace("$path", str(keys)))  # COPY TO takes no bound path
    if con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(keys)}).fetchall() == [(0,)]:
        return
    wh.run_file("snowflake/create_stage_consistency_keys.sql")
    wh.copy_parquet(keys, f"{SOURCE}/{batch}/keys", "OPS.STAGE_CONSISTENCY_KEYS")  # a path from code and batch id
    wh.run_file("snowflake/create_stage_consistency_orders.sql")
    for table in ("orders", "payments", "refunds", "disputes", "shipment_lines", "order_lines", "known_links"):
        _insert(con, table, wh.query_arrow(read_sql(f"snowflake/select_consistency_{table}.sql")))
    seconds = {"seconds": int(cfg.duplicate_window.total_seconds())}
    nearby = wh.query_arrow(read_sql("snowflake/select_consistency_customer_orders.sql"), seconds)
    _insert(con, "customer_orders", nearby)
    nearby_lines = wh.query_arrow(read_sql("snowflake/select_consistency_customer_order_lines.sql"), seconds)
    _insert(con, "order_lines", nearby_lines)


def _fetch_by_time(
    wh: Warehouse,
    con: duckdb.DuckDBPyConnection,
    window: Window,
    cfg: ConsistencySettings,
    days: list[date],
    bounds: tuple[datetime, datetime],
) -> None:
    """The reconciled days' payments, refunds, orders, known duplicates and revenue adjustments; the orders turning
    N days old (paid ones with their shipment line count, and the SKUs shipped short)."""
    span = {"low": bounds[0], "high": bounds[1]}
    for table in ("day_payments", "day_refunds", "day_orders"):
        _insert(con, table, wh.query_arrow(read_sql(f"snowflake/select_consistency_{table}.sql"), span))
    dup_days = {"first_day": days[0], "last_day": days[-1]}
    _insert(
        con, "day_duplicates", wh.query_arrow(read_sql("snowflake/select_consistency_day_duplicates.sql"), dup_days)
    )
    adjustments = wh.query_arrow(read_sql("snowflake/select_consistency_day_adjustments.sql"), dup_days)
    _insert(con, "day_adjustments", adjustments)
    age = timedelta(days=cfg.unshipped_days)
    aging = {"low": _naive_utc(window.start) - age, "high": _naive_utc(window.end) - age}
    _insert(con, "aging_orders", wh.query_arrow(read_sql("snowflake/select_consistency_aging_orders.sql"), aging))
    short = wh.query_arrow(read_sql("snowflake/select_consistency_aging_short_lines.sql"), aging)
    _insert(con, "aging_short_lines", short)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table | None) -> None:
    """Append fetched rows to a slice table by column name (Snowflake's upper-case names match)."""
    if rows is None or rows.num_rows == 0:
        return
    con.register("fetched", rows)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM fetched")  # table names come from this module
    finally:
        con.unregister("fetched")


def params_for(slice_: Slice, cfg: ConsistencySettings) -> dict[str, Any]:
    """The named DuckDB parameters the consistency checks may use."""
    return {
        "as_of": slice_.as_of,
        "tz": cfg.business_tz,
        "grace_seconds": cfg.reference_grace.total_seconds(),
        "duplicate_window_seconds": cfg.duplicate_window.total_seconds(),
        "unshipped_seconds": timedelta(days=cfg.unshipped_days).total_seconds(),
        "days": slice_.days,
    }
