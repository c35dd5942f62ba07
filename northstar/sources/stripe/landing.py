"""How a Stripe event is landed: one write-once JSON envelope per event, keyed by the event's own date.

Key: raw/stripe/dt=YYYY-MM-DD/<event_id>.json, the date being the UTC date of the event's `created`, so a
redelivery days later maps to the same key and the first write wins (put_if_absent). Envelope:
{"event_id", "event_type", "event_created", "signature_timestamp", "received_at", "source", "body"}, where
body is the exact bytes received, decoded as UTF-8.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from northstar.landing import LandingStore

PREFIX = "raw/stripe/"
SOURCES = ("webhook", "recovery")
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}")  # Stripe ids; nothing that could bend a key (/, ..)


class BadEvent(ValueError):
    """The body is not a Stripe event: not UTF-8 JSON, or no valid id, type or created."""

    def __init__(self, message: str, reason: str = "not_an_event") -> None:
        super().__init__(message)
        self.reason = reason  # a short label for counters and responses: not_utf8, not_json, not_an_event


@dataclass(frozen=True)
class LandResult:
    """One landing attempt: landed is False when the event was already there (a duplicate)."""

    event_id: str
    key: str
    landed: bool


@dataclass(frozen=True)
class PreparedEvent:
    """An event's key and envelope bytes, ready to be put."""

    event_id: str
    key: str
    data: bytes


def event_key(event_id: str, created: int) -> str:
    """The landing key of an event: its id under the UTC date of its own creation."""
    return f"{PREFIX}dt={datetime.fromtimestamp(created, UTC):%Y-%m-%d}/{event_id}.json"


def parse_event(text: str) -> tuple[str, str, int]:
    """The event's (id, type, created); BadEvent when the text is not a Stripe event object."""
    try:
        event: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadEvent(f"body is not JSON ({exc.msg} at char {exc.pos})", "not_json") from None
    if not isinstance(event, dict):
        raise BadEvent("body is not a JSON object")
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
        raise BadEvent("event id must be a string like evt_<letters, digits or _>")
    if not isinstance(event_type, str) or not event_type:
        raise BadEvent("event type must be a non-empty string")
    if isinstance(created, bool) or not isinstance(created, int):
        raise BadEvent("event created must be an integer (unix seconds)")
    try:
        datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadEvent("event created is not a representable unix time") from None
    return event_id, event_type, created


def prepare_event(body: bytes, *, received_at: datetime, signature_timestamp: int | None, source: str) -> PreparedEvent:
    """Parse the body and build its key and envelope; BadEvent when it is not an event."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    if received_at.tzinfo is None:
        raise ValueError("received_at must carry a UTC offset")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEvent("body is not UTF-8", "not_utf8") from None
    event_id, event_type, created = parse_event(text)
    envelope = {
        "event_id": event_id,
        "event_type": event_type,
        "event_created": created,
        "signature_timestamp": signature_timestamp,
        "received_at": received_at.astimezone(UTC).isoformat(),
        "source": source,
        "body": text,
    }
    data = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return PreparedEvent(event_id, event_key(event_id, created), data)


def land_prepared(store: LandingStore, event: PreparedEvent) -> LandResult:
    """Put a prepared event unless its key exists; storage exceptions propagate."""
    return LandResult(event.event_id, event.key, store.put_if_absent(event.key, event.data))


def land_event(
    store: LandingStore, body: bytes, *, received_at: datetime, signature_timestamp: int | None, source: str
) -> LandResult:
    """Land one event exactly once (first write wins); BadEvent if the body is not an event."""
    event = prepare_event(body, received_at=received_at, signature_timestamp=signature_timestamp, source=source)
    return land_prepared(store, event)


def read_envelope(store: LandingStore, key: str) -> dict[str, Any]:
    """The envelope stored under key, parsed."""
    envelope: dict[str, Any] = json.loads(store.get(key))
    return envelope
