"""The README's CLI examples run, so they cannot go stale: each line of the marked block, as a shell runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from cli.main import main
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- cli-examples:"


def readme_examples() -> list[str]:
    """The command lines of the ```sh block that follows the README's cli-examples marker."""
    text = (ROOT / "README.md").read_text()
    block = re.search(re.escape(MARKER) + r".*?-->\n```sh\n(.*?)\n```", text, re.DOTALL)
    assert block, "README.md lost its cli-examples block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_the_readme_examples_run(pipeline_env: Callable[..., dict[str, str]], source_db: str) -> None:
    pipeline_env()
    with psycopg.connect(source_db) as conn:  # one committed batch with order 1000024 (a demo order id) quarantined
        conn.cursor().executemany(
            "INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [source_row(1000023, 1), source_row(1000024, 2, total_amount_minor=-10), source_row(1000025, 3)],
        )
    start, end = T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat()
    assert main(["run", "orders", "--start", start, "--end", end]) == 0
    examples = readme_examples()
    assert len(examples) >= 5
    for line in examples:
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", line], cwd=ROOT, env=os.environ, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"{line}: {done.stderr}"
        assert done.stdout.strip() and "Traceback" not in done.stderr, line
        if "--json" in line:
            assert all(isinstance(json.loads(row), dict) for row in done.stdout.splitlines()), line
