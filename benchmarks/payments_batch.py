"""Benchmark the payments micro-batch: 100,000 landed Stripe events through list+read, map+validate, publish.

Run it with `.venv/bin/python -m benchmarks.payments_batch` (options: --events, --big-mb). It lands a realistic
mix of events (both API-version shapes, ~0.2% faults) as one file per event in a temporary local landing store,
runs the flow's task functions without Prefect (`.fn`), and then measures map+validate alone on batch files of
~1 GB and ~4.7 GB generated chunk by chunk. Every stage reports wall and CPU seconds, peak RSS and the load
average, because the 2 cores are shared. It writes the "payments" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from benchmarks.common import (
    RssSampler,
    Timing,
    load_average,
    machine_facts,
    markdown_table,
    measure,
    progress,
    scratch_home,
    vm_rss_kb,
    write_section,
)
from tests import stripe_payloads as sp

AMOUNT, REFUNDED = 987654, 123457  # tokens in the templates, replaced per event
WINDOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC), datetime(2026, 11, 20, 12, 15, tzinfo=UTC)
LIFECYCLE = ("payment_intent.created", "charge.succeeded", "payment_intent.succeeded")
TARGET_FLOW_SECONDS, TARGET_MB_PER_S = 30.0, 50.0
BIG_MB = (1_000, 4_700)
STAGE_COLUMNS = ("stage", "seconds", "CPU-seconds", "events/s", "MB/s raw JSON", "peak RSS MiB", "load average", "note")
BIG_COLUMNS = ("batch file", "events", "seconds", "CPU-seconds", "MB/s", "MB/CPU-s", "RSS at start MiB",
               "peak RSS MiB", "peak spill MiB", "load average")  # fmt: skip

# Measured with this script on the code before the payments-speed changes (commit e6607ba), so the figures above
# have something to be compared with; kept here because the section is rewritten on every run.
HISTORY = (
    "Before the payments-speed changes (commit e6607ba, same script, load average 0.7-1.1): list + read 6.21 s "
    "(6.59 CPU-s), map + validate 2.00 s (3.02 CPU-s), publish 4.09 s (4.09 CPU-s), whole batch 12.29 s (13.71 "
    "CPU-s); the 1 GB file 7.1 s, 12.1 CPU-s, 140 MB/s, 83 MB/CPU-s, peak RSS 3,264 MiB; the 4.7 GB file was not "
    "run (DuckDB had no memory limit: about 15 GiB by the 1 GB figure). The figures first reported here (45.02 s "
    "whole batch, 36 MB/s and 34 MB/CPU-s on 1 GB) were measured at a load average of 4.91 on these 2 cores. What "
    "changed: local landed files are read in a plain loop (a thread pool per 2,000 files cost more in futures and "
    "locks than the reads); bodies are validated by json_valid before try(from_json) so that DuckDB no longer "
    "re-evaluates every vector holding one bad body row by row; the raw load file ranks only repeated event ids; "
    "payload files are written in 32 MB row groups; DuckDB has a 2 GB memory_limit and spills to disk."
)


@dataclass(frozen=True)
class Stage:
    """One measured stage: its Timing, the CPU seconds the process used, the load average when it ended."""

    name: str
    timing: Timing
    cpu: float
    load: str
    rss_before_mb: float
    note: str = ""


@dataclass(frozen=True)
class BigRun:
    """map+validate alone on one large batch file."""

    events: int
    raw_bytes: int
    stage: Stage
    spilled_mb: float


def templates() -> dict[tuple[str, str], str]:
    """Every handled and one unhandled type in both shapes, as envelope text with id/amount/time tokens."""
    found = {}
    for shape in sp.SHAPES:
        for event_type in (*sp.HANDLED_TYPES, "customer.created"):
            if event_type == "customer.created":
                evt = sp.unhandled()
            else:
                evt = sp.for_type(event_type, 0, api_version=shape, amount=AMOUNT, refunded=REFUNDED)
            found[(event_type, shape)] = sp.envelope(evt).decode().replace(evt["id"], "EVT_TOKEN")
    return found


def render(template: str, n: int, k: int, amount: int, created: int, shape: str) -> str:
    """One event of payment n (its k-th): the template with fresh ids, amounts and time."""
    text = template.replace("EVT_TOKEN", f"evt_1Bench{n:010d}{k:04d}x")
    for name, token in sp.ids(0, shape).items():
        text = text.replace(token, f"{token[: token.index('_') + 1]}Bench{name}{n:017d}")
    text = text.replace(str(AMOUNT), str(amount)).replace(str(REFUNDED), str(amount // 3))
    return text.replace(str(sp.T0), str(created))


def payment_events(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(type, shape) of payment n's events: a realistic mix of lifecycles, refunds, disputes and others."""
    shape = sp.SHAPES[n % 2]
    types = list(LIFECYCLE)
    draw = rng.random()
    if draw < 0.05:
        types = ["payment_intent.created", "charge.failed", "payment_intent.payment_failed"]
    if rng.random() < 0.3:
        types.append("checkout.session.completed")
    if 0.05 <= draw < 0.15:
        types += ["refund.created", "charge.refunded", "refund.updated"]
    if 0.15 <= draw < 0.16:
        types += ["charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.closed"]
    if rng.random() < 0.15:
        types.append("customer.created")
    return [(t, shape) for t in types]


def generate(count: int, seed: int = 7) -> Iterator[str]:
    """count envelopes; ~0.2% are faults (a body that is not JSON, a negative amount)."""
    rng, tpl, made, n = random.Random(seed), templates(), 0, 0
    while made < count:
        n += 1
        created = sp.T0 - rng.randrange(0, 2 * 86_400)
        for k, (event_type, shape) in enumerate(payment_events(n, rng)):
            template = tpl[(event_type, shape)]
            if rng.random() < 0.002:  # a fault: alternately a body that is not JSON and a negative amount
                template = template.replace('"body": "{', '"body": "{{') if k % 2 else template.replace(
                    f'\\"amount\\": {AMOUNT}', f'\\"amount\\": -{AMOUNT}')  # fmt: skip
            yield render(template, n, k, rng.randrange(100, 90_000), created + 2 * k, shape)
            made += 1
            if made == count:
                return


def land(root: Path, count: int) -> int:
    """Write count envelopes into the landing folder, written at the window's 5th minute; their bytes."""
    written = (WINDOW[0] + timedelta(minutes=5)).timestamp()
    total = 0
    for i, text in enumerate(generate(count)):
        data = text.encode()
        key = f"raw/stripe/dt=2026-11-{18 + i % 3}/evt_{i:012d}.json"  # setup shortcut: no fsync per file
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (written, written))
        total += len(data)
    return total


def big_batch_file(target: Path, megabytes: int) -> tuple[int, int]:
    """A batch file of ~megabytes of envelopes, written 20,000 events at a time; (events, raw bytes)."""
    from northstar.sources.stripe.events import LANDED_SCHEMA, landed_table

    events = total = 0
    chunk: list[bytes] = []
    written = WINDOW[0].isoformat()
    with pq.ParquetWriter(target, LANDED_SCHEMA) as writer:
        for text in generate(10**9, seed=11):
            chunk.append(text.encode())
            total += len(chunk[-1])
            if len(chunk) == 20_000 or total >= megabytes * 10**6:
                keys = [(f"raw/stripe/dt=2026-11-20/evt_{events + j}.json", written) for j in range(len(chunk))]
                writer.write_table(landed_table(keys, chunk))
                events, chunk = events + len(chunk), []
            if total >= megabytes * 10**6:
                return events, total
    return events, total


def run_stage(name: str, sampler: RssSampler, action: Callable[[], Any], note: str = "") -> tuple[Any, Stage]:
    """Run one stage; its result and its wall/CPU seconds, peak RSS and the load average at its end."""
    cpu, rss_before = cpu_seconds(), vm_rss_kb() / 1024
    result, timing = measure(sampler, action)
    return result, Stage(name, timing, cpu_seconds() - cpu, load_average(), rss_before, note)


def run_flow(events: int, sampler: RssSampler) -> tuple[list[Stage], int, Any, dict[str, float]]:
    """list+read, map+validate and publish of one batch holding every landed event, each stage measured."""
    import flows.payments_microbatch as pf
    from flows.engine import Stopwatch, new_record, publish_or_hold
    from northstar.batches import Window
    from northstar.settings import load_settings

    settings = load_settings()
    raw = land(settings.landing_dir, events)
    progress(f"landed {events:,} events ({raw / 1e6:.0f} MB)")
    window = Window(*WINDOW)
    batch = pf.payments_batch_id(window, 3)
    landed, read = run_stage("list + read", sampler, lambda: pf.extract_payments.fn(settings, window, batch, 3))
    validated, check = run_stage("map + validate", sampler, lambda: pf.validate_payments.fn(settings, landed))
    run_id = "0190b6a4-0000-7000-8000-000000000000"
    record = new_record(settings, pf.SOURCE, window, batch, validated, run_id, Stopwatch())
    with emulator_split() as split:
        done, load = run_stage("publish", sampler, lambda: publish_or_hold.fn(settings, validated, record))
    read = replace(read, note=f"{landed.events:,} files")
    return [read, check, load], raw, (validated, done), split


@contextlib.contextmanager
def emulator_split() -> Iterator[dict[str, float]]:
    """Wall seconds fakesnow spends executing statements (its DuckDB work), and the CPU seconds of the
    process's main thread (our code and the Snowflake connector); the rest of the CPU is the emulator's
    server threads and DuckDB. fakesnow runs in-process, so this is how its share is told apart."""
    from fakesnow.cursor import FakeSnowflakeCursor

    split = {"emulator_seconds": 0.0}
    lock, original = threading.Lock(), FakeSnowflakeCursor.execute

    def timed(self: FakeSnowflakeCursor, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            with lock:
                split["emulator_seconds"] += time.perf_counter() - t0

    FakeSnowflakeCursor.execute = timed  # type: ignore[method-assign]
    main_cpu = time.thread_time()
    try:
        yield split
    finally:
        split["main_thread_cpu"] = time.thread_time() - main_cpu
        FakeSnowflakeCursor.execute = original  # type: ignore[method-assign]


def run_big(megabytes: int, sampler: RssSampler) -> BigRun:
    """map+validate alone on one ~megabytes batch file, with the most DuckDB spilled to disk meanwhile."""
    import flows.payments_microbatch as pf
    from northstar.settings import load_settings
    from northstar.sources.stripe.events import LandedEvents

    settings = load_settings()
    batch = f"payments-big-{megabytes}mb"
    target = settings.work_dir / batch / "landed_events.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    events, raw = big_batch_file(target, megabytes)
    progress(f"generated {events:,} events ({raw / 1e6:.0f} MB) for map + validate")
    landed = LandedEvents(batch, "unused", {"event_count": events}, target)
    with FolderSizeSampler(settings.work_dir / batch / "duckdb-spill") as spill:
        _, stage = run_stage(f"{raw / 1e6:,.0f} MB", sampler, lambda: pf.validate_payments.fn(settings, landed))
    target.unlink()
    return BigRun(events, raw, stage, spill.peak_mb)


class FolderSizeSampler:
    """A daemon thread summing a folder's file sizes every `interval` seconds; peak_mb is the largest sum."""

    def __init__(self, folder: Path, interval: float = 0.2) -> None:
        self.folder, self.peak_mb = folder, 0.0
        self._interval, self._stop = interval, threading.Event()
        self._thread = threading.Thread(target=self._run, name="spill-sampler", daemon=True)

    def __enter__(self) -> FolderSizeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            with contextlib.suppress(OSError):  # files come and go while DuckDB spills
                size = sum(entry.stat().st_size for entry in os.scandir(self.folder) if entry.is_file())
                self.peak_mb = max(self.peak_mb, size / 2**20)


def cpu_seconds() -> float:
    """User + system CPU seconds this process has used (all threads, DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(stages: list[Stage], events: int, raw: int, outcome: Any, split: dict[str, float], big: list[BigRun]) -> str:
    """The payments section of BENCHMARKS.md."""
    routed, done = outcome
    total, total_cpu = sum(t.timing.seconds for t in stages), sum(t.cpu for t in stages)
    rows = [(t.name, f"{t.timing.seconds:.2f}", f"{t.cpu:.2f}", f"{events / t.timing.seconds:,.0f}",
             f"{raw / 1e6 / t.timing.seconds:.1f}", f"{t.timing.peak_rss_mb:,.0f}", t.load, t.note)
            for t in stages]  # fmt: skip
    rows.append(("**whole batch**", f"**{total:.2f}**", f"{total_cpu:.2f}", f"{events / total:,.0f}",
                 f"{raw / 1e6 / total:.1f}", "", "", ""))  # fmt: skip
    publish = stages[-1]
    emulator, main_cpu = split["emulator_seconds"], split["main_thread_cpu"]
    big_rows = [(b.stage.name, f"{b.events:,}", f"{b.stage.timing.seconds:.1f}", f"{b.stage.cpu:.1f}",
                 f"{b.raw_bytes / 1e6 / b.stage.timing.seconds:.0f}", f"{b.raw_bytes / 1e6 / b.stage.cpu:.0f}",
                 f"{b.stage.rss_before_mb:,.0f}", f"{b.stage.timing.peak_rss_mb:,.0f}", f"{b.spilled_mb:,.0f}",
                 b.stage.load) for b in big]  # fmt: skip
    mbps = [b.raw_bytes / 1e6 / b.stage.timing.seconds for b in big]
    return "\n".join([
        "## Payments micro-batch (Stripe events)",
        "",
        "Reproduce: `.venv/bin/python -m benchmarks.payments_batch` (task functions via `.fn`, no Prefect server; "
        "embedded fakesnow; a temporary local landing store). CPU-seconds are the whole process's (user + system, "
        "all threads); the load average (1/5/15 min) is read as each stage ends: the 2 cores are shared, so "
        "compare CPU-seconds across runs, and wall time only at a similar load.",
        "",
        f"One 15-minute batch of {events:,} landed events ({raw / 1e6:.0f} MB of envelope JSON, one file each, "
        f"both API-version shapes, ~0.2% faults): {routed.rows_passed:,} passed, {routed.rows_quarantined:,} "
        f"quarantined, {done.rows_published:,} payment/refund/dispute rows published.",
        "",
        markdown_table(STAGE_COLUMNS, rows),
        "",
        f"Target: whole batch < {TARGET_FLOW_SECONDS:.0f} s: **{'met' if total < TARGET_FLOW_SECONDS else 'missed'}**.",
        "",
        f"Publish, split: of its {publish.timing.seconds:.2f} s, fakesnow spent {emulator:.2f} s executing statements "
        f"(its DuckDB: COPY INTO, the loads, COMMIT to its on-disk file, the DDL of the first login); the other "
        f"{publish.timing.seconds - emulator:.2f} s are the client side (our code; the connector's PUT uploads, HTTP "
        f"round trips and result decoding) and fakesnow's request handling. CPU: {main_cpu:.2f} s in the main thread "
        f"(our code and the connector), {publish.cpu - main_cpu:.2f} s in the emulator's threads (its server and "
        "DuckDB). On Snowflake the statements run in the warehouse, not on the worker.",
        "",
        "Map + validate alone on larger batch files (raw envelope JSON generated 20,000 events at a time into the "
        "batch file format, then parsed, checked, mapped and written as load files by `validate_payments.fn` in "
        f"DuckDB with its memory_limit of 2 GB, spilling to the batch's work folder). Target >= {TARGET_MB_PER_S:.0f} "
        f"MB/s: **{'met' if all(m >= TARGET_MB_PER_S for m in mbps) else 'missed'}**.",
        "",
        markdown_table(BIG_COLUMNS, big_rows),
        "",
        "JSON is parsed only by DuckDB; Python holds one 2,000-event chunk of envelope text at a time while reading "
        "(20,000 while generating), never a batch of parsed objects. DuckDB keeps a batch's parsed events (about "
        "1.1x its raw JSON, payloads included, for the load files) up to its memory_limit and spills the rest to "
        "the batch's work folder: peak RSS is bounded by that limit plus what the process held before (here also "
        "the embedded fakesnow and the flow run above: RSS at start), and the disk holds the overflow (peak spill).",
        "",
        HISTORY,
        "",
        markdown_table(("fact", "value"), machine_facts(("duckdb", "pyarrow", "fakesnow")).items()),
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its section of BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--big-mb", type=int, nargs="*", default=list(BIG_MB))
    args = parser.parse_args(argv)
    scratch_home("northstar-payments-bench-")
    with RssSampler() as sampler:
        stages, raw, outcome, split = run_flow(args.events, sampler)
        big = [run_big(megabytes, sampler) for megabytes in args.big_mb]
    markdown = report(stages, args.events, raw, outcome, split, big)
    write_section("payments", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
