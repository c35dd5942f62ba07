"""The Stripe webhook receiver: verify the signature, land the event exactly once, then (only then) say 2xx.

Order per request: the client's request rate (429, northstar/sources/stripe/limits.py), size limit (413), the
body's deadline (408), Stripe-Signature verified against each configured secret before the
body is parsed (400), event parsed (400), landed in a worker thread: 200 landed or duplicate, 503 when the
landing store failed, so that Stripe retries. A thin event (`object: v2.core.event`, `created` an RFC 3339
string) is landed and answered 200 like any event, and counted in `unhandled`: the payments batch keeps it raw
and counts it unhandled (not an error, not revenue). Nothing is stored for a rejected request; no body or secret
is ever logged. A plain ASGI app (two routes do not need a framework; it keeps the event loop's share of
each request small). Counters are per process (one set per uvicorn worker) and served at GET /healthz.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import stripe

from northstar.landing import LandingStore, landing_store
from northstar.settings import load_settings
from northstar.sources.stripe.landing import THIN_EVENT, BadEvent, LandResult, land_prepared, prepare_event
from northstar.sources.stripe.limits import RateLimiter, client_key

log = logging.getLogger(__name__)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Reply = tuple[int, bytes]
LANDED: Reply = (200, b'{"status":"landed"}')
DUPLICATE: Reply = (200, b'{"status":"duplicate"}')
UNAVAILABLE: Reply = (503, b'{"error":"landing failed, retry later"}')


class Rejected(Exception):
    """A request refused before anything was stored (retry_after: seconds, for a 429)."""

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    """What one request may cost: body bytes, seconds to send the body, requests per second and burst per client
    (northstar/sources/stripe/limits.py says who a client is)."""

    max_body_bytes: int = 1_048_576
    body_seconds: float = 10.0
    rate_per_client: float = 500.0
    burst_per_client: float = 1000.0


class LandingFailed(Exception):
    """The landing store did not confirm the write: the event is not durably landed."""


@dataclass
class Counters:
    """What this process has seen since it started."""

    received: int = 0
    landed: int = 0
    duplicates: int = 0
    landing_failures: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    unhandled: Counter[str] = field(default_factory=Counter)  # landed, never mapped: thin events (v2.core.event)

    def as_dict(self) -> dict[str, Any]:
        """The counters as JSON-ready values."""
        return {
            "received": self.received,
            "landed": self.landed,
            "duplicates": self.duplicates,
            "rejected": dict(sorted(self.rejected.items())),
            "landing_failures": self.landing_failures,
            "unhandled": dict(sorted(self.unhandled.items())),
        }


def signature_timestamp(header: str) -> int | None:
    """The t= value of a Stripe-Signature header, read as the stripe SDK reads it; None if absent or bad."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (the first, if repeated)."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class Receiver:
    """The webhook endpoint: the store, the secrets, the limits, the landing threads and the counters."""

    def __init__(self, store: LandingStore, secrets: list[str], limits: Limits, tolerance: int, threads: int) -> None:
        self.store = store
        self.secrets = [s.strip() for s in secrets if s.strip()]
        if not self.secrets:
            raise ValueError("at least one Stripe webhook signing secret is required")
        self.limits = limits
        self.max_body_bytes = limits.max_body_bytes
        self.rate = RateLimiter(limits.rate_per_client, limits.burst_per_client)
        self.tolerance = tolerance
        self.counters = Counters()
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="stripe-landing")

    async def webhook(self, scope: Scope, receive: Receive) -> Reply:
        """POST /webhooks/stripe: the reply once the event is landed (or why it was not)."""
        received_at = datetime.now(UTC)
        self.counters.received += 1
        try:
            wait = self.rate.allow(client_key(scope))
            if wait:
                raise Rejected(429, "rate_limited", retry_after=wait)
            body = await asyncio.wait_for(self._read_body(scope, receive), self.limits.body_seconds)
            timestamp = self._verify(body, header(scope, b"stripe-signature"))
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.executor, self._land, body, timestamp, received_at)
        except Rejected as exc:
            return self._reject(scope, exc.status, exc.reason)
        except TimeoutError:  # the body did not arrive whole in time (slowloris)
            return self._reject(scope, 408, "body_too_slow")
        except LandingFailed:
            self.counters.landing_failures += 1
            return UNAVAILABLE
        if result.thin and result.landed:
            self.counters.unhandled[THIN_EVENT] += 1
        if result.landed:
            self.counters.landed += 1
            return LANDED
        self.counters.duplicates += 1
        return DUPLICATE

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        """The body, refused (413) as soon as its declared or streamed size passes the limit."""
        declared = header(scope, b"content-length") or ""
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise Rejected(413, "body_too_large")
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Rejected(400, "client_disconnected")
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                raise Rejected(413, "body_too_large")
        return bytes(body)

    def _verify(self, body: bytes, signature: str | None) -> int:
        """The signature's timestamp once one secret verifies the header; Rejected (400) otherwise."""
        if not signature:
            raise Rejected(400, "missing_signature")
        timestamp = signature_timestamp(signature)
        if timestamp is None:
            raise Rejected(400, "malformed_signature")
        if abs(time.time() - timestamp) > self.tolerance:  # the SDK checks the past only; this checks both
            raise Rejected(400, "stale_timestamp")
        try:
            payload = body.decode("utf-8")  # what Stripe signs; decoded once for all secrets
        except UnicodeDecodeError:
            raise Rejected(400, "not_utf8") from None
        for secret in self.secrets:
            try:
                stripe.WebhookSignature.verify_header(payload, signature, secret, self.tolerance)
            except stripe.SignatureVerificationError:
                continue
            return timestamp
        raise Rejected(400, "bad_signature")

    def _land(self, body: bytes, timestamp: int, received_at: datetime) -> LandResult:
        """Parse and land one verified body (in a landing thread)."""
        try:
            event = prepare_event(body, received_at=received_at, signature_timestamp=timestamp, source="webhook")
        except BadEvent as exc:
            raise Rejected(400, exc.reason) from None
        try:
            return land_prepared(self.store, event)
        except Exception as exc:
            log.error("stripe event %s not landed (%s: %s); answering 503", event.event_id, type(exc).__name__, exc)
            raise LandingFailed(event.event_id) from exc

    def _reject(self, scope: Scope, status: int, reason: str) -> Reply:
        """Count and log one rejection; the reply carries the short reason only."""
        self.counters.rejected[reason] += 1
        client = client_key(scope)
        log.warning("stripe webhook rejected: %s (status %d, client %s)", reason, status, client)
        return status, json.dumps({"error": reason}).encode()


class ReceiverApp:
    """The ASGI app: POST /webhooks/stripe, GET /healthz; anything else is 404 or 405."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http":
            return None
        status, body = await self._route(scope, receive)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 429:  # a token comes back within 1/rate seconds: well under one
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None

    async def _route(self, scope: Scope, receive: Receive) -> Reply:
        """The reply for one request."""
        path, method = scope["path"], scope["method"]
        if path == "/webhooks/stripe":
            return await self.receiver.webhook(scope, receive) if method == "POST" else (405, b'{"error":"POST"}')
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return 405, b'{"error":"GET"}'
            return 200, json.dumps({"status": "ok", **self.receiver.counters.as_dict()}).encode()
        return 404, b'{"error":"not found"}'

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Startup needs nothing; shutdown waits for landings in flight."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.receiver.executor.shutdown(wait=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(
    store: LandingStore,
    secrets: list[str],
    *,
    max_body_bytes: int = 1_048_576,
    tolerance_seconds: int = 300,
    landing_threads: int = 16,
    limits: Limits | None = None,
) -> ReceiverApp:
    """The receiver's ASGI app; landing_threads bounds the concurrent writes to the store (16 suits S3 and disk).
    `limits` (default: Limits() with max_body_bytes) sets the body, body deadline and per-client rate limits."""
    limits = limits or Limits(max_body_bytes=max_body_bytes)
    return ReceiverApp(Receiver(store, secrets, limits, tolerance_seconds, landing_threads))


def app_from_env() -> ReceiverApp:
    """The app configured from the settings: STRIPE_WEBHOOK_SECRET (comma-separated) and the landing store.

    SettingsError (a ValueError) when no signing secret is set: unverifiable webhooks are never accepted.
    """
    settings = load_settings()
    return create_app(landing_store(settings), settings.payments.require_webhook_secrets())


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the receiver with uvicorn (one process; scale with more tasks behind the load balancer)."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app_from_env(), host=host, port=port, access_log=False, log_level="info")
