"""The orders source: PostgreSQL, read in bulk into Arrow through ADBC (COPY under the hood)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import adbc_driver_postgresql.dbapi as pg_dbapi
import pyarrow as pa

from northstar.sqlfiles import read_sql


class SourceUnavailableError(RuntimeError):
    """The source database could not be reached or queried."""


@dataclass(frozen=True)
class SafePoint:
    """How far an extract could safely read: no transaction still open when it was measured can commit a row
    stamped before safe_until (UTC, the database's clock). snapshot_xmin: the oldest transaction id still running
    then (pg_current_snapshot), for the ledger's evidence."""

    safe_until: datetime
    snapshot_xmin: str


def extract_orders_changed(dsn: str, low: datetime, high: datetime) -> tuple[pa.Table, pa.Table]:
    """Every orders row with updated_at in [low, high), and every line of those orders, as two Arrow tables.

    Both are read in bulk (COPY) in one REPEATABLE READ transaction: one snapshot, so the lines are the ones
    the extracted orders had, even while the application writes.
    """
    orders, lines, _ = extract_orders_safely(dsn, low, high)
    return orders, lines


def extract_orders_safely(dsn: str, low: datetime, high: datetime) -> tuple[pa.Table, pa.Table, SafePoint]:
    """extract_orders_changed, and the safe point measured just before its snapshot was taken.

    A transaction that is open while a batch reads can still commit rows stamped (by now(), its start) inside
    the window already read: the caller must not move its watermark past safe_until. The safe point is read in
    its own transaction BEFORE the extract's snapshot: any transaction open then stamps at or after its start,
    any that commits before the snapshot is in it. Raises SourceUnavailableError when the source cannot be read,
    or when some sessions on the database are hidden from this role (it needs pg_read_all_stats).
    """
    try:
        with pg_dbapi.connect(dsn) as conn, conn.cursor() as cur:
            safe = _safe_point(cur)
            conn.commit()  # the extract's snapshot is taken after the safe point, in a new transaction
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(read_sql("postgres/select_orders_changed.sql"), (low, high))
            orders = cur.fetch_arrow_table()
            cur.execute(read_sql("postgres/select_order_lines_changed.sql"), (low, high))
            return orders, cur.fetch_arrow_table(), safe
    except pg_dbapi.Error as exc:
        raise SourceUnavailableError(f"orders source query failed ({_redact(dsn)}): {exc}") from exc


def extract_orders_by_keys(dsn: str, order_ids: list[int]) -> tuple[pa.Table, pa.Table]:
    """Every source row of the given orders and every line of them (a repair batch), in one REPEATABLE READ
    snapshot and in bulk, with the same columns as extract_orders_changed. Raises SourceUnavailableError."""
    keys = ",".join(str(int(k)) for k in order_ids)
    try:
        with pg_dbapi.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(read_sql("postgres/select_orders_by_keys.sql"), (keys,))
            orders = cur.fetch_arrow_table()
            cur.execute(read_sql("postgres/select_order_lines_by_keys.sql"), (keys,))
            return orders, cur.fetch_arrow_table()
    except pg_dbapi.Error as exc:
        raise SourceUnavailableError(f"orders source query failed ({_redact(dsn)}): {exc}") from exc


def _safe_point(cur: Any) -> SafePoint:
    cur.execute(read_sql("postgres/select_safe_point.sql"))
    safe_until, xmin, hidden = cur.fetchone()
    if int(hidden):
        raise SourceUnavailableError(
            f"{hidden} session(s) on the orders database are hidden from the extract's role: it cannot tell when "
            "their transactions started, so it cannot bound its watermark. GRANT pg_read_all_stats TO that role."
        )
    return SafePoint(safe_until.astimezone(UTC), str(xmin))


def source_namespace(dsn: str) -> str:
    """The OpenLineage namespace of a PostgreSQL source: postgres://host:port."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(dsn)
    return f"postgres://{info.get('host', 'localhost')}:{info.get('port', 5432)}"


def source_database(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(dsn).get("dbname", "postgres"))


def _redact(dsn: str) -> str:
    """The DSN without its password, for error messages and logs."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(dsn)
    if "password" in info:
        info["password"] = "***"
    return make_conninfo("", **info)
