"""The orders source: PostgreSQL, read in bulk into Arrow through ADBC (COPY under the hood)."""

from __future__ import annotations

from datetime import datetime

import adbc_driver_postgresql.dbapi as pg_dbapi
import pyarrow as pa

from northstar.sqlfiles import read_sql


class SourceUnavailableError(RuntimeError):
    """The source database could not be reached or queried."""


def extract_orders_changed(dsn: str, low: datetime, high: datetime) -> tuple[pa.Table, pa.Table]:
    """Every orders row with updated_at in [low, high), and every line of those orders, as two Arrow tables.

    Both are read in bulk (COPY) in one REPEATABLE READ transaction: one snapshot, so the lines are the ones
    the extracted orders had, even while the application writes.
    """
    try:
        with pg_dbapi.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(read_sql("postgres/select_orders_changed.sql"), (low, high))
            orders = cur.fetch_arrow_table()
            cur.execute(read_sql("postgres/select_order_lines_changed.sql"), (low, high))
            return orders, cur.fetch_arrow_table()
    except pg_dbapi.Error as exc:
        raise SourceUnavailableError(f"orders source query failed ({_redact(dsn)}): {exc}") from exc


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
