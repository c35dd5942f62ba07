"""The `backfill` section of BENCHMARKS.md from benchmarks/backfill.py's measurements, with the projection."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import markdown_table

TARGET_ORDERS = (12_000_000, 120_000_000)
HISTORY_WINDOWS = {"1h": 365 * 24, "1d": 365}  # a year of history, in hourly or daily windows
# Per-row seconds measured in-process at 1M rows (BENCHMARKS.md, orders micro-batch: 5.20 s for the whole batch,
# 1.57 s publish, of 1,004,999 rows): used when this run's windows are too small for their rows' cost to show.
IN_PROCESS_PER_ROW, IN_PROCESS_PUBLISH_PER_ROW = 5.20 / 1_004_999, 1.57 / 1_004_999


def render_report(
    runs: list[dict[str, Any]],
    args: argparse.Namespace,
    facts: dict[str, str],
    load: str,
    day: dict[str, Any] | None = None,
) -> str:
    """Markdown: measured backfills, fixed cost per window, reprocess of a day (and of one day at production volume
    when `day` is given), and the projection to 12M/120M with the configurations that meet the 1-hour target."""
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
    fitted = per_row > 0 and pub_row > 0
    if not fitted:  # the rows' cost is below this loaded machine's noise: all of a window's time counts as fixed
        fixed = sum(w["wall_seconds"] for w in windows) / len(windows)
        pub_fixed = sum(w["seconds"].get("publish", 0.0) for w in windows) / len(windows)
        per_row, pub_row = IN_PROCESS_PER_ROW, IN_PROCESS_PUBLISH_PER_ROW
    sizes = ", ".join(f"{r['orders']:,}" for r in runs)
    rss_path = " -> ".join(f"{r['rss'].peak('worker'):.0f} MB" for r in runs)
    size_path = " -> ".join(f"{r['orders']:,}" for r in runs)
    share = {k: v / max(work, 1e-9) for k, v in last["stages"].items()}
    per_window = " -> ".join(f"{r['orders'] // max(r['summary']['windows'], 1):,}" for r in runs)
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    projection = _projection(fixed, per_row, pub_fixed, pub_row)
    reproduce = (
        f"`.venv/bin/python -m benchmarks.backfill --orders {' '.join(str(r['orders']) for r in runs)} --days "
        f"{' '.join(str(r['days']) for r in runs)} --window {args.window} --workers {args.workers}"
        + (f" --day-orders {day['orders']} --day-window {day['window']}" if day else "")
        + "`"
    )
    lines = [
        f"Measured {stamp}. Reproduce: {reproduce} (`make bench` runs it at 24,000 and 240,000 orders).",
        "",
        f"Workload: scratch PostgreSQL database with N valid orders (1-3 lines each, `demo.seed.seed_bulk`) spread "
        f"evenly over the days; the real CLI `northstar backfill --source orders --window {args.window} --workers "
        f"{args.workers} --json` into a fresh local warehouse (fakesnow), with its own ephemeral Prefect server. "
        "Peak RSS is VmRSS of each process of the command's tree sampled every 0.25 s: *worker* is the largest "
        "of the ProcessPoolTaskRunner's worker processes, *flow* the command's own process. Stage seconds are "
        "summed over windows (workers overlap, so they can exceed the wall time). "
        + _sizes_text(sizes, max(r["orders"] for r in runs), load),
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
        *_uncommitted(runs),
        f"Peak RSS per worker as the history grows: {rss_path} for {size_path} orders ({per_window} orders per "
        "window): a worker holds one window at a time, so its memory follows the window's size, not the history's.",
        "",
        f"**Fixed cost per window**: {_fixed_text(fitted, len(windows), fixed, pub_fixed)}. The "
        "fixed part is what a window costs beyond its rows: its Prefect task runs, the lease taken, renewed and "
        "released, the staging DDL, PUT and COPY round trips and the ledger and check-result statements of the "
        "publish transaction on the emulator, and the lineage events. Each command also pays its start "
        "(imports, the ephemeral Prefect server, spawning the workers) once.",
        "",
        f"**Reprocess of one day** (first run's day 1, {rep['batches']} window{'s' if rep['batches'] != 1 else ''}, "
        "unchanged code: every window read "
        f"from its landed raw, checked, published into an open transaction, diffed, rolled back; statuses "
        f"{', '.join(rep['statuses'])}): {rep['wall']:.1f} s wall, peak RSS {rep['rss'].peak('flow'):.0f} MB.",
        "",
        *([_day_text(day), ""] if day else []),
        "**Projection** (arithmetic from the fit above: "
        f"a window costs {fixed:.2f} s + {per_row * 1e6:.1f} s per million rows of worker time; its publish "
        f"{pub_fixed:.2f} s + {pub_row * 1e6:.1f} s per million rows, serialized by the source's load lock; the "
        "history is a year: 8,760 hourly or 365 daily windows):",
        "",
        markdown_table(
            ["orders", "window", "workers N", "worker time / N", "publish (serial)", "projected wall"],
            projection,
        ),
        "",
        "Projected wall = max(serial publish, worker time / N) + the command's start: publish is one "
        "transaction per window under the source's lock, so it does not shrink with N. On this emulator the "
        "publish rate is fakesnow's (DuckDB behind HTTP on the same 2 cores); Snowflake's COPY/DELETE+INSERT on "
        "a warehouse is the figure to put in for production (benchmarks/orders_batch.py publishes 1M orders in one "
        "window in ~1.6 s in-process, so most of a small window's publish here is the emulator's per-statement "
        "cost under this machine's load). " + _target_text(projection),
        "",
        f"**Where the time goes** (largest run, {work:.0f} s of window work): extract {share['extract']:.0%}, "
        f"validate {share['validate']:.0%}, publish {share['publish']:.0%}; "
        "beyond the rows each window pays the fixed cost "
        "above.",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()) + ".",
    ]
    return "## Backfill and reprocess (`benchmarks/backfill.py`)\n\n" + "\n".join(lines)


def _uncommitted(runs: list[dict[str, Any]]) -> list[str]:
    """One paragraph per run with windows that did not commit: each such window's status and reason."""
    out = []
    for r in runs:
        missed = [w for w in r["lines"] if w["status"] != "COMMITTED"]
        if missed:
            named = "; ".join(f"{w['window_start']} {w['status']}: {w.get('reason') or ''}" for w in missed[:5])
            out += [f"{len(missed)} of the {r['orders']:,}-order run's windows did not commit: {named}.", ""]
    return out


def _sizes_text(sizes: str, largest: int, load: str) -> str:
    machine = f"2 cores shared with other work, load average {load} at the end"
    if largest >= TARGET_ORDERS[0]:
        return f"**Sizes measured: {sizes} orders** ({machine}); 120M is projected below."
    return (
        f"**Sizes measured: {sizes} orders, not 12M**: the machine ({machine}) and the time left allowed no more; "
        "12M and 120M are projected below."
    )


def _day_text(day: dict[str, Any]) -> str:
    s, rep, stages = day["summary"], day["reprocess"], day["stages"]
    return (
        f"**One day at production volume**: {day['orders']:,} orders (with their lines) in one day, "
        f"{s['windows']} windows of {day['window']} ({day['orders'] // max(s['windows'], 1):,} orders each): backfill "
        f"{day['wall']:.1f} s wall ({day['orders'] / day['wall']:,.0f} orders/s; extract {stages['extract']:.0f} "
        f"s, validate {stages['validate']:.0f} s, publish {stages['publish']:.0f} s summed over "
        f"windows; peak RSS {day['rss'].peak('worker'):.0f} MB per worker). Its reprocess (`northstar reprocess "
        f"--source orders` over the day, unchanged code: each of the {rep['batches']} windows read from its landed "
        "raw, checked, published into an open transaction, diffed against what is published, rolled back; "
        f"statuses {', '.join(rep['statuses'])}): {rep['wall']:.1f} s wall, peak RSS "
        f"{rep['rss'].peak('flow'):.0f} MB."
    )


def _target_text(projection: list[list[str]]) -> str:
    """Which projected configurations for 120M orders finish within the 1-hour target."""
    big = [r for r in projection if r[0] == f"{TARGET_ORDERS[1]:,}"]
    met = [f"`--window {r[1]}` with {r[2]} workers ({r[5]})" for r in big if _hours(r[5]) < 1]
    bound = "the serial publish being the bound where workers no longer help"
    if not met:
        return f"The 1-hour target for 120M is not met by any projected configuration ({bound})."
    return f"The 1-hour target for 120M is met on these numbers by {', '.join(met)}; {bound}."


def _hours(text: str) -> float:
    value, unit = text.split()
    return float(value) if unit == "h" else float(value) / 60


def _projection(fixed: float, per_row: float, pub_fixed: float, pub_row: float) -> list[list[str]]:
    rows = []
    for orders in TARGET_ORDERS:
        for window, count in HISTORY_WINDOWS.items():
            for n in (2, 8, 32):
                work, pub = count * fixed + orders * per_row, count * pub_fixed + orders * pub_row
                rows.append([f"{orders:,}", window, str(n), _hms(work / n), _hms(pub), _hms(max(pub, work / n))])
    return rows


def _fixed_text(fitted: bool, windows: int, fixed: float, pub_fixed: float) -> str:
    if fitted:
        return (
            f"a least-squares line through the {windows} committed windows' (rows, seconds in their worker) "
            f"crosses zero rows at {fixed:.2f} s per window ({pub_fixed:.2f} s of it publishing)"
        )
    return (
        f"{fixed:.2f} s per window in its worker, {pub_fixed:.2f} s of it publishing, averaged over the "
        f"{windows} committed windows: their rows' own cost did not show above this loaded machine's noise "
        "(a line through (rows, seconds) came out with a negative slope), so the projection takes the per-row "
        "cost from the in-process orders benchmark (5.2 s, of it 1.6 s publishing, per million rows)"
    )


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope of seconds against rows."""
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0
    return my - slope * mx, slope


def _hms(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"
