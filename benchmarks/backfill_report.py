"""The `backfill` section of BENCHMARKS.md from benchmarks/backfill.py's measurements, with the projection."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import markdown_table

TARGET_ORDERS = (12_000_000, 120_000_000)
HISTORY_WINDOWS = 365 * 24  # a year of hourly windows holding the 120M history


def render_report(runs: list[dict[str, Any]], args: argparse.Namespace, facts: dict[str, str], load: str) -> str:
    """Markdown: measured backfills, fixed cost per window, reprocess of a day, and the projection to 12M/120M."""
    rows = []
    for r in runs:
        s = r["summary"]
        rows.append(
            [
                f"{r['orders']:,}",
                r["days"],
                s["windows"],
                s["committed"],
                f"{s['rows_extracted']:,}",
                f"{r['wall']:.1f}",
                f"{r['orders'] / r['wall']:,.0f}",
                f"{r['stages']['extract']:.1f}",
                f"{r['stages']['validate']:.1f}",
                f"{r['stages']['publish']:.1f}",
                f"{r['rss'].peak('worker'):.0f}",
                f"{r['rss'].peak('flow'):.0f}",
            ]
        )
    first = runs[0]
    rep = first["reprocess"]
    last = runs[-1]
    work = sum(last["stages"].values())
    windows = [w for r in runs for w in r["lines"] if w["status"] == "COMMITTED"]
    fixed, per_row = _fit([(w["rows_extracted"], w["wall_seconds"]) for w in windows])
    pub_fixed, pub_row = _fit([(w["rows_extracted"], w["seconds"].get("publish", 0.0)) for w in windows])
    sizes = ", ".join(f"{r['orders']:,}" for r in runs)
    rss_path = " -> ".join(f"{r['rss'].peak('worker'):.0f} MB" for r in runs)
    size_path = " -> ".join(f"{r['orders']:,}" for r in runs)
    share = {k: v / max(work, 1e-9) for k, v in last["stages"].items()}
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    lines = [
        f"Measured {stamp}. Reproduce: `.venv/bin/python -m benchmarks.backfill --orders "
        f"{' '.join(str(r['orders']) for r in runs)} --days {' '.join(str(r['days']) for r in runs)} --window "
        f"{args.window} --workers {args.workers}` (part of `make bench`).",
        "",
        f"Workload: scratch PostgreSQL database with N valid orders (1-3 lines each, `demo.seed.seed_bulk`) spread "
        f"evenly over the days; the real CLI `northstar backfill --source orders --window {args.window} --workers "
        f"{args.workers} --json` into a fresh local warehouse (fakesnow), with its own ephemeral Prefect server. "
        "Peak RSS is VmRSS of each process of the command's tree sampled every 0.25 s: *worker* is the largest "
        "of the ProcessPoolTaskRunner's worker processes, *flow* the command's own process. Stage seconds are "
        "summed over windows (workers overlap, so they can exceed the wall time). **Sizes measured: "
        f"{sizes} orders, not 12M**: the machine (2 cores shared by ~6 "
        f"engineers, load average {load}) and the time left allowed no more; 12M and 120M are projected below.",
        "",
        markdown_table(
            [
                "orders",
                "days",
                "windows",
                "committed",
                "rows extracted",
                "wall s",
                "orders/s",
                "extract s",
                "validate s",
                "publish s",
                "peak RSS MB / worker",
                "peak RSS MB flow",
            ],
            rows,
        ),
        "",
        f"Peak RSS per worker as the history grows: {rss_path} for {size_path} orders "
        "(same rows per window; a worker holds one "
        "window at a time, so its memory follows the window's size, not the history's).",
        "",
        f"**Fixed cost per window**: a least-squares line through the {len(windows)} committed windows' (rows "
        f"extracted, seconds in their worker) gives {fixed:.2f} s per window plus {per_row * 1e6:.1f} s per million "
        f"rows; for the publish alone {pub_fixed:.2f} s per window plus {pub_row * 1e6:.1f} s per million rows. The "
        "fixed part is what a window costs beyond its rows: its Prefect task runs, the lease taken, renewed and "
        "released, the staging DDL, PUT and COPY round trips and the ledger and check-result statements of the "
        "publish transaction on the emulator, and the lineage events. Each command also pays its start "
        "(imports, the ephemeral Prefect server, spawning the workers) once.",
        "",
        f"**Reprocess of one day** (first run's day 1, {rep['batches']} windows, unchanged code: every window read "
        f"from its landed raw, checked, published into an open transaction, diffed, rolled back; statuses "
        f"{', '.join(rep['statuses'])}): {rep['wall']:.1f} s wall, peak RSS {rep['rss'].peak('flow'):.0f} MB.",
        "",
        "**Projection** (arithmetic from the fit above: "
        f"a window costs {fixed:.2f} s + {per_row * 1e6:.1f} s per million rows of worker time; its publish "
        f"{pub_fixed:.2f} s + {pub_row * 1e6:.1f} s per million rows, serialized by the source's load lock; the "
        f"history is {HISTORY_WINDOWS:,} hourly windows):",
        "",
        markdown_table(
            ["orders", "workers N", "worker time / N", "publish (serial)", "projected wall"],
            _projection(fixed, per_row, pub_fixed, pub_row),
        ),
        "",
        "Projected wall = max(serial publish, worker time / N) + the command's start: publish is one "
        "transaction per window under the source's lock, so it does not shrink with N. On this emulator the "
        "publish rate is fakesnow's (DuckDB behind HTTP on the same 2 cores); Snowflake's COPY/DELETE+INSERT on "
        "a warehouse is the figure to put in for production (benchmarks/orders_batch.py publishes 1M orders in one "
        "window in ~1.6 s in-process, so most of a small window's publish here is the emulator's per-statement "
        "cost under this machine's load). The 1-hour target for 120M is not met on these numbers: the serial "
        "publish alone exceeds it; it needs a per-window publish well under 0.4 s (8,760 windows in an hour).",
        "",
        f"**Where the time goes** (largest run, {work:.0f} s of window work): extract {share['extract']:.0%}, "
        f"validate {share['validate']:.0%}, publish {share['publish']:.0%}; "
        "beyond the rows each window pays the fixed cost "
        "above.",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()) + ".",
    ]
    return "## Backfill and reprocess (`benchmarks/backfill.py`)\n\n" + "\n".join(lines)


def _projection(fixed: float, per_row: float, pub_fixed: float, pub_row: float) -> list[list[str]]:
    rows = []
    for orders in TARGET_ORDERS:
        for n in (2, 8, 32):
            work = HISTORY_WINDOWS * fixed + orders * per_row
            pub = HISTORY_WINDOWS * pub_fixed + orders * pub_row
            rows.append([f"{orders:,}", str(n), _hms(work / n), _hms(pub), _hms(max(pub, work / n))])
    return rows


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope of seconds against rows."""
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0
    return my - slope * mx, slope


def _hms(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"
