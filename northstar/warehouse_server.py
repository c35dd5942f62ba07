"""The local warehouse: one fakesnow server process that owns the on-disk database files.

fakesnow emulates Snowflake on DuckDB, and a DuckDB file can be opened by one process at a time. So locally
the warehouse is one background process (`northstar up`, or started on demand by the first command that needs
it) serving Snowflake's HTTP protocol on loopback; every command, flow, test and dbt connects to it through the
real, unpatched Snowflake connector, exactly as in production. Reads work while a flow runs, and two runs of a
flow meet in one database, where the ledger's guards decide (see northstar/loads.py).

fakesnow's own server opens a new DuckDB instance at every login that names a database path
(session parameter FAKESNOW_DB_PATH), so a second login to the same files fails on DuckDB's file lock. This
module runs fakesnow's app with one instance per path, shared by every session (each session gets its own
DuckDB connection, so transactions stay separate), and a default path for logins that name none (dbt-snowflake
cannot send session parameters).

State: `<warehouse dir>/server.json` (pid, port, default path) while the process runs; its log beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

STATE_FILE = "server.json"
LOG_FILE = "server.log"
START_TIMEOUT_SECONDS = 60.0


class WarehouseServerError(RuntimeError):
    """The local warehouse server could not be started, reached or stopped."""


@dataclass(frozen=True)
class ServerInfo:
    """Where a running local warehouse server listens."""

    pid: int
    host: str
    port: int
    db_path: str
    started_at: float  # unix seconds

    def connect_args(self, db_path: Path) -> dict[str, Any]:
        """snowflake.connector.connect arguments for a session on db_path's files."""
        return {
            "user": "fake",
            "password": "snow",
            "account": "fakesnow",
            "host": self.host,
            "port": self.port,
            "protocol": "http",
            "session_parameters": {
                "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,
                "FAKESNOW_DB_PATH": str(db_path.resolve()),
            },
            "network_timeout": 600,  # large PUTs
            "login_timeout": 30,
        }


def running_server(warehouse_dir: Path) -> ServerInfo | None:
    """The server recorded for warehouse_dir when its process is alive and its port answers, else None."""
    path = warehouse_dir / STATE_FILE
    try:
        info = ServerInfo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not _alive(info.pid) or not _answers(info.host, info.port):
        return None
    return info


def ensure_server(warehouse_dir: Path, announce: bool = True) -> ServerInfo:
    """The running server for warehouse_dir, started in the background when there is none.

    One start at a time (a lock file), so two commands starting together share one server.
    Raises WarehouseServerError when it does not start (the log's last lines are in the message).
    """
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    if info := running_server(warehouse_dir):
        return info
    with _start_lock(warehouse_dir):
        if info := running_server(warehouse_dir):
            return info
        if announce:
            print(f"northstar: starting the local warehouse ({warehouse_dir})", file=sys.stderr)
        return _spawn(warehouse_dir)


def stop_server(warehouse_dir: Path, timeout: float = 15.0) -> bool:
    """Stop the server of warehouse_dir; True when one was running."""
    info = running_server(warehouse_dir)
    if info is None:
        (warehouse_dir / STATE_FILE).unlink(missing_ok=True)
        return False
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    (warehouse_dir / STATE_FILE).unlink(missing_ok=True)
    return True


def _spawn(warehouse_dir: Path) -> ServerInfo:
    state = warehouse_dir / STATE_FILE
    state.unlink(missing_ok=True)
    with open(warehouse_dir / LOG_FILE, "ab") as log:
        proc = subprocess.Popen(  # a session of its own: a Ctrl-C in the terminal that started it does not stop it
            [sys.executable, "-m", "northstar.warehouse_server", "--db-path", str(warehouse_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise WarehouseServerError(f"the local warehouse did not start: {_log_tail(warehouse_dir)}")
        if info := running_server(warehouse_dir):
            return info
        time.sleep(0.1)
    proc.kill()
    raise WarehouseServerError(f"the local warehouse did not answer within {START_TIMEOUT_SECONDS:.0f} s")


@contextlib.contextmanager
def _start_lock(warehouse_dir: Path) -> Iterator[None]:
    with open(warehouse_dir / ".server.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    """Whether pid runs. A server this process started and that has exited is reaped here: until then it is a
    zombie, which os.kill(pid, 0) still finds (a stop would wait its whole timeout)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:  # not this process's child: its parent reaps it
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _log_tail(warehouse_dir: Path, lines: int = 5) -> str:
    try:
        text = (warehouse_dir / LOG_FILE).read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(text[-lines:]) or "no log"


# --- the server process -------------------------------------------------------------------------------------


def serve(db_path: Path, host: str = "127.0.0.1") -> None:
    """Run the server in this process until SIGTERM; records server.json once it listens."""
    import fakesnow.server as fakesnow_server
    import uvicorn
    from fakesnow.instance import FakeSnow

    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "Unsupported property transientproperty"
    logging.getLogger("fakesnow.server").setLevel(logging.WARNING)  # it logs every login and upload
    instances: dict[str, FakeSnow] = {}
    default = str(db_path.resolve())

    def instance_for(db_path: str | None = None, **kwargs: Any) -> FakeSnow:
        """One FakeSnow (one DuckDB instance) per database path, shared by every session on it."""
        key = str(Path(db_path).resolve()) if db_path and db_path != ":isolated:" else default
        if key not in instances:
            instances[key] = FakeSnow(db_path=key)
        return instances[key]

    # fakesnow's login handler calls FakeSnow(db_path=...) per login and uses `shared_fs` when no path is given.
    fakesnow_server.FakeSnow = instance_for  # type: ignore[assignment,misc]
    fakesnow_server.shared_fs = instance_for(default)
    _report_conflicts_as_errors()
    _report_login_failures(fakesnow_server.app)
    keep_null_timestamps()
    sock = socket.socket()
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn.Config(fakesnow_server.app, log_level="warning", timeout_keep_alive=30))
    info = ServerInfo(os.getpid(), host, sock.getsockname()[1], default, time.time())
    asyncio.run(_serve_recorded(server, sock, db_path / STATE_FILE, info))


async def _serve_recorded(server: Any, sock: socket.socket, state: Path, info: ServerInfo) -> None:
    """Serve on sock; write the state file once the server listens, remove it when it stops."""
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if server.started:
        state.write_text(json.dumps(asdict(info)))
    try:
        await serving
    finally:
        with contextlib.suppress(OSError):
            if json.loads(state.read_text()).get("pid") == info.pid:
                state.unlink()


def keep_null_timestamps() -> None:
    """fakesnow 0.12.1 sends a NULL timestamp to the connector as 1970-01-01 (its Arrow struct has no null
    mask); Snowflake sends NULL. Wrap its converter once so the server keeps the nulls (DEVELOPERS.md)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from fakesnow import arrow as fs_arrow

    original = fs_arrow.timestamp_to_sf_struct
    if getattr(original, "keeps_nulls", False):
        return

    def with_nulls(ts: pa.Array | pa.ChunkedArray) -> pa.Array:
        array = ts.combine_chunks() if isinstance(ts, pa.ChunkedArray) else ts
        if array.null_count == 0:
            return original(array)
        struct = original(pc.fill_null(array, pa.scalar(0, type=array.type)))
        children = [struct.field(i) for i in range(struct.type.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(struct.type), mask=pc.is_null(array))

    with_nulls.keeps_nulls = True  # type: ignore[attr-defined]
    fs_arrow.timestamp_to_sf_struct = with_nulls


def _report_login_failures(app: Any) -> None:
    """A login whose database files cannot be opened (another process holds DuckDB's lock on them, a file is not
    a database) raises inside fakesnow's login handler: an HTTP 500, which the connector retries for a minute.
    Answer as Snowflake answers a refused login instead, so the command says what failed at once."""
    import duckdb
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import request_response

    for route in app.routes:
        if getattr(route, "path", None) != "/session/v1/login-request":
            continue
        original = route.endpoint

        async def login(request: Request, original: Any = original) -> Any:
            try:
                return await original(request)
            except (duckdb.Error, OSError) as exc:
                message = f"the warehouse files cannot be opened: {str(exc).splitlines()[0]}"
                return JSONResponse({"data": None, "code": "390100", "message": message, "success": False})

        route.app = request_response(login)


CONFLICT_ERRNO = 625  # Snowflake's "statement aborted" for a lock it could not get; the client maps it


def _report_conflicts_as_errors() -> None:
    """Two sessions writing the same rows at once: DuckDB aborts the later one with a TransactionException,
    which fakesnow passes through as an HTTP 500 (the connector then retries for about a minute). Report it
    as the SQL error it is, so the client sees the conflict at once (Snowflake would make it wait instead)."""
    import duckdb
    import snowflake.connector.errors
    from fakesnow.cursor import FakeSnowflakeCursor

    execute = FakeSnowflakeCursor._execute

    def _execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return execute(self, *args, **kwargs)
        except duckdb.TransactionException as exc:
            raise snowflake.connector.errors.OperationalError(
                msg=f"transaction conflict: {str(exc).splitlines()[0]}", errno=CONFLICT_ERRNO, sqlstate="40001"
            ) from exc

    FakeSnowflakeCursor._execute = _execute  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """`python -m northstar.warehouse_server --db-path DIR`: what ensure_server starts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db-path", required=True, type=Path)
    args = parser.parse_args(argv)
    args.db_path.mkdir(parents=True, exist_ok=True)
    serve(args.db_path)


if __name__ == "__main__":
    main()
