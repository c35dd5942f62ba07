"""Stripe events through DuckDB: parsing, checks and mapping, in both API-version shapes (no warehouse)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from northstar.batches import Window
from northstar.sources.stripe.events import landed_table, map_events, partitions, write_load_files
from tests import stripe_payloads as sp
from validators.router import Routed, route
from validators.stripe import STRIPE_CHECKS, STRIPE_EVENTS, load_events

T = sp.T0
CASES = Path(__file__).parent / "cases"


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection


def run(con: duckdb.DuckDBPyConnection, tmp_path: Path, *envelopes: bytes) -> Routed:
    """Land the envelopes in one batch file, parse, check and map them."""
    path = tmp_path / "landed.parquet"
    keys = [(f"raw/stripe/dt=2026-11-20/{i}.json", datetime.now(UTC).isoformat()) for i in range(len(envelopes))]
    pq.write_table(landed_table(keys, list(envelopes)), path)
    routed = route(con, STRIPE_EVENTS, STRIPE_CHECKS, load_events(con, path), {})
    assert routed.rows_passed + routed.rows_quarantined == routed.rows_extracted == len(envelopes)
    map_events(con)
    write_load_files(con, path, tmp_path / "load")
    return routed


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def failures(routed: Routed) -> dict[str, int]:
    return {r.check_id: r.rows_failed for r in routed.results if r.rows_failed}


def state(con: duckdb.DuckDBPyConnection, facet: str) -> dict[str, Any]:
    (row,) = rows(con, f"SELECT * FROM payment_states WHERE facet = '{facet}'")  # facet names from the test
    return row


@pytest.mark.parametrize("shape", sp.SHAPES)
@pytest.mark.parametrize("event_type", sp.HANDLED_TYPES)
def test_every_handled_type_maps_in_both_shapes(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, event_type: str, shape: str
) -> None:
    evt = sp.for_type(event_type, 7, api_version=shape, amount=4200, currency="eur", order_id="77")
    routed = run(con, tmp_path, sp.envelope(evt))
    assert failures(routed) == {} and routed.rows_passed == 1
    ids = sp.ids(7, shape)
    if event_type in sp.PAYMENT_INTENT_STATUS:
        intent = state(con, "payment_intent")
        assert (intent["payment_intent_id"], intent["status"]) == (ids["pi"], sp.PAYMENT_INTENT_STATUS[event_type])
        assert (intent["amount"], intent["currency"], state(con, "order_link")["order_id"]) == (4200, "EUR", 77)
    elif event_type in sp.CHARGE_TYPES:
        charge = state(con, "charge")
        assert (charge["payment_intent_id"], charge["charge_id"], charge["currency"]) == (ids["pi"], ids["ch"], "EUR")
        assert charge["amount_captured"] == (0 if event_type == "charge.failed" else 4200)
        assert charge["amount_refunded"] == (1000 if event_type == "charge.refunded" else 0)
    elif event_type in sp.REFUND_STATUS:
        (refund,) = rows(con, "SELECT * FROM refund_states")
        assert (refund["refund_id"], refund["charge_id"], refund["amount"]) == (ids["re"], ids["ch"], 1000)
        assert refund["status"] == sp.REFUND_STATUS[event_type]
        assert refund["payment_intent_id"] == (None if shape == sp.API_2019 else ids["pi"])
    elif event_type in sp.DISPUTE_STATUS:
        (dispute,) = rows(con, "SELECT * FROM dispute_states")
        assert (dispute["dispute_id"], dispute["charge_id"], dispute["amount"]) == (ids["du"], ids["ch"], 4200)
        assert dispute["status"] == sp.DISPUTE_STATUS[event_type]
        assert rows(con, "SELECT event_type FROM dispute_history") == [{"event_type": event_type}]
    else:
        link = state(con, "order_link")
        assert (link["payment_intent_id"], link["order_id"], link["order_link_source"]) == (
            ids["pi"],
            77,
            "checkout_session",
        )


@pytest.mark.parametrize("expand", [False, True], ids=["latest_charge id", "latest_charge expanded"])
def test_a_payment_intent_names_its_charge_in_every_shape(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, expand: bool
) -> None:
    old = sp.for_type("payment_intent.succeeded", 1, api_version=sp.API_2019)
    new = sp.for_type("payment_intent.succeeded", 2, api_version=sp.API_2025, expand_latest_charge=expand)
    run(con, tmp_path, sp.envelope(old), sp.envelope(new))
    intents = rows(con, "SELECT payment_intent_id, latest_charge_id FROM payment_states WHERE facet = 'payment_intent'")
    assert {r["payment_intent_id"]: r["latest_charge_id"] for r in intents} == {
        sp.ids(1)["pi"]: sp.ids(1)["ch"],
        sp.ids(2)["pi"]: sp.ids(2)["ch"],
    }
    # A carried charge object (2019 charges.data, an expanded latest_charge) is a charge state ranked 0.
    charges = rows(con, "SELECT payment_intent_id, charge_id, precedence FROM payment_states WHERE facet = 'charge'")
    carried = {sp.ids(1)["pi"]} | ({sp.ids(2)["pi"]} if expand else set())
    assert {r["payment_intent_id"] for r in charges} == carried and {r["precedence"] for r in charges} == {0}


def test_zero_decimal_amounts_are_stored_as_sent(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    yen = sp.for_type("payment_intent.succeeded", 1, currency="jpy", amount=5000)
    dinar = sp.for_type("refund.created", 2, currency="kwd", refunded=12345)
    run(con, tmp_path, sp.envelope(yen), sp.envelope(dinar))
    intent = state(con, "payment_intent")
    assert (intent["amount"], intent["amount_received"], intent["currency"]) == (5000, 5000, "JPY")
    payments = rows(con, f"SELECT amount, currency, amount_decimals FROM '{tmp_path}/load/payments.parquet'")
    assert {"amount": 5000, "currency": "JPY", "amount_decimals": 0} in payments
    refunds = rows(con, f"SELECT amount, currency, amount_decimals FROM '{tmp_path}/load/refunds.parquet'")
    assert refunds == [{"amount": 12345, "currency": "KWD", "amount_decimals": 3}]


def test_order_link_via_metadata_or_checkout_session(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    by_metadata = sp.for_type("payment_intent.created", 1, order_id="501")
    no_metadata = sp.for_type("payment_intent.created", 2, order_id=None)
    session = sp.event(
        "checkout.session.completed",
        sp.checkout_session("cs_test_2", payment_intent=sp.ids(2)["pi"], metadata={"order_id": "502"}),
        created=T + 5,
    )
    run(con, tmp_path, *(sp.envelope(e) for e in (by_metadata, no_metadata, session)))
    links = rows(
        con, "SELECT payment_intent_id, order_id, order_link_source FROM payment_states WHERE facet = 'order_link'"
    )
    assert sorted(links, key=lambda r: r["order_id"]) == [
        {"payment_intent_id": sp.ids(1)["pi"], "order_id": 501, "order_link_source": "metadata"},
        {"payment_intent_id": sp.ids(2)["pi"], "order_id": 502, "order_link_source": "checkout_session"},
    ]


def test_an_unknown_type_is_kept_raw_and_counted_unhandled(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    balance = sp.event("balance.available", {"object": "balance", "available": [{"amount": 10, "currency": "usd"}]})
    routed = run(con, tmp_path, sp.envelope(sp.unhandled()), sp.envelope(balance))
    assert failures(routed) == {"schema.event_type_handled": 2}
    assert routed.rows_passed == 2 and routed.rows_quarantined == 0
    assert rows(con, "SELECT count(*) AS n FROM events") == [{"n": 0}]
    raw = rows(con, f"SELECT event_type, handled FROM '{tmp_path}/load/stripe_events.parquet' ORDER BY event_type")
    assert raw == [
        {"event_type": "balance.available", "handled": False},
        {"event_type": "customer.created", "handled": False},
    ]


def test_unparseable_payloads_and_missing_object_ids_are_quarantined_with_reasons(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    good = sp.for_type("charge.succeeded", 1)
    no_object_id = sp.for_type("charge.succeeded", 2)
    del no_object_id["data"]["object"]["id"]
    broken_body = sp.envelope(event_id="evt_broken", event_type="charge.succeeded", body='{"id": "evt_broken", "data":')
    envelopes = (sp.envelope(good), sp.envelope(no_object_id), broken_body, b"\xff\xfe not an envelope")
    routed = run(con, tmp_path, *envelopes)
    assert (routed.rows_passed, routed.rows_quarantined) == (1, 3)
    quarantined = rows(
        con,
        f"SELECT event_id, reasons, raw_envelope FROM '{tmp_path}/load/stripe_quarantined.parquet' "
        "ORDER BY _source_row",
    )
    assert [(q["event_id"], json.loads(q["reasons"])) for q in quarantined] == [
        (no_object_id["id"], ["schema.object_id_required"]),
        ("evt_broken", ["schema.payload_parseable"]),
        (None, ["schema.payload_parseable"]),
    ]
    assert quarantined[1]["raw_envelope"] == broken_body.decode()  # kept exactly as landed


def test_bad_amounts_and_currencies_are_quarantined_and_a_reference_that_is_no_order_id_is_counted(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    negative = sp.for_type("refund.created", 1, refunded=-100)
    fractional = sp.for_type("payment_intent.created", 2, amount=10)
    fractional["data"]["object"]["amount"] = 10.5
    bad_currency = sp.for_type("charge.succeeded", 3, currency="usx")
    cart_reference = sp.for_type("payment_intent.created", 4, order_id="ORD-4")  # not an order id: unlinked
    fine = sp.for_type("payment_intent.created", 5, currency="usd", amount=0)  # lower case and zero are fine
    routed = run(con, tmp_path, *(sp.envelope(e) for e in (negative, fractional, bad_currency, cart_reference, fine)))
    assert failures(routed) == {
        "schema.amount_minor_non_negative": 2,
        "schema.currency_iso4217": 1,
        "schema.order_link_format": 1,  # info: counted, not quarantined
    }
    assert (routed.rows_passed, routed.rows_quarantined) == (2, 3)
    intents = rows(con, "SELECT payment_intent_id FROM payment_states WHERE facet = 'payment_intent' ORDER BY 1")
    assert sorted(r["payment_intent_id"] for r in intents) == sorted([sp.ids(4)["pi"], sp.ids(5)["pi"]])
    links = rows(con, "SELECT payment_intent_id FROM payment_states WHERE facet = 'order_link'")
    assert links == [{"payment_intent_id": sp.ids(5)["pi"]}]  # fine's order 1042; the cart reference links nothing


def test_the_order_link_comes_from_every_object_in_the_documented_order(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """Rank: the intent's metadata (3) > a checkout session (2: client_reference_id, else metadata) > the charge's
    metadata (1); within one object, the newest event. A reference that is not an order id is skipped."""
    pi = {n: sp.ids(n)["pi"] for n in range(1, 6)}

    def session(n: int, reference: str | None, metadata: dict[str, str] | None, created: int) -> dict[str, Any]:
        obj = sp.checkout_session(f"cs_test_{n}", payment_intent=pi[n], client_reference_id=reference,
                                  metadata=metadata)  # fmt: skip
        return sp.event("checkout.session.completed", obj, created=created)

    def charge(n: int, order: str, created: int) -> dict[str, Any]:
        obj = sp.charge(sp.ids(n)["ch"], payment_intent=pi[n], metadata={"order_id": order})
        return sp.event("charge.succeeded", obj, created=created)

    events = [
        # 1: the intent's metadata wins over a newer checkout session and a newer charge
        sp.for_type("payment_intent.succeeded", 1, order_id="101", created=T),
        session(1, "901", None, T + 60),
        charge(1, "801", T + 90),
        # 2: no intent metadata: the checkout session wins over the charge
        sp.for_type("payment_intent.succeeded", 2, order_id=None, created=T),
        session(2, "202", None, T + 1),
        charge(2, "802", T + 90),
        # 3: a cart id as client_reference_id: the session's metadata.order_id links it
        session(3, "cart_7f3a", {"order_id": "303"}, T),
        # 4: only the charge carries it
        sp.for_type("payment_intent.succeeded", 4, order_id=None, created=T),
        charge(4, "404", T + 5),
        # 5: a reference that is no order id anywhere: unlinked, counted by schema.order_link_format
        session(5, "a1b2c3d4-uuid", None, T),
    ]
    routed = run(con, tmp_path, *(sp.envelope(e) for e in events))
    assert routed.rows_quarantined == 0 and failures(routed) == {"schema.order_link_format": 1}
    links = rows(con, "SELECT payment_intent_id, order_id, order_link_source FROM payment_states"
                      " WHERE facet = 'order_link'")  # fmt: skip
    assert {r["payment_intent_id"]: (r["order_id"], r["order_link_source"]) for r in links} == {
        pi[1]: (101, "metadata"),
        pi[2]: (202, "checkout_session"),
        pi[3]: (303, "checkout_session"),
        pi[4]: (404, "charge_metadata"),
    }


def test_a_thin_event_is_kept_raw_and_counted_unhandled(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    body = (CASES / "s10" / "01_thin_event.json").read_text()
    created = int(datetime(2026, 11, 30, 21, 0, tzinfo=UTC).timestamp())  # as the receiver converts it
    envelope = sp.envelope(
        event_id="evt_test_65S10thinEventNotificationAAAAAAAAAAAA",
        event_type="v1.billing.meter.error_report_triggered",
        event_created=created,
        body=body,
    )
    routed = run(con, tmp_path, envelope)
    assert failures(routed) == {"schema.event_type_handled": 1}
    assert (routed.rows_passed, routed.rows_quarantined) == (1, 0)
    assert rows(con, "SELECT count(*) AS n FROM events") == [{"n": 0}]  # not mapped: no payment, no revenue
    raw = rows(con, f"SELECT event_type, event_created, handled FROM '{tmp_path}/load/stripe_events.parquet'")
    assert raw == [{"event_type": "v1.billing.meter.error_report_triggered",
                    "event_created": datetime(2026, 11, 30, 21, 0, tzinfo=UTC), "handled": False}]  # fmt: skip


@pytest.mark.parametrize("shape", sp.SHAPES)
def test_every_refunded_amount_a_charge_shows_is_kept_with_its_first_and_last_event(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, shape: str
) -> None:
    first = sp.for_type("charge.refunded", 1, api_version=shape, refunded=2000, created=T + 100)
    again = sp.for_type("charge.updated", 1, api_version=shape, created=T + 300)  # the same 2000, a later event
    again["data"]["object"]["amount_refunded"] = 2000
    more = sp.for_type("charge.refunded", 1, api_version=shape, refunded=2500, created=T + 200)
    run(con, tmp_path, *(sp.envelope(e) for e in (again, more, first)))
    levels = rows(con, "SELECT charge_id, amount_refunded, first_event_id, last_event_id FROM charge_refunded"
                       " ORDER BY amount_refunded")  # fmt: skip
    ch = sp.ids(1, shape)["ch"]
    assert levels == [
        {"charge_id": ch, "amount_refunded": 2000, "first_event_id": first["id"], "last_event_id": again["id"]},
        {"charge_id": ch, "amount_refunded": 2500, "first_event_id": more["id"], "last_event_id": more["id"]},
    ]
    written = rows(con, f"SELECT count(*) AS n FROM '{tmp_path}/load/charge_refunded.parquet'")
    assert written == [{"n": 2}]


def test_a_repeated_event_is_mapped_once_and_a_conflicting_one_is_quarantined(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    repeated = sp.for_type("charge.succeeded", 1)
    redelivered = repeated | {"pending_webhooks": 0}  # a later delivery of the same event: harmless differences
    conflicting = sp.for_type("charge.succeeded", 2)
    tampered = json.loads(json.dumps(conflicting))
    tampered["data"]["object"]["amount"] = 1
    envelopes = [sp.envelope(e) for e in (repeated, redelivered, conflicting, tampered)]
    routed = run(con, tmp_path, *envelopes)
    assert failures(routed) == {"duplicates.event_repeat": 2, "duplicates.event_conflict": 2}
    assert (routed.rows_passed, routed.rows_quarantined) == (2, 2)
    assert rows(con, "SELECT event_id FROM events") == [{"event_id": repeated["id"]}]
    raw = rows(con, f"SELECT event_id, landing_key FROM '{tmp_path}/load/stripe_events.parquet' ORDER BY landing_key")
    assert raw == [  # every parsed event id once in the raw load file, as its first copy
        {"event_id": repeated["id"], "landing_key": "raw/stripe/dt=2026-11-20/0.json"},
        {"event_id": conflicting["id"], "landing_key": "raw/stripe/dt=2026-11-20/2.json"},
    ]


@pytest.mark.parametrize(
    ("types", "winner", "sql"),
    [
        (list(sp.PAYMENT_INTENT_STATUS)[:6], "payment_intent.succeeded",
         "payment_states WHERE facet = 'payment_intent'"),
        (["charge.succeeded", "charge.captured", "charge.updated", "charge.refunded"], "charge.refunded",
         "payment_states WHERE facet = 'charge'"),
        (["refund.created", "charge.refund.updated", "refund.failed"], "refund.failed", "refund_states"),
        (list(sp.DISPUTE_STATUS), "charge.dispute.closed", "dispute_states"),
    ],
    ids=["payment_intent", "charge", "refund", "dispute"],
)  # fmt: skip
def test_events_in_the_same_second_follow_the_defined_precedence(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, types: list[str], winner: str, sql: str
) -> None:
    events = {t: sp.for_type(t, 1, created=T) for t in types}
    run(con, tmp_path, *(sp.envelope(e) for e in reversed(list(events.values()))))  # delivered newest first
    assert rows(con, f"SELECT event_id FROM {sql}") == [{"event_id": events[winner]["id"]}]  # sql from the test


def test_an_older_event_never_overwrites_a_newer_state(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    succeeded = sp.for_type("payment_intent.succeeded", 1, created=T + 60)
    processing = sp.for_type("payment_intent.processing", 1, created=T + 120)  # stamped later: it wins
    late_created = sp.for_type("payment_intent.created", 1, created=T)  # arrives last, is oldest
    run(con, tmp_path, *(sp.envelope(e) for e in (succeeded, processing, late_created)))
    assert state(con, "payment_intent")["status"] == "processing"


def test_the_listed_partitions_are_the_arrival_days_of_the_window_whatever_the_lookback() -> None:
    window = Window(datetime(2026, 11, 20, 23, 45, tzinfo=UTC), datetime(2026, 11, 21, 0, 0, tzinfo=UTC))
    expected = [f"raw/stripe/_arrivals/dt=2026-11-{d}/" for d in (19, 20, 21)]
    assert partitions(window, 3) == partitions(window, 0) == partitions(window, 30) == expected
