"""The local stack: `northstar up | down | status`, the warehouse server and a local Prefect server.

The warehouse server is northstar/warehouse_server.py's. The Prefect server is Prefect's own (`prefect server
start`, API only: no UI, no background services), run in the background with its database under
$PREFECT_HOME, so a `northstar run` talks to it instead of starting a temporary server each time (6-23 s here).
State: `$PREFECT_HOME/northstar-server.json` (pid, port) while it runs; its log beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

STATE_FILE = "northstar-server.json"
LOG_FILE = "northstar-server.log"
START_TIMEOUT_SECONDS = 240.0  # Prefect's server has been seen taking over a minute to start on 2 busy cores


class StackError(RuntimeError):
    """A local service could not be started; the message names its log."""


@dataclass(frozen=True)
class PrefectServer:
    """A running local Prefect API server."""

    pid: int
    port: int
    started_at: float  # unix seconds

    @property
    def api_url(self) -> str:
        """The value for PREFECT_API_URL."""
        return f"http://127.0.0.1:{self.port}/api"


def add_commands(sub: Any) -> None:
    """Register up, down and status."""
    for name, helptext in (
        ("up", "start the local warehouse server and Prefect server in the background (commands start them too)"),
        ("down", "stop the local warehouse server and Prefect server"),
        ("status", "show what runs locally, where, and for which files"),
    ):
        sub.add_parser(name, help=helptext).set_defaults(handler=stack, action=name)


def stack(args: argparse.Namespace, out: TextIO) -> int:
    """up, down, status; exit 1 from status when the warehouse is not running.

    The home's own warehouse server is started and stopped here; a shared one (NORTHSTAR_WAREHOUSE_SERVER, the
    tests') or Snowflake is only reported.
    """
    from northstar.settings import load_settings

    settings = load_settings()
    prefect_home = Path(os.environ.get("PREFECT_HOME") or settings.home / "prefect")
    own = settings.snowflake is None and not settings.warehouse_server
    if args.action == "down":
        if own:
            from northstar.warehouse_server import stop_server

            stopped = stop_server(settings.warehouse_dir)
            out.write("local warehouse: stopped\n" if stopped else "local warehouse: was not running\n")
        out.write("prefect server: stopped\n" if stop_prefect(prefect_home) else "prefect server: was not running\n")
        return 0
    pref = ensure_prefect(prefect_home) if args.action == "up" else running_prefect(prefect_home)
    warehouse_up = _warehouse_line(settings, out, start=args.action == "up")
    if pref is None:
        out.write("prefect server: not running (`northstar up` starts it; a run starts it on demand)\n")
    else:
        out.write(f"prefect server: running, pid {pref.pid}, {pref.api_url}, home {prefect_home}\n")
    out.write(f"home: {settings.home}\n")
    return 0 if warehouse_up else 1


def _warehouse_line(settings: Any, out: TextIO, start: bool) -> bool:
    """Write the warehouse's status line (starting the home's own server when asked); True when it answers."""
    from northstar.warehouse_server import ensure_server, running_server

    folder = settings.warehouse_dir
    if settings.snowflake is not None:
        out.write("warehouse: Snowflake (SNOWFLAKE_ACCOUNT is set): nothing runs locally\n")
        return True
    if settings.warehouse_server:  # one server for many homes: not this home's to start or stop
        up = _answers(settings.warehouse_server)
        out.write(f"local warehouse: {'running' if up else 'not answering'}, shared server "
                  f"{settings.warehouse_server} (NORTHSTAR_WAREHOUSE_SERVER), files {folder}\n")  # fmt: skip
        return up
    running = ensure_server(folder) if start else running_server(folder)
    if running is None:
        out.write(f"local warehouse: not running (files {folder}; `northstar up` starts it)\n")
        return False
    out.write(f"local warehouse: running, pid {running.pid}, {running.host}:{running.port}, files {folder}\n")
    return True


def running_prefect(prefect_home: Path) -> PrefectServer | None:
    """The Prefect server recorded under prefect_home when its process is alive and its API answers."""
    try:
        info = PrefectServer(**json.loads((prefect_home / STATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return info if _alive(info.pid) and _healthy(info.api_url) else None


def ensure_prefect(prefect_home: Path, announce: bool = True) -> PrefectServer:
    """The running local Prefect server, started in the background when there is none (one start at a time)."""
    prefect_home.mkdir(parents=True, exist_ok=True)
    if info := running_prefect(prefect_home):
        return info
    with _lock(prefect_home / ".server.lock"):
        if info := running_prefect(prefect_home):
            return info
        if announce:
            print(f"northstar: starting the local Prefect server ({prefect_home})", file=sys.stderr)
        return _spawn_prefect(prefect_home)


def stop_prefect(prefect_home: Path, timeout: float = 20.0) -> bool:
    """Stop the local Prefect server; True when one was running."""
    state = prefect_home / STATE_FILE
    try:
        info = PrefectServer(**json.loads(state.read_text()))
    except (OSError, ValueError, TypeError):
        return False
    was = _alive(info.pid)
    if was:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(info.pid, signal.SIGTERM)  # the server and the workers it started
        deadline = time.monotonic() + timeout
        while _alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(info.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(info.pid, signal.SIGKILL)
    state.unlink(missing_ok=True)
    return was


@contextlib.contextmanager
def prefect_api(prefect_home: Path) -> Iterator[None]:
    """Run flows against the local Prefect server (started when not running), unless Prefect already has an
    API to talk to (PREFECT_API_URL in the environment or profile, or a test harness)."""
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    if get_current_settings().api.url:
        yield
        return
    info = ensure_prefect(prefect_home)
    with temporary_settings(updates={PREFECT_API_URL: info.api_url}):
        yield


def _spawn_prefect(prefect_home: Path) -> PrefectServer:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {"PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"]
    with open(prefect_home / LOG_FILE, "ab") as log:
        proc = subprocess.Popen(  # its own session: Ctrl-C in the terminal leaves it running; killpg stops it all
            [*command, "--no-services", "--analytics-off"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True,
        )  # fmt: skip
    info = PrefectServer(proc.pid, port, time.time())
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"the local Prefect server did not start; see {prefect_home / LOG_FILE}")
        if _healthy(info.api_url):
            (prefect_home / STATE_FILE).write_text(json.dumps(asdict(info)))
            return info
        time.sleep(0.25)
    os.killpg(proc.pid, signal.SIGKILL)
    raise StackError(f"the local Prefect server did not answer within {START_TIMEOUT_SECONDS:.0f} s; "
                     f"see {prefect_home / LOG_FILE}")  # fmt: skip


def _answers(host_port: str) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=2.0).close()
    except OSError:
        return False
    return True


def _healthy(api_url: str) -> bool:
    import urllib.request  # only `up`, `status` and a run ask Prefect's health: not every command's start-up

    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2.0) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # a zombie left by a parent that has not reaped it is not running
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
