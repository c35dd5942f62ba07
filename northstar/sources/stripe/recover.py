"""Recover Stripe events the webhook missed: list them from the Events API and land each one exactly once.

Events already landed (by the webhook or an earlier recovery) are duplicates: first write wins, nothing is
rewritten. The Events API keeps 30 days of events and renders each at the API version of its creation,
which can differ from the webhook endpoint's version.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import stripe

from northstar.landing import LandingStore
from northstar.sources.stripe.landing import LandResult, land_event

log = logging.getLogger(__name__)
MAX_AGE = timedelta(days=30)  # the Events API's own retention
PAGE_LIMIT = 100
_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True)
class RecoverySummary:
    """What one recovery run listed, newly landed and found already landed."""

    listed: int
    landed: int
    duplicates: int


def recover_events(
    store: LandingStore,
    *,
    since: datetime,
    api_key: str,
    api_base: str | None = None,
    now: datetime | None = None,
    workers: int = 16,
) -> RecoverySummary:
    """Land every event created at or after since (at most 30 days ago) that is not landed yet."""
    now = now or datetime.now(UTC)
    if since.tzinfo is None:
        raise ValueError("since must carry a UTC offset")
    if since < now - MAX_AGE:
        raise ValueError(f"since {since.isoformat()} is older than 30 days: the Events API keeps only 30 days")
    client = stripe.StripeClient(api_key, base_addresses={"api": api_base} if api_base else None)
    first = client.v1.events.list(params={"created": {"gte": int(since.timestamp())}, "limit": PAGE_LIMIT})
    tally: Counter[str] = Counter()
    with ThreadPoolExecutor(workers, thread_name_prefix="stripe-recover") as pool:
        in_flight: Iterable[LandResult] = ()
        for bodies in _pages(first):  # the next page is fetched while the previous one lands
            _count(in_flight, tally)
            in_flight = pool.map(partial(_land, store), bodies)
        _count(in_flight, tally)
    summary = RecoverySummary(tally["listed"], tally["landed"], tally["duplicates"])
    log.info("stripe recovery since %s: %s", since.isoformat(), summary)
    return summary


def recovery_lookback_days(since: datetime, started: datetime) -> int:
    """The lookback that names the payments batch after a recovery apart from the window's regular batch (so it is
    never skipped as already committed). It no longer decides what is read: events are read by arrival."""
    return max(1, math.ceil((started - since) / timedelta(days=1)) + 1)


def _land(store: LandingStore, body: bytes) -> LandResult:
    """Land one recovered event."""
    return land_event(store, body, received_at=datetime.now(UTC), signature_timestamp=None, source="recovery")


def _count(results: Iterable[LandResult], tally: Counter[str]) -> None:
    """Wait for a page's landings and add them up (a landing error propagates here)."""
    for result in results:
        tally["listed"] += 1
        tally["landed" if result.landed else "duplicates"] += 1


def _pages(page: Any) -> Iterator[list[bytes]]:
    """Each page's events as raw JSON, following the SDK's pagination (has_more, starting_after)."""
    while True:
        yield page_bodies(page)
        if not page.has_more or not page.data:
            return
        page = page.next_page()  # what the SDK's auto_paging_iter calls; it keeps each page's raw response


def page_bodies(page: Any) -> list[bytes]:
    """The exact JSON text of each event on a list page, as the API returned it.

    The SDK keeps the page's raw body (last_response.body), from which each element of "data" is cut
    verbatim. Only if a page has no raw body are its parsed objects serialised instead, with
    json.dumps(obj.to_dict(), separators=(",", ":")).
    """
    response = page.last_response
    items = list_items(response.body) if response is not None else None
    if items is None or len(items) != len(page.data):
        log.warning("a Stripe list page without its raw body: serialising its %d parsed events", len(page.data))
        return [json.dumps(obj.to_dict(), separators=(",", ":")).encode("utf-8") for obj in page.data]
    return [item.encode("utf-8") for item in items]


def list_items(text: str) -> list[str] | None:
    """The verbatim text of each element of a JSON object's top-level "data" array; None if it has none."""
    pos = _skip(text, 0)
    if text[pos : pos + 1] != "{":
        return None
    pos = _skip(text, pos + 1)
    while text[pos : pos + 1] == '"':
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, _skip(text, pos) + 1)  # past the colon
        if key == "data" and text[pos : pos + 1] == "[":
            return _array_items(text, pos)
        pos = _skip(text, _DECODER.raw_decode(text, pos)[1])
        pos = _skip(text, pos + 1) if text[pos : pos + 1] == "," else pos
    return None


def _array_items(text: str, pos: int) -> list[str]:
    """The verbatim text of each element of the JSON array starting at pos."""
    items: list[str] = []
    pos = _skip(text, pos + 1)
    while text[pos : pos + 1] not in ("]", ""):
        end = _DECODER.raw_decode(text, pos)[1]
        items.append(text[pos:end])
        pos = _skip(text, end)
        pos = _skip(text, pos + 1) if text[pos : pos + 1] == "," else pos
    return items


def _skip(text: str, pos: int) -> int:
    """The first position at or after pos that is not JSON whitespace."""
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos
