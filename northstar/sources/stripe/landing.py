"""How a Stripe event is landed: one write-once JSON envelope per event, plus an arrival index entry.

Two objects per event:

- the envelope, raw/stripe/dt=YYYY-MM-DD/<event_id>.json, the date being the UTC date of the event's own
  `created`: a redelivery days later maps to the same key, so the first write wins (put_if_absent) and an
  event is landed once, whenever and however often it is delivered (dedup by event id);
- its arrival, raw/stripe/_arrivals/dt=YYYY-MM-DD/<event_id>.created=YYYY-MM-DD.json, dated by when it was
  received (the receiver's clock), written right after the envelope. A payments batch lists the arrival
  partitions of its window, not the creation partitions, so an event created days ago (a dashboard resend,
  a delivery after an outage, a recovery) is taken by the batch of the window it arrived in. The name
  carries the envelope's creation date, so the batch derives the envelope's key without reading the entry.

An event is acknowledged only when both are written. If the envelope was written and its arrival entry was
not (a failure between the two puts, answered 503), the retry finds the envelope, sees that the arrival its
first delivery should have recorded is missing, and records the arrival now: it is taken by the batch of the
retry's window, exactly once.

Envelope: {"event_id", "event_type", "event_created", "signature_timestamp", "received_at", "source",
"body"}, where body is the exact bytes received, decoded as UTF-8, and event_created unix seconds.

Event shapes (https://docs.stripe.com/api/events and https://docs.stripe.com/api/v2/core/events): a snapshot
event (`object: "event"`, API v1) has an integer `created`; a thin event (`object: "v2.core.event"`, sent to
event destinations since API 2024-09-30.acacia) has `created` as an RFC 3339 string and no data.object, only
`related_object`. Both are landed; thin events are not mapped to payments (counted unhandled).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from northstar.landing import LandingStore

PREFIX = "raw/stripe/"
ARRIVALS = f"{PREFIX}_arrivals/"
SOURCES = ("webhook", "recovery")
THIN_EVENT = "v2.core.event"
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,250}")  # Stripe ids; nothing that could bend a key (/, ..)
# <event_id>.created=<day>.json, or <event_id>.created=<day>.catchup=<run>.json: an arrival recorded by a
# completeness run for an event no batch took (record_catchup_arrival)
_ARRIVAL_NAME = re.compile(
    r"(evt_[A-Za-z0-9_]{1,250})\.created=(\d{4}-\d{2}-\d{2})(?:\.catchup=[A-Za-z0-9-]{1,100})?\.json"
)
_ENVELOPE_KEY = re.compile(r"raw/stripe/dt=(\d{4}-\d{2}-\d{2})/(evt_[A-Za-z0-9_]{1,250})\.json")
# RFC 3339 date-time (section 5.6) with a mandatory offset: what a thin event's `created` is.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


class BadEvent(ValueError):
    """The body is not a Stripe event: not UTF-8 JSON, or no valid id, type or created."""

    def __init__(self, message: str, reason: str = "not_an_event") -> None:
        super().__init__(message)
        self.reason = reason  # a short label for counters and responses: not_utf8, not_json, not_an_event


@dataclass(frozen=True)
class LandResult:
    """One landing attempt: landed is False when the event was already there (a duplicate); thin is True for a
    thin event (landed, but never mapped to payments: counted unhandled)."""

    event_id: str
    key: str
    landed: bool
    thin: bool = False


@dataclass(frozen=True)
class ParsedEvent:
    """What landing needs from an event: its id, type, created (unix seconds, UTC) and object kind."""

    event_id: str
    event_type: str
    created: int
    thin: bool


@dataclass(frozen=True)
class PreparedEvent:
    """An event's envelope key, arrival key and envelope bytes, ready to be put."""

    event_id: str
    key: str
    arrival_key: str
    data: bytes
    thin: bool = False


def event_key(event_id: str, created: int) -> str:
    """The landing key of an event: its id under the UTC date of its own creation."""
    return f"{PREFIX}dt={datetime.fromtimestamp(created, UTC):%Y-%m-%d}/{event_id}.json"


def arrival_key(event_id: str, created: int, received_at: datetime) -> str:
    """The arrival index key of an event: under the UTC date it was received, naming its creation date."""
    created_day = f"{datetime.fromtimestamp(created, UTC):%Y-%m-%d}"
    return f"{ARRIVALS}dt={received_at.astimezone(UTC):%Y-%m-%d}/{event_id}.created={created_day}.json"


def envelope_key_of_arrival(key: str) -> str | None:
    """The envelope key an arrival index key points to; None for a key that is not an arrival entry."""
    match = _ARRIVAL_NAME.fullmatch(key.rsplit("/", 1)[-1])
    if not key.startswith(ARRIVALS) or match is None:
        return None
    return f"{PREFIX}dt={match.group(2)}/{match.group(1)}.json"


def record_catchup_arrival(store: LandingStore, envelope: str, now: datetime, run_id: str) -> bool:
    """Record a new arrival, now, for a landed event that no payments batch took (a completeness catch-up), so the
    batch of the window containing `now` takes it; False when envelope is not an event key or the entry exists.
    The entry's name carries the run: raw/stripe/_arrivals/dt=<now>/<event_id>.created=<day>.catchup=<run>.json."""
    match = _ENVELOPE_KEY.fullmatch(envelope)
    if match is None or not re.fullmatch(r"[A-Za-z0-9-]{1,100}", run_id):
        return False
    day, event_id = match.groups()
    key = f"{ARRIVALS}dt={now.astimezone(UTC):%Y-%m-%d}/{event_id}.created={day}.catchup={run_id}.json"
    return store.put_if_absent(key, json.dumps({"key": envelope, "catchup": run_id}).encode())


def parse_event(text: str) -> tuple[str, str, int]:
    """The event's (id, type, created unix seconds); BadEvent when the text is not a Stripe event object."""
    parsed = parse_any_event(text)
    return parsed.event_id, parsed.event_type, parsed.created


def parse_any_event(text: str) -> ParsedEvent:
    """A snapshot event (integer `created`) or a thin event (`object: v2.core.event`, `created` an RFC 3339
    string); BadEvent otherwise. A snapshot event with a text `created` is not an event."""
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
    thin = event.get("object") == THIN_EVENT
    if thin:
        return ParsedEvent(event_id, event_type, _rfc3339_seconds(created), True)
    if isinstance(created, bool) or not isinstance(created, int):
        raise BadEvent("event created must be an integer (unix seconds)")
    try:
        datetime.fromtimestamp(created, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadEvent("event created is not a representable unix time") from None
    return ParsedEvent(event_id, event_type, created, False)


def _rfc3339_seconds(created: Any) -> int:
    """A thin event's `created` (RFC 3339, e.g. 2026-11-30T21:00:00.000Z) as unix seconds (fraction dropped)."""
    if not isinstance(created, str) or not _RFC3339.fullmatch(created):
        raise BadEvent("a thin event's created must be an RFC 3339 date-time with an offset")
    try:
        moment = datetime.fromisoformat(created.upper().replace("Z", "+00:00"))
    except ValueError:
        raise BadEvent("a thin event's created is not a valid date-time") from None
    return int(moment.timestamp() // 1)


def prepare_event(body: bytes, *, received_at: datetime, signature_timestamp: int | None, source: str) -> PreparedEvent:
    """Parse the body and build its keys and envelope; BadEvent when it is not an event."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    if received_at.tzinfo is None:
        raise ValueError("received_at must carry a UTC offset")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEvent("body is not UTF-8", "not_utf8") from None
    parsed = parse_any_event(text)
    envelope = {
        "event_id": parsed.event_id,
        "event_type": parsed.event_type,
        "event_created": parsed.created,
        "signature_timestamp": signature_timestamp,
        "received_at": received_at.astimezone(UTC).isoformat(),
        "source": source,
        "body": text,
    }
    data = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    key = event_key(parsed.event_id, parsed.created)
    return PreparedEvent(
        parsed.event_id, key, arrival_key(parsed.event_id, parsed.created, received_at), data, parsed.thin
    )


def land_prepared(store: LandingStore, event: PreparedEvent) -> LandResult:
    """Put the envelope unless its key exists, then record its arrival; storage exceptions propagate.

    A duplicate (the envelope exists) records an arrival only if the first delivery's arrival entry is missing
    (that delivery failed between its two puts and was answered 503), so every landed event has exactly one
    arrival entry in the normal case and at least one in every case.
    """
    pointer = json.dumps({"key": event.key}).encode()
    if store.put_if_absent(event.key, event.data):
        store.put_if_absent(event.arrival_key, pointer)
        return LandResult(event.event_id, event.key, True, event.thin)
    try:
        first_arrival = _first_arrival_key(read_envelope(store, event.key), event)
    except ValueError:  # an envelope that is not JSON is never written by us; record this arrival rather than fail
        first_arrival = None
    if first_arrival is None or not store.exists(first_arrival):
        store.put_if_absent(event.arrival_key, pointer)
    return LandResult(event.event_id, event.key, False, event.thin)


def _first_arrival_key(envelope: dict[str, Any], event: PreparedEvent) -> str | None:
    """Where the first delivery recorded (or should have recorded) its arrival; None if its envelope says not."""
    try:
        received = datetime.fromisoformat(str(envelope["received_at"]))
        created = int(envelope["event_created"])
    except (KeyError, TypeError, ValueError):
        return None
    return arrival_key(event.event_id, created, received)


def land_event(
    store: LandingStore, body: bytes, *, received_at: datetime, signature_timestamp: int | None, source: str
) -> LandResult:
    """Land one event exactly once (first write wins) and record its arrival; BadEvent if the body is not an event."""
    event = prepare_event(body, received_at=received_at, signature_timestamp=signature_timestamp, source=source)
    return land_prepared(store, event)


def envelope_keys(store: LandingStore) -> list[str]:
    """Every landed envelope's key, sorted (not the arrival entries nor the batches' manifests under raw/stripe/_*)."""
    return [key for key in store.keys(PREFIX) if not key.startswith(f"{PREFIX}_")]


def arrival_keys(store: LandingStore) -> list[str]:
    """Every arrival entry's key, sorted."""
    return store.keys(ARRIVALS)


def read_envelope(store: LandingStore, key: str) -> dict[str, Any]:
    """The envelope stored under key, parsed."""
    envelope: dict[str, Any] = json.loads(store.get(key))
    return envelope
