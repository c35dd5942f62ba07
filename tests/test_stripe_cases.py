"""Issue 9's Stripe cases end to end: each body signed as Stripe signs it and posted over HTTP to the receiver,
then the payments flow of the window it arrived in, then (where the case says the gate passes) the consistency
flow against finance's report for the day. The inputs are copies in tests/cases/ with their placeholders filled
around a base moment 15 minutes ago, as the cases were run."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import flows.payments_microbatch as payments_flow
from flows.consistency import consistency_check
from northstar.landing import landing_store
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.sources.finance.reports import day_prefix
from northstar.sources.stripe.receiver import create_app
from northstar.warehouse import open_warehouse
from tests import stripe_payloads as sp
from tests.consistency_seed import SourceBatch, commit, order_row
from tests.test_stripe_receiver import SECRET, deliver, serving

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
CASES = Path(__file__).parent / "cases"


class Case:
    """One case's inputs around a base moment (unix seconds): its bodies, finance report and business day."""

    def __init__(self, name: str, base: int) -> None:
        self.folder, self.base = CASES / name, base
        self.day = datetime.fromtimestamp(base, UTC).date()

    def fill(self, text: str) -> str:
        text = re.sub(r"__T([+-])(\d+)__", lambda m: str(self.base + int(m.group(1) + m.group(2))), text)
        return text.replace("__DATE__", self.day.isoformat())

    def bodies(self) -> list[bytes]:
        """The case's Stripe bodies, in file order, exactly as they will be signed and posted."""
        return [self.fill(p.read_text().strip()).encode() for p in sorted(self.folder.glob("*.json"))]

    def drop_finance(self) -> None:
        """Finance's report for the case's day, into the landing store where finance drops it."""
        store = landing_store(load_settings())
        assert store.put_if_absent(
            day_prefix(self.day) + "report.csv", self.fill((self.folder / "finance.csv").read_text()).encode()
        )


@pytest.fixture
def receiver(pipeline_env: Callable[..., dict[str, str]]) -> Iterator[httpx.Client]:
    """The receiver over HTTP, landing into the pipeline's store. Two reconciled days: the base moment (15 minutes
    ago) may fall on the day before the consistency window's, shortly after a UTC midnight."""
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="2")
    with serving(create_app(landing_store(load_settings()), [SECRET])) as client:
        yield client


def post(client: httpx.Client, *bodies: bytes) -> list[str]:
    """Post each body signed now; the receiver's answers."""
    replies = [deliver(client, body) for body in bodies]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    return [r.json()["status"] for r in replies]


def now() -> datetime:
    time.sleep(0.05)  # file times are a little coarser than the clock: keep window bounds clear of them
    return datetime.now(UTC)


def window(start: datetime, end: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params)


def seed_order(order_id: int, total: int, created: int, status: str = "paid") -> None:
    """The order the payment names, as the orders flow publishes it."""
    moment = datetime.fromtimestamp(created, UTC)
    with open_warehouse(load_settings()) as wh:
        commit(wh, SourceBatch("orders", f"orders-{order_id}", moment + timedelta(minutes=1),
                               orders=[order_row(order_id, moment, total=total, status=status)]))  # fmt: skip


def day_reconciliation(batch_id: str, day: date) -> dict[str, Any]:
    (row,) = query(
        "SELECT * FROM OPS.DAILY_RECONCILIATION WHERE _BATCH_ID = %(b)s AND BUSINESS_DATE = %(d)s AND CURRENCY = 'USD'",
        {"b": batch_id, "d": day},
    )
    return row


def test_s01_a_succeeded_intent_naming_its_charge_by_id_counts_its_amount_received(receiver: httpx.Client) -> None:
    case = Case("s01", int(time.time()) - 15 * 60)
    start = now()
    assert post(receiver, *case.bodies()) == ["landed"]
    end = now()
    seed_order(910001, 5000, case.base)
    payments = payments_flow.payments_microbatch(**window(start, end))
    assert (payments.status, payments.rows_extracted, payments.rows_passed) == (BatchStatus.COMMITTED, 1, 1)
    (row,) = query("SELECT * FROM CORE.PAYMENTS")
    assert (row["PAYMENT_INTENT_ID"], row["AMOUNT_CAPTURED"], row["CAPTURED_FROM"]) == (
        "pi_3S01AAAAAAAAAAAA",
        5000,
        "payment_intent",
    )
    assert (row["LATEST_CHARGE_ID"], row["CHARGE_ID"], row["ORDER_ID"]) == ("ch_3S01AAAAAAAAAAAA", None, 910001)

    case.drop_finance()
    checked = consistency_check(**window(end, now()))
    assert checked.status == BatchStatus.COMMITTED, checked.reason
    day = day_reconciliation(checked.batch_id, case.day)
    assert (day["NET_MINOR"], day["FINANCE_NET_MINOR"], day["VARIANCE"], day["WITHIN_SLA"]) == (5000, 5000, 0.0, True)
    (mart,) = query("SELECT * FROM MARTS.DAILY_REVENUE")
    assert (mart["CAPTURED_MINOR"], mart["REFUNDED_MINOR"], mart["NET_MINOR"]) == (5000, 0, 5000)


def test_s02_a_charge_refunded_without_refunds_list_counts_once_even_when_the_refund_arrives(
    receiver: httpx.Client,
) -> None:
    case = Case("s02", int(time.time()) - 15 * 60)
    start = now()
    assert post(receiver, *case.bodies()) == ["landed"] * 3
    middle = now()
    seed_order(910002, 5000, case.base)
    first = payments_flow.payments_microbatch(**window(start, middle))
    assert (first.status, first.rows_extracted, first.rows_passed) == (BatchStatus.COMMITTED, 3, 3)
    (step,) = query("SELECT * FROM CORE.CHARGE_REFUNDED_AMOUNTS")
    assert (step["CHARGE_ID"], step["AMOUNT_REFUNDED"], step["FIRST_EVENT_ID"]) == ("ch_S02", 2000, "evt_S02c")
    counted = query("SELECT REFUND_ID, AMOUNT, COUNTED_FROM, CREATED_AT FROM CORE.REFUNDS_COUNTED")
    assert counted == [{"REFUND_ID": "ch_S02:refunded:2000", "AMOUNT": 2000, "COUNTED_FROM": "charge",
                        "CREATED_AT": datetime.fromtimestamp(case.base + 400)}]  # fmt: skip  # dated by its event

    case.drop_finance()
    checked = consistency_check(**window(middle, now()))
    assert checked.status == BatchStatus.COMMITTED, checked.reason
    day = day_reconciliation(checked.batch_id, case.day)
    assert (day["NET_MINOR"], day["FINANCE_NET_MINOR"], day["WITHIN_SLA"]) == (3000, 3000, True)

    # The refund object arrives later (refund.created, as Stripe sends it too): counted instead, not on top.
    refund = sp.refund("re_S02", charge_id="ch_S02", payment_intent="pi_S02", amount=2000, created=case.base + 400,
                       api_version="2024-06-20")  # fmt: skip
    later = now()
    event = sp.event("refund.created", refund, event_id="evt_S02d", created=case.base + 401, api_version="2024-06-20")
    assert post(receiver, json.dumps(event).encode()) == ["landed"]
    second = payments_flow.payments_microbatch(**window(later, now()))
    assert (second.status, second.rows_passed) == (BatchStatus.COMMITTED, 1)
    counted = query("SELECT REFUND_ID, AMOUNT, COUNTED_FROM FROM CORE.REFUNDS_COUNTED")
    assert counted == [{"REFUND_ID": "re_S02", "AMOUNT": 2000, "COUNTED_FROM": "refund"}]
    rechecked = consistency_check(**window(later, now()))
    assert rechecked.status == BatchStatus.COMMITTED, rechecked.reason
    day = day_reconciliation(rechecked.batch_id, case.day)
    assert (day["NET_MINOR"], day["FINANCE_NET_MINOR"], day["WITHIN_SLA"]) == (3000, 3000, True)
    (mart,) = query("SELECT * FROM MARTS.DAILY_REVENUE")
    assert (mart["CAPTURED_MINOR"], mart["REFUNDED_MINOR"], mart["NET_MINOR"], mart["REFUNDS"]) == (5000, 2000, 3000, 1)


def test_s07_events_created_long_ago_are_taken_by_the_batch_of_the_window_they_arrive_in(
    receiver: httpx.Client,
) -> None:
    case = Case("s07", int(time.time()) - 15 * 60)
    fixture = sp.for_type("payment_intent.succeeded", 19, api_version=sp.API_2019, amount=1999, created=1558000000)
    start = now()  # the events were created 5 days ago and (the 2019 fixture) in May 2019
    assert post(receiver, *case.bodies(), json.dumps(fixture, indent=2).encode()) == ["landed"] * 3
    end = now()
    outcome = payments_flow.payments_microbatch(**window(start, end), lookback_days=0)  # no lookback drops them
    assert (outcome.status, outcome.rows_extracted, outcome.rows_passed) == (BatchStatus.COMMITTED, 3, 3)
    captured = {r["PAYMENT_INTENT_ID"]: r["AMOUNT_CAPTURED"] for r in query("SELECT * FROM CORE.PAYMENTS")}
    assert captured == {"pi_S07": 7700, sp.ids(19)["pi"]: 1999}
    assert payments_flow.payments_microbatch(**window(end, now())).rows_extracted == 0  # each taken exactly once


def test_s10_a_thin_event_is_counted_unhandled_by_the_payments_batch(receiver: httpx.Client) -> None:
    start = now()
    assert post(receiver, (CASES / "s10" / "01_thin_event.json").read_text().strip().encode()) == ["landed"]
    assert receiver.get("/healthz").json()["unhandled"] == {"v2.core.event": 1}
    outcome = payments_flow.payments_microbatch(**window(start, now()))
    assert (outcome.status, outcome.rows_extracted, outcome.rows_passed, outcome.rows_quarantined) == (
        BatchStatus.COMMITTED,
        1,
        1,
        0,
    )
    (unhandled,) = query(
        "SELECT ROWS_FAILED, OUTCOME FROM OPS.CHECK_RESULTS WHERE CHECK_ID = 'schema.event_type_handled'"
    )
    assert unhandled == {"ROWS_FAILED": 1, "OUTCOME": "warn"}
    (raw,) = query("SELECT EVENT_TYPE, HANDLED, EVENT_CREATED FROM RAW.STRIPE_EVENTS")
    assert raw == {"EVENT_TYPE": "v1.billing.meter.error_report_triggered", "HANDLED": False,
                   "EVENT_CREATED": datetime(2026, 11, 30, 21, 0)}  # fmt: skip
    assert query("SELECT COUNT(*) AS N FROM CORE.PAYMENTS") == [{"N": 0}]
