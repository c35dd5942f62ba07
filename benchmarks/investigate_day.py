"""Benchmark `northstar investigate` on one business day against a large published history.

Run it with `.venv/bin/python -m benchmarks.investigate_day` (options: --history, --small-history). The warehouse
(fakesnow's server, in memory) runs in a child process, as Snowflake runs elsewhere. Generated inside the warehouse
with GENERATOR: N orders over 60 days, each with a captured payment, one in 20 with a refund, every row stamped with
the 15-minute batch that published it; the ledger of those batches (orders, payments and a consistency batch per
window, so 17,280 rows), five check results per source batch, a quarantine sighting in one batch of ten, and the
consistency runs' comparisons with finance (three days per run). The investigated day has a held consistency run
and a refund that arrived after it. The measured call is what the CLI runs: gather the evidence (the sql/rootcause/
files, bounded by the day, its trailing week and the batches of that range) and classify. It writes the
"investigate" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import RssSampler, Timing, machine_facts, markdown_table, measure, progress, scratch_home
from benchmarks.common import write_section as write
from northstar.rootcause import Subject, investigate
from northstar.settings import Settings, SnowflakeSettings
from northstar.warehouse import Warehouse, open_warehouse

T0 = datetime(2026, 11, 20)  # naive UTC: the end of the history, and the investigated day
DAY = date(2026, 11, 19)
MINUTES = 60 * 24 * 60  # the history spans 60 days
TARGET_SECONDS = 10.0
GEN = "FROM (SELECT SEQ8() + 1 AS s FROM TABLE(GENERATOR(ROWCOUNT => {n})))"  # n is an int from this module
# minute offset m of row s before T0, and its 15-minute window k (batch ids o<k>, p<k>, c<k>)
M = "MOD(s * 7919, 86400)"
HISTORY_SQL = (
    "INSERT INTO CORE.ORDERS SELECT s, MOD(s, 100000), 'delivered', 'USD', 1000 + MOD(s, 9000),"
    f" DATEADD('minute', -1 - {M}, %(t0)s::TIMESTAMP_NTZ), %(t0)s, 'o' || FLOOR(({M} + 1) / 15), %(t0)s, NULL " + GEN,
    "INSERT INTO CORE.PAYMENTS (PAYMENT_INTENT_ID, STATUS, AMOUNT, AMOUNT_CAPTURED, CURRENCY, ORDER_ID, CREATED_AT,"
    " UPDATED_AT, _BATCH_ID, _LOADED_AT) SELECT 'pi_' || s, 'succeeded', 1000 + MOD(s, 9000), 1000 + MOD(s, 9000),"
    f" 'USD', s, DATEADD('minute', -1 - {M}, %(t0)s::TIMESTAMP_NTZ), %(t0)s, 'p' || FLOOR(({M} + 1) / 15), %(t0)s "
    + GEN,
    "INSERT INTO CORE.REFUNDS (REFUND_ID, PAYMENT_INTENT_ID, AMOUNT, CURRENCY, STATUS, CREATED_AT, UPDATED_AT,"
    " _STATE_EVENT_ID, _STATE_EVENT_CREATED, _STATE_PRECEDENCE, _BATCH_ID, _LOADED_AT) SELECT 're_' || s,"
    " 'pi_' || (s * 20), 100, 'USD', 'succeeded', DATEADD('minute', -1 - MOD(s * 20 * 7919, 86400),"
    " %(t0)s::TIMESTAMP_NTZ), %(t0)s, 're_' || s, %(t0)s, 0, 'p' || FLOOR((MOD(s * 20 * 7919, 86400) + 1) / 15),"
    " %(t0)s FROM (SELECT SEQ8() + 1 AS s FROM TABLE(GENERATOR(ROWCOUNT => {twentieth})))",
)
W = "DATEADD('minute', -15 * (s {plus}), %(t0)s::TIMESTAMP_NTZ)"
LEDGER_SQL = tuple(
    "INSERT INTO OPS.LOAD_BATCHES (BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED,"
    " ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS, RAW_URI, CODE_VERSION, LINEAGE_RUN_ID, STARTED_AT, FINISHED_AT)"
    f" SELECT '{prefix}' || (s - 1), '{source}', {W.format(plus='')}, {W.format(plus='- 1')}, 500, 500, 0, 500,"
    f" 'COMMITTED', 'file:///landing/raw/{source}/' || s, 'v1', UUID_STRING(), {W.format(plus='- 1')},"
    f" {W.format(plus='- 1')} FROM (SELECT SEQ8() + 1 AS s FROM TABLE(GENERATOR(ROWCOUNT => 5760)))"
    for prefix, source in (("o", "orders"), ("p", "payments"), ("c", "consistency"))
)
EVIDENCE_SQL = (
    "INSERT INTO OPS.CHECK_RESULTS SELECT b.BATCH_ID, b.SOURCE, c.CHECK_ID, b.SOURCE, 'error', 'passed', 500, 0,"
    " 'rule', '0 rows', NULL, b.FINISHED_AT FROM OPS.LOAD_BATCHES AS b CROSS JOIN"
    " (SELECT 'schema.check_' || (SEQ8() + 1) AS CHECK_ID FROM TABLE(GENERATOR(ROWCOUNT => 5))) AS c"
    " WHERE b.SOURCE <> 'consistency'",
    "INSERT INTO OPS.QUARANTINE_SIGHTINGS SELECT 'QUARANTINE.ORDERS', 'k' || BATCH_ID, BATCH_ID,"
    " PARSE_JSON('[\"schema.status_allowed\"]'), 1, FINISHED_AT FROM OPS.LOAD_BATCHES"
    " WHERE SOURCE = 'orders' AND MOD(HASH(BATCH_ID), 10) = 0",
    "INSERT INTO OPS.DAILY_RECONCILIATION SELECT DATEADD('day', -d.n, b.WINDOW_END::DATE), 'USD', 1000000, 1000000,"
    " 0.0, TRUE, NULL, 'raw/finance/report.csv', b.BATCH_ID, b.FINISHED_AT FROM OPS.LOAD_BATCHES AS b"
    " CROSS JOIN (SELECT SEQ8() AS n FROM TABLE(GENERATOR(ROWCOUNT => 3))) AS d WHERE b.SOURCE = 'consistency'",
)
INCIDENT_SQL = (  # the day's held run (late on the day) and the refund that arrived after it
    "UPDATE OPS.LOAD_BATCHES SET STATUS = 'HELD' WHERE BATCH_ID = 'c10'",
    "UPDATE OPS.DAILY_RECONCILIATION SET WITHIN_SLA = FALSE, FINANCE_NET_MINOR = 999500, VARIANCE = 0.0005"
    " WHERE _BATCH_ID = 'c10' AND BUSINESS_DATE = %(day)s",
    "INSERT INTO CORE.REFUNDS (REFUND_ID, PAYMENT_INTENT_ID, AMOUNT, CURRENCY, STATUS, CREATED_AT, UPDATED_AT,"
    " _STATE_EVENT_ID, _STATE_EVENT_CREATED, _STATE_PRECEDENCE, _BATCH_ID, _LOADED_AT) VALUES ('re_late', 'pi_1', 500,"
    " 'USD', 'succeeded', %(created)s, %(t0)s, 're_late', %(t0)s, 0, 'p0', %(t0)s)",
)


@dataclass(frozen=True)
class Run:
    """One measured investigation at one history size."""

    history: int
    generate_seconds: float
    timing: Timing
    classification: str
    confidence: float
    fetched: dict[str, int]
    queries: int


def serve() -> int:
    """Child mode: run fakesnow's server (in-memory) and print the connector's arguments; stop when stdin closes."""
    from northstar.warehouse import fakesnow_server

    with fakesnow_server() as kwargs:
        print(json.dumps(kwargs), flush=True)
        sys.stdin.read()
    return 0


def seed(wh: Warehouse, history: int) -> None:
    """History, ledger, evidence tables, and the investigated day's held run and late refund."""
    params = {"t0": T0, "day": DAY, "created": T0 - timedelta(hours=3)}
    for sql in (*HISTORY_SQL, *LEDGER_SQL, *EVIDENCE_SQL, *INCIDENT_SQL):
        wh.execute(sql.replace("{n}", str(history)).replace("{twentieth}", str(history // 20)), params)


def run_once(history: int, home: Path, sampler: RssSampler) -> Run:
    """Start a warehouse in a child process, seed it, and time one investigation of the day."""
    child = subprocess.Popen([sys.executable, "-m", "benchmarks.investigate_day", "--serve"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout is not None
        kwargs: dict[str, Any] = json.loads(child.stdout.readline())
        settings = Settings(home=home / f"h{history}", profile="local",
                            snowflake=SnowflakeSettings.from_connector_args(kwargs), database="BENCH")  # fmt: skip
        progress(f"generating {history:,} orders, their payments and refunds, the ledger and evidence")
        with open_warehouse(settings) as wh:
            _, generated = measure(sampler, lambda: seed(wh, history))
            subject = Subject("metric", "daily_revenue", "daily_revenue", DAY)
            progress(f"investigating daily_revenue on {DAY}")
            (verdict, ev), timing = measure(sampler, lambda: investigate(wh, settings, subject))
        fetched = {"ledger rows (day ± a week)": len(ev.batches), "check failures": len(ev.failures),
                   "quarantine reasons": len(ev.quarantine), "comparisons with finance": len(ev.reconciliation),
                   "rows published after reconciled": len(ev.published_after), "late rows": len(ev.late_rows),
                   "order distribution rows": len(ev.distribution)}  # fmt: skip
        return Run(history, generated.seconds, timing, verdict.classification, verdict.confidence, fetched,
                   len(ev.queries))  # fmt: skip
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=120)


def report(runs: list[Run]) -> str:
    """The Markdown section."""
    headers = ["measure", *(f"history {r.history:,} orders" for r in runs)]
    rows: list[list[object]] = [
        ["investigate (gather + classify), seconds", *(f"{r.timing.seconds:.2f}" for r in runs)],
        ["peak RSS MiB (this process)", *(f"{r.timing.peak_rss_mb:.0f}" for r in runs)],
        ["queries run", *(r.queries for r in runs)],
        ["classification", *(f"{r.classification} ({r.confidence:.2f})" for r in runs)],
        ["history generated in, seconds", *(f"{r.generate_seconds:.0f}" for r in runs)],
    ]
    rows += [[name, *(f"{r.fetched[name]:,}" for r in runs)] for name in runs[-1].fetched]
    verdict = "met" if max(r.timing.seconds for r in runs) < TARGET_SECONDS else "missed"
    return "\n".join([
        "## Root cause: `northstar investigate` on one day (`benchmarks/investigate_day.py`)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Reproduce: `make bench`, or "
        "`.venv/bin/python -m benchmarks.investigate_day`. The warehouse (fakesnow's server, in memory) runs in a "
        "child process. Workload: N orders over 60 days, each with a captured payment, one in 20 with a refund, "
        "each row stamped with its 15-minute batch; 17,280 ledger rows (orders, payments, consistency), five check "
        "results per source batch, a quarantine sighting in one orders batch of ten, three comparisons with finance "
        "per consistency run; the investigated day has a held run and a refund that arrived after it. Measured: "
        "`investigate()` as the CLI calls it (every sql/rootcause/ query, then the hypotheses), no replay (no batch "
        "ran another code version). Every query is bounded by the day, its trailing week or that range's batches.",
        "",
        markdown_table(headers, rows),
        "",
        f"Target: an answer in seconds (< {TARGET_SECONDS:g} s) on this 2-core machine: **{verdict}**. The rows "
        "fetched do not grow with the history; the time does a little, because the local warehouse (DuckDB under "
        "fakesnow) scans the CORE tables' CREATED_AT column to find the day's rows, where Snowflake prunes "
        "micro-partitions by it.",
        "",
        markdown_table(["fact", "value"], machine_facts(["duckdb", "fakesnow"]).items()),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark at two history sizes and write its section of BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--history", type=int, default=10_000_000)
    parser.add_argument("--small-history", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.serve:
        return serve()
    home = scratch_home("northstar-investigate-bench-")
    with RssSampler() as sampler:
        runs = [run_once(n, home, sampler) for n in (args.small_history, args.history)]
    write("investigate", report(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
