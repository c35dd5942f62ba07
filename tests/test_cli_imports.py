"""A read command's start-up imports only what it uses (BENCHMARKS.md "CLI fixed cost"); not timed: the module set.

Each case is a fresh `northstar` process (cli.main.main with argv None, as the installed command calls it) that
reports which heavy packages it imported: `--help` and a bad argument import no client library at all, and a
read through the real Snowflake connector imports the connector but not Prefect, pandas, pyarrow, numpy, boto3
or DuckDB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

HEAVY = ("prefect", "pandas", "pyarrow", "numpy", "boto3", "botocore", "duckdb", "snowflake.connector", "flows")
PROBE = """
import json, sys
sys.argv = ["northstar", *json.loads(sys.argv[1])]
from cli.main import main
try:
    code = main()
except SystemExit as exc:  # --help and argparse's own errors
    code = exc.code
print("IMPORTED " + json.dumps(sorted(m for m in HEAVY if sys.modules.get(m) is not None)), file=sys.stderr)
sys.exit(code)
"""


def imported(*argv: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run `northstar argv` in a fresh interpreter; its result and the heavy packages it imported."""
    code = PROBE.replace("HEAVY", repr(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(list(argv))],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    marker = [line for line in done.stderr.splitlines() if line.startswith("IMPORTED ")]
    assert marker, done.stderr
    return done, json.loads(marker[-1].removeprefix("IMPORTED "))


BAD_WINDOW = ["run", "orders", "--start", "tomorrow", "--end", "2026-11-20T12:15:00+00:00"]


@pytest.mark.parametrize("argv", [["--help"], ["batches", "--help"], BAD_WINDOW])
def test_help_and_bad_arguments_import_no_client_library(argv: list[str]) -> None:
    done, heavy = imported(*argv)
    assert done.returncode in (0, 2)
    assert heavy == []


def test_a_read_uses_the_real_connector_and_nothing_else_heavy(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env()
    done, heavy = imported("query", "SELECT COUNT(*) AS N FROM OPS.LOAD_BATCHES", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"N": 0}
    assert heavy == ["snowflake.connector"]
