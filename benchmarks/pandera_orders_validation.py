"""Measure pandera + polars against the project's DuckDB router on one 1M-row orders batch (the same checks).

The design card names pandera and polars; the project validates in DuckDB. This script measures both on the
same landed Parquet file, each in a fresh process (so each peak RSS is its own): the project's route
(`load_batch` + `route` over ORDERS_CHECKS, then passed.parquet and quarantined.parquet written as the flow
writes them) and a pandera DataFrameModel over a polars DataFrame with the same nine checks, validated lazily
(every failure case collected), routed the same way and written the same way. It asserts both find the same
failing rows per check, and prints seconds (median of --runs, alternating) and peak RSS per variant.

pandera and polars are not project dependencies; install them in a separate environment to run this:

    uv venv /tmp/pandera-venv && uv pip install --python /tmp/pandera-venv/bin/python \\
        "pandera[polars]==0.35.0" polars duckdb==2.0.0 pyarrow==26.0.1
    PYTHONPATH=. /tmp/pandera-venv/bin/python -m benchmarks.pandera_orders_validation --orders 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

from northstar.sqlfiles import read_sql
from validators.contracts import ORDERS
from validators.duplicates import ORDERS_DUPLICATE_CHECKS
from validators.result import Severity
from validators.router import load_batch, route
from validators.schema import ORDERS_ROW_CHECKS

WINDOW_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(minutes=15)
FAULT_EVERY = 600  # one order in 600 per fault kind, as benchmarks/orders_batch.py injects them
CHECKS = ORDERS_ROW_CHECKS + ORDERS_DUPLICATE_CHECKS
ERRORS = {c.check_id for c in CHECKS if c.severity is Severity.ERROR}
COLUMNS = ("order_id", "customer_id", "status", "currency", "total_amount_minor", "created_at", "updated_at")
GENERATE = """
COPY (
    WITH base AS (
        SELECT i::BIGINT AS order_id,
               CASE WHEN i % $every = 3 THEN NULL ELSE 1 + (i * 7919) % 50000 END::BIGINT AS customer_id,
               ['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded'][1 + i % 6] AS status,
               CASE WHEN i % $every = 2 THEN 'usd' ELSE ['USD', 'EUR', 'GBP', 'JPY'][1 + i % 4] END AS currency,
               CASE WHEN i % $every = 1 THEN -1 - (i * 37) % 100000 ELSE (i * 37) % 100000 END::BIGINT
                   AS total_amount_minor,
               $start + to_seconds(i % 600) AS created_at,
               $start + to_seconds(i % 600 + i % 240) AS updated_at
        FROM range(1, $orders + 1) AS t(i)
    )
    SELECT * FROM base
    UNION ALL SELECT * FROM base WHERE order_id % $every = 4
    UNION ALL SELECT * REPLACE (total_amount_minor + 1 AS total_amount_minor) FROM base WHERE order_id % $every = 5
    UNION ALL SELECT * REPLACE ('pending' AS status, updated_at - INTERVAL 1 SECOND AS updated_at)
        FROM base WHERE order_id % $every = 0 AND updated_at - created_at >= INTERVAL 1 SECOND
) TO '$path' (FORMAT parquet)
"""


def generate(path: Path, orders: int) -> int:
    """Write the batch: `orders` orders in one window plus the faults; the number of rows written."""
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        sql = GENERATE.replace("$path", str(path))  # COPY TO takes no bound path; ours, not data
        con.execute(sql, {"every": FAULT_EVERY, "start": WINDOW_START, "orders": orders})
        row = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": str(path)}).fetchone()
    return int(row[0]) if row else 0


def run_duckdb(path: Path, folder: Path) -> dict[str, int]:
    """The project's way (flows/orders_microbatch.py validate_orders, orders part): failures per check."""
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        routed = route(con, ORDERS, CHECKS, load_batch(con, path, ORDERS), {"window_end": WINDOW_END})
        for relative in ("checks/copy_passed.sql", "checks/copy_quarantined.sql"):
            con.execute(read_sql(relative).replace("$folder", str(folder)))
    return {r.check_id: r.rows_failed for r in routed.results if r.check_id in {c.check_id for c in CHECKS}}


def child(variant: str, path: Path, folder: Path) -> None:
    """Run one variant in this process and print its seconds, RSS before and peak RSS (MiB) and failures."""
    if variant == "pandera":  # imported before the clock starts, as duckdb is
        from benchmarks.pandera_orders_model import run_pandera as run  # pandera, polars: not project dependencies
    else:
        run = run_duckdb
    rss_before, cpu0, t0 = _status_kb("VmRSS"), _cpu_seconds(), time.perf_counter()
    failed = run(path, folder)
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    peak = _status_kb("VmHWM")
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rss_before_mib": rss_before / 1024,
                      "peak_mib": peak / 1024, "failed": failed}))  # fmt: skip


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _status_kb(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS now, VmHWM the peak so far)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def measure(orders: int, runs: int) -> None:
    """Generate the batch, run each variant `runs` times (alternating, a fresh process each), print the table."""
    with tempfile.TemporaryDirectory(prefix="pandera-bench-") as tmp:
        path = Path(tmp) / "orders.parquet"
        rows = generate(path, orders)
        measured: dict[str, list[dict[str, Any]]] = {"duckdb": [], "pandera": []}
        for run in range(runs):
            for variant in measured:
                folder = Path(tmp) / f"{variant}-{run}"
                folder.mkdir()
                command = [sys.executable, "-m", "benchmarks.pandera_orders_validation", "--child", variant]
                out = subprocess.run([*command, str(path), str(folder)], check=True, capture_output=True, text=True)
                measured[variant].append(json.loads(out.stdout.splitlines()[-1]))
        failed = {variant: results[0]["failed"] for variant, results in measured.items()}
        assert failed["duckdb"] == failed["pandera"], failed
        _same_outputs(Path(tmp) / "duckdb-0", Path(tmp) / "pandera-0")
        print(f"{rows:,} rows ({orders:,} orders + faults); failures per check (both): {failed['duckdb']}")
        print("| variant | runs s | median s | median CPU-s | rows/s | RSS before MiB | peak RSS MiB |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for variant, results in measured.items():
            print(_row(variant, results, rows))
        print(f"duckdb {version('duckdb')}, polars {version('polars')}, pandera {version('pandera')}")


def _row(variant: str, results: list[dict[str, Any]], rows: int) -> str:
    """One Markdown table row: every run's seconds, the medians, rows/s and the largest RSS figures."""
    seconds = [r["seconds"] for r in results]
    median, cpu = statistics.median(seconds), statistics.median(r["cpu_seconds"] for r in results)
    runs = ", ".join(f"{s:.2f}" for s in seconds)
    before, peak = max(r["rss_before_mib"] for r in results), max(r["peak_mib"] for r in results)
    return f"| {variant} | {runs} | {median:.2f} | {cpu:.2f} | {rows / median:,.0f} | {before:,.0f} | {peak:,.0f} |"


def _same_outputs(a: Path, b: Path) -> None:
    """Both variants passed the same rows and quarantined the same rows with the same reasons."""
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        for name, columns in (("passed", "*"), ("quarantined", "_source_row, reasons::VARCHAR")):
            sql = (f"SELECT count(*) FROM ((SELECT {columns} FROM read_parquet($a) EXCEPT ALL SELECT {columns} FROM "
                   f"read_parquet($b)) UNION ALL (SELECT {columns} FROM read_parquet($b) EXCEPT ALL SELECT {columns} "
                   f"FROM read_parquet($a)))")  # fmt: skip
            row = con.execute(sql, {"a": str(a / f"{name}.parquet"), "b": str(b / f"{name}.parquet")}).fetchone()
            assert row is not None and row[0] == 0, f"{name}.parquet: {row} rows differ"


def main() -> None:
    """Command line: --orders N --runs R, or --child VARIANT PATH FOLDER (internal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "PATH", "FOLDER"))
    args = parser.parse_args()
    if args.child:
        variant, path, folder = args.child
        child(variant, Path(path), Path(folder))
    else:
        measure(args.orders, args.runs)


if __name__ == "__main__":
    main()
