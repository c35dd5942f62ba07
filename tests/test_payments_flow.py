"""The payments flow end to end: landed envelopes, DuckDB, fakesnow through the connector, Prefect's harness."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest

import flows.payments_microbatch as payments_flow
from flows import engine
from lineage.validate import validate_event
from northstar.landing import LandingStore, LocalLanding, landing_store
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.sources.stripe.landing import arrival_key
from northstar.warehouse import open_warehouse
from tests import stripe_payloads as sp
from tests.helpers import table_hashes
from validators.stripe import STRIPE_CHECKS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
T0 = datetime.fromtimestamp(sp.T0, UTC)
DATA_TABLES = (
    "RAW.STRIPE_EVENTS",
    "CORE.PAYMENTS",
    "CORE.REFUNDS",
    "CORE.DISPUTES",
    "CORE.DISPUTE_STATUS_HISTORY",
    "QUARANTINE.STRIPE_EVENTS",
)
ALL_TABLES = (*DATA_TABLES, "OPS.LOAD_BATCHES", "OPS.CHECK_RESULTS")


def window(i: int) -> dict[str, Any]:
    """The i-th 15-minute window after T0 as flow parameters."""
    start = T0 + timedelta(minutes=15 * i)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}


def land(i: int, *events: dict[str, Any] | bytes, key_suffix: str = "") -> None:
    """Land events as the receiver would (the envelope and its arrival entry), arriving one minute into window i
    (the files' write time)."""
    store = landing_store(load_settings())
    arrived = T0 + timedelta(minutes=15 * i + 1)
    for evt in events:
        data = evt if isinstance(evt, bytes) else sp.envelope(evt)
        event_id = f"evt_raw{hashlib.sha256(data).hexdigest()[:8]}" if isinstance(evt, bytes) else evt["id"]
        key = sp.landing_key(f"{event_id}{key_suffix}", sp.T0)
        entry = arrival_key(f"{event_id}{key_suffix}", sp.T0, arrived)
        assert store.put_if_absent(key, data) and store.put_if_absent(entry, b"{}")
        assert isinstance(store, LocalLanding)
        for written in (key, entry):
            os.utime(store.root / written, (arrived.timestamp(), arrived.timestamp()))


def query(sql: str) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql)


def payment(pi_id: str) -> dict[str, Any]:
    (row,) = query(f"SELECT * FROM CORE.PAYMENTS WHERE PAYMENT_INTENT_ID = '{pi_id}'")  # an id from the test
    return row


def hashes(tables: tuple[str, ...] = ALL_TABLES) -> dict[str, list[str]]:
    with open_warehouse(load_settings()) as wh:
        return table_hashes(wh, tables)


def lineage_events() -> list[dict[str, Any]]:
    path = load_settings().lineage_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_older_event_arriving_in_a_later_batch_never_overwrites_a_newer_state(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    pi = sp.ids(1)["pi"]
    land(0, sp.for_type("payment_intent.succeeded", 1, created=sp.T0 + 60))
    assert payments_flow.payments_microbatch(**window(0)).status == BatchStatus.COMMITTED
    land(
        1,
        sp.for_type("payment_intent.processing", 1, created=sp.T0 + 30),  # older: delivered late
        sp.for_type("payment_intent.created", 1, created=sp.T0),  # older still
        sp.for_type("charge.refunded", 1, created=sp.T0 + 90, refunded=700),  # newer: applies
    )
    second = payments_flow.payments_microbatch(**window(1))
    assert (second.status, second.rows_extracted, second.rows_passed) == (BatchStatus.COMMITTED, 3, 3)
    row = payment(pi)
    assert (row["STATUS"], row["AMOUNT_RECEIVED"], row["AMOUNT_REFUNDED"]) == ("succeeded", 2500, 700)
    assert row["_STATE_PRECEDENCE"] == 6 and row["_STATE_EVENT_CREATED"] == (T0 + timedelta(seconds=60)).replace(
        tzinfo=None
    )
    assert row["UPDATED_AT"] == (T0 + timedelta(seconds=90)).replace(tzinfo=None)
    assert len(query("SELECT * FROM RAW.STRIPE_EVENTS")) == 4


def test_a_duplicate_delivery_changes_nothing(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env()
    events = [sp.for_type(t, 1) for t in ("payment_intent.succeeded", "charge.succeeded", "charge.dispute.created")]
    land(0, *events)
    payments_flow.payments_microbatch(**window(0))
    before = hashes(DATA_TABLES)
    land(1, *(e | {"pending_webhooks": 0} for e in events), key_suffix="_redelivered")  # the same events again
    again = payments_flow.payments_microbatch(**window(1))
    assert (again.status, again.rows_passed, again.rows_published) == (BatchStatus.COMMITTED, 3, 0)
    recovery = payments_flow.payments_microbatch(**window(0), lookback_days=30)  # re-reads window 0: own batch
    assert (recovery.status, recovery.rows_extracted, recovery.rows_published) == (BatchStatus.COMMITTED, 3, 0)
    assert hashes(DATA_TABLES) == before


def test_refunds_and_disputes_reconcile_to_the_charge_and_the_dispute(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    i = sp.ids(1)
    refunds = [
        sp.event(t, sp.refund(re, charge_id=i["ch"], payment_intent=i["pi"], amount=amount, status=status), created=c)
        for t, re, amount, status, c in (
            ("refund.created", "re_a", 1000, "pending", sp.T0 + 100),
            ("refund.updated", "re_a", 1000, "succeeded", sp.T0 + 160),
            ("refund.created", "re_b", 500, "succeeded", sp.T0 + 200),
        )
    ]
    charge = sp.for_type("charge.refunded", 1, created=sp.T0 + 200, refunded=1500)
    disputes = [sp.for_type(t, 1, created=sp.T0 + 300 + n) for n, t in enumerate(sp.DISPUTE_STATUS)]
    land(0, sp.for_type("payment_intent.succeeded", 1), *refunds[:2])
    land(1, *disputes, *refunds[2:], charge)
    assert payments_flow.payments_microbatch(**window(0)).status == BatchStatus.COMMITTED
    assert payments_flow.payments_microbatch(**window(1)).status == BatchStatus.COMMITTED
    (refunded,) = query("SELECT SUM(AMOUNT) AS N FROM CORE.REFUNDS WHERE STATUS = 'succeeded'")
    assert payment(i["pi"])["AMOUNT_REFUNDED"] == refunded["N"] == 1500
    (dispute,) = query("SELECT * FROM CORE.DISPUTES")
    assert (dispute["AMOUNT"], dispute["STATUS"], dispute["CHARGE_ID"]) == (2500, "won", i["ch"])
    history = query("SELECT STATUS FROM CORE.DISPUTE_STATUS_HISTORY ORDER BY EVENT_CREATED")
    assert [h["STATUS"] for h in history] == [sp.DISPUTE_STATUS[t] for t in sp.DISPUTE_STATUS]


def test_a_rerun_of_the_same_window_leaves_every_table_identical(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env()
    land(0, *(sp.for_type(t, n) for n, t in enumerate(sp.HANDLED_TYPES)), b"{not json")
    first = payments_flow.payments_microbatch(**window(0))
    assert first.status == BatchStatus.COMMITTED and first.rows_quarantined == 1
    before = hashes()
    land(0, sp.for_type("payment_intent.created", 99))  # written inside the window after it was read
    assert payments_flow.payments_microbatch(**window(0)).status == "SKIPPED"
    assert hashes() == before


def test_a_failed_publish_is_completed_by_its_rerun_from_the_same_pinned_events(
    pipeline_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    land(0, sp.for_type("payment_intent.succeeded", 1), sp.for_type("charge.refunded", 1))
    real_publish = engine.publish

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("warehouse went away")

    monkeypatch.setattr(engine, "publish_or_hold", engine.publish_or_hold.with_options(retries=0))
    monkeypatch.setattr(engine, "publish", broken)
    with pytest.raises(ConnectionError):
        payments_flow.payments_microbatch(**window(0))
    assert query("SELECT COUNT(*) AS N FROM CORE.PAYMENTS") == [{"N": 0}]
    assert query("SELECT STATUS FROM OPS.LOAD_BATCHES") == [{"STATUS": "FAILED"}]
    assert [e["eventType"] for e in lineage_events()] == ["START", "FAIL"]

    land(0, sp.for_type("payment_intent.created", 2))  # written in the window after the manifest pinned it
    monkeypatch.setattr(engine, "publish", real_publish)
    outcome = payments_flow.payments_microbatch(**window(0))
    assert outcome.status == BatchStatus.COMMITTED and outcome.rows_extracted == 2
    (row,) = query("SELECT PAYMENT_INTENT_ID, STATUS, AMOUNT_REFUNDED FROM CORE.PAYMENTS")
    assert row == {"PAYMENT_INTENT_ID": sp.ids(1)["pi"], "STATUS": "succeeded", "AMOUNT_REFUNDED": 1000}


def test_bad_events_are_quarantined_with_reasons_and_nothing_is_lost(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    no_object_id = sp.for_type("charge.succeeded", 2)
    del no_object_id["data"]["object"]["id"]
    land(
        0,
        sp.for_type("payment_intent.succeeded", 1),
        no_object_id,
        sp.for_type("refund.created", 3, refunded=-5),
        sp.envelope(event_id="evt_unparseable", event_type="charge.succeeded", body="{"),
        sp.unhandled(),
    )
    outcome = payments_flow.payments_microbatch(**window(0))
    assert (outcome.rows_extracted, outcome.rows_passed, outcome.rows_quarantined) == (5, 2, 3)
    assert outcome.quarantined_by_reason == {
        "schema.amount_minor_non_negative": 1,
        "schema.object_id_required": 1,
        "schema.payload_parseable": 1,
    }
    quarantined = query("SELECT EVENT_ID, REASONS, RAW_ENVELOPE, PAYLOAD FROM QUARANTINE.STRIPE_EVENTS")
    broken = next(q for q in quarantined if q["EVENT_ID"] == "evt_unparseable")
    assert json.loads(broken["REASONS"]) == ["schema.payload_parseable"] and broken["PAYLOAD"] is None
    assert json.loads(broken["RAW_ENVELOPE"])["body"] == "{"
    unhandled = query("SELECT ROWS_FAILED, OUTCOME FROM OPS.CHECK_RESULTS WHERE CHECK_ID = 'schema.event_type_handled'")
    assert unhandled == [{"ROWS_FAILED": 1, "OUTCOME": "warn"}]
    raw = query("SELECT EVENT_TYPE, HANDLED FROM RAW.STRIPE_EVENTS WHERE NOT HANDLED")
    assert raw == [{"EVENT_TYPE": "customer.created", "HANDLED": False}]


def test_an_empty_window_commits_an_empty_batch(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env()
    outcome = payments_flow.payments_microbatch(**window(0))
    assert (outcome.status, outcome.rows_extracted, outcome.rows_published) == (BatchStatus.COMMITTED, 0, 0)
    (ledger,) = query(
        "SELECT STATUS, ROWS_EXTRACTED, ROWS_QUARANTINED, RAW_URI, ROWS_ALREADY_CURRENT, ROWS_REQUARANTINED "
        "FROM OPS.LOAD_BATCHES"
    )
    assert ledger["STATUS"] == BatchStatus.COMMITTED and ledger["ROWS_EXTRACTED"] == 0
    assert (ledger["ROWS_ALREADY_CURRENT"], ledger["ROWS_REQUARANTINED"]) == (0, 0)  # as its count query says
    assert unquote(ledger["RAW_URI"]).endswith(f"batch={outcome.batch_id}/manifest.json")
    checks = query("SELECT CHECK_ID FROM OPS.CHECK_RESULTS")  # nothing staged: the checks are still recorded
    assert {c.check_id for c in STRIPE_CHECKS} <= {r["CHECK_ID"] for r in checks}


def test_every_lineage_event_validates_against_the_openlineage_spec(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    land(0, sp.for_type("payment_intent.succeeded", 1), sp.for_type("charge.succeeded", 2, currency="usx"))
    payments_flow.payments_microbatch(**window(0))
    events = lineage_events()
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        validate_event(event)
    complete = events[1]
    assert complete["job"]["name"] == "payments-microbatch"
    (source,) = complete["inputs"]
    assert (source["namespace"], source["name"]) == ("file", str(load_settings().landing_dir / "raw" / "stripe"))
    assert source["inputFacets"]["inputStatistics"]["rowCount"] == 2
    assertions = {a["assertion"]: a for a in source["inputFacets"]["dataQualityAssertions"]["assertions"]}
    assert assertions["schema.currency_iso4217"]["success"] is False
    outputs = {o["name"].split(".", 1)[1] for o in complete["outputs"]}
    assert outputs >= {
        "CORE.PAYMENTS",
        "CORE.REFUNDS",
        "CORE.DISPUTES",
        "RAW.STRIPE_EVENTS",
        "QUARANTINE.STRIPE_EVENTS",
    }


def test_events_landed_in_s3_are_read_concurrently_and_published(
    pipeline_env: Callable[..., dict[str, str]], moto_s3: str, s3_bucket: str
) -> None:
    pipeline_env(NORTHSTAR_LANDING_BUCKET=s3_bucket, NORTHSTAR_S3_ENDPOINT_URL=moto_s3)
    store: LandingStore = landing_store(load_settings())
    start = datetime.now(UTC) - timedelta(minutes=1)
    events = [sp.for_type(t, n, created=int(start.timestamp())) for n, t in enumerate(sp.HANDLED_TYPES)]
    for evt in events:
        assert store.put_if_absent(sp.landing_key(evt["id"], evt["created"]), sp.envelope(evt))
        assert store.put_if_absent(arrival_key(evt["id"], evt["created"], datetime.now(UTC)), b"{}")
    end = datetime.now(UTC) + timedelta(seconds=1)
    time.sleep(1.1)  # a window is taken only once it has ended
    outcome = payments_flow.payments_microbatch(start=start.isoformat(), end=end.isoformat())
    assert (outcome.status, outcome.rows_extracted, outcome.rows_passed) == (
        BatchStatus.COMMITTED,
        len(events),
        len(events),
    )
    assert len(query("SELECT EVENT_ID FROM RAW.STRIPE_EVENTS")) == len(events)
    (ledger,) = query("SELECT RAW_URI FROM OPS.LOAD_BATCHES")
    assert ledger["RAW_URI"].startswith(f"s3://{s3_bucket}/raw/stripe/_batches/")
    manifest = json.loads(store.get(ledger["RAW_URI"].split("/", 3)[3]))
    assert sorted(e["key"] for e in manifest["events"]) == sorted(sp.landing_key(e["id"], e["created"]) for e in events)


def test_every_supported_shape_gives_the_same_captured_refunded_created_and_order(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    """The shapes README "Payments (Stripe)" claims, one payment each, with its exact captured amount (and the
    object it came from), counted refunds, creation time and order link."""
    pipeline_env()
    v19, v25 = sp.API_2019, sp.API_2025

    def of(event_type: str, n: int, shape: str = v25, **kw: Any) -> dict[str, Any]:
        order = kw.pop("order", str(100 + n))
        return sp.for_type(event_type, n, api_version=shape, amount=1000 + 100 * n, order_id=order, **kw)

    auth_only = sp.charge(sp.ids(6)["ch"], payment_intent=sp.ids(6)["pi"], amount=1600, captured=False)
    session = sp.checkout_session("cs_test_9", payment_intent=sp.ids(9)["pi"], client_reference_id="909")
    captured_later = of("payment_intent.succeeded", 6, created=sp.T0 + 120)
    captured_later["data"]["object"]["created"] = sp.T0  # the intent was created when it was authorised
    events = [
        of("payment_intent.succeeded", 1),  # 2025: latest_charge an id, no charge event: amount_received
        of("payment_intent.succeeded", 2, expand_latest_charge=True),  # 2025: latest_charge expanded
        of("payment_intent.succeeded", 3, v19),  # 2019: charges.data
        of("charge.succeeded", 4, created=sp.T0 + 40),  # 2025: only the charge (an endpoint for charge events)
        of("charge.succeeded", 5, v19),  # 2019: no amount_captured, captured true
        of("payment_intent.amount_capturable_updated", 6),  # authorised, then captured, no charge.captured seen
        sp.event("charge.succeeded", auth_only, created=sp.T0 + 1),
        captured_later,
        of("payment_intent.succeeded", 7, v19),  # 2019: charge.refunded lists its refund object
        of("charge.refunded", 7, v19, refunded=700, created=sp.T0 + 200),
        of("payment_intent.succeeded", 8),  # 2025: charge.refunded without a refunds list
        of("charge.refunded", 8, refunded=800, created=sp.T0 + 300),
        of("payment_intent.succeeded", 9, order=None),  # the order only on the checkout session
        sp.event("checkout.session.completed", session, created=sp.T0 + 5),
        of("payment_intent.succeeded", 10),  # a dispute changes no captured amount
        of("charge.dispute.created", 10, created=sp.T0 + 400),
    ]
    land(0, *events)
    outcome = payments_flow.payments_microbatch(**window(0))
    assert (outcome.status, outcome.rows_passed, outcome.rows_quarantined) == (BatchStatus.COMMITTED, len(events), 0)
    got = {
        r["PAYMENT_INTENT_ID"]: (
            r["AMOUNT_CAPTURED"],
            r["CAPTURED_FROM"],
            r["CREATED_AT"],
            r["ORDER_ID"],
            r["ORDER_LINK_SOURCE"],
        )
        for r in query("SELECT * FROM CORE.PAYMENTS")
    }
    at = T0.replace(tzinfo=None)
    assert got == {
        sp.ids(1)["pi"]: (1100, "payment_intent", at, 101, "metadata"),
        sp.ids(2)["pi"]: (1200, "charge", at, 102, "metadata"),
        sp.ids(3)["pi"]: (1300, "charge", at, 103, "metadata"),
        sp.ids(4)["pi"]: (1400, "charge", at + timedelta(seconds=40), None, None),
        sp.ids(5)["pi"]: (1500, "charge", at, None, None),
        sp.ids(6)["pi"]: (1600, "payment_intent", at, 106, "metadata"),
        sp.ids(7)["pi"]: (1700, "charge", at, 107, "metadata"),
        sp.ids(8)["pi"]: (1800, "charge", at, 108, "metadata"),
        sp.ids(9)["pi"]: (1900, "payment_intent", at, 909, "checkout_session"),
        sp.ids(10)["pi"]: (2000, "payment_intent", at, 110, "metadata"),
    }
    counted = query("SELECT PAYMENT_INTENT_ID, AMOUNT, COUNTED_FROM, CREATED_AT FROM CORE.REFUNDS_COUNTED")
    assert [(r["PAYMENT_INTENT_ID"], r["AMOUNT"], r["COUNTED_FROM"], r["CREATED_AT"]) for r in counted] in (
        expected := [
            (sp.ids(7)["pi"], 700, "refund", at + timedelta(seconds=200)),  # 2019: its charge names the intent
            (sp.ids(8)["pi"], 800, "charge", at + timedelta(seconds=300)),  # no refund object: the charge's step
        ],
        expected[::-1],
    )
