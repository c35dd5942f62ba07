"""Recovery from the Events API, through the real stripe SDK, against a local Stripe-shaped HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from northstar.landing import LandingStore, LocalLanding
from northstar.sources.stripe.landing import arrival_keys, envelope_keys, land_event, read_envelope
from northstar.sources.stripe.recover import list_items, recover_events

pytestmark = pytest.mark.integration
API_KEY = "sk_test_51Recovery"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TYPES = ("payment_intent.succeeded", "charge.succeeded", "charge.refunded", "payment_intent.payment_failed")


def make_events(count: int = 250, span: timedelta = timedelta(days=3)) -> list[dict[str, Any]]:
    """Events spread evenly over the span before NOW, newest first (the API's order)."""
    step = span / count
    events = [
        {
            "id": f"evt_1Rcv{i:05d}",
            "object": "event",
            "api_version": "2026-10-29.acacia",
            "created": int((NOW - span + step * i).timestamp()),
            "data": {"object": {"id": f"pi_{i:05d}", "object": "payment_intent", "amount": 100 + i}},
            "livemode": False,
            "pending_webhooks": 0,
            "type": TYPES[i % len(TYPES)],
        }
        for i in range(count)
    ]
    return sorted(events, key=lambda e: (e["created"], e["id"]), reverse=True)


class FakeStripe(ThreadingHTTPServer):
    """GET /v1/events with created[gte], limit and starting_after, answering pretty-printed list pages."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), EventsHandler)
        self.events = events
        self.requests: list[dict[str, list[str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """One page of events, newest first, after the starting_after id if given."""
        gte = int(query.get("created[gte]", ["0"])[0])
        limit = int(query.get("limit", ["10"])[0])
        matching = [e for e in self.events if e["created"] >= gte]
        if after := query.get("starting_after"):
            matching = matching[[e["id"] for e in matching].index(after[0]) + 1 :]
        return {"object": "list", "data": matching[:limit], "has_more": len(matching) > limit, "url": "/v1/events"}


class EventsHandler(BaseHTTPRequestHandler):
    """Serves FakeStripe's pages; 401 without the API key, 404 elsewhere."""

    server: FakeStripe

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/v1/events":
            return self._send(404, {"error": {"message": "Unrecognized request URL"}})
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            return self._send(401, {"error": {"message": "Invalid API Key provided"}})
        query = parse_qs(url.query)
        self.server.requests.append(query)
        return self._send(200, self.server.page(query))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, indent=2).encode()  # Stripe pretty-prints its responses
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    server = FakeStripe(make_events())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def recover(store: LandingStore, server: FakeStripe, since: datetime) -> Any:
    """One recovery run against the fake API."""
    return recover_events(store, since=since, api_key=API_KEY, api_base=server.url, now=NOW)


def test_every_event_since_lands_once_through_paginated_listing(fake_stripe: FakeStripe, store: LandingStore) -> None:
    since = NOW - timedelta(days=2)
    expected = [e for e in fake_stripe.events if e["created"] >= since.timestamp()]
    summary = recover(store, fake_stripe, since)
    assert (summary.listed, summary.landed, summary.duplicates) == (len(expected), len(expected), 0)
    assert len(expected) > 100 and len(expected) < len(fake_stripe.events)
    assert envelope_keys(store) == sorted(
        f"raw/stripe/dt={datetime.fromtimestamp(e['created'], UTC):%Y-%m-%d}/{e['id']}.json" for e in expected
    )
    requests = fake_stripe.requests
    pages = -(-len(expected) // 100)
    assert [q.get("starting_after") for q in requests] == [None] + [
        [expected[100 * p - 1]["id"]] for p in range(1, pages)
    ]
    assert all(q["created[gte]"] == [str(int(since.timestamp()))] and q["limit"] == ["100"] for q in requests)
    assert len(arrival_keys(store)) == len(expected)  # each recovered event arrives once, now
    sample = read_envelope(store, envelope_keys(store)[0])
    assert (sample["source"], sample["signature_timestamp"]) == ("recovery", None)
    assert json.loads(sample["body"]) == next(e for e in expected if e["id"] == sample["event_id"])
    assert sample["body"] in json.dumps(fake_stripe.page({"created[gte]": ["0"], "limit": ["250"]}), indent=2)


def test_a_second_recovery_lands_nothing_new(fake_stripe: FakeStripe, store: LandingStore) -> None:
    since = NOW - timedelta(days=2)
    first = recover(store, fake_stripe, since)
    written = dict(store.list_modified("raw/stripe/"))
    second = recover(store, fake_stripe, since)
    assert (second.listed, second.landed, second.duplicates) == (first.listed, 0, first.listed)
    assert dict(store.list_modified("raw/stripe/")) == written  # nothing rewritten


def test_events_the_webhook_landed_are_duplicates_and_keep_their_envelope(
    fake_stripe: FakeStripe, store: LandingStore
) -> None:
    webhook_landed = fake_stripe.events[:30]
    for event in webhook_landed:
        body = json.dumps(event, indent=2).encode()
        land_event(store, body, received_at=NOW, signature_timestamp=int(NOW.timestamp()), source="webhook")
    summary = recover(store, fake_stripe, NOW - timedelta(days=1))
    assert summary.duplicates == 30 and summary.landed == summary.listed - 30
    key = f"raw/stripe/dt={datetime.fromtimestamp(webhook_landed[0]['created'], UTC):%Y-%m-%d}/evt_1Rcv00249.json"
    assert read_envelope(store, key)["source"] == "webhook"


def test_since_older_than_30_days_or_without_offset_is_refused(fake_stripe: FakeStripe, tmp_path: Path) -> None:
    store = LocalLanding(tmp_path)
    with pytest.raises(ValueError, match="older than 30 days"):
        recover(store, fake_stripe, NOW - timedelta(days=30, seconds=1))
    with pytest.raises(ValueError, match="UTC offset"):
        recover(store, fake_stripe, datetime(2026, 11, 25))
    assert fake_stripe.requests == [] and store.keys("") == []
    assert recover(store, fake_stripe, NOW - timedelta(days=30)).listed == 250


def test_list_items_cuts_each_element_verbatim() -> None:
    text = '{ "object" : "list", "url": "/v1/events",\n "data" : [ {"id": "evt_1", "x": [1, {"y": "]"}]} ,\n'
    text += '{"id":"evt_2"} ] }'
    assert list_items(text) == ['{"id": "evt_1", "x": [1, {"y": "]"}]}', '{"id":"evt_2"}']
    assert list_items('{"object": "list", "has_more": false}') is None
    assert list_items('{"data": []}') == []
