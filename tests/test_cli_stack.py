"""The local stack through the command: up, status, down; reads while a flow runs; two commands at once."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from tests.helpers import source_row
from tests.test_cli_errors import NORTHSTAR, WINDOW, northstar, said

pytestmark = pytest.mark.integration


@pytest.fixture
def own_home(
    pipeline_env: Callable[..., dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A home with its own warehouse server and Prefect server (not the session's shared server)."""
    pipeline_env()
    monkeypatch.delenv("NORTHSTAR_WAREHOUSE_SERVER")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home" / "prefect"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    home = tmp_path / "home"
    yield home
    northstar("down")


def test_up_status_reads_while_a_run_waits_and_down(own_home: Path, source_db: str) -> None:
    status = northstar("status")
    assert status.returncode == 1
    assert status.stdout.splitlines()[0] == (
        f"local warehouse: not running (files {own_home / 'warehouse'}; `northstar up` starts it)"
    )
    up = northstar("up", timeout=400)
    assert up.returncode == 0, up.stderr
    assert said(up) == [
        f"northstar: starting the local Prefect server ({own_home / 'prefect'})",
        f"northstar: starting the local warehouse ({own_home / 'warehouse'})",
    ]
    status = northstar("status")
    lines = status.stdout.splitlines()
    assert status.returncode == 0 and lines[0].startswith("local warehouse: running, pid ")
    assert lines[1].startswith("prefect server: running, pid ") and lines[2] == f"home: {own_home}"

    with psycopg.connect(source_db) as conn:
        conn.execute("INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)", source_row(1, 1))
        conn.commit()
        conn.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")  # the run's extract waits on it
        run = subprocess.Popen(
            [NORTHSTAR, "run", "orders", *WINDOW], env=os.environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        _wait_for_extract(source_db)
        batches = northstar("batches", "--json")  # a read while the flow runs: no lock to fight over
        query = northstar("query", "SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES", "--json")
        assert (batches.returncode, batches.stdout, said(batches)) == (0, "", [])
        assert (query.returncode, json.loads(query.stdout)) == (0, {"N": 1})  # the running batch's lease
    stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    assert json.loads(stdout)["status"] == "COMMITTED" and "Traceback" not in stderr
    assert "starting the local" not in stderr  # the run used the servers `up` started
    (batch,) = [json.loads(line) for line in northstar("batches", "--json").stdout.splitlines()]
    assert batch["STATUS"] == "COMMITTED" and batch["ROWS_PUBLISHED"] == 1

    down = northstar("down")
    assert down.stdout.splitlines() == ["local warehouse: stopped", "prefect server: stopped"]
    assert northstar("status").returncode == 1


def test_two_commands_at_once_from_nothing_share_one_server(own_home: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(
            lambda argv: northstar(*argv), [("batches", "--json"), ("query", "SELECT 1 AS ONE", "--json")]
        )
    assert (first.returncode, first.stdout) == (0, ""), first.stderr
    assert (second.returncode, second.stdout) == (0, '{"ONE": 1}\n'), second.stderr
    started = [line for line in said(first) + said(second) if "starting the local warehouse" in line]
    assert started == [f"northstar: starting the local warehouse ({own_home / 'warehouse'})"]  # said once


def _wait_for_extract(dsn: str, timeout: float = 240.0) -> None:
    """Until a session of the source waits on the test's lock (the run is inside its extract)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.2)
    raise AssertionError("the run never reached its extract")
