"""Benchmark the full-history checks (`northstar audit-history`): every row check of orders (orders and order lines)
and fulfillment (shipment lines) over all of CORE, run inside the warehouse.

Run it with `.venv/bin/python -m benchmarks.audit_history` (options: --histories 1000000,3000000,
--consistency-histories 1000000: the sizes at which `--source consistency` runs too). The history is the
consistency benchmark's generator (benchmarks/consistency_suite.py `seed`: N orders with a line each, every other one
a shipment line, plus one batch of changes), in an on-disk fakesnow warehouse reached the way the CLI reaches it (the
home's warehouse server process, the real connector). Its shipment lines name warehouse 'W1', which is not a known
one: schema.warehouse_known fails every shipment line, so that check's count and first keys are the worst case.
It writes the "audit-history" section of BENCHMARKS.md.
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
from northstar.settings import Settings
from northstar.warehouse import open_warehouse
from northstar.warehouse_server import stop_server
from validators.history import HistoryCheck, audit_source
from validators.history_consistency import audit_history_consistency

PACKAGES = ["duckdb", "fakesnow", "sqlglot", "snowflake-connector-python"]


@dataclass(frozen=True)
class Measured:
    """One history size: generation seconds, each source's checks and wall seconds, peak RSS of the worker."""

    history: int
    generate_seconds: float
    checks: dict[str, list[HistoryCheck]]
    seconds: dict[str, float]
    peak_rss_mb: float


def run_size(history: int, sampler: RssSampler, consistency: bool) -> Measured:
    settings = Settings(home=scratch_home(f"northstar-audit-bench-{history}-"), profile="local")
    as_of = datetime.now(UTC).replace(tzinfo=None)
    try:
        with open_warehouse(settings) as wh:
            progress(f"generating {history:,} orders of history in an on-disk fakesnow warehouse")
            started = time.perf_counter()
            seed(wh, history, settings)
            generated = time.perf_counter() - started
            checks, seconds, peak = {}, {}, 0.0
            for source in ("orders", "fulfillment", "consistency")[: 3 if consistency else 2]:
                progress(f"audit-history --source {source}")
                started = time.perf_counter()
                if source == "consistency":
                    run = lambda: audit_history_consistency(wh, settings, as_of=as_of)  # noqa: E731
                else:
                    run = lambda s=source: audit_source(wh, s, as_of=as_of)  # type: ignore[misc]  # noqa: E731
                found, timing = measure(sampler, run)
                checks[source], seconds[source] = found, time.perf_counter() - started
                peak = max(peak, timing.peak_rss_mb)
    finally:
        stop_server(settings.warehouse_dir)
    return Measured(history, generated, checks, seconds, peak)


def report(runs: list[Measured]) -> str:
    headers = ["history (orders)", "source", "rows checked", "checks", "failing rows", "wall s", "slowest check (s)",
               "worker peak RSS MiB"]  # fmt: skip
    rows = []
    for m in runs:
        for source, found in m.checks.items():
            slowest = max(found, key=lambda h: h.seconds)
            checked = sum({h.result.dataset: h.result.rows_checked for h in found}.values())
            if source == "consistency":  # the orders it checks (its results count orders, references, days)
                checked = max(h.result.rows_checked for h in found if h.result.dataset == "orders")
            failed = sum(h.result.rows_failed for h in found)
            rows.append([f"{m.history:,}", source, f"{checked:,}", len(found), f"{failed:,}",
                         f"{m.seconds[source]:.1f}", f"{slowest.result.check_id} ({slowest.seconds:.1f})",
                         f"{m.peak_rss_mb:.0f}"])  # fmt: skip
    big = runs[-1]
    total = sum(v for k, v in big.seconds.items() if k != "consistency")
    cross = [m for m in runs if "consistency" in m.seconds]
    consistency = (
        f"`--source consistency` ran at {', '.join(f'{m.history:,}' for m in cross)} orders: "
        + "; ".join(f"{m.seconds['consistency']:.1f} s at {m.history:,}" for m in cross)
        + f" ({cross[-1].seconds['consistency'] / cross[-1].history * 1e6:.1f} s per million orders; linearly ~"
        f"{cross[-1].seconds['consistency'] / cross[-1].history * 120e6 / 60:.0f} min for 120M on this emulator)"
        + " for the slice over CORE (the session's temporary tables), the five families' prepare files, the "
        f"{len(cross[-1].checks['consistency'])} results and their failing keys. Slowest: "
        + "; ".join(
            ", ".join(
                f"{h.result.check_id} {h.seconds:.1f} s"
                for h in sorted(m.checks["consistency"], key=lambda h: -h.seconds)[:3]
            )
            for m in cross
        )
        + " (a check's seconds are its measure and violations; the slice and the prepare files are in the wall "
        "time only). Its generator: the consistency benchmark's history (payments for most orders, refunds, "
        "shipment lines for every other order), whose unpaid and unshipped orders are what the status rules count."
        if cross
        else "`--source consistency` was not run."
    )
    per_million = total / big.history * 1e6 if big.history else 0.0
    return "\n".join(
        [
            "## Full-history checks in the warehouse (`benchmarks/audit_history.py`)",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Reproduce: `make bench`, or "
            "`.venv/bin/python -m benchmarks.audit_history --histories 1000000,10000000`.",
            "",
            "`northstar audit-history` for orders (orders and order lines), fulfillment (shipment lines) and, at the "
            "smaller size, consistency (the cross-system checks) "
            "over all of CORE: one warehouse query per check (the history as a CTE, the check rendered "
            "from DuckDB SQL by sqlglot), the worker reading a count and the first 20 failing keys per check. "
            "History: the consistency benchmark's generator (N orders, N order lines, N/2 shipment lines, whose "
            "warehouse code 'W1' fails schema.warehouse_known on every line; the failing rows are the generator's, "
            "not faults of the audit). Warehouse: fakesnow on disk (DuckDB "
            f"underneath) on this 2-core machine, load average {load_average()} at the end (shared): upper bounds.",
            "",
            markdown_table(headers, rows),
            "",
            f"At {big.history:,} orders both sources took {total:.1f} s here, {per_million:.1f} s per million orders "
            f"of history; linearly, the 120M history would take ~{per_million * 120 / 60:.0f} min on this emulator "
            "(not measured on Snowflake, where each check is "
            "one scan of one CORE table in the warehouse, and the audit, run on demand rather than every 15 "
            "minutes, may use a larger warehouse). The worker's memory does not grow with the history: it reads a "
            "count and 20 keys per check.",
            "",
            consistency,
            "",
            markdown_table(["fact", "value"], machine_facts(PACKAGES).items()),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Audit each history size; write the audit-history section of BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--histories", default="1000000,10000000", help="comma-separated history sizes (orders)")
    parser.add_argument("--consistency-histories", default="1000000", help="sizes at which consistency runs too")
    args = parser.parse_args(argv)
    with_consistency = {int(n) for n in args.consistency_histories.split(",") if n}
    with RssSampler() as sampler:
        runs = [run_size(int(n), sampler, int(n) in with_consistency) for n in args.histories.split(",") if n]
    markdown = report(runs)
    write_section("audit-history", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
