"""Benchmark one orders micro-batch of 1M rows: extract, validate (against a lean DuckDB query), publish.

Run it with `make bench` or `.venv/bin/python -m benchmarks.orders_batch --orders 1000000`. It seeds a
scratch PostgreSQL database, runs the flow's task functions without Prefect (`.fn`), times each stage,
compares validation with one hand-written DuckDB query, writes BENCHMARKS.md and drops what it created.
"""

from __future__ import annotations

import argparse
import atexit
import os
import platform
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from unittest import mock

import duckdb
import psycopg
from psycopg import sql

from northstar.batches import Window, batch_id
from northstar.settings import Settings, load_settings
from northstar.sources.seed import ensure_database, seed_bulk
from validators.contracts import ORDERS

if TYPE_CHECKING:
    from flows.orders_microbatch import ValidatedBatch
    from northstar.loads import BatchRecord
    from northstar.sources.orders import LandedBatch

T = TypeVar("T")

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "northstar_bench"
WINDOW_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW_LENGTH = timedelta(minutes=15)  # every seeded row falls in this one micro-batch window
RUNS = 3  # validation runs per variant; the median is reported
SAMPLE_SECONDS = 0.05
REPORT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
ENV_NOT_LOCAL = ("SNOWFLAKE_ACCOUNT", "NORTHSTAR_LANDING_BUCKET", "NORTHSTAR_S3_ENDPOINT_URL", "NORTHSTAR_MARQUEZ_URL")

TARGET_VALIDATE_SECONDS = 1.5
TARGET_VALIDATE_RATIO = 1.5
TARGET_EXTRACT_SECONDS = 10.0
TARGET_BATCH_SECONDS = 60.0

# Faults: one order in FAULT_EVERY per kind, each kind on its own residue, so six kinds make ~1% faulty rows.
FAULT_EVERY = 600
_SLOT = "mod(order_id, %(every)s) = %(slot)s"
_COLUMNS = "order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at"
FAULTS: dict[str, str] = {
    "negative_total": f"UPDATE orders SET total_amount_minor = -total_amount_minor WHERE {_SLOT}",
    "bad_currency": f"UPDATE orders SET currency = %(bad_currency)s WHERE {_SLOT}",
    "null_customer": f"UPDATE orders SET customer_id = NULL WHERE {_SLOT}",
    "repeated_row": f"INSERT INTO orders ({_COLUMNS}) SELECT {_COLUMNS} FROM orders WHERE {_SLOT}",
    "conflicting_version": (
        f"INSERT INTO orders ({_COLUMNS}) SELECT order_id, customer_id, status, currency, "
        f"total_amount_minor + %(delta)s, created_at, updated_at FROM orders WHERE {_SLOT}"
    ),
    "superseded_version": (
        f"INSERT INTO orders ({_COLUMNS}) SELECT order_id, customer_id, %(old_status)s, currency, "
        f"total_amount_minor, created_at, updated_at - %(age)s FROM orders "
        f"WHERE {_SLOT} AND updated_at - created_at >= %(age)s"
    ),
}
FAULT_PARAMS: dict[str, Any] = {
    "every": FAULT_EVERY,
    "bad_currency": "usd",
    "delta": 1,
    "old_status": "pending",
    "age": timedelta(seconds=1),
}

# The lean baseline: the landed rows in a table, then ONE hand-written statement computing every row check of
# sql/checks/orders/ with the same semantics and keeping each failing row with its reasons; passed rows are the
# rest. Only an order with more than one row in the batch can be a duplicate of any kind, so the duplicate
# windows see those rows alone; the "no pre-filter" variant runs them over every row, for reference.
LEAN_SOURCE = f"""
CREATE TEMP TABLE src AS
SELECT file_row_number AS _row_id, {_COLUMNS}
FROM read_parquet($path, file_row_number = true)
"""
LEAN_FAILED = """
CREATE TEMP TABLE failed AS
WITH duplicates AS (
    SELECT _row_id,
        min(content) OVER version <> max(content) OVER version AS conflicting,
        row_number() OVER (
            PARTITION BY order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at
            ORDER BY _row_id
        ) > 1 AS repeated,
        updated_at < max(updated_at) OVER (PARTITION BY order_id) AS superseded
    FROM (
        SELECT *, hash(customer_id, status, currency, total_amount_minor, created_at) AS content
        FROM src
        WHERE {versions}
    )
    WINDOW version AS (PARTITION BY order_id, updated_at)
),
flagged AS (
    SELECT
        _row_id,
        order_id IS NULL AS no_order_id,
        customer_id IS NULL AS no_customer,
        status IS NULL OR status NOT IN (SELECT unnest($allowed_statuses)) AS bad_status,
        currency IS NULL OR currency NOT IN (SELECT unnest($iso_currencies)) AS bad_currency,
        total_amount_minor IS NULL OR total_amount_minor < 0 AS bad_amount,
        created_at IS NULL OR updated_at IS NULL OR created_at < TIMESTAMPTZ '2000-01-01 00:00:00+00'
            OR created_at > updated_at OR updated_at >= $window_end AS bad_times,
        coalesce(d.conflicting, false) AS conflicting,
        coalesce(d.repeated, false) AS repeated,
        coalesce(d.superseded, false) AS superseded
    FROM src
    LEFT JOIN duplicates AS d USING (_row_id)
)
SELECT *,
    list_filter([
        CASE WHEN conflicting THEN 'duplicates.conflicting_version' END,
        CASE WHEN bad_amount THEN 'schema.amount_minor_non_negative' END,
        CASE WHEN bad_currency THEN 'schema.currency_iso4217' END,
        CASE WHEN no_customer THEN 'schema.customer_id_required' END,
        CASE WHEN no_order_id THEN 'schema.order_id_required' END,
        CASE WHEN bad_status THEN 'schema.status_allowed' END,
        CASE WHEN bad_times THEN 'schema.timestamps_sane' END
    ], lambda r: r IS NOT NULL) AS reasons
FROM flagged
WHERE no_order_id OR no_customer OR bad_status OR bad_currency OR bad_amount OR bad_times
   OR conflicting OR repeated OR superseded
"""
PROJECT = "project"
LEAN = "lean"
LEAN_UNFILTERED = "lean, no pre-filter"
LEAN_VERSIONS = {  # which rows the duplicate windows see, per lean variant
    LEAN: "order_id IN (SELECT order_id FROM src WHERE order_id IS NOT NULL GROUP BY order_id HAVING count(*) > 1)",
    LEAN_UNFILTERED: "order_id IS NOT NULL",
}
LEAN_PASSED = (
    f"SELECT {_COLUMNS} FROM src ANTI JOIN (SELECT _row_id FROM failed WHERE len(reasons) > 0) USING (_row_id)"
)
LEAN_QUARANTINED = f"""
SELECT _row_id AS _source_row, to_json(reasons) AS reasons, to_json(struct_pack({_COLUMNS})) AS raw_record
FROM src
JOIN failed USING (_row_id)
WHERE len(reasons) > 0
"""
LEAN_FLAGS = {
    "schema.order_id_required": "no_order_id",
    "schema.customer_id_required": "no_customer",
    "schema.status_allowed": "bad_status",
    "schema.currency_iso4217": "bad_currency",
    "schema.amount_minor_non_negative": "bad_amount",
    "schema.timestamps_sane": "bad_times",
    "duplicates.conflicting_version": "conflicting",
    "duplicates.exact_repeat": "repeated",
    "duplicates.superseded_version": "superseded",
}
LEAN_COUNTS = (
    "SELECT (SELECT count(*) FROM src) - count_if(len(reasons) > 0), count_if(len(reasons) > 0), "
    + ", ".join(f"count_if({flag})" for flag in LEAN_FLAGS.values())
    + " FROM failed"
)
# Output comparisons: (label, file, columns compared); the labels and column lists come from code.
COMPARED = (
    ("passed rows", "passed.parquet", "*"),
    ("quarantined rows (_source_row, reasons)", "quarantined.parquet", "_source_row, reasons"),
    ("quarantined raw_record", "quarantined.parquet", "_source_row, raw_record"),
)
DIFFERING_ROWS = """
SELECT count(*) FROM (
    (SELECT {columns} FROM read_parquet($a) EXCEPT ALL SELECT {columns} FROM read_parquet($b))
    UNION ALL
    (SELECT {columns} FROM read_parquet($b) EXCEPT ALL SELECT {columns} FROM read_parquet($a))
)
"""
RAW_RECORD_KEYS = "SELECT DISTINCT unnest(json_keys(raw_record)) AS k FROM read_parquet($path) ORDER BY k"


# ---------------------------------------------------------------------------------------------- measuring


def vm_rss_kb() -> int:
    """The process's resident set size now, in KiB (Linux /proc/self/status)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def max_rss_mb() -> float:
    """The process's RSS high-water mark so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """A daemon thread reading VmRSS every 50 ms; peak_mb() is the highest value since reset()."""

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self._interval = interval
        self._peak_kb = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self.reset()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        """Start a new peak from the current RSS."""
        with self._lock:
            self._peak_kb = vm_rss_kb()

    def peak_mb(self) -> float:
        """The highest RSS sampled since reset(), in MiB."""
        self._sample()
        with self._lock:
            return self._peak_kb / 1024

    def _sample(self) -> None:
        rss = vm_rss_kb()
        with self._lock:
            self._peak_kb = max(self._peak_kb, rss)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()


@dataclass(frozen=True)
class Timing:
    """One measured run: wall seconds and the peak RSS sampled while it ran."""

    seconds: float
    peak_rss_mb: float


def measure(sampler: RssSampler, action: Callable[[], T]) -> tuple[T, Timing]:
    """Run action once; its result and its Timing."""
    sampler.reset()
    t0 = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - t0
    return result, Timing(seconds, sampler.peak_mb())


@dataclass(frozen=True)
class Stage:
    """A reported stage: wall seconds, rows handled, sampled peak RSS and ru_maxrss when it ended."""

    name: str
    seconds: float
    rows: int
    peak_rss_mb: float
    max_rss_mb: float
    note: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def stage(name: str, timing: Timing, rows: int, note: str = "") -> Stage:
    """A Stage from a Timing, with the process's RSS high-water mark now."""
    return Stage(name, timing.seconds, rows, timing.peak_rss_mb, max_rss_mb(), note)


class StatementLog:
    """Wall seconds per SQL statement, to show where a stage spends its time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls = 0

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def timed(self, label: str, action: Callable[[], T]) -> T:
        """Run action, adding its wall time to label."""
        self.calls += 1
        t0 = time.perf_counter()
        try:
            return action()
        finally:
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t0

    def top(self, n: int) -> list[tuple[str, float]]:
        """The n most expensive labels, slowest first."""
        return sorted(self.seconds.items(), key=lambda item: -item[1])[:n]


def statement_label(query: str, params: object) -> str:
    """A short name for a statement: the row check it runs, or its first words."""
    if isinstance(params, dict) and query.startswith("INSERT INTO failures") and "check_id" in params:
        return f"row check {params['check_id']}"
    lines = (line for line in query.splitlines() if not line.strip().startswith("--"))
    text = re.sub(r"'(?:file://)?/[^']*/([^/']+)'", r"'\1'", " ".join(" ".join(lines).split()))
    return text if len(text) <= 72 else text[:69] + "..."


class TimedDuckDB:
    """A DuckDB connection whose execute() calls are logged per statement."""

    def __init__(self, con: duckdb.DuckDBPyConnection, log: StatementLog) -> None:
        self._con = con
        self._log = log

    def execute(self, query: str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        """Execute on the wrapped connection, timed."""
        return self._log.timed(statement_label(query, parameters), lambda: self._con.execute(query, parameters))

    def __enter__(self) -> TimedDuckDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@contextmanager
def timed_duckdb(log: StatementLog) -> Iterator[None]:
    """While active, duckdb.connect() hands out connections that log their statements."""
    connect = duckdb.connect
    with mock.patch.object(duckdb, "connect", lambda *a, **k: TimedDuckDB(connect(*a, **k), log)):
        yield


@contextmanager
def timed_warehouse(log: StatementLog) -> Iterator[None]:
    """While active, every Warehouse.execute/query call is logged per statement."""
    from northstar.warehouse import Warehouse

    execute, query = Warehouse.execute, Warehouse.query

    def timed_execute(self: Warehouse, sql: str, params: dict[str, Any] | None = None) -> int:
        return log.timed(statement_label(sql, params), lambda: execute(self, sql, params))

    def timed_query(self: Warehouse, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return log.timed(statement_label(sql, params), lambda: query(self, sql, params))

    with mock.patch.object(Warehouse, "execute", timed_execute), mock.patch.object(Warehouse, "query", timed_query):
        yield


# ---------------------------------------------------------------------------------------------- source


def seed_source(dsn: str, orders: int) -> dict[str, int]:
    """Seed `orders` valid rows in one window, then inject ~1% faults; rows written per fault kind."""
    seed_bulk(dsn, start=WINDOW_START, end=WINDOW_START + WINDOW_LENGTH, orders=orders)
    counts: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        for slot, (kind, statement) in enumerate(FAULTS.items(), start=1):
            counts[kind] = conn.execute(statement, FAULT_PARAMS | {"slot": slot}).rowcount
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE orders")
    return counts


def expected_quarantined(faults: dict[str, int]) -> int:
    """Rows the checks must quarantine: each schema fault, and both rows of every conflicting pair."""
    return (
        faults["negative_total"] + faults["bad_currency"] + faults["null_customer"] + 2 * faults["conflicting_version"]
    )


def drop_database(dbname: str) -> None:
    """Drop the scratch database, closing any session still on it."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def configure_env(home: Path, dsn: str) -> None:
    """Point the project's settings at the temporary home and the scratch source; local profile only."""
    os.environ["NORTHSTAR_HOME"] = str(home)
    os.environ["NORTHSTAR_SOURCE_PG_DSN"] = dsn
    os.environ["NORTHSTAR_PROFILE"] = "local"
    os.environ["PREFECT_HOME"] = str(home / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    for name in ENV_NOT_LOCAL:
        os.environ.pop(name, None)


# ---------------------------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class Verdict:
    """What one validation variant decided: the split and the failing rows per check."""

    passed: int
    quarantined: int
    failed_by_check: dict[str, int]


def lean_validate(variant: str, parquet: Path, folder: Path, window_end: datetime) -> Verdict:
    """A lean baseline: the rows, one hand-written checks statement, then passed and quarantined to Parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    params = {"window_end": window_end} | ORDERS.params
    failed_sql = LEAN_FAILED.format(versions=LEAN_VERSIONS[variant])  # SQL text from code, values bound
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")  # as validate_orders sets it
        con.execute(LEAN_SOURCE, {"path": str(parquet)})
        con.execute(failed_sql, params)
        con.sql(LEAN_PASSED).write_parquet(str(folder / "passed.parquet"))
        con.sql(LEAN_QUARANTINED).write_parquet(str(folder / "quarantined.parquet"))
        row = con.execute(LEAN_COUNTS).fetchone()
    assert row is not None
    counts = [int(n) for n in row]
    return Verdict(counts[0], counts[1], dict(zip(LEAN_FLAGS, counts[2:], strict=True)))


def project_verdict(validated: ValidatedBatch) -> Verdict:
    """The project's split and per-check failures, from the router's results."""
    routed = validated.routed
    failed = {r.check_id: r.rows_failed for r in routed.results if r.check_id in LEAN_FLAGS}
    return Verdict(routed.rows_passed, routed.rows_quarantined, failed)


def differing_rows(a: Path, b: Path, columns: str) -> int:
    """Rows in one Parquet file and not the other (as multisets), comparing only columns."""
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(DIFFERING_ROWS.format(columns=columns), {"a": str(a), "b": str(b)}).fetchone()
    return int(row[0]) if row else -1


def extra_raw_keys(quarantined: Path) -> list[str]:
    """Keys of the quarantined raw_record that are not columns of the source table."""
    with duckdb.connect() as con:
        keys = [str(k) for (k,) in con.execute(RAW_RECORD_KEYS, {"path": str(quarantined)}).fetchall()]
    return [k for k in keys if k not in ORDERS.columns]


@dataclass
class Validation:
    """Validation timings and verdicts per variant, and how the project's output differs from the lean one."""

    timings: dict[str, list[Timing]] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    differing: dict[str, int] = field(default_factory=dict)  # rows differing per COMPARED label
    extra_raw_keys: list[str] = field(default_factory=list)  # project raw_record keys that are no source column
    batch_checks: list[tuple[str, str, str]] = field(default_factory=list)  # project's (check, outcome, actual)

    def median(self, variant: str) -> float:
        """The median wall seconds of a variant's runs."""
        return statistics.median(t.seconds for t in self.timings[variant])

    @property
    def ratio(self) -> float:
        return self.median(PROJECT) / self.median(LEAN)


def compare_validation(
    settings: Settings, landed: LandedBatch, window: Window, sampler: RssSampler
) -> tuple[ValidatedBatch, Validation]:
    """Run the project's validation and each lean variant RUNS times, alternating; compare their outputs."""
    from flows.orders_microbatch import validate_orders

    result = Validation(timings={PROJECT: [], LEAN: [], LEAN_UNFILTERED: []})
    for _ in range(RUNS):
        validated, timing = measure(sampler, lambda: validate_orders.fn(settings, landed, window))
        result.timings[PROJECT].append(timing)
        for variant in LEAN_VERSIONS:
            folder = settings.home / variant.replace(",", "").replace(" ", "-")
            lean = partial(lean_validate, variant, landed.local_file, folder, window.end)
            result.verdicts[variant], timing = measure(sampler, lean)
            result.timings[variant].append(timing)
    result.verdicts[PROJECT] = project_verdict(validated)
    describe_outputs(result, validated.folder, settings.home / LEAN)
    result.batch_checks = [
        (r.check_id, r.outcome.value, r.actual) for r in validated.routed.results if r.check_id not in LEAN_FLAGS
    ]
    return validated, result


def describe_outputs(result: Validation, project: Path, lean: Path) -> None:
    """Compare the project's output files with the lean query's."""
    for label, name, columns in COMPARED:
        result.differing[label] = differing_rows(project / name, lean / name, columns)
    result.extra_raw_keys = extra_raw_keys(project / "quarantined.parquet")


def assert_agree(validation: Validation, expected: int) -> None:
    """Every lean variant must split the batch exactly like the project, as the injected faults predict."""
    project = validation.verdicts[PROJECT]
    for variant in LEAN_VERSIONS:
        lean = validation.verdicts[variant]
        assert (project.passed, project.quarantined) == (lean.passed, lean.quarantined), (
            f"project passed/quarantined {project.passed}/{project.quarantined} != "
            f"{variant} {lean.passed}/{lean.quarantined}"
        )
        assert project.failed_by_check == lean.failed_by_check, f"{project.failed_by_check} != {lean.failed_by_check}"
    assert project.quarantined == expected, f"quarantined {project.quarantined}, the injected faults make {expected}"
    for label, _, _ in COMPARED[:2]:  # raw_record is compared and reported, not asserted (see the report)
        assert validation.differing[label] == 0, f"{label} differ: {validation.differing}"


def profile_validate(settings: Settings, landed: LandedBatch, window: Window) -> StatementLog:
    """One extra, untimed project validation with every DuckDB statement timed."""
    from flows.orders_microbatch import validate_orders

    log = StatementLog()
    with timed_duckdb(log):
        validate_orders.fn(settings, landed, window)
    return log


# ---------------------------------------------------------------------------------------------- the batch


@dataclass
class BenchRun:
    """Everything the report shows."""

    orders: int
    faults: dict[str, int]
    seed_seconds: float
    stages: list[Stage] = field(default_factory=list)
    validation: Validation = field(default_factory=Validation)
    validate_log: StatementLog = field(default_factory=StatementLog)
    publish_log: StatementLog = field(default_factory=StatementLog)
    record: BatchRecord | None = None
    load: list[str] = field(default_factory=list)  # /proc/loadavg before and after the batch
    steal_share: float = 0.0  # CPU steal during the batch, as a share of all CPU time

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    @property
    def batch_seconds(self) -> float:
        return sum(self.stage(name).seconds for name in ("extract", "validate", "publish"))


def start_warehouse(settings: Settings, sampler: RssSampler) -> Stage:
    """The first open_warehouse: starts the embedded fakesnow server and creates the objects (once)."""
    from northstar.warehouse import open_warehouse

    def connect() -> None:
        with open_warehouse(settings):
            pass

    _, timing = measure(sampler, connect)
    return stage("warehouse start", timing, 0, "one-time per process, not part of the batch")


def run_batch(run: BenchRun, settings: Settings, window: Window, sampler: RssSampler) -> None:
    """Extract, validate (with the lean comparison) and publish one batch, timing each stage."""
    from flows.orders_microbatch import extract_orders

    batch = batch_id("orders", window)
    run.stages.append(start_warehouse(settings, sampler))
    landed, timing = measure(sampler, lambda: extract_orders.fn(settings, window, batch))
    run.stages.append(stage("extract", timing, landed.rows, "PostgreSQL -> Arrow (ADBC) -> Parquet landing"))
    validated, run.validation = compare_validation(settings, landed, window, sampler)
    peak = max(t.peak_rss_mb for t in run.validation.timings[PROJECT])
    timing = Timing(run.validation.median(PROJECT), peak)
    note = f"median of {RUNS} runs; ru_maxrss includes the lean runs"
    run.stages.append(stage("validate", timing, landed.rows, note))
    run.validate_log = profile_validate(settings, landed, window)
    run_publish(run, settings, window, landed, validated, sampler)


def run_publish(
    run: BenchRun,
    settings: Settings,
    window: Window,
    landed: LandedBatch,
    validated: ValidatedBatch,
    sampler: RssSampler,
) -> None:
    """Build the ledger record as the flow does, then time the publish with each statement logged."""
    from flows.batch_runs import Stopwatch
    from flows.orders_microbatch import _record, publish_orders
    from lineage.events import new_run_id

    watch = Stopwatch()
    watch.seconds.update({name: round(run.stage(name).seconds, 3) for name in ("extract", "validate")})
    record = _record(settings, window, landed, validated.routed, new_run_id(), watch)
    with timed_warehouse(run.publish_log):
        committed, timing = measure(sampler, lambda: publish_orders.fn(settings, validated, record))
    assert committed is not None, "the batch was already committed: the warehouse was not fresh"
    run.record = committed
    run.stages.append(stage("publish", timing, landed.rows, "PUT + COPY INTO + load, one transaction (fakesnow)"))


def benchmark(dsn: str, orders: int) -> BenchRun:
    """Seed the source, then run and measure one batch."""
    t0 = time.perf_counter()
    faults = seed_source(dsn, orders)
    run = BenchRun(orders, faults, time.perf_counter() - t0)
    progress(f"seeded {orders:,} orders + {sum(faults.values()):,} fault rows in {run.seed_seconds:.1f} s")
    settings = load_settings()
    window = Window(WINDOW_START, WINDOW_START + WINDOW_LENGTH)
    total, steal = cpu_counters()
    run.load.append(load_average())
    with RssSampler() as sampler:
        run_batch(run, settings, window, sampler)
    run.load.append(load_average())
    total_after, steal_after = cpu_counters()
    run.steal_share = (steal_after - steal) / max(total_after - total, 1)
    assert_agree(run.validation, expected_quarantined(faults))
    return run


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_counters() -> tuple[int, int]:
    """All CPU time and stolen CPU time so far, in clock ticks (/proc/stat)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return sum(ticks), ticks[7]


def progress(message: str) -> None:
    """A progress line on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- report


def machine_facts() -> dict[str, str]:
    """The machine and library versions the numbers were measured with."""
    return {
        "CPU": cpu_model(),
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": f"{mem_total_kb() / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "PostgreSQL": postgres_version(),
        **{name: version(name) for name in ("duckdb", "pyarrow", "fakesnow", "snowflake-connector-python")},
        "adbc-driver-postgresql": version("adbc-driver-postgresql"),
    }


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def mem_total_kb() -> int:
    """Total memory in KiB from /proc/meminfo."""
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    return 0


def postgres_version() -> str:
    """The source server's version."""
    with psycopg.connect(ADMIN_DSN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def verdict_line(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def stage_table(run: BenchRun) -> list[str]:
    """The per-stage table in Markdown."""
    lines = [
        "| stage | seconds | rows | rows/s | peak RSS MB (sampled) | ru_maxrss MB after | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in run.stages:
        rate = f"{s.rows_per_second:,.0f}" if s.rows else "-"
        count = f"{s.rows:,}" if s.rows else "-"
        lines.append(
            f"| {s.name} | {s.seconds:.2f} | {count} | {rate} | {s.peak_rss_mb:,.0f} | {s.max_rss_mb:,.0f} | {s.note} |"
        )
    rows = run.stage("extract").rows
    lines.append(
        f"| **whole batch** (extract + validate + publish) | **{run.batch_seconds:.2f}** | {rows:,} | "
        f"{rows / run.batch_seconds:,.0f} | {max_rss_mb():,.0f} (ru_maxrss) | | server start excluded |"
    )
    return lines


def validation_table(validation: Validation, rows: int) -> list[str]:
    """Project vs lean validation in Markdown."""
    lines = [
        "| variant | run 1 s | run 2 s | run 3 s | median s | rows/s (median) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        PROJECT: "project (`validate_orders.fn`)",
        LEAN: "**lean** hand-written query (the baseline)",
        LEAN_UNFILTERED: "lean, no pre-filter (for reference)",
    }
    for variant, name in names.items():
        timings, median = validation.timings[variant], validation.median(variant)
        runs = " | ".join(f"{t.seconds:.3f}" for t in timings)
        peak = max(t.peak_rss_mb for t in timings)
        lines.append(f"| {name} | {runs} | {median:.3f} | {rows / median:,.0f} | {peak:,.0f} |")
    lines.append(f"| **ratio project / lean** | | | | **{validation.ratio:.2f}x** | | |")
    return lines


def targets(run: BenchRun) -> list[tuple[str, str, str, bool]]:
    """Each target: name, goal, measured value, met."""
    v, extract, batch = run.validation, run.stage("extract").seconds, run.batch_seconds
    rows = run.stage("validate").rows
    return [
        (f"validate {rows:,} rows (median of {RUNS})", f"< {TARGET_VALIDATE_SECONDS} s",
         f"{v.median(PROJECT):.2f} s", v.median(PROJECT) < TARGET_VALIDATE_SECONDS),
        ("validate vs lean query", f"<= {TARGET_VALIDATE_RATIO}x", f"{v.ratio:.2f}x", v.ratio <= TARGET_VALIDATE_RATIO),
        ("extract", f"< {TARGET_EXTRACT_SECONDS:.0f} s", f"{extract:.2f} s", extract < TARGET_EXTRACT_SECONDS),
        ("whole batch", f"< {TARGET_BATCH_SECONDS:.0f} s", f"{batch:.2f} s", batch < TARGET_BATCH_SECONDS),
    ]  # fmt: skip


def target_table(run: BenchRun) -> list[str]:
    """Each target with the measured value and PASS/FAIL."""
    lines = ["| target | goal | measured | result |", "|---|---|---:|---|"]
    lines += [f"| {name} | {goal} | {measured} | {verdict_line(ok)} |" for name, goal, measured, ok in targets(run)]
    return lines


def check_table(validation: Validation) -> list[str]:
    """Failing rows per check, project vs lean."""
    project, lean = validation.verdicts[PROJECT], validation.verdicts[LEAN]
    lines = ["| check | project rows failed | lean rows failed |", "|---|---:|---:|"]
    lines += [f"| {c} | {project.failed_by_check[c]:,} | {lean.failed_by_check[c]:,} |" for c in LEAN_FLAGS]
    lines.append(f"| **passed / quarantined** | {project.passed:,} / {project.quarantined:,} | "
                 f"{lean.passed:,} / {lean.quarantined:,} |")  # fmt: skip
    return lines


def agreement_lines(validation: Validation) -> list[str]:
    """How the project's output compares with the lean query's, and its batch-level check results."""
    lines = [
        "Agreement (asserted for every lean variant): the same passed/quarantined split and the same failing "
        "rows per check. Rows differing between the project's and the lean query's output files:",
        "",
        *[f"- {label}: {n:,}" for label, n in validation.differing.items()],
    ]
    if validation.extra_raw_keys:
        lines.append(
            f"- The project's quarantined `raw_record` carries keys that are not source columns: "
            f"{', '.join(validation.extra_raw_keys)} (the lean query writes the source columns only)."
        )
    lines += ["", "Batch-level checks (project only):", ""]
    lines += [f"- {check}: {outcome} ({actual})" for check, outcome, actual in validation.batch_checks]
    return lines


def log_table(log: StatementLog, n: int = 8) -> list[str]:
    """The slowest statements of a stage."""
    total = log.total
    lines = ["| statement | seconds | share |", "|---|---:|---:|"]
    lines += [f"| `{label.replace('|', '/')}` | {s:.3f} | {s / total:.0%} |" for label, s in log.top(n)]
    lines.append(f"| all {log.calls} statements | {total:.3f} | 100% |")
    return lines


def where_the_time_goes(run: BenchRun) -> str:
    """A paragraph written from the measured numbers."""
    return " ".join((batch_sentence(run), validate_sentence(run), publish_sentence(run), targets_sentence(run)))


def batch_sentence(run: BenchRun) -> str:
    """How the batch time splits over the stages."""
    total = run.batch_seconds
    parts = ", ".join(f"{n} {run.stage(n).seconds:.1f} s ({run.stage(n).seconds / total:.0%})"
                      for n in ("extract", "validate", "publish"))  # fmt: skip
    return (
        f"The batch of {run.stage('extract').rows:,} rows took {total:.1f} s: {parts}. The warehouse start "
        f"({run.stage('warehouse start').seconds:.1f} s) is paid once per process and is not counted."
    )


def validate_sentence(run: BenchRun) -> str:
    """Where validation spends its time, and what the lean variants show."""
    v, log = run.validation, run.validate_log
    duplicates = sum(s for label, s in log.seconds.items() if label.startswith("row check duplicates."))
    top = ", ".join(f"`{label}` ({s:.2f} s)" for label, s in log.top(3))
    windows = v.median(LEAN_UNFILTERED) - v.median(LEAN)
    return (
        f"Validation takes {v.median(PROJECT):.2f} s (median) in {log.calls} DuckDB statements, "
        f"{v.ratio:.2f}x the lean query's {v.median(LEAN):.2f} s. In the profiled run the slowest statements "
        f"are {top}, and the three duplicate checks together take {duplicates:.2f} s "
        f"({duplicates / log.total:.0%}). The two lean variants differ only in the pre-filter of the duplicate "
        f"windows: running them over every row costs {windows:.2f} s more ({v.median(LEAN_UNFILTERED):.2f} s)."
    )


def publish_sentence(run: BenchRun) -> str:
    """Where publish spends its time, and why it is no Snowflake figure."""
    top = run.publish_log.top(2)
    names = " and ".join(f"`{label}` ({s:.2f} s)" for label, s in top)
    share = sum(s for _, s in top) / run.publish_log.total
    return (
        f"In publish, {names} take {share:.0%} of the statement time. Publish runs against fakesnow (DuckDB "
        "behind an HTTP emulation of Snowflake, in this process), so its time is not a Snowflake figure: "
        "there PUT crosses the network and COPY INTO and the load run on the warehouse."
    )


def targets_sentence(run: BenchRun) -> str:
    """Which targets were missed."""
    missed = [f"{name} ({measured}, goal {goal})" for name, goal, measured, ok in targets(run) if not ok]
    return f"Missed: {'; '.join(missed)}." if missed else "Every target is met."


def render_report(run: BenchRun, facts: dict[str, str]) -> str:
    """BENCHMARKS.md."""
    sections = [
        "# Benchmarks",
        "",
        f"Generated by `benchmarks/orders_batch.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; every number "
        "below is from that one run (rerunning rewrites this file).",
        "",
        "## Reproduce",
        "",
        "```sh",
        "make bench",
        f"# or: .venv/bin/python -m benchmarks.orders_batch --orders {run.orders}",
        "```",
        "",
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in facts.items()],
        "",
        *workload_section(run),
        "## Stages",
        "",
        *stage_table(run),
        "",
        *validation_section(run),
        "## Targets",
        "",
        *target_table(run),
        "",
        *time_section(run),
    ]
    return "\n".join(sections)


def workload_section(run: BenchRun) -> list[str]:
    """What was seeded, what the batch did, and how it was measured."""
    record = run.record
    assert record is not None
    fault_list = ", ".join(f"{kind} {n:,}" for kind, n in run.faults.items())
    return [
        "## Workload",
        "",
        f"- Source: PostgreSQL database `{BENCH_DB}` (recreated, dropped afterwards), {run.orders:,} valid orders "
        f"from `seed_bulk` with updated_at in [{WINDOW_START:%Y-%m-%dT%H:%MZ}, +15 min), seeded in "
        f"{run.seed_seconds:.1f} s.",
        f"- Faults injected with SQL (one order in {FAULT_EVERY} per kind): {fault_list}.",
        f"- One micro-batch window; {record.rows_extracted:,} rows extracted, {record.rows_passed:,} passed, "
        f"{record.rows_quarantined:,} quarantined, {record.rows_published:,} published to CORE.ORDERS.",
        "- Stages call the flow's task functions directly (`extract_orders.fn`, `validate_orders.fn`, "
        "`publish_orders.fn`), so no Prefect server is involved. Peak RSS is sampled from /proc/self/status "
        "every 50 ms during each stage; ru_maxrss is the process's high-water mark (DuckDB, Arrow and the "
        "in-process fakesnow server allocate natively, so tracemalloc would not see them).",
        f"- Machine load (1/5/15-min load average) before the batch: {run.load[0]}; after: {run.load[1]}; "
        f"CPU steal during the batch: {run.steal_share:.1%}. Other work on the machine moves these "
        "numbers; the per-run columns below show the spread within this run.",
        "",
    ]


def validation_section(run: BenchRun) -> list[str]:
    """Project vs lean validation: how the baseline works, timings, agreement, failures per check."""
    v = run.validation
    return [
        "## Validation: project vs lean query",
        "",
        "The lean baseline loads the same landed Parquet into a table, then runs ONE hand-written DuckDB "
        "statement computing every row check (6 schema checks, conflicting version, exact repeat, superseded "
        "version; the semantics of sql/checks/orders/) and keeping each failing row with its reasons; then two "
        "Parquet writes (passed rows; quarantined rows with reasons and raw record) and one count of failures "
        "per check. Its duplicate windows see only the orders that occur more than once in the batch (one "
        "GROUP BY finds them): no other row can be a duplicate of any kind. The same statement without that "
        "pre-filter is shown for reference. Every variant runs on a fresh in-memory DuckDB connection with "
        "`SET TimeZone = 'UTC'` and `SET preserve_insertion_order = false` (as `validate_orders` sets them), "
        f"alternating, {RUNS} times; the ratio compares medians.",
        "",
        *validation_table(v, run.stage("extract").rows),
        "",
        *agreement_lines(v),
        "",
        *check_table(v),
        "",
    ]


def time_section(run: BenchRun) -> list[str]:
    """The paragraph and the slowest statements of validate and publish."""
    return [
        "## Where the time goes",
        "",
        where_the_time_goes(run),
        "",
        "Slowest validation statements (one extra profiled run of `validate_orders.fn`, each DuckDB `execute` timed):",
        "",
        *log_table(run.validate_log),
        "",
        "Slowest publish statements (the measured publish, each `Warehouse.execute`/`query` call timed):",
        "",
        *log_table(run.publish_log),
        "",
    ]


def render_summary(run: BenchRun) -> str:
    """The console table."""
    return "\n".join([*stage_table(run), "", *validation_table(run.validation, run.stage("extract").rows), "",
                      *target_table(run)])  # fmt: skip


# ---------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1_000_000, help="valid orders to seed (default 1,000,000)")
    parser.add_argument("--report", type=Path, default=REPORT, help="where to write the Markdown report")
    return parser.parse_args(argv)


def remove_fakesnow_bucket() -> None:
    """Remove the stage folder fakesnow made in the temp dir on import (it never removes it itself)."""
    stage = sys.modules.get("fakesnow.transforms.stage")
    if stage is not None:
        shutil.rmtree(stage.LOCAL_BUCKET_PATH, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the report, clean up the scratch database and home."""
    args = parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="northstar-bench-"))
    # Registered before the embedded warehouse registers its own exit hook, so they run after the server stops.
    atexit.register(shutil.rmtree, home, True)
    atexit.register(remove_fakesnow_bucket)
    dsn = ensure_database(ADMIN_DSN, BENCH_DB, recreate=True)
    try:
        configure_env(home, dsn)
        run = benchmark(dsn, args.orders)
    finally:
        drop_database(BENCH_DB)
    args.report.write_text(render_report(run, machine_facts()))
    print(render_summary(run))
    progress(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
