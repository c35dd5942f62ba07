"""The `northstar` command as a user meets it: a subprocess, its exit code and its exact stderr, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

NORTHSTAR = str(Path(sys.executable).with_name("northstar"))
WINDOW = ["--start", "2026-11-20T12:00:00+00:00", "--end", "2026-11-20T12:15:00+00:00"]


def northstar(*argv: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed command with the test's environment (plus env); its output as text."""
    return subprocess.run(
        [NORTHSTAR, *argv], env=os.environ | (env or {}), capture_output=True, text=True, timeout=timeout, check=False
    )


def said(result: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr's lines, after making sure no traceback reached the user."""
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return result.stderr.splitlines()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home with no warehouse configured (the commands under test fail before needing one)."""
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home" / "prefect"))
    monkeypatch.setenv("NORTHSTAR_ORDERS_SETTLE_SECONDS", "0")
    monkeypatch.delenv("NORTHSTAR_WAREHOUSE_SERVER", raising=False)
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    return tmp_path / "home"


@pytest.mark.parametrize(
    ("argv", "env", "lines"),
    [
        (  # a closed source port: said at once, before Prefect starts, not after a minute of retries
            ["run", "orders", *WINDOW],
            {"NORTHSTAR_SOURCE_PG_DSN": "postgresql://postgres@127.0.0.1:1/orders"},
            [
                "northstar: cannot reach the orders source at 127.0.0.1:1 (NORTHSTAR_SOURCE_PG_DSN): Connection"
                " refused",
                "northstar: start PostgreSQL (`make pg`) or fix NORTHSTAR_SOURCE_PG_DSN",
            ],
        ),
        (  # Stripe's Events API not answering: said at once, not after the SDK's retries
            ["run", "stripe-recover", "--since", "2026-11-28T00:00:00+00:00"],
            {"STRIPE_API_KEY": "rk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:1"},
            [
                "northstar: cannot reach the stripe-recover source at 127.0.0.1:1 (STRIPE_API_BASE): Connection"
                " refused",
                "northstar: check STRIPE_API_BASE and the network (https://status.stripe.com), then run the recovery"
                " again",
            ],
        ),
        (  # a missing secret
            ["run", "stripe-recover", "--since", "2026-11-28T00:00:00+00:00"],
            {},
            ["northstar: STRIPE_API_KEY: not set: recovery lists events through Stripe's Events API"],
        ),
        (  # a bad setting
            ["batches"],
            {"NORTHSTAR_LEASE_SECONDS": "abc"},
            ["northstar: NORTHSTAR_LEASE_SECONDS: must be a whole number of seconds >= 1, not 'abc'"],
        ),
        (  # a window without offset
            ["run", "orders", "--start", "2026-11-20T12:00:00", "--end", "2026-11-20T12:15:00"],
            {},
            ["northstar: '2026-11-20T12:00:00' has no UTC offset; write it like 2026-11-20T10:00:00+00:00"],
        ),
        (  # a window bound that is not a time at all
            ["run", "orders", "--start", "tomorrow", "--end", WINDOW[3]],
            {},
            ["northstar: 'tomorrow' is not an ISO-8601 time; write it like 2026-11-20T10:00:00+00:00"],
        ),
        (  # a day that does not exist: refused before the warehouse opens
            ["checks", "--date", "2026-13-01"],
            {},
            ["northstar: --date 2026-13-01: not a day; write it YYYY-MM-DD, like 2026-11-20"],
        ),
        (  # a window ending before it starts
            ["run", "orders", "--start", WINDOW[3], "--end", WINDOW[1]],
            {},
            ["northstar: window end 2026-11-20T12:00:00+00:00 is not after start 2026-11-20T12:15:00+00:00"],
        ),
        (  # a query the read-only guard cannot parse
            ["query", "SELEC * FRM CORE.ORDERS"],
            {},
            [
                "northstar: query refused: cannot parse the query at line 1, column 17: Invalid expression / Unexpected"
                " token",
                "northstar: give one SELECT, WITH, SHOW or DESCRIBE statement in quotes",
            ],
        ),
        (  # ... or can parse, but not as a statement
            ["query", "SELEC * FRM"],
            {},
            [
                "northstar: query refused: cannot read 'SELEC * FRM' as a SQL statement (check its keywords)",
                "northstar: give one SELECT, WITH, SHOW or DESCRIBE statement in quotes",
            ],
        ),
        (  # a named warehouse server that is not there
            ["batches"],
            {"NORTHSTAR_WAREHOUSE_SERVER": "127.0.0.1:1"},
            [
                "northstar: no warehouse server answers at 127.0.0.1:1 (NORTHSTAR_WAREHOUSE_SERVER): Connection"
                " refused",
                "northstar: start that server, or unset NORTHSTAR_WAREHOUSE_SERVER to use the home's own",
            ],
        ),
        (  # an unknown source
            ["batches", "--source", "wms"],
            {},
            None,
        ),
    ],
)
def test_expected_failures_are_two_lines_and_exit_non_zero(
    home: Path, argv: list[str], env: dict[str, str], lines: list[str] | None
) -> None:
    result = northstar(*argv, env=env)
    stderr = said(result)
    if lines is None:  # argparse's own refusal lists the known names
        assert result.returncode == 2
        assert stderr == [
            "northstar batches: error: argument --source: invalid choice: 'wms' (choose from 'orders', 'payments', "
            "'fulfillment', 'consistency', 'source_reconcile', 'completeness')",
            "northstar batches: the arguments: `northstar batches --help`",
        ]  # two lines, not argparse's usage block
        return
    unavailable = {"NORTHSTAR_WAREHOUSE_SERVER", "NORTHSTAR_SOURCE_PG_DSN", "STRIPE_API_BASE"} & set(env)  # exit 1
    assert (result.returncode, stderr) == (1 if unavailable else 2, lines)


def test_a_home_that_is_a_file_is_refused(tmp_path: Path, home: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = northstar("status", env={"NORTHSTAR_HOME": str(tmp_path / "afile")})
    assert result.returncode == 2
    assert said(result) == [f"northstar: NORTHSTAR_HOME: '{tmp_path / 'afile'}' exists and is not a folder"]


def test_a_home_under_a_file_is_refused(tmp_path: Path, home: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = northstar("batches", env={"NORTHSTAR_HOME": str(tmp_path / "afile" / "home")})
    assert result.returncode == 2
    assert said(result) == [
        f"northstar: cannot create the folder {tmp_path / 'afile' / 'home' / 'warehouse'}: Not a directory (under"
        " NORTHSTAR_HOME)",
        "northstar: set NORTHSTAR_HOME to a folder, or one that can be created (README, Settings)",
    ]


@pytest.mark.integration
def test_debug_shows_the_traceback(home: Path) -> None:
    result = northstar("--debug", "run", "orders", "--start", "2026-11-20T12:00:00", "--end", "2026-11-20T12:15:00")
    assert result.returncode == 2 and "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("northstar: '2026-11-20T12:00:00' has no UTC offset")


@pytest.mark.integration
def test_unknown_table_locked_warehouse_and_broken_pipe(
    pipeline_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    pipeline_env()
    result = northstar("query", "SELECT * FROM CORE.NOPE")
    assert result.returncode == 2
    assert said(result) == [
        "northstar: the warehouse refused the query: 002003 (42S02): Catalog Error: Table with name NOPE does not"
        " exist!",
        'northstar: `northstar query "SHOW TABLES"` lists the tables; names are schema-qualified (CORE.ORDERS)',
    ]
    # the README's own example: the reader stops after three lines; the command ends quietly
    piped = subprocess.run(
        f"'{NORTHSTAR}' query \"SELECT SEQ4() AS N FROM TABLE(GENERATOR(ROWCOUNT => 50000))\" --json | head -3",
        shell=True, capture_output=True, text=True, env=os.environ, timeout=120, check=False,
    )  # fmt: skip
    assert piped.stdout.splitlines() == ['{"N": 0}', '{"N": 1}', '{"N": 2}'] and piped.stderr == ""
    # an id that names nothing is an error, not an empty listing; the marts never publish without a passed gate
    for argv, line in (
        (["batches", "--batch", "orders-nope"], "northstar: --batch orders-nope: no batch of that id in the ledger"),
        (["quarantine", "--batch", "nope"], "northstar: --batch nope: no batch of that id in the ledger"),
        (["marts", "publish", "--gate-batch", "nope"], "northstar: --gate-batch nope: no consistency batch of that id"),
        (["marts", "publish"], "northstar: no consistency gate has run yet: `northstar run consistency` first"),
    ):
        result = northstar(*argv)
        assert (result.returncode, said(result)[-1].startswith(line)) == (2, True), (argv, result.stderr)
    # a warehouse file another process opened directly: its lock is named at once, no minute of retries
    locked_home = tmp_path / "locked"
    (locked_home / "warehouse").mkdir(parents=True)
    holder = duckdb.connect(str(locked_home / "warehouse" / "NORTHSTAR.db"))
    try:
        result = northstar("batches", env={"NORTHSTAR_HOME": str(locked_home)})
    finally:
        holder.close()
    lines = said(result)
    assert result.returncode == 1
    assert lines[0].startswith(f"northstar: the warehouse file {locked_home / 'warehouse' / 'NORTHSTAR.db'} is locked")
    assert f"(PID {os.getpid()}," in lines[0]
    assert lines[1] == "northstar: stop that process (it opened the file directly), then run the command again"
