"""Helpers of the backfill, reprocess and crash-matrix tests: a real `northstar` subprocess, a seeded source."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from prefect.settings import PREFECT_API_URL

from tests.helpers import T0, source_row

INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def northstar(*args: str, extra_env: dict[str, str] | None = None, wait: bool = True, new_session: bool = False) -> Any:
    """`northstar ARGS` as a subprocess on the test's home, using the session's Prefect server: (out, err, code),
    or the Popen when wait is False (new_session: its own process group, for killing it with its children)."""
    env = dict(os.environ) | {"PREFECT_API_URL": str(PREFECT_API_URL.value())} | (extra_env or {})
    cmd = [str(Path(sys.executable).parent / "northstar"), *args]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=new_session
    )
    return (*proc.communicate(timeout=600), proc.returncode) if wait else proc


def seed_windows(dsn: str, windows: int, per_window: int = 3) -> int:
    """per_window orders in each 15-minute window after T0, the last of each with a negative total (quarantined);
    the number of orders seeded."""
    rows = []
    for w in range(windows):
        for i in range(per_window):
            order_id = w * 100 + i + 1
            total = -5 if i == per_window - 1 else 2500 + order_id  # distinct purchases: no duplicate orders
            rows.append(source_row(order_id, 15 * w + 1 + i, customer_id=1000 + order_id, total_amount_minor=total))
    with psycopg.connect(dsn) as conn:
        conn.cursor().executemany(INSERT, rows)
    return len(rows)


def span(windows: int, minutes: int = 15) -> tuple[str, str]:
    """The ISO bounds of the first `windows` windows after T0."""
    return T0.isoformat(), (T0 + timedelta(minutes=minutes * windows)).isoformat()
