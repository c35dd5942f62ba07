"""Benchmark one orders micro-batch of 1M rows: extract, validate (vs benchmarks/lean_orders_validation.py), publish.

`make bench` or `.venv/bin/python -m benchmarks.orders_batch`: seeds a scratch PostgreSQL database, runs the flow's
task functions without Prefect (`.fn`), writes the `orders` section of BENCHMARKS.md and drops what it created.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from benchmarks import common as bench
from benchmarks.lean_orders_validation import Verdict, assert_same_outputs, lean_validate, project_verdict
from demo.seed import ensure_database, seed_bulk
from northstar.batches import Window, batch_id
from northstar.settings import Settings, load_settings

if TYPE_CHECKING:
    from flows.engine import Validated
    from northstar.loads import BatchRecord
    from northstar.sources.orders.landing import LandedBatch

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "northstar_bench"
WINDOW_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW_LENGTH = timedelta(minutes=15)  # every seeded row falls in this one micro-batch window
RUNS = 3  # validation runs each for the project and the lean query, alternating; medians are compared
TARGET_VALIDATE_SECONDS, TARGET_VALIDATE_RATIO, TARGET_EXTRACT_SECONDS, TARGET_BATCH_SECONDS = 1.5, 1.5, 10.0, 60.0
PACKAGES = ("duckdb", "pyarrow", "adbc-driver-postgresql", "fakesnow", "snowflake-connector-python", "prefect")

# Faults: one order in FAULT_EVERY per kind, each kind on its own residue, so six kinds make ~1% faulty rows.
FAULT_EVERY = 600
_SLOT = "mod(order_id, %(every)s) = %(slot)s"
_COLS = "order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at"
FAULTS = {
    "negative_total": f"UPDATE orders SET total_amount_minor = -total_amount_minor WHERE {_SLOT}",
    "bad_currency": f"UPDATE orders SET currency = 'usd' WHERE {_SLOT}",
    "null_customer": f"UPDATE orders SET customer_id = NULL WHERE {_SLOT}",
    "repeated_row": f"INSERT INTO orders ({_COLS}) SELECT {_COLS} FROM orders WHERE {_SLOT}",
    "conflicting_version": f"INSERT INTO orders ({_COLS}) SELECT order_id, customer_id, status, currency, "
    f"total_amount_minor + 1, created_at, updated_at FROM orders WHERE {_SLOT}",
    "superseded_version": f"INSERT INTO orders ({_COLS}) SELECT order_id, customer_id, 'pending', currency, "
    f"total_amount_minor, created_at, updated_at - %(age)s FROM orders "
    f"WHERE {_SLOT} AND updated_at - created_at >= %(age)s",
}


def seed_source(dsn: str, orders: int) -> dict[str, int]:
    """Seed `orders` valid rows in one window, then inject the faults; rows written per fault kind."""
    seed_bulk(dsn, start=WINDOW_START, end=WINDOW_START + WINDOW_LENGTH, orders=orders)
    params: dict[str, Any] = {"every": FAULT_EVERY, "age": timedelta(seconds=1)}
    with psycopg.connect(dsn) as conn:
        counts = {
            kind: conn.execute(statement, params | {"slot": slot}).rowcount
            for slot, (kind, statement) in enumerate(FAULTS.items(), start=1)
        }
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE orders")
    return counts


def admin(statement: sql.Composed | str) -> str:
    """Run one statement on the admin connection; the first column of its first row, if any."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        cur = conn.execute(statement)
        row = cur.fetchone() if cur.description else None
    return str(row[0]) if row else ""


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    rows: int
    peak_rss_mb: float
    note: str = ""


@dataclass
class BenchRun:
    """Everything the report shows."""

    orders: int
    faults: dict[str, int]
    seed_seconds: float
    load_before: str
    stages: dict[str, Stage] = field(default_factory=dict)
    project: list[bench.Timing] = field(default_factory=list)
    lean: list[bench.Timing] = field(default_factory=list)
    verdict: Verdict | None = None
    record: BatchRecord | None = None
    lines: int = 0  # order lines landed with the orders (validated by the project and the lean queries)

    def add(self, name: str, timing: bench.Timing, rows: int, note: str = "") -> None:
        self.stages[name] = Stage(name, timing.seconds, rows, timing.peak_rss_mb, note)

    def seconds(self, name: str) -> float:
        return self.stages[name].seconds

    @property
    def batch_seconds(self) -> float:
        return sum(self.seconds(name) for name in ("extract", "validate", "publish"))

    @property
    def ratio(self) -> float:
        return median(self.project) / median(self.lean)


def median(timings: list[bench.Timing]) -> float:
    return statistics.median(t.seconds for t in timings)


def validate_vs_lean(
    run: BenchRun, settings: Settings, landed: LandedBatch, window: Window, sampler: bench.RssSampler
) -> Validated:
    """Validate with the project and the lean query RUNS times each, alternating; assert they agree."""
    from flows.orders_microbatch import validate_orders

    lean_folder = settings.home / "lean"
    assert landed.lines_file is not None, "the benchmark lands lines with its orders"
    orders_file, lines_file = landed.local_file, landed.lines_file
    for _ in range(RUNS):
        validated, timing = bench.measure(sampler, lambda: validate_orders.fn(settings, landed, window))
        run.project.append(timing)
        lean, timing = bench.measure(sampler, lambda: lean_validate(orders_file, lines_file, lean_folder, window.end))
        run.lean.append(timing)
    run.verdict = project_verdict(validated)
    assert run.verdict == lean, f"project {run.verdict} != lean {lean}"
    expected = sum(run.faults[k] for k in ("negative_total", "bad_currency", "null_customer"))
    expected += 2 * run.faults["conflicting_version"]  # both rows of a conflicting pair are quarantined
    assert lean.quarantined == expected, f"quarantined {lean.quarantined}, the injected faults make {expected}"
    assert_same_outputs(settings.work_dir / landed.batch_id, lean_folder)
    peak = max(t.peak_rss_mb for t in run.project)
    run.add("validate", bench.Timing(median(run.project), peak), landed.rows, f"median of {RUNS} runs")
    return validated


def run_batch(run: BenchRun, settings: Settings, window: Window, sampler: bench.RssSampler) -> None:
    """Start the warehouse, then extract, validate (with the lean comparison) and publish one batch."""
    from flows.engine import Stopwatch, new_record, publish_or_hold
    from flows.orders_microbatch import extract_orders
    from lineage.events import new_run_id
    from northstar.warehouse import open_warehouse

    def start_warehouse() -> None:
        with open_warehouse(settings):
            pass

    run.add("warehouse start", bench.measure(sampler, start_warehouse)[1], 0, "once per process, not part of the batch")
    landed, timing = bench.measure(sampler, lambda: extract_orders.fn(settings, window, batch_id("orders", window)))
    run.lines = int(landed.manifest.get("line_count", 0))
    run.add("extract", timing, landed.rows, f"PostgreSQL -> Arrow (ADBC) -> Parquet landing, + {run.lines:,} lines")
    validated = validate_vs_lean(run, settings, landed, window, sampler)
    watch = Stopwatch()
    watch.seconds.update({name: round(run.seconds(name), 3) for name in ("extract", "validate")})
    record = new_record(settings, "orders", window, landed.batch_id, validated, new_run_id(), watch)
    run.record, timing = bench.measure(sampler, lambda: publish_or_hold.fn(settings, validated, record))
    assert run.record is not None and run.record.status == "COMMITTED", "the warehouse was not fresh"
    run.add("publish", timing, landed.rows, "PUT + COPY INTO + load, one transaction (fakesnow)")


def target(name: str, value: float, limit: float, unit: str = "s") -> tuple[str, str, str, bool]:
    """A target row: name, goal, measured value, met (seconds must stay below the limit, a ratio at most it)."""
    if unit == "x":
        return name, f"<= {limit}x", f"{value:.2f}x", value <= limit
    return name, f"< {limit:g} s", f"{value:.2f} s", value < limit


def targets(run: BenchRun) -> list[tuple[str, str, str, bool]]:
    return [
        target(f"validate (median of {RUNS})", median(run.project), TARGET_VALIDATE_SECONDS),
        target("validate vs lean query", run.ratio, TARGET_VALIDATE_RATIO, "x"),
        target("extract", run.seconds("extract"), TARGET_EXTRACT_SECONDS),
        target("whole batch", run.batch_seconds, TARGET_BATCH_SECONDS),
    ]


def stage_row(name: str, seconds: float, rows: int, peak_mb: float, note: str) -> list[object]:
    rate = f"{rows / seconds:,.0f}" if rows else "-"
    return [name, f"{seconds:.2f}", f"{rows:,}" if rows else "-", rate, f"{peak_mb:,.0f}", note]


def stage_table(run: BenchRun) -> str:
    rows = [stage_row(s.name, s.seconds, s.rows, s.peak_rss_mb, s.note) for s in run.stages.values()]
    peak, extracted = max(s.peak_rss_mb for s in run.stages.values()), run.stages["extract"].rows
    whole = "**whole batch** (extract + validate + publish)"
    rows.append(stage_row(whole, run.batch_seconds, extracted, peak, "warehouse start excluded"))
    return bench.markdown_table(["stage", "seconds", "rows", "rows/s", "peak RSS MB", "note"], rows)


def validation_table(run: BenchRun) -> str:
    rows, lines = run.stages["extract"].rows, []
    for name, runs in (("project (`validate_orders.fn`)", run.project), ("lean query (baseline)", run.lean)):
        seconds, peak = median(runs), max(t.peak_rss_mb for t in runs)
        lines.append(
            [name, *(f"{t.seconds:.3f}" for t in runs), f"{seconds:.3f}", f"{rows / seconds:,.0f}", f"{peak:,.0f}"]
        )
    lines.append(["**ratio project / lean**", *[""] * RUNS, f"**{run.ratio:.2f}x**", "", ""])
    headers = ["variant", *(f"run {i} s" for i in range(1, RUNS + 1)), "median s", "rows/s (median)", "peak RSS MB"]
    return bench.markdown_table(headers, lines)


def where_the_time_goes(run: BenchRun) -> str:
    """A paragraph written from the measured numbers."""
    total, names = run.batch_seconds, ("extract", "validate", "publish")
    parts = ", ".join(f"{n} {run.seconds(n):.1f} s ({run.seconds(n) / total:.0%})" for n in names)
    largest = max(names, key=run.seconds)
    project, lean = median(run.project), median(run.lean)
    peak = max(run.stages.values(), key=lambda s: s.peak_rss_mb)
    missed = [f"{name} ({measured}, goal {goal})" for name, goal, measured, ok in targets(run) if not ok]
    return (
        f"The batch of {run.stages['extract'].rows:,} rows took {total:.1f} s: {parts}; {largest} is the largest "
        f"share. The warehouse start ({run.seconds('warehouse start'):.1f} s) is paid once per process and is not "
        f"counted. Validation takes {project:.2f} s against the lean query's {lean:.2f} s ({run.ratio:.2f}x, "
        f"{project - lean:+.2f} s): the project runs each check as its own statement and then routes the rows, "
        f"where the lean queries compute every check of the orders, then of their {run.lines:,} lines, in one "
        f"pass each. Publish runs against fakesnow (DuckDB behind an "
        f"HTTP emulation of Snowflake, in this process), so its {run.seconds('publish'):.1f} s is no Snowflake "
        f"figure. Memory peaks at {peak.peak_rss_mb:,.0f} MB during {peak.name}. "
        + (f"Missed: {'; '.join(missed)}." if missed else "Every target is met.")
    )


def render_section(run: BenchRun, facts: dict[str, str]) -> str:
    """The `orders` section of BENCHMARKS.md."""
    record, verdict = run.record, run.verdict
    assert record is not None and verdict is not None
    faults = ", ".join(f"{kind} {n:,}" for kind, n in run.faults.items())
    verdicts = [(name, goal, measured, "PASS" if ok else "**FAIL**") for name, goal, measured, ok in targets(run)]
    text = f"""## Orders micro-batch (`benchmarks/orders_batch.py`)

Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Reproduce: `make bench`, or
`.venv/bin/python -m benchmarks.orders_batch --orders {run.orders}`.

Workload: PostgreSQL database `{BENCH_DB}` (recreated, dropped afterwards) with {run.orders:,} valid orders in
one 15-minute window plus faults injected with SQL, one order in {FAULT_EVERY} per kind ({faults}); seeded in
{run.seed_seconds:.1f} s. One micro-batch: {record.rows_extracted:,} rows extracted, {record.rows_passed:,} passed,
{record.rows_quarantined:,} quarantined, {record.rows_published:,} published to CORE.ORDERS. The stages call the
flow's task functions (`.fn`, no Prefect server); peak RSS is VmRSS sampled every 50 ms during each stage. Load
average before the batch: {run.load_before}.

{stage_table(run)}

Validation, project vs the lean hand-written query (`benchmarks/lean_orders_validation.py`: one DuckDB
statement computing every row check), each on a fresh in-memory DuckDB connection, alternating, {RUNS} runs each:

{validation_table(run)}

Agreement (asserted): both pass {verdict.passed:,} and quarantine {verdict.quarantined:,} rows (as the injected
faults predict), with the same failing rows per check and identical passed, quarantined, lines_passed and
lines_quarantined Parquet files.

{bench.markdown_table(["target", "goal", "measured", "result"], verdicts)}

**Where the time goes.** {where_the_time_goes(run)}

Machine: {"; ".join(f"{name} {value}" for name, value in facts.items())}.
"""
    return re.sub(r"(?<=[^\n|])\n(?=[^\n|<])", " ", text)  # one line per paragraph; tables stay


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the `orders` section, drop the scratch database and home."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1_000_000, help="valid orders to seed (default 1,000,000)")
    parser.add_argument("--report", type=Path, default=bench.REPORT, help="the Markdown file to write the section into")
    args = parser.parse_args(argv)
    bench.scratch_home("northstar-bench-orders-")
    dsn = ensure_database(ADMIN_DSN, BENCH_DB, recreate=True)
    os.environ["NORTHSTAR_SOURCE_PG_DSN"] = dsn
    try:
        t0 = time.perf_counter()
        faults = seed_source(dsn, args.orders)
        run = BenchRun(args.orders, faults, time.perf_counter() - t0, bench.load_average())
        bench.progress(
            f"seeded {args.orders:,} orders + {sum(faults.values()):,} fault rows in {run.seed_seconds:.1f} s"
        )
        with bench.RssSampler() as sampler:
            run_batch(run, load_settings(), Window(WINDOW_START, WINDOW_START + WINDOW_LENGTH), sampler)
    finally:
        admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
    facts = bench.machine_facts(PACKAGES, {"PostgreSQL": admin("SHOW server_version")})
    bench.write_section("orders", render_section(run, facts), args.report)
    print("\n\n".join([stage_table(run), validation_table(run)]))
    bench.progress(f"wrote the orders section of {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
