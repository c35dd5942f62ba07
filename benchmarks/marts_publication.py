"""Benchmark one publication of the marts: dbt build of every mart and its tests, then the one-step go-live.

Run it with `.venv/bin/python -m benchmarks.marts_publication` (option: --histories 1000000,3000000). The history
is the consistency benchmark's generator (benchmarks/consistency_suite.py `seed`: N published orders over 60 days
with order lines, captured payments, shipments and refunds, plus one 15-minute batch), in an on-disk fakesnow
warehouse reached the way the flows reach it (the home's warehouse server process, the real connector; dbt through
its generated profile). Per size: the first publication in the process (dbt's imports and parse included) and a
second one (warm: what a long-running worker pays every 15 minutes). The fixed cost is a publication on an empty CORE.
It writes the "marts" section of BENCHMARKS.md, with the Snowflake credits a 15-minute cadence would cost.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks.common import (
    RssSampler,
    load_average,
    machine_facts,
    markdown_table,
    measure,
    progress,
    scratch_home,
    write_section,
)
from benchmarks.consistency_suite import seed
from northstar.marts.publication import LIVE, Publication, publish_marts
from northstar.settings import Settings
from northstar.warehouse import open_warehouse
from northstar.warehouse_server import stop_server

RUNS_PER_DAY = 24 * 4  # every 15 minutes
CREDITS_PER_HOUR = 1.0  # Snowflake X-Small
MINIMUM_SECONDS = 60.0  # a resumed warehouse bills at least 60 s
PACKAGES = ["duckdb", "fakesnow", "dbt-core", "dbt-snowflake"]


@dataclass(frozen=True)
class Measured:
    """Publications of one history size: generation time, a cold and a warm publication."""

    history: int
    generate_seconds: float
    cold: Publication
    cold_seconds: float
    warm: Publication
    warm_seconds: float
    peak_rss_mb: float


def publish_timed(settings: Settings, gate: str) -> tuple[Publication, float]:
    started = time.perf_counter()
    pub = publish_marts(settings, gate)
    seconds = time.perf_counter() - started
    assert pub.status == LIVE, f"the benchmark's data is built to pass every mart test, yet: {pub.reason}"
    return pub, seconds


def run_size(history: int, home_root: str, sampler: RssSampler) -> Measured:
    settings = Settings(home=scratch_home(f"{home_root}{history}-"), profile="local")
    progress(f"generating {history:,} published orders and a batch in an on-disk fakesnow warehouse")
    started = time.perf_counter()
    if history:
        with open_warehouse(settings) as wh:
            seed(wh, history, settings)
    generated = time.perf_counter() - started
    progress("publishing (cold, then warm)")
    try:
        (cold, cold_s), timing = measure(sampler, lambda: publish_timed(settings, "bench-1"))
        (warm, warm_s), timing2 = measure(sampler, lambda: publish_timed(settings, "bench-2"))
    finally:
        stop_server(settings.warehouse_dir)  # the home's warehouse server process, started by the first login
    return Measured(history, generated, cold, cold_s, warm, warm_s, max(timing.peak_rss_mb, timing2.peak_rss_mb))


def credits_per_day(seconds: float) -> float:
    """An XS warehouse resumed for each publication, billed at least 60 s, suspended right after."""
    return RUNS_PER_DAY * max(seconds, MINIMUM_SECONDS) / 3600 * CREDITS_PER_HOUR


def report(fixed: Measured, runs: list[Measured]) -> str:
    headers = ["history (orders)", "rows built", "dbt build + tests s (cold / warm)",
               "publication s (cold / warm)", "go-live + ledger s (warm)", "peak RSS MiB"]  # fmt: skip
    rows = []
    for m in (fixed, *runs):
        built = sum(m.warm.row_counts.values())
        dbt_warm = m.warm.dbt_seconds or 0.0
        rows.append([f"{m.history:,}", f"{built:,}", f"{m.cold.dbt_seconds or 0:.1f} / {dbt_warm:.1f}",
                     f"{m.cold_seconds:.1f} / {m.warm_seconds:.1f}", f"{m.warm_seconds - dbt_warm:.1f}",
                     f"{m.peak_rss_mb:.0f}"])  # fmt: skip
    big = runs[-1]
    per_order = (big.warm_seconds - fixed.warm_seconds) / big.history * 1e6 if big.history else 0.0
    est_10m = fixed.warm_seconds + per_order * 10_000_000 / 1e6
    tests = "dbt's ~50 data tests (grain, not_null, accepted_values, relationships, sums to CORE)"
    cost_rows = [
        ["fixed cost per publication (empty CORE, warm)", f"{fixed.warm_seconds:.1f} s"],
        [f"publication at {big.history:,} orders (warm)", f"{big.warm_seconds:.1f} s"],
        ["marginal cost here", f"{per_order:.1f} s per million orders of history"],
        ["10,000,000 orders, extrapolated linearly", f"~{est_10m:.0f} s"],
        [
            "Snowflake XS, 96 publications a day, 60 s minimum each",
            f"{credits_per_day(60):.1f} credits/day if each run fits in the minimum",
        ],
    ]
    return "\n".join(
        [
            "## Marts: one publication (`benchmarks/marts_publication.py`)",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Reproduce: `make bench`, or "
            "`.venv/bin/python -m benchmarks.marts_publication --histories 1000000,3000000`.",
            "",
            "A publication = dbt build of every mart (7 tables: six marts, fct_orders in v1 and v2) and "
            f"{tests} into a new schema MARTS_PUB_<id>, row counts, then the go-live transaction re-pointing the "
            "stable views. History: the consistency benchmark's generator (N orders over 60 days, each with a line "
            "and a captured payment, every other one a shipment line, one in 20 a refund, plus one batch of "
            "100,000 order changes). Warehouse: fakesnow on disk, served by the home's warehouse server process "
            "(northstar/warehouse_server.py); dbt in-process (dbtRunner) in the benchmark's process, through the "
            "connector. "
            "Cold = the first publication in the process (dbt's imports and parse); warm = the next one. "
            f"Load average at the end: {load_average()} on 2 cores shared with other engineers' test suites, so "
            "these seconds are upper bounds.",
            "",
            markdown_table(headers, rows),
            "",
            markdown_table(["cost", "value"], cost_rows),
            "",
            "Credits: on Snowflake an X-Small warehouse costs 1 credit per hour, billed per second after a 60 s "
            "minimum each time it resumes. A publication every 15 minutes that finishes inside the minimum costs "
            f"96 x 60 s = 1.6 h = **{credits_per_day(60):.1f} credits/day**; one that takes T seconds costs "
            "96 x T / 3600 credits/day (at T = 120 s: 3.2). The timings above are DuckDB under fakesnow on 2 "
            "shared cores, not Snowflake's: on Snowflake the fixed cost is mostly dbt's parse and one round trip "
            "per model and test (~60 statements), and the CPU work runs in the warehouse. If the mart build shares "
            "the consistency flow's warehouse session (resumed anyway every 15 minutes), its added cost is its own "
            "seconds only, without a second 60 s minimum.",
            "",
            markdown_table(["fact", "value"], machine_facts(PACKAGES).items()),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Publish on an empty CORE (fixed cost) and on each history size; write the section of BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--histories", default="1000000,3000000", help="comma-separated history sizes (orders)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.histories.split(",") if s]
    with RssSampler() as sampler:
        fixed = run_size(0, "northstar-marts-bench-", sampler)
        runs = [run_size(n, "northstar-marts-bench-", sampler) for n in sizes]
    markdown = report(fixed, runs)
    write_section("marts", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
