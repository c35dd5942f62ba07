"""The warehouse client: snowflake-connector-python, against Snowflake or the embedded fakesnow server.

Locally the warehouse is fakesnow in server mode with an on-disk database under $NORTHSTAR_HOME/warehouse,
served by one background process (northstar/warehouse_server.py): the real, unpatched connector talks HTTP
to it, so PUT, COPY INTO and transactions go through the same code as production, and any number of
commands and flows can use it at once.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import logging
import os
import re
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from northstar.settings import Settings
from northstar.sqlfiles import read_sql, statements
from northstar.warehouse_server import ServerInfo, WarehouseServerError, ensure_server, keep_null_timestamps

if TYPE_CHECKING:  # the connector (about 1 CPU-s to import) is imported by the first connect, not by an import
    import pyarrow as pa
    from snowflake.connector import SnowflakeConnection

log = logging.getLogger(__name__)

# Created in order on every connect; every statement in them is idempotent (IF NOT EXISTS).
DDL_FILES = (
    "snowflake/create_schemas.sql",
    "snowflake/create_ops_tables.sql",
    "snowflake/create_orders_tables.sql",
    "snowflake/create_wms_tables.sql",
    "snowflake/create_stripe_tables.sql",
    "snowflake/create_consistency_tables.sql",
    "marts/create_marts_tables.sql",  # the publications' ledger and MARTS.REVENUE_ADJUSTMENTS (corrections write it)
    "snowflake/create_monitoring_tables.sql",
    "snowflake/create_ops_batch_resolutions.sql",
    "snowflake/create_ops_schema_versions.sql",
    "snowflake/create_corrections_tables.sql",
    "snowflake/create_incidents_tables.sql",
    "snowflake/create_replay_tables.sql",
)
STAGE = "OPS.LOAD_STAGE"
_STAGE_PATH = re.compile(r"^[a-z0-9_\-/]+$")


class WarehouseError(RuntimeError):
    """The warehouse could not be reached or refused a statement."""


class WarehouseConflict(WarehouseError):
    """Another session holds what this statement writes (the local emulator's answer where Snowflake waits)."""


CONFLICT_ERRNO = 625  # northstar/warehouse_server.py reports DuckDB's write conflicts with it


def _connector() -> Any:
    """The snowflake.connector module, imported on first use: a command that never connects (`--help`, `up`, a
    bad argument) does not pay for it (BENCHMARKS.md "CLI fixed cost")."""
    import snowflake.connector

    return snowflake.connector


class Warehouse:
    """One Snowflake session: statements from sql/ files with bound parameters, one transaction per load."""

    def __init__(self, conn: SnowflakeConnection, database: str) -> None:
        self.conn = conn
        self.database = database

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """Run one statement; the number of rows it affected. WarehouseConflict when another session's open
        transaction writes the same rows (the local emulator; Snowflake waits instead)."""
        with self.conn.cursor() as cur, _conflicts():
            cur.execute(sql, params)
            return int(cur.rowcount or 0)

    def execute_many(self, insert: str, rows: Sequence[dict[str, Any]]) -> None:
        """Run one INSERT ... VALUES statement for every row of parameters as a single multi-row INSERT (the
        connector rewrites it: one round trip). WarehouseConflict as for execute."""
        with self.conn.cursor() as cur, _conflicts():
            cur.executemany(insert, rows)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one query; its rows as dicts keyed by upper-case column name."""
        with self.conn.cursor(_connector().DictCursor) as cur:
            cur.execute(sql, params)
            return [dict(row) for row in cur.fetchall()]

    def query_arrow(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table | None:
        """Run one query; its rows as an Arrow table (None when there are none), for DuckDB to read."""
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetch_arrow_all()

    def query_rolled_back(self, sql: str) -> list[dict[str, Any]]:
        """Run a query inside a transaction that is always rolled back, so nothing it did survives."""
        self.execute("BEGIN")
        try:
            return self.query(sql)
        finally:
            self.execute("ROLLBACK")

    def run_file(self, relative: str, params: dict[str, Any] | None = None) -> None:
        """Run every statement of sql/<relative> with the same bound parameters."""
        for sql in statements(relative):
            self.execute(sql, _used(sql, params))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN ... COMMIT, or ROLLBACK on any error: a load is all or nothing."""
        self.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def put(self, local_file: Path, stage_path: str) -> None:
        """Upload a local file to the load stage under stage_path (a path built by code, not data)."""
        if not _STAGE_PATH.match(stage_path):
            raise ValueError(f"unsafe stage path {stage_path!r}")
        self.execute(f"PUT '{local_file.resolve().as_uri()}' @{STAGE}/{stage_path} AUTO_COMPRESS=FALSE OVERWRITE=TRUE")

    def copy_parquet(self, local_file: Path, stage_path: str, table: str) -> None:
        """Upload a Parquet file and COPY it into table (a name from code). FORCE: a rerun of a batch stages the
        same file again, and Snowflake would otherwise skip a file it has loaded before."""
        self.put(local_file, stage_path)
        self.execute(
            f"COPY INTO {table} FROM @{STAGE}/{stage_path}/ FILE_FORMAT = (TYPE = PARQUET) "
            "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE"
        )

    def ensure_objects(self, attempts: int = 10) -> None:
        """Create the schemas, tables and stage when missing. Two sessions creating them at the same moment (two
        commands on a fresh local warehouse) conflict on the emulator's catalog; every statement is idempotent, so
        the later one waits and runs again. A database that already recorded this set of DDL files' digest
        (OPS.SCHEMA_VERSIONS) only gets the stage, which the local emulator keeps in its process's memory: two
        sessions creating it at once on a server that just started conflict the same way, and wait the same way."""
        digest = ddl_digest()
        applied = self._applied(digest)
        for attempt in range(attempts):
            try:
                if applied:
                    self.execute(f"CREATE STAGE IF NOT EXISTS {STAGE}")
                else:
                    for relative in DDL_FILES:
                        self.run_file(relative)
                break
            except WarehouseConflict:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
        if applied:
            return
        applied_at = datetime.now(UTC).replace(tzinfo=None)
        self.execute(
            read_sql("snowflake/insert_into_ops_schema_versions.sql"), {"digest": digest, "applied_at": applied_at}
        )

    def _applied(self, digest: str) -> bool:
        try:
            return bool(self.query(read_sql("snowflake/select_ops_schema_versions.sql"), {"digest": digest}))
        except _connector().errors.ProgrammingError:  # a new database: no OPS schema or table yet
            return False

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def _conflicts() -> Iterator[None]:
    """A connector error for a write-write conflict (CONFLICT_ERRNO) raised as WarehouseConflict; others as they are."""
    try:
        yield
    except _connector().errors.Error as exc:
        if getattr(exc, "errno", None) == CONFLICT_ERRNO:
            raise WarehouseConflict(str(exc)) from exc
        raise


@functools.cache
def ddl_digest() -> str:
    """sha256 of the DDL files' text in order: a change to any of them (or a new file) applies them again."""
    digest = hashlib.sha256()
    for relative in DDL_FILES:
        digest.update(relative.encode() + b"\0" + read_sql(relative).encode())
    return digest.hexdigest()


def _used(sql: str, params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Only the parameters the statement names (pyformat: %(name)s)."""
    if not params:
        return None
    names = set(re.findall(r"%\((\w+)\)s", sql))
    return {k: v for k, v in params.items() if k in names} or None


@contextlib.contextmanager
def open_warehouse(settings: Settings) -> Iterator[Warehouse]:
    """A warehouse session for the configured profile, its objects created.

    Locally: a session on the local warehouse server (northstar/warehouse_server.py), started in the background
    when it is not running; the process keeps that login for later calls. Raises WarehouseError when the
    warehouse cannot be reached, with what to do next.
    """
    if settings.snowflake is None:
        yield _local(settings)  # the process keeps its login to the local server until exit
        return
    args = settings.snowflake.connect_args()
    # CORE keeps naive UTC: a session in UTC compares it with TIMESTAMP_TZ values as UTC (Snowflake's default
    # TIMEZONE is America/Los_Angeles); fakesnow runs in UTC and cannot ALTER SESSION SET TIMEZONE.
    args["session_parameters"] = {"TIMEZONE": "UTC"} | dict(args.get("session_parameters") or {})
    try:
        conn = _connector().connect(**args, database=settings.database)
    except _connector().errors.Error as exc:
        raise WarehouseError(f"cannot connect to the warehouse: {exc}") from exc
    wh = Warehouse(conn, settings.database)
    try:
        wh.ensure_objects()
        yield wh
    finally:
        wh.close()


_local_logins: dict[tuple[str, int, Path], Warehouse] = {}


def _local(settings: Settings) -> Warehouse:
    """This process's login to the local warehouse server for settings' database files."""
    db_path = settings.warehouse_dir.resolve()
    info = _local_server(settings)
    key = (info.host, info.port, db_path)
    if key in _local_logins:
        return _local_logins[key]
    db_path.mkdir(parents=True, exist_ok=True)
    if settings.warehouse_template is not None:
        start_from_template(settings.warehouse_template, db_path, settings.database)
    try:
        conn = _connector().connect(**info.connect_args(db_path), database=settings.database)
    except _connector().errors.Error as exc:
        raise WarehouseError(_login_failure(info, exc)) from exc
    wh = Warehouse(conn, settings.database)
    wh.ensure_objects()
    if not _local_logins:
        atexit.register(_close_local)
    _local_logins[key] = wh
    return wh


def start_from_template(template: Path, db_path: Path, database: str) -> bool:
    """Copy template/<database>.db (a local warehouse whose DDL is applied, closed) to db_path when db_path has no
    such file yet; True when copied. The copy is written under a temporary name and linked into place, so two
    processes starting one home at once both see a whole file. The login's DDL digest check still runs: a
    template of older DDL gets the current DDL applied on top. WarehouseError when the template has no file."""
    source = template / f"{database}.db"
    target = db_path / f"{database}.db"
    if target.exists():
        return False
    if not source.is_file():
        raise WarehouseError(
            f"NORTHSTAR_WAREHOUSE_TEMPLATE={template} holds no {source.name}\n"
            "point it at a folder with a closed local warehouse, or unset it to apply the DDL"
        )
    partial = db_path / f".{database}.db.{os.getpid()}.partial"
    try:
        shutil.copyfile(source, partial)
        os.link(partial, target)
    except FileExistsError:
        return False
    finally:
        partial.unlink(missing_ok=True)  # also after a failed copy (a full disk): no partial file is left
    return True


def _login_failure(info: ServerInfo, exc: Exception) -> str:
    """Two lines: why the login to the local server failed, and what to do."""
    text = str(getattr(exc, "raw_msg", None) or exc)
    locked = re.search(r'Could not set lock on file "([^"]+)": Conflicting lock is held in (\S+) \(PID (\d+)\)', text)
    if locked:
        path, program, pid = locked.groups()
        return (f"the warehouse file {path} is locked by another process (PID {pid}, {program})\n"
                f"stop that process (it opened the file directly), then run the command again")  # fmt: skip
    return (f"cannot log in to the local warehouse at {info.host}:{info.port}: {text.splitlines()[0]}\n"
            "`northstar status` shows it; `northstar down` then `northstar up` restarts it")  # fmt: skip


def _local_server(settings: Settings) -> ServerInfo:
    """The server named by NORTHSTAR_WAREHOUSE_SERVER (host:port, one server for many homes: the tests), else
    the home's own, started when it is not running."""
    if settings.warehouse_server:
        host, _, port = settings.warehouse_server.rpartition(":")
        try:  # said at once: the connector would retry a refused login for its login timeout
            socket.create_connection((host or "127.0.0.1", int(port)), timeout=2.0).close()
        except OSError as exc:
            raise WarehouseError(
                f"no warehouse server answers at {settings.warehouse_server} (NORTHSTAR_WAREHOUSE_SERVER): "
                f"{exc.strerror or exc}\nstart that server, or unset NORTHSTAR_WAREHOUSE_SERVER to use the home's own"
            ) from None
        return ServerInfo(0, host or "127.0.0.1", int(port), str(settings.warehouse_dir), 0.0)
    try:
        return ensure_server(settings.warehouse_dir)
    except WarehouseServerError as exc:
        raise WarehouseError(str(exc)) from exc


def _close_local() -> None:
    for wh in _local_logins.values():
        with contextlib.suppress(Exception):
            wh.close()
    _local_logins.clear()


@contextlib.contextmanager
def fakesnow_server() -> Iterator[dict[str, Any]]:
    """fakesnow's HTTP server on a free loopback port, in a thread; yields the connector's arguments.

    fakesnow.server() does the same, but its own `import fakesnow.server` rebinds that name to the
    submodule after its first call, so a second caller in the process would find a module there.
    """
    import uvicorn
    from fakesnow.server import app
    from fakesnow.transforms.stage import LOCAL_BUCKET_PATH  # where PUT files land, one folder a process

    keep_null_timestamps()
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "Unsupported property transientproperty"
    logging.getLogger("fakesnow.server").setLevel(logging.WARNING)  # it logs every login and upload
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="fakesnow-server", daemon=True)
    thread.start()
    while thread.is_alive() and not server.started:
        time.sleep(0.05)
    if not server.started:
        raise WarehouseError("the embedded fakesnow server did not start")
    try:
        yield {
            "user": "fake",
            "password": "snow",
            "account": "fakesnow",
            "host": "127.0.0.1",
            "port": port,
            "protocol": "http",
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            "network_timeout": 600,  # large PUTs
        }
    finally:
        server.should_exit = True
        thread.join()
        shutil.rmtree(LOCAL_BUCKET_PATH, ignore_errors=True)


def jsonable(value: Any) -> Any:
    """A query value as JSON would carry it: a timestamp with its offset (TIMESTAMP_NTZ columns hold UTC, so a
    naive one is UTC: `2026-11-17T12:00:00+00:00`), a date as YYYY-MM-DD, NULL as None."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
