"""Benchmark the Stripe webhook receiver: 20,000 distinct signed events at concurrency 50, all on loopback.

Run it with `.venv/bin/python -m benchmarks.stripe_receiver` (`--profile` adds a cProfile of the server's
event loop). Two processes besides this one:
- the server, exactly as deployed but for the port: `python -m uvicorn --factory
  northstar.sources.stripe.receiver:app_from_env --host 127.0.0.1 --port P --workers 1 --no-access-log`,
  landing into a LocalLanding (fsync per event) in a temporary NORTHSTAR_HOME;
- the load generator, `python -m benchmarks.stripe_load` (asyncio streams, requests signed in advance),
  once closed loop (concurrency 50, as fast as the server answers) and once open loop (500 events/s).
Each run uses a fresh server and folder; every event must be answered "landed" and be one object. The
"stripe-receiver" section of BENCHMARKS.md is rewritten (`--print-only` prints it instead).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import machine_facts, markdown_table, progress, write_section
from northstar.landing import LocalLanding
from northstar.sources.stripe.landing import envelope_keys

TARGET_EVENTS_PER_SECOND = 500
TARGET_P99_MS = 100
APP = "northstar.sources.stripe.receiver:app_from_env"
COMMAND = "python -m benchmarks.stripe_receiver"


def free_port() -> int:
    """A loopback port that is free now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(port: int, profile: Path | None) -> list[str]:
    """The uvicorn command line of the receiver (one worker), optionally under cProfile."""
    prefix = [sys.executable, "-m", "cProfile", "-o", str(profile)] if profile else [sys.executable]
    uvicorn = ["-m", "uvicorn", "--factory", APP, "--host", "127.0.0.1", "--port", str(port)]
    return [*prefix, *uvicorn, "--workers", "1", "--no-access-log", "--log-level", "warning"]


def wait_healthy(port: int, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Poll GET /healthz until the server answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the receiver did not start")


def process_usage(pid: int) -> dict[str, float]:
    """CPU seconds and peak RSS (MiB) of a running process, from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return {"cpu_seconds": (int(stat[11]) + int(stat[12])) / ticks, "peak_rss_mb": hwm / 1024}


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn shuts down cleanly and cProfile writes its file); SIGKILL after 30 s."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_once(args: argparse.Namespace, home: Path, rate: float | None) -> dict[str, Any]:
    """Start the server, drive the load from a second process, collect both sides' figures."""
    port, profile = free_port(), (home / "server.prof" if args.profile else None)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NORTHSTAR_", "SNOWFLAKE_"))}
    env |= {"NORTHSTAR_HOME": str(home), "STRIPE_WEBHOOK_SECRET": f"whsec_bench_{secrets.token_hex(16)}"}
    server = subprocess.Popen(server_command(port, profile), env=env)
    try:
        wait_healthy(port, server)
        before = process_usage(server.pid)
        load = [sys.executable, "-m", "benchmarks.stripe_load", "--port", str(port), "--events", str(args.events)]
        load += ["--concurrency", str(args.concurrency), "--deadline", str(args.deadline)]
        load += ["--rate", str(rate)] if rate else []
        done = subprocess.run(load, env=env, capture_output=True, timeout=args.deadline + 120)
        if done.returncode:
            raise RuntimeError(f"the load generator failed: {done.stderr.decode()[-2000:]}")
        after = process_usage(server.pid)
        counters = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
    finally:
        stop(server)
    result: dict[str, Any] = json.loads(done.stdout)
    result["server"] = {
        "cpu_seconds": after["cpu_seconds"] - before["cpu_seconds"],
        "peak_rss_mb": after["peak_rss_mb"],
    }
    result["counters"] = counters
    result["objects_landed"] = len(envelope_keys(LocalLanding(home / "landing")))  # not the arrival entries
    if profile:
        pstats.Stats(str(profile)).sort_stats("tottime").print_stats(30)
    return result


def landed_once(result: dict[str, Any]) -> bool:
    """Every event sent was answered "landed" and is one object in the store."""
    return result["objects_landed"] == result["requests"] and result["outcomes"] == {"landed": result["requests"]}


def _errors(result: dict[str, Any]) -> str:
    """Requests not answered 200 "landed"."""
    return str(sum(count for outcome, count in result["outcomes"].items() if outcome != "landed"))


Formatter = Callable[[dict[str, Any]], str]
MEASURES: list[tuple[str, Formatter, str]] = [
    ("events/s sustained", lambda r: f"{r['events_per_second']:,.0f}", f">= {TARGET_EVENTS_PER_SECOND}"),
    ("latency p50 (ms)", lambda r: f"{r['latency_ms']['p50']:.1f}", ""),
    ("latency p95 (ms)", lambda r: f"{r['latency_ms']['p95']:.1f}", ""),
    ("latency p99 (ms)", lambda r: f"{r['latency_ms']['p99']:.1f}", f"< {TARGET_P99_MS}"),
    ("latency max (ms)", lambda r: f"{r['latency_ms']['p100']:.1f}", ""),
    ("errors (non-200 or failed)", _errors, "0"),
    ("objects landed / events sent", lambda r: f"{r['objects_landed']:,} / {r['requests']:,}", "all, once"),
    ("wall time (s)", lambda r: f"{r['wall_seconds']:.1f}", ""),
    ("server CPU per event (ms)", lambda r: f"{r['server']['cpu_seconds'] / r['requests'] * 1000:.2f}", ""),
    ("server peak RSS (MiB)", lambda r: f"{r['server']['peak_rss_mb']:.0f}", ""),
    ("load generator CPU (s)", lambda r: f"{r['client_cpu_seconds']:.1f}", ""),
]


def rows(runs: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The table's rows: one column per run, then the target."""
    return [(label, *(cell(run) for run in runs), target) for label, cell, target in MEASURES]


def verdict(result: dict[str, Any]) -> str:
    """Whether one run met the target and landed everything once."""
    # The open loop offers exactly the target rate, so it keeps up when it delivers 99% of it (timer granularity).
    offered = result["offered_rate"] or 0
    kept_up = offered >= TARGET_EVENTS_PER_SECOND and result["events_per_second"] >= 0.99 * offered
    fast_enough = result["events_per_second"] >= TARGET_EVENTS_PER_SECOND or kept_up
    met = fast_enough and result["latency_ms"]["p99"] < TARGET_P99_MS
    landed = "every event landed exactly once" if landed_once(result) else f"LANDING CHECK FAILED {result['outcomes']}"
    return f"{'target met' if met else 'target missed'}, {landed}"


def report(closed: dict[str, Any], paced: dict[str, Any]) -> str:
    """The section's Markdown."""
    facts = machine_facts(["uvicorn", "httptools", "uvloop", "stripe"])
    headers = [
        "measure",
        f"closed loop, {closed['concurrency']} connections",
        f"open loop, {paced['offered_rate']:.0f}/s",
    ]
    return "\n\n".join(
        [
            "## Stripe webhook receiver",
            f"Reproduce: `.venv/bin/{COMMAND}` (about two minutes). The receiver runs as deployed, in its own "
            f"process: `python -m uvicorn --factory {APP} --host 127.0.0.1 --port P --workers 1 --no-access-log`, "
            "landing into a local folder (`LocalLanding`: temp file, fsync, link; one per event). A second "
            "process (`benchmarks/stripe_load.py`, asyncio streams, every request signed beforehand) posts "
            f"{closed['requests']:,} distinct signed events (~1.1 KB) per run and measures each request's latency. "
            f"Closed loop: {closed['concurrency']} keep-alive connections, each sending its next event when the "
            "previous answer arrives (the latency is then about concurrency / throughput). Open loop: events "
            f"sent at {paced['offered_rate']:.0f}/s (at most {paced['concurrency']} in flight), latency counted "
            "from each event's scheduled send time.",
            markdown_table([*headers, "target"], rows([closed, paced])),
            f"Closed loop: {verdict(closed)}. Open loop: {verdict(paced)}. "
            f"/healthz after the closed loop: `{json.dumps(closed['counters'])}`.",
            "Where the time goes (cProfile with `--profile`, /proc): the one worker is CPU-bound. uvicorn uses "
            "httptools (HTTP parsing in C) and uvloop, both installed for this reason: with uvicorn's pure-Python "
            "h11 parser and asyncio's loop the same server needed 1.5 ms of CPU per event and reached 589 events/s "
            "with a p99 of 172 ms. What remains is mostly the landing threads (`LocalLanding.put_if_absent`: "
            "mkstemp, write, fsync, link, unlink per event) contending with the event loop for the GIL. In the "
            "closed loop the latency is about concurrency / throughput, so its p99 sits near the target; the open "
            "loop at the target rate is the measure of headroom.",
            markdown_table(["machine", ""], facts.items()),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write (or print) its section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=240.0, help="seconds the load may take at most")
    parser.add_argument("--rate", type=float, default=TARGET_EVENTS_PER_SECOND, help="the open-loop run's events/s")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the server's main thread")
    parser.add_argument("--print-only", action="store_true", help="print the Markdown instead of writing it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="northstar-stripe-bench-") as home:  # removed after both runs
        progress(f"closed loop: {args.events:,} events over {args.concurrency} connections", "stripe-receiver")
        closed = run_once(args, Path(home) / "closed", None)
        progress(json.dumps(closed), "stripe-receiver")
        progress(f"open loop: {args.events:,} events at {args.rate:.0f}/s", "stripe-receiver")
        paced = run_once(args, Path(home) / "paced", args.rate)
        progress(json.dumps(paced), "stripe-receiver")
    markdown = report(closed, paced)
    if args.print_only:
        print(markdown)
    else:
        write_section("stripe-receiver", markdown)


if __name__ == "__main__":
    main()
