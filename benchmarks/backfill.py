"""Benchmark `northstar backfill` and `northstar reprocess` at the largest size this machine allows in the time.

`make bench`, or
`.venv/bin/python -m benchmarks.backfill --orders 24000 240000 --days 1 2 --window 1h --workers 2`:
for each (orders, days) it seeds a scratch PostgreSQL database with that many orders (and their 1-3 lines) spread
evenly over the days, runs the real CLI `northstar backfill --json` as a subprocess into a fresh warehouse, and
samples the resident memory of every process of its tree (the flow's process and each worker) every 0.25 s.
The fixed cost of a window is the intercept of a least-squares line through every window's (rows, seconds) of both
runs (their rows per window differ tenfold). Then `northstar reprocess` of the first run's day with unchanged code
(every window replayed from its landed raw, diffed in its publish transaction, rolled back). `--day-orders N`
adds one day at production volume (N orders in `--day-window` windows: 9600000 in 96 of 15 minutes) and its
reprocess. Writes the `backfill` section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks import common as bench
from demo.seed import ensure_database, seed_bulk

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "northstar_bench_backfill"
START = datetime(2026, 1, 1, tzinfo=UTC)  # far enough back that every window of the largest range has settled
PACKAGES = ("duckdb", "pyarrow", "fakesnow", "snowflake-connector-python", "prefect")


@dataclass
class TreeRss:
    """Peak VmRSS per process of a process tree, sampled from /proc (the flow process and its pool workers)."""

    root: int
    peaks: dict[int, float] = field(default_factory=dict)  # pid -> MB
    roles: dict[int, str] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            for pid in self._tree():
                mb = _rss_mb(pid)
                if mb is not None:
                    self.peaks[pid] = max(self.peaks.get(pid, 0.0), mb)
                    self.roles.setdefault(pid, _role(pid, self.root))
            time.sleep(0.25)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def peak(self, role: str) -> float:
        """The largest peak among processes of a role (flow, worker, prefect-server)."""
        return max((mb for pid, mb in self.peaks.items() if self.roles.get(pid) == role), default=0.0)


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _role(pid: int, root: int) -> str:
    if pid == root:
        return "flow"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other"
    return "worker" if "spawn_main" in cmd else "prefect-server" if "uvicorn" in cmd or "prefect" in cmd else "other"


def run_cli(args: list[str], env: dict[str, str]) -> tuple[list[dict[str, Any]], float, TreeRss, int]:
    """The CLI as a subprocess: its JSON lines, wall seconds, sampled memory, exit code."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "northstar"), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    rss = TreeRss(proc.pid)
    sampler = threading.Thread(target=rss.run, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    rss.stop.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"northstar {' '.join(args)} failed ({proc.returncode}): {err[-3000:]}")
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    return lines, wall, rss, proc.returncode


def backfill(env: dict[str, str], start: datetime, days: int, window: str, workers: int) -> dict[str, Any]:
    """One measured backfill over [start, start + days)."""
    end = start + timedelta(days=days)
    args = ["backfill", "--source", "orders", "--start", start.isoformat(), "--end", end.isoformat(),
            "--window", window, "--workers", str(workers), "--json", "--reason", "benchmark"]  # fmt: skip
    lines, wall, rss, _ = run_cli(args, env)
    windows = [x for x in lines if "summary" not in x]
    stages = {s: sum(w["seconds"].get(s, 0.0) for w in windows) for s in ("extract", "validate", "publish")}
    return {"lines": windows, "summary": lines[-1]["summary"], "wall": wall, "rss": rss, "stages": stages,
            "window_wall": sum(w["wall_seconds"] for w in windows)}  # fmt: skip


def reprocess_day(env: dict[str, str], start: datetime) -> dict[str, Any]:
    args = ["reprocess", "--source", "orders", "--start", start.isoformat(),
            "--end", (start + timedelta(days=1)).isoformat(), "--reason", "benchmark", "--json"]  # fmt: skip
    lines, wall, rss, _ = run_cli(args, env)
    return {"batches": len(lines), "statuses": sorted({x["status"] for x in lines}), "wall": wall, "rss": rss}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, nargs="+", default=[24_000, 240_000])
    parser.add_argument("--days", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--window", default="1h")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--day-orders", type=int, default=0, help="also one day at this many orders in --day-window windows, then "
        "its reprocess (production volume: 9600000 orders in 96 windows of 15m); 0 skips it",
    )  # fmt: skip
    parser.add_argument("--day-window", default="15m")
    args = parser.parse_args(argv)
    runs = []
    for orders, days in zip(args.orders, args.days, strict=True):
        runs.append(measure(orders, days, args.window, args.workers, reprocess=orders == args.orders[0]))
    day = measure(args.day_orders, 1, args.day_window, args.workers, reprocess=True) if args.day_orders else None
    bench.write_section("backfill", render(runs, args, day))


def measure(orders: int, days: int, window: str, workers: int, *, reprocess: bool) -> dict[str, Any]:
    """Seed `orders` over `days` days, backfill them in `window` windows (and reprocess the first day)."""
    home = bench.scratch_home("northstar-bench-backfill-")
    dsn = ensure_database(ADMIN_DSN, BENCH_DB, recreate=True)
    bench.progress(f"seeding {orders:,} orders over {days} day(s)")
    seed_bulk(dsn, start=START, end=START + timedelta(days=days), orders=orders)
    env = dict(os.environ) | {"NORTHSTAR_HOME": str(home), "NORTHSTAR_SOURCE_PG_DSN": dsn}
    env |= {"PREFECT_HOME": str(home / "prefect"), "NORTHSTAR_MARTS_PUBLISH": "false"}
    bench.progress(f"backfill {orders:,} orders, {days} day(s), {window} windows, {workers} workers")
    run = backfill(env, START, days, window, workers) | {"orders": orders, "days": days, "window": window}
    if reprocess:
        bench.progress("reprocess of the first day, unchanged code")
        run["reprocess"] = reprocess_day(env, START)
    subprocess.run([str(Path(sys.executable).parent / "northstar"), "down"], env=env, check=False)
    return run


def render(runs: list[dict[str, Any]], args: argparse.Namespace, day: dict[str, Any] | None = None) -> str:
    from benchmarks.backfill_report import render_report

    return render_report(runs, args, bench.machine_facts(PACKAGES), bench.load_average(), day)


if __name__ == "__main__":
    main()
