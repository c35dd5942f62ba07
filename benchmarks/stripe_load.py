"""Load generator for the Stripe receiver benchmark: distinct signed events over keep-alive loopback connections.

Run by benchmarks/stripe_receiver.py as its own process:
`python -m benchmarks.stripe_load --port P --events 20000 --concurrency 50` with STRIPE_WEBHOOK_SECRET set.
Every request is built and signed before the clock starts; the client is plain asyncio streams speaking
HTTP/1.1 (no client library), so that it costs far less CPU than the server it measures. Closed loop by
default (each connection sends its next event when the previous answer arrives); `--rate R` paces the
sends at R events/s instead (open loop, at most `--concurrency` in flight), latency then counting from each
event's scheduled time. Prints one JSON object: counts, wall time, events/s, client-side latency
percentiles and the client's own CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

TYPES = ("payment_intent.succeeded", "charge.succeeded", "charge.refunded", "payment_intent.payment_failed")


def event_body(n: int, now: int, rng: random.Random) -> bytes:
    """A realistic ~1.5 KB snapshot event, created within the last three days, pretty-printed as Stripe does."""
    amount = rng.randrange(500, 50_000)
    created = now - rng.randrange(0, 3 * 86_400)
    intent = {
        "id": f"pi_3Bench{n:08d}",
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "capture_method": "automatic",
        "created": created - 2,
        "currency": rng.choice(("usd", "eur", "gbp")),
        "customer": f"cus_Bench{rng.randrange(10**6):06d}",
        "description": f"Order #{100_000 + n}",
        "latest_charge": f"ch_3Bench{n:08d}",
        "livemode": False,
        "metadata": {"order_id": str(100_000 + n), "channel": "web"},
        "payment_method": f"pm_1Bench{n:08d}",
        "payment_method_types": ["card"],
        "shipping": {"name": "Zoë Ångström", "address": {"city": "Malmö", "country": "SE", "postal_code": "211 22"}},
        "status": "succeeded",
    }
    event = {
        "id": f"evt_3Bench{n:08d}",
        "object": "event",
        "api_version": "2026-10-29.acacia",
        "created": created,
        "data": {"object": intent},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": f"req_Bench{n:08d}", "idempotency_key": f"{rng.getrandbits(128):032x}"},
        "type": TYPES[n % len(TYPES)],
    }
    return json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")


def build_requests(count: int, port: int, secret: str, seed: int = 7) -> list[bytes]:
    """Every request, complete and signed (t = now), as the bytes to write."""
    rng, now = random.Random(seed), int(time.time())
    requests = []
    for n in range(count):
        body = event_body(n, now, rng)
        signature = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        head = (
            f"POST /webhooks/stripe HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            f"Stripe-Signature: t={now},v1={signature}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length: its status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(v) for k, _, v in (h.partition(":") for h in lines[1:]) if k.lower() == "content-length"), 0)
    return int(lines[0].split()[1]), await reader.readexactly(length)


class Load:
    """Shared state of the workers: the requests left, the latencies and the outcomes."""

    def __init__(self, requests: list[bytes], port: int, rate: float | None) -> None:
        self.pending: Iterator[tuple[int, bytes]] = enumerate(requests)
        self.port = port
        self.rate = rate
        self.start = 0.0
        self.latencies: list[float] = []
        self.outcomes: Counter[str] = Counter()

    async def due(self, index: int) -> float:
        """When request index is due: now (closed loop), or start + index / rate (open loop, after a sleep)."""
        if self.rate is None:
            return time.perf_counter()
        due = self.start + index / self.rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        return due  # latency counts from the scheduled time, so a stalled server cannot hide its queue

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A keep-alive connection, warmed with one GET /healthz."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode())
        await read_response(reader)
        return reader, writer

    async def worker(self, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        """Send requests one after another on one connection until none are left."""
        reader, writer = connection
        for index, request in self.pending:
            start = await self.due(index)
            try:
                writer.write(request)
                status, body = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.outcomes[f"error {type(exc).__name__}"] += 1
                reader, writer = await self.connect()
                continue
            self.latencies.append(time.perf_counter() - start)
            self.outcomes[json.loads(body).get("status", "?") if status == 200 else f"http {status}"] += 1
        writer.close()


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))]


async def run(
    requests: list[bytes], port: int, concurrency: int, deadline: float, rate: float | None
) -> dict[str, Any]:
    """Drive the load (as fast as concurrency allows, or paced at rate per second); the figures as a dict."""
    load = Load(requests, port, rate)
    connections = await asyncio.gather(*(load.connect() for _ in range(concurrency)))
    cpu0, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    load.start = start
    try:
        await asyncio.wait_for(asyncio.gather(*(load.worker(c) for c in connections)), deadline)
    except TimeoutError:
        load.outcomes["not sent before the deadline"] += sum(1 for _ in load.pending)
    wall, cpu1 = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    latencies = sorted(load.latencies)
    return {
        "requests": len(requests),
        "concurrency": concurrency,
        "offered_rate": rate,
        "outcomes": dict(load.outcomes),
        "wall_seconds": wall,
        "events_per_second": len(latencies) / wall,
        "latency_ms": {f"p{q}": percentile(latencies, q) * 1000 for q in (50, 95, 99, 100)}
        | {"mean": statistics.fmean(latencies) * 1000 if latencies else float("nan")},
        "client_cpu_seconds": cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime,
    }


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the requests, run, print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=240.0, help="seconds before the run is cut short")
    parser.add_argument("--rate", type=float, help="open loop: send this many events per second (default: closed loop)")
    args = parser.parse_args(argv)
    secret = os.environ["STRIPE_WEBHOOK_SECRET"].split(",")[0]
    requests = build_requests(args.events, args.port, secret)
    result = asyncio.run(run(requests, args.port, args.concurrency, args.deadline, args.rate))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
