"""Benchmark one fulfillment hour: ~10 WMS/3PL files, ~50,000 lines, from a real SFTP server to the warehouse.

Run it with `.venv/bin/python -m benchmarks.fulfillment_batch` (options: --files, --lines, --stable-seconds).
It starts the test SFTP server (asyncssh, key auth, loopback) with a drop of CSV, X12 945 and X12 856 files
(~0.2% faulty lines), runs the flow's task functions without Prefect (`.fn`): download (two listings, SFTP
get, landing), parse, validate (DuckDB) and publish (the embedded fakesnow warehouse), times each stage,
and writes the "fulfillment" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from benchmarks.common import (
    RssSampler,
    Timing,
    machine_facts,
    markdown_table,
    measure,
    progress,
    scratch_home,
    write_section,
)
from flows.engine import Stopwatch, Validated, new_record, publish_or_hold
from flows.fulfillment_hourly import FulfillmentSource, land_wms_files
from lineage.events import new_run_id
from northstar.batches import batch_id
from northstar.loads import BatchRecord
from northstar.settings import SftpSettings, load_settings
from northstar.sources.wms.formats import parse_file
from northstar.sources.wms.landing import SOURCE
from northstar.warehouse import open_warehouse
from tests import wms_samples as w
from tests.sftp_server import SftpTestServer

LINES_PER_SHIPMENT = 5
FAULT_EVERY = 100  # one shipment in FAULT_EVERY ships a line of quantity 0
TARGET_SECONDS = 30.0
RENDER: dict[str, Callable[[list[w.Shipment]], bytes]] = {"csv": w.csv_file, "945": w.x12_945, "856": w.x12_856}


@dataclass(frozen=True)
class Drop:
    """What was dropped: per file its name, format, bytes and lines; the faulty lines in all."""

    files: list[tuple[str, str, bytes, int]]
    faulty_lines: int

    @property
    def lines(self) -> int:
        """Lines dropped in all."""
        return sum(n for *_, n in self.files)

    @property
    def megabytes(self) -> float:
        """Bytes dropped in all, in MB."""
        return sum(len(data) for _, _, data, _ in self.files) / 1e6


def make_drop(files: int, lines: int) -> Drop:
    """files files (formats in turn) of lines/files lines each, with one faulty line per FAULT_EVERY shipments."""
    per_file = max(1, lines // files // LINES_PER_SHIPMENT)
    made, faulty = [], 0
    for i in range(files):
        fmt = ("csv", "945", "856")[i % 3]
        items = w.shipments(
            per_file, prefix=f"S{i:02d}", first_order=1_000_000 * (i + 1), lines_each=LINES_PER_SHIPMENT
        )
        for k in range(0, len(items), FAULT_EVERY):
            items[k] = w.with_line(items[k], 1, quantity=0)
            faulty += 1
        made.append((f"hour-{i:02d}.{fmt}", fmt, RENDER[fmt](items), per_file * LINES_PER_SHIPMENT))
    return Drop(made, faulty)


@dataclass(frozen=True)
class Run:
    """The measured stages of one batch and what it did."""

    timings: dict[str, Timing]
    validated: Validated
    record: BatchRecord
    warm_up_seconds: float


def run_batch(sampler: RssSampler, cfg: SftpSettings) -> Run:
    """Download, validate and publish one hour through the task functions; time each."""
    settings = load_settings()
    t0 = time.perf_counter()
    with open_warehouse(settings):  # start the embedded warehouse and create its tables before timing
        warm_up = time.perf_counter() - t0
    window, batch = w.HOUR, batch_id(SOURCE, w.HOUR)
    landed, download = measure(sampler, lambda: land_wms_files.fn(settings, cfg, window, batch))
    validated, validate = measure(sampler, lambda: FulfillmentSource(cfg).validate(settings, landed, window, batch))
    record = new_record(settings, SOURCE, window, batch, validated, new_run_id(), Stopwatch())
    done, publish = measure(sampler, lambda: publish_or_hold.fn(settings, validated, record))
    assert done is not None and done.status == "COMMITTED", done
    return Run({"download": download, "validate": validate, "publish": publish}, validated, done, warm_up)


def parse_rates(drop: Drop) -> list[list[str]]:
    """Lines per second of parse_file alone, per format (one file each)."""
    rows = []
    for fmt in RENDER:
        name, _, data, lines = next(f for f in drop.files if f[1] == fmt)
        t0 = time.perf_counter()
        parse_file(data, f"/outbound/{name}", hashlib.sha256(data).hexdigest())
        seconds = time.perf_counter() - t0
        rows.append([fmt, f"{len(data) / 1e6:.2f}", f"{lines:,}", f"{seconds:.3f}", f"{lines / seconds:,.0f}"])
    return rows


def report(drop: Drop, run: Run, cfg: SftpSettings, rates: list[list[str]]) -> str:
    """The Markdown section."""
    t, v, r = run.timings, run.validated.seconds, run.record
    total = sum(x.seconds for x in t.values())
    stages = [
        ["download: 2 listings + SFTP get + land", f"{t['download'].seconds:.2f}", f"{t['download'].peak_rss_mb:.0f}",
         f"includes the {cfg.stable_seconds:g} s stability wait; {len(drop.files)} files, {drop.megabytes:.1f} MB"],
        ["parse: CSV / X12 → Arrow", f"{v['parse']:.2f}", "", "file verdicts, then every line typed and traced"],
        ["published keys (CORE.SHIPMENT_LINES)", f"{v['published_keys']:.2f}", "", "only the batch's shipment ids"],
        ["check: DuckDB router + Parquet", f"{v['check']:.2f}", "", f"{len(run.validated.results)} checks"],
        ["validate (parse + keys + check)", f"{t['validate'].seconds:.2f}", f"{t['validate'].peak_rss_mb:.0f}", ""],
        ["publish: PUT + one transaction", f"{t['publish'].seconds:.2f}", f"{t['publish'].peak_rss_mb:.0f}",
         "shipments, lines, 2 quarantines, file records, ledger"],
        [f"**total** (target < {TARGET_SECONDS:g} s)", f"**{total:.2f}**", "",
         "**met**" if total < TARGET_SECONDS else "**missed**"],
    ]  # fmt: skip
    facts = machine_facts(["duckdb", "pyarrow", "asyncssh", "fakesnow"])
    return "\n".join(
        [
            "## Fulfillment: one hour of WMS/3PL drops",
            "",
            "Reproduce: `.venv/bin/python -m benchmarks.fulfillment_batch` (the flow's task functions, no Prefect "
            "server; a real asyncssh SFTP server on loopback with key auth; the embedded fakesnow warehouse).",
            "",
            f"- Drop: {len(drop.files)} files (CSV, X12 945, X12 856 in turn), {drop.lines:,} lines, "
            f"{drop.megabytes:.1f} MB; {drop.faulty_lines} lines with quantity 0.",
            f"- Batch: {r.rows_extracted:,} lines checked, {r.rows_published:,} published, "
            f"{r.rows_quarantined:,} quarantined ({run.validated.quarantined_by_reason}). "
            f"Warehouse warm-up before timing: {run.warm_up_seconds:.1f} s.",
            "",
            markdown_table(["stage", "seconds", "peak RSS MiB", "notes"], stages),
            "",
            "Parsing alone, one file per format:",
            "",
            markdown_table(["format", "MB", "lines", "seconds", "lines/s"], rates),
            "",
            markdown_table(["fact", "value"], facts.items()),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its section of BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--stable-seconds", type=float, default=1.0, help="the interval between the two listings")
    args = parser.parse_args(argv)
    scratch_home("northstar-fulfillment-bench-")
    server = SftpTestServer(Path(tempfile.mkdtemp(prefix="northstar-sftp-bench-"))).start()
    try:
        drop = make_drop(args.files, args.lines)
        for i, (name, _, data, _) in enumerate(drop.files):
            server.drop(name, data, w.T0 + timedelta(minutes=i + 1))
        os.environ.update(server.env(NORTHSTAR_SFTP_STABLE_SECONDS=str(args.stable_seconds)))
        cfg = load_settings().fulfillment.sftp
        progress(f"dropped {len(drop.files)} files, {drop.lines:,} lines; running the batch")
        with RssSampler() as sampler:
            run = run_batch(sampler, cfg)
        markdown = report(drop, run, cfg, parse_rates(drop))
    finally:
        server.stop()
    write_section("fulfillment", markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
