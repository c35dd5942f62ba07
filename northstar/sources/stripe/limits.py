"""The receiver's guards against abuse from the internet: a request rate per client, and a deadline for the body.

Per client, a token bucket: `rate` requests a second on average, bursts of up to `burst`; a request over it is
answered 429 with Retry-After before its body is read. Stripe itself is a client (a few addresses sending every
event), so the defaults leave it far above the brief's volume (8M events a day is ~93 a second on average, across
3-6 receiver tasks); the limit is for one address flooding the endpoint. The client is the connection's peer as
uvicorn reports it: behind the load balancer, uvicorn's proxy headers replace the balancer's address with the one
it appended to X-Forwarded-For, for peers in FORWARDED_ALLOW_IPS only (the VPC's range: infra/stacks.py), so a
caller cannot choose its own key by writing that header.

A body must arrive whole within `body_seconds` of the request (slowloris: a client dribbling bytes to hold a
connection and a landing slot); after that the request is answered 408 and nothing is stored.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

MAX_CLIENTS = 10_000  # buckets kept; the least recently seen is forgotten first (it is full again by then)


@dataclass
class RateLimiter:
    """Token buckets per client key: `rate` per second, `burst` at most. Not thread-safe: the event loop's."""

    rate: float
    burst: float
    buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)  # key -> (tokens, at)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs rate > 0 per second and a burst of at least 1")

    def allow(self, key: str, now: float | None = None) -> float:
        """0.0 when the client may send this request now (a token is taken), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        tokens, at = self.buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self.buckets[key] = (tokens - 1 if wait == 0.0 else tokens, now)
        while len(self.buckets) > MAX_CLIENTS:
            self.buckets.popitem(last=False)
        return wait


def client_key(scope: dict[str, Any]) -> str:
    """Who sent the request: the client address of the ASGI scope (uvicorn's, after its proxy headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "?"
