"""The Stripe webhook receiver over real HTTP (uvicorn on loopback) into real stores (a folder, moto's S3)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import boto3
import httpx
import pytest
import uvicorn

from northstar.landing import LandingStore, LocalLanding, S3Landing
from northstar.settings import SettingsError
from northstar.sources.stripe.landing import (
    BadEvent,
    arrival_key,
    arrival_keys,
    envelope_keys,
    land_event,
    land_prepared,
    prepare_event,
    read_envelope,
)
from northstar.sources.stripe.limits import RateLimiter
from northstar.sources.stripe.receiver import Limits, app_from_env, create_app

pytestmark = pytest.mark.integration
SECRET = "whsec_test_5f1c0ffee0ddba11"
OLD_SECRET = "whsec_test_0ld5ecre7"
CREATED = int(datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC).timestamp())  # one second before a UTC midnight


def stripe_event(event_id: str, event_type: str = "payment_intent.succeeded", created: int = CREATED) -> bytes:
    """A webhook body as Stripe sends it: a pretty-printed snapshot event (with non-ASCII text)."""
    obj: dict[str, Any] = {
        "id": "pi_3QxYz2eZvKYlo2C1" + event_id[-6:],
        "object": "payment_intent",
        "amount": 4999,
        "amount_received": 4999,
        "currency": "eur",
        "customer": "cus_R2d2C3p0",
        "metadata": {"order_id": "100234"},
        "shipping": {"name": "Zoë Ångström", "address": {"city": "Malmö", "country": "SE"}},
        "status": "succeeded",
    }
    if event_type == "charge.refunded":
        obj |= {"id": "ch_3QxYz2" + event_id[-6:], "object": "charge", "amount_refunded": 4999, "refunded": True}
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-29.acacia",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": "req_8sLq3", "idempotency_key": "6b1e7c44-0c3a-4e8e-9d5b-1f6d2a3c9e10"},
        "type": event_type,
    }
    return json.dumps(event, indent=2, ensure_ascii=False).encode("utf-8")


def sign(payload: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header computed as Stripe does: v1 = HMAC-SHA256(secret, "<t>.<payload>")."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + payload, hashlib.sha256).hexdigest()}"


@contextmanager
def serving(app: Any) -> Iterator[httpx.Client]:
    """Run app with uvicorn in a thread on a free loopback port; yield an HTTP client for it."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="stripe-receiver", daemon=True)
    thread.start()
    while thread.is_alive() and not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(10)


class FlakyStore:
    """A real store whose writes fail while `failing` is set (a storage outage); reads pass through."""

    def __init__(self, inner: LandingStore) -> None:
        self.inner, self.failing = inner, True

    def put_if_absent(self, key: str, data: bytes) -> bool:
        if self.failing:
            raise OSError("landing store unavailable")
        return self.inner.put_if_absent(key, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def receiver(store: LandingStore) -> Iterator[httpx.Client]:
    with serving(create_app(store, [SECRET], max_body_bytes=64 * 1024)) as client:
        yield client


def deliver(client: httpx.Client, body: bytes, signature: str | None = None) -> httpx.Response:
    """POST one body the way Stripe does (signed now with SECRET unless a header is given)."""
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature or sign(body)}
    return client.post("/webhooks/stripe", content=body, headers=headers)


def test_redelivery_lands_once_and_the_envelope_keeps_the_exact_bytes(
    receiver: httpx.Client, store: LandingStore
) -> None:
    body = stripe_event("evt_1QxYz2eZvKYlo2C1aaaaaa")
    first_signature = sign(body)
    assert deliver(receiver, body, first_signature).json() == {"status": "landed"}
    redelivery = deliver(receiver, body, sign(body, timestamp=int(time.time()) - 60))
    assert (redelivery.status_code, redelivery.json()) == (200, {"status": "duplicate"})
    key = "raw/stripe/dt=2026-11-20/evt_1QxYz2eZvKYlo2C1aaaaaa.json"
    assert envelope_keys(store) == [key]
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert arrival_keys(store) == [
        f"raw/stripe/_arrivals/dt={today}/evt_1QxYz2eZvKYlo2C1aaaaaa.created=2026-11-20.json"
    ]
    envelope = read_envelope(store, key)
    assert envelope.pop("body").encode("utf-8") == body
    received_at = datetime.fromisoformat(envelope.pop("received_at"))
    assert received_at.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - received_at) < timedelta(minutes=1)
    assert envelope == {
        "event_id": "evt_1QxYz2eZvKYlo2C1aaaaaa",
        "event_type": "payment_intent.succeeded",
        "event_created": CREATED,
        "signature_timestamp": int(first_signature.split(",")[0][2:]),
        "source": "webhook",
    }
    health = receiver.get("/healthz").json()
    assert health == {
        "status": "ok",
        "received": 2,
        "landed": 1,
        "duplicates": 1,
        "rejected": {},
        "landing_failures": 0,
        "unhandled": {},
    }


def test_twenty_concurrent_deliveries_land_one_object(receiver: httpx.Client, store: LandingStore) -> None:
    body = stripe_event("evt_1QxYz2eZvKYlo2C1cccccc", "charge.refunded")

    async def storm() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=str(receiver.base_url), timeout=30) as client:
            headers = {"Stripe-Signature": sign(body)}
            return await asyncio.gather(
                *(client.post("/webhooks/stripe", content=body, headers=headers) for _ in range(20))
            )

    responses = asyncio.run(storm())
    assert [r.status_code for r in responses] == [200] * 20
    statuses = sorted(r.json()["status"] for r in responses)
    if isinstance(store, S3Landing):
        # S3 makes a conditional put atomic; moto checks, then writes, and lost the race once in a full test run:
        # then two deliveries answer "landed" for the same bytes under the same keys (asserted below)
        assert statuses.count("landed") >= 1 and set(statuses) <= {"duplicate", "landed"}
    else:  # the local folder's exclusive create is atomic
        assert statuses == ["duplicate"] * 19 + ["landed"]
    assert envelope_keys(store) == ["raw/stripe/dt=2026-11-20/evt_1QxYz2eZvKYlo2C1cccccc.json"]
    assert len(arrival_keys(store)) == 1  # one arrival: the batch of this window takes it once
    assert read_envelope(store, envelope_keys(store)[0])["body"].encode() == body


def test_out_of_order_deliveries_land_under_each_events_own_date(receiver: httpx.Client, store: LandingStore) -> None:
    day = 86_400
    events = {f"evt_1Ooo{i}": stripe_event(f"evt_1Ooo{i}", created=CREATED + i * day) for i in range(3)}
    outcomes = [deliver(receiver, events[f"evt_1Ooo{i}"]).json()["status"] for i in (2, 0, 1, 0, 2)]
    assert outcomes == ["landed", "landed", "landed", "duplicate", "duplicate"]
    assert envelope_keys(store) == [
        "raw/stripe/dt=2026-11-20/evt_1Ooo0.json",
        "raw/stripe/dt=2026-11-21/evt_1Ooo1.json",
        "raw/stripe/dt=2026-11-22/evt_1Ooo2.json",
    ]


BODY = stripe_event("evt_1Rej")
REJECTIONS: dict[str, tuple[bytes, Callable[[bytes], str | None], int, str]] = {
    "missing header": (BODY, lambda b: "", 400, "missing_signature"),
    "no timestamp": (BODY, lambda b: sign(b).split(",", 1)[1], 400, "malformed_signature"),
    "bad signature": (BODY, lambda b: sign(b.replace(b"4999", b"1")), 400, "bad_signature"),
    "wrong secret": (BODY, lambda b: sign(b, "whsec_someone_else"), 400, "bad_signature"),
    "stale timestamp": (BODY, lambda b: sign(b, timestamp=int(time.time()) - 301), 400, "stale_timestamp"),
    "future timestamp": (BODY, lambda b: sign(b, timestamp=int(time.time()) + 301), 400, "stale_timestamp"),
    "not utf-8": (b'{"id": "evt_1\xff"}', sign, 400, "not_utf8"),
    "not json": (b"id=evt_1&type=charge.succeeded", sign, 400, "not_json"),
    "json array": (b"[]", sign, 400, "not_an_event"),
    "not an event": (b'{"id": "ch_1", "object": "charge", "created": 1}', sign, 400, "not_an_event"),
    "created as text": (BODY.replace(str(CREATED).encode(), b'"2026-11-20"'), sign, 400, "not_an_event"),
    "oversized": (BODY + b" " * 64 * 1024, sign, 413, "body_too_large"),
}


@pytest.mark.parametrize("case", REJECTIONS)
def test_rejected_requests_store_nothing(
    case: str, receiver: httpx.Client, store: LandingStore, caplog: pytest.LogCaptureFixture
) -> None:
    body, signature, status, reason = REJECTIONS[case]
    header = signature(body)
    response = receiver.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": header} if header else {})
    assert (response.status_code, response.json()) == (status, {"error": reason})
    assert store.keys("raw/") == []
    health = receiver.get("/healthz").json()
    assert (health["rejected"], health["landed"]) == ({reason: 1}, 0)
    assert reason in caplog.text and SECRET not in caplog.text and "Ångström" not in caplog.text


def test_an_oversized_streamed_body_is_refused_without_a_content_length(
    receiver: httpx.Client, store: LandingStore
) -> None:
    chunks = [b" " * 16 * 1024] * 5 + [BODY]
    response = receiver.post("/webhooks/stripe", content=iter(chunks), headers={"Stripe-Signature": sign(BODY)})
    assert "content-length" not in response.request.headers
    assert (response.status_code, response.json()) == (413, {"error": "body_too_large"})
    assert store.keys("raw/") == []


def test_other_routes_and_methods_are_refused(receiver: httpx.Client, store: LandingStore) -> None:
    assert receiver.get("/webhooks/stripe").status_code == 405
    assert receiver.post("/healthz").status_code == 405
    assert receiver.post("/webhooks/other", content=BODY, headers={"Stripe-Signature": sign(BODY)}).status_code == 404
    assert store.keys("raw/") == [] and receiver.get("/healthz").json()["received"] == 0


def test_either_secret_verifies_during_a_rotation(store: LandingStore) -> None:
    with serving(create_app(store, [SECRET, OLD_SECRET])) as client:
        old, new, both = (stripe_event(f"evt_1Rot{i}") for i in range(3))
        assert deliver(client, old, sign(old, OLD_SECRET)).json() == {"status": "landed"}
        assert deliver(client, new, sign(new, SECRET)).json() == {"status": "landed"}
        two_signatures = sign(both, SECRET) + "," + sign(both, OLD_SECRET).split(",")[1]  # Stripe rolling a secret
        assert deliver(client, both, two_signatures).json() == {"status": "landed"}
        assert deliver(client, old, sign(old, "whsec_retired")).status_code == 400
    assert len(envelope_keys(store)) == len(arrival_keys(store)) == 3


def test_a_landing_failure_answers_503_and_the_retry_lands(
    store: LandingStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(store)
    body = stripe_event("evt_1Flaky")
    with serving(create_app(cast(LandingStore, flaky), [SECRET])) as client:
        assert deliver(client, body).status_code == 503
        assert store.keys("raw/") == []
        flaky.failing = False
        assert deliver(client, body).json() == {"status": "landed"}
        health = client.get("/healthz").json()
    assert (health["landing_failures"], health["landed"]) == (1, 1)
    assert "evt_1Flaky" in caplog.text and "Ångström" not in caplog.text and SECRET not in caplog.text


def test_a_missing_bucket_answers_503_until_it_exists(moto_s3: str) -> None:
    client = boto3.client("s3", endpoint_url=moto_s3)
    bucket = f"northstar-landing-late-{int(time.time() * 1000)}"
    body = stripe_event("evt_1NoBucket")
    with serving(create_app(S3Landing(bucket, client), [SECRET])) as http:
        assert deliver(http, body).status_code == 503
        client.create_bucket(Bucket=bucket)
        assert deliver(http, body).json() == {"status": "landed"}


def test_app_from_env_needs_a_secret_and_accepts_each_of_a_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NORTHSTAR_PROFILE", "NORTHSTAR_LANDING_BUCKET", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET: not set"):
        app_from_env()
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", f" {SECRET} , {OLD_SECRET} ")
    with serving(app_from_env()) as client:
        for secret in (SECRET, OLD_SECRET):
            body = stripe_event(f"evt_1Env{secret[-4:]}")
            assert deliver(client, body, sign(body, secret)).json() == {"status": "landed"}
    assert len(envelope_keys(LocalLanding(tmp_path / "home" / "landing"))) == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"type": "charge.succeeded", "created": 1}', "event id"),
        (b'{"id": "evt_../../x", "type": "charge.succeeded", "created": 1}', "event id"),
        (b'{"id": "evt_1", "created": 1}', "event type"),
        (b'{"id": "evt_1", "type": "charge.succeeded", "created": true}', "created"),
        (b'{"id": "evt_1", "type": "charge.succeeded", "created": 1e400}', "created"),
    ],
)
def test_land_event_refuses_what_is_not_an_event(tmp_path: Path, body: bytes, message: str) -> None:
    store = LocalLanding(tmp_path)
    with pytest.raises(BadEvent, match=message):
        land_event(store, body, received_at=datetime.now(UTC), signature_timestamp=None, source="webhook")
    assert store.keys("") == []


def test_the_northstar_command_serves_the_receiver(tmp_path: Path) -> None:
    """`northstar webhooks serve` in its own process, configured from the environment, lands a signed event."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NORTHSTAR_", "SNOWFLAKE_"))}
    env |= {"NORTHSTAR_HOME": str(tmp_path / "home"), "STRIPE_WEBHOOK_SECRET": f"{OLD_SECRET},{SECRET}"}
    command = [sys.executable, "-m", "cli.main", "webhooks", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/healthz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        body = stripe_event("evt_1CliServe000001")
        reply = httpx.post(f"{url}/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
        health = httpx.get(f"{url}/healthz").json()
    finally:
        server.terminate()
        server.wait(30)
    assert reply.status_code == 200 and reply.json() == {"status": "landed"}
    assert health["landed"] == 1 and health["received"] == 1
    store = LocalLanding(tmp_path / "home" / "landing")
    assert [read_envelope(store, key)["body"].encode() for key in envelope_keys(store)] == [body]


CASES = Path(__file__).parent / "cases"


def case_body(name: str, base: int) -> bytes:
    """A case's Stripe body with its __T+n__ / __T-n__ placeholders filled in around base (unix seconds)."""
    text = (CASES / name).read_text().strip()
    text = re.sub(r"__T([+-])(\d+)__", lambda m: str(base + int(m.group(1) + m.group(2))), text)
    return text.encode()


def test_s10_a_signed_thin_event_is_landed_answered_200_and_counted_unhandled(
    receiver: httpx.Client, store: LandingStore
) -> None:
    body = case_body("s10/01_thin_event.json", 0)  # no placeholders: created is "2026-11-30T21:00:00.000Z"
    first, retry = deliver(receiver, body), deliver(receiver, body)
    assert [(r.status_code, r.json()) for r in (first, retry)] == [
        (200, {"status": "landed"}),
        (200, {"status": "duplicate"}),
    ]
    event_id = "evt_test_65S10thinEventNotificationAAAAAAAAAAAA"
    key = f"raw/stripe/dt=2026-11-30/{event_id}.json"
    assert envelope_keys(store) == [key]
    envelope = read_envelope(store, key)
    assert envelope["body"].encode() == body  # kept exactly as sent
    assert (envelope["event_type"], envelope["event_created"]) == (
        "v1.billing.meter.error_report_triggered",
        int(datetime(2026, 11, 30, 21, 0, tzinfo=UTC).timestamp()),
    )
    health = receiver.get("/healthz").json()
    assert (health["landed"], health["duplicates"], health["rejected"]) == (1, 1, {})
    assert health["unhandled"] == {"v2.core.event": 1}


@pytest.mark.parametrize("created", ['"2026-11-30"', "1764536400", '"yesterday"', "null"])
def test_a_thin_event_whose_created_is_not_rfc3339_is_refused(
    receiver: httpx.Client, store: LandingStore, created: str
) -> None:
    body = case_body("s10/01_thin_event.json", 0).replace(b'"2026-11-30T21:00:00.000Z"', created.encode())
    response = deliver(receiver, body)
    assert (response.status_code, response.json()) == (400, {"error": "not_an_event"})
    assert store.keys("raw/") == []


def test_s07_an_event_created_five_days_ago_arrives_today(receiver: httpx.Client, store: LandingStore) -> None:
    base = int(time.time()) - 15 * 60
    bodies = [case_body(f"s07/{name}", base) for name in ("01_pi_succeeded_old.json", "02_charge_succeeded_old.json")]
    assert [deliver(receiver, b).json() for b in bodies] == [{"status": "landed"}] * 2
    created_day = f"{datetime.fromtimestamp(base - 431970, UTC):%Y-%m-%d}"
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    assert envelope_keys(store) == [f"raw/stripe/dt={created_day}/evt_S07{x}.json" for x in "ab"]
    assert arrival_keys(store) == [
        f"raw/stripe/_arrivals/dt={today}/evt_S07{x}.created={created_day}.json" for x in "ab"
    ]


class ArrivalOutage:
    """A real store whose arrival entries fail to write while `failing` is set (the envelope writes succeed)."""

    def __init__(self, inner: LandingStore) -> None:
        self.inner, self.failing = inner, True

    def put_if_absent(self, key: str, data: bytes) -> bool:
        if self.failing and "/_arrivals/" in key:
            raise OSError("landing store unavailable")
        return self.inner.put_if_absent(key, data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_failure_between_the_envelope_and_its_arrival_is_retried_and_recorded_once(store: LandingStore) -> None:
    outage = ArrivalOutage(store)
    body = stripe_event("evt_1HalfLanded")
    with serving(create_app(cast(LandingStore, outage), [SECRET])) as client:
        assert deliver(client, body).status_code == 503  # the envelope is there, its arrival is not: not acknowledged
        assert len(envelope_keys(store)) == 1 and arrival_keys(store) == []
        outage.failing = False
        assert deliver(client, body).json() == {"status": "duplicate"}  # Stripe's retry records the arrival
        assert deliver(client, body).json() == {"status": "duplicate"}  # a later redelivery adds nothing
    assert len(arrival_keys(store)) == 1


def test_a_redelivery_on_a_later_day_adds_no_second_arrival(tmp_path: Path) -> None:
    store = LocalLanding(tmp_path)
    body = stripe_event("evt_1NextDay")
    first, later = datetime(2026, 11, 20, 10, 0, tzinfo=UTC), datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for received_at in (first, later):
        land_prepared(store, prepare_event(body, received_at=received_at, signature_timestamp=None, source="webhook"))
    assert arrival_keys(store) == [arrival_key("evt_1NextDay", CREATED, first)]


def signed_post(client: httpx.Client, event_id: str, forwarded_for: str) -> httpx.Response:
    """One signed delivery as the load balancer forwards it (uvicorn trusts X-Forwarded-For from loopback only)."""
    body = stripe_event(event_id)
    headers = {"Stripe-Signature": sign(body), "X-Forwarded-For": forwarded_for}
    return client.post("/webhooks/stripe", content=body, headers=headers)


def test_one_client_over_its_rate_gets_429_and_others_are_served(store: LandingStore) -> None:
    limits = Limits(rate_per_client=0.01, burst_per_client=3)  # 3 at once, then one every 100 s
    with serving(create_app(store, [SECRET], limits=limits)) as client:
        answers = [signed_post(client, f"evt_flood{i:05d}", "203.0.113.7").status_code for i in range(5)]
        limited = signed_post(client, "evt_flood00009", "203.0.113.7")
        other = signed_post(client, "evt_other00001", "198.51.100.2")
        health = client.get("/healthz").json()
    assert answers == [200, 200, 200, 429, 429]
    assert (limited.status_code, limited.json(), limited.headers["retry-after"]) == (
        429,
        {"error": "rate_limited"},
        "1",
    )
    assert other.status_code == 200  # another client has its own bucket
    assert (health["landed"], health["rejected"]) == (4, {"rate_limited": 3})
    assert len(envelope_keys(store)) == 4  # nothing of a refused request is stored


def test_a_body_that_arrives_too_slowly_is_refused_with_408(store: LandingStore) -> None:
    """A client sending its headers and then dribbling the body (slowloris) is cut off at the deadline."""
    body = stripe_event("evt_slow000001")
    with serving(create_app(store, [SECRET], limits=Limits(body_seconds=0.5))) as client:
        host, port = str(client.base_url.host), int(client.base_url.port or 80)
        with socket.create_connection((host, port), timeout=10) as conn:
            head = (f"POST /webhooks/stripe HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Stripe-Signature: {sign(body)}\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip
            conn.sendall(head.encode() + body[:10])
            started = time.monotonic()
            reply = conn.recv(4096).decode()
            waited = time.monotonic() - started
        health = client.get("/healthz").json()
    assert reply.startswith("HTTP/1.1 408") and '{"error": "body_too_slow"}' in reply
    assert 0.4 < waited < 5
    assert health["rejected"] == {"body_too_slow": 1} and store.keys("raw/") == []


def test_the_rate_limiter_refills_at_its_rate_and_caps_at_its_burst() -> None:
    limiter = RateLimiter(rate=2.0, burst=2)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.5]
    assert limiter.allow("a", now=0.5) == 0.0  # one token back after 1/rate seconds
    assert limiter.allow("a", now=100.0) == 0.0 and limiter.allow("a", now=100.0) == 0.0  # full, never above burst
    assert limiter.allow("a", now=100.0) == 0.5
    with pytest.raises(ValueError, match="rate > 0"):
        RateLimiter(rate=0, burst=1)
