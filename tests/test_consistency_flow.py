"""The consistency flow end to end: seeded published state, DuckDB, fakesnow through the connector, Prefect."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from cli.main import main
from flows.consistency import consistency_check
from lineage.validate import validate_event
from northstar.landing import landing_store
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.consistency_seed import SourceBatch, commit, drop_finance, order_row, payment_row, window
from tests.helpers import T0, table_hashes

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
MARTS = ("MARTS.DAILY_REVENUE", "MARTS.ORDER_PAYMENTS")
DAY = date(2026, 11, 20)


def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params)


def seed(batch: SourceBatch) -> None:
    with open_warehouse(load_settings()) as wh:
        commit(wh, batch)


def transitions(ref_key: str) -> list[tuple[str, str]]:
    rows = query(
        "SELECT STATE, _BATCH_ID FROM OPS.REFERENCE_TRANSITIONS WHERE REF_KEY = %(k)s ORDER BY TRANSITION_AT",
        {"k": ref_key},
    )
    return [(r["STATE"], r["_BATCH_ID"]) for r in rows]


def check(batch_id: str, check_id: str, dataset: str) -> dict[str, Any]:
    """The one result of a check on a dataset (its name's ending) in a batch."""
    (row,) = query(
        "SELECT * FROM OPS.CHECK_RESULTS WHERE BATCH_ID = %(b)s AND CHECK_ID = %(c)s AND DATASET LIKE %(d)s",
        {"b": batch_id, "c": check_id, "d": f"%{dataset}"},
    )
    return row


def test_a_payment_before_its_order_waits_and_is_released_when_the_order_lands(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=14),
                     payments=[payment_row("pi_early", 500, 2500, T0 + timedelta(minutes=3))]))  # fmt: skip
    first = consistency_check(**window(0))
    assert first.status == "COMMITTED"
    assert transitions("pi_early") == [("pending", first.batch_id)]
    (waiting,) = query("SELECT * FROM OPS.PENDING_REFERENCES")
    assert (waiting["REF_KIND"], waiting["ORDER_ID"], waiting["SOURCE_BATCH_ID"]) == ("payment", 500, "payments-1")
    assert query("SELECT * FROM MARTS.ORDER_PAYMENTS WHERE ORDER_ID = 500") == []
    assert check(first.batch_id, "referential.order_pending", "payments")["ROWS_FAILED"] == 1

    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=29),
                     orders=[order_row(500, T0 + timedelta(minutes=2))]))  # fmt: skip
    second = consistency_check(**window(15))
    assert second.status == "COMMITTED"
    assert transitions("pi_early") == [("pending", first.batch_id), ("released", second.batch_id)]
    assert query("SELECT * FROM OPS.PENDING_REFERENCES") == []
    (row,) = query("SELECT * FROM MARTS.ORDER_PAYMENTS WHERE ORDER_ID = 500")
    assert (row["CAPTURED_MINOR"], row["PAYMENTS"], row["RECONCILIATION"]) == (2500, 1, "matched")
    (released,) = query("SELECT * FROM OPS.REFERENCE_TRANSITIONS WHERE STATE = 'released'")
    assert released["TRANSITION_AT"] - released["PENDING_SINCE"] == timedelta(minutes=15)  # it was 15 minutes late
    inputs = {r["SOURCE_BATCH_ID"]: r["BATCH_ID"] for r in query("SELECT * FROM OPS.CONSISTENCY_INPUTS")}
    assert inputs == {"payments-1": first.batch_id, "orders-1": second.batch_id}


def test_a_reference_whose_order_never_arrives_is_orphaned_after_the_grace_period(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_REFERENCE_GRACE_HOURS="1")
    seed(SourceBatch("fulfillment", "wms-1", T0 + timedelta(minutes=10),
                     lines=[{"shipment_id": "SH1", "order_id": 900, "quantity": 2}]))  # fmt: skip
    runs = [consistency_check(**window(minutes)) for minutes in (0, 30, 60)]  # as of T0+15m, +45m, +75m
    assert [r.status for r in runs] == ["COMMITTED"] * 3
    assert transitions("SH1#1") == [("pending", runs[0].batch_id), ("orphaned", runs[2].batch_id)]
    (orphan,) = query("SELECT * FROM QUARANTINE.ORPHAN_REFERENCES")
    assert (orphan["REF_KIND"], orphan["ORDER_ID"], orphan["SOURCE_BATCH_ID"]) == ("shipment_line", 900, "wms-1")
    assert json.loads(orphan["REASONS"]) == ["referential.order_missing"]
    assert orphan["_QUARANTINED_AT"] - orphan["PENDING_SINCE"] == timedelta(minutes=60)
    assert query("SELECT * FROM OPS.PENDING_REFERENCES") == []
    waiting = check(runs[1].batch_id, "referential.order_pending", "shipment_lines")
    assert (waiting["ROWS_FAILED"], waiting["OUTCOME"]) == (1, "warn")
    missing = check(runs[2].batch_id, "referential.order_missing", "shipment_lines")
    assert (missing["ROWS_CHECKED"], missing["ROWS_FAILED"], missing["OUTCOME"]) == (1, 1, "warn")
    ages = query("SELECT BATCH_ID, VALUE FROM OPS.SLA_METRICS WHERE METRIC = 'pending_max_age_hours' ORDER BY 1")
    assert sorted(r["VALUE"] for r in ages) == [0.0, 0.0, 0.5]  # waiting 30 min at the second run, none after


def test_the_gate_holds_a_day_that_does_not_reconcile_and_keeps_the_published_marts(
    pipeline_env: Callable[..., dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    pipeline_env(NORTHSTAR_BUSINESS_TZ="America/New_York", NORTHSTAR_RECONCILE_DAYS="2")
    day1, day2 = DAY - timedelta(days=1), DAY
    late_evening = T0 - timedelta(hours=9)  # 2026-11-20 03:00 UTC is 22:00 on the 19th in New York
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=12), orders=[
        order_row(1, T0 - timedelta(days=1)), order_row(2, late_evening, total=1000),
        order_row(3, T0 + timedelta(minutes=1), total=4000)]))  # fmt: skip
    refund = {"refund_id": "re_3", "pi": "pi_3", "amount": 500, "created_at": T0 + timedelta(minutes=5)}
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=13), payments=[
        payment_row("pi_1", 1, 2500, T0 - timedelta(days=1)), payment_row("pi_2", 2, 1000, late_evening),
        payment_row("pi_3", 3, 4000, T0 + timedelta(minutes=2))], refunds=[refund]))  # fmt: skip
    store = landing_store(load_settings())
    drop_finance(store, day1, {"USD": (3500, 0)})
    drop_finance(store, day2, {"USD": (4000, 500)})

    passed = consistency_check(**window(0))
    assert passed.status == "COMMITTED"
    revenue = query(
        "SELECT BUSINESS_DATE, NET_MINOR, CAPTURED_MINOR, REFUNDED_MINOR FROM MARTS.DAILY_REVENUE ORDER BY 1"
    )
    assert [(r["BUSINESS_DATE"], r["NET_MINOR"]) for r in revenue] == [(day1, 3500), (day2, 3500)]
    (finding,) = query("SELECT * FROM OPS.ORDER_RECONCILIATION")
    assert (finding["ORDER_ID"], finding["REASON"], finding["REFUNDED_MINOR"]) == (3, "partially_refunded", 500)
    with open_warehouse(load_settings()) as wh:
        published = table_hashes(wh, MARTS)

    seed(SourceBatch("payments", "payments-2", T0 + timedelta(minutes=20),
                     payments=[payment_row("pi_x", None, 700, T0 + timedelta(minutes=16))]))  # fmt: skip
    with caplog.at_level(logging.ERROR, logger="northstar.alerts"):
        held = consistency_check(**window(15))
    assert held.status == "HELD" and "reconciliation.daily_revenue" in (held.reason or "")
    assert any("ALERT [consistency]" in r.getMessage() for r in caplog.records)
    with open_warehouse(load_settings()) as wh:
        assert table_hashes(wh, MARTS) == published  # the previously published state stays
    days = query(
        "SELECT * FROM OPS.DAILY_RECONCILIATION WHERE _BATCH_ID = %(b)s ORDER BY BUSINESS_DATE", {"b": held.batch_id}
    )
    assert [(d["BUSINESS_DATE"], d["WITHIN_SLA"], d["NET_MINOR"], d["FINANCE_NET_MINOR"]) for d in days] == [
        (day1, True, 3500, 3500),
        (day2, False, 4200, 3500),
    ]
    assert days[0]["EXPLANATION"] is None
    explanation = json.loads(days[1]["EXPLANATION"])
    assert (explanation["difference_minor"], explanation["captured_difference_minor"]) == (700, 700)
    assert (explanation["refunded_difference_minor"], explanation["unexplained_minor"]) == (0, 0)
    assert explanation["ours"] == {"captured_minor": 4700, "refunded_minor": 500, "adjustments_minor": 0,
                                   "payments": 2, "refunds": 1}  # fmt: skip
    assert explanation["finance"] == {"captured_minor": 4000, "refunded_minor": 500, "net_minor": 3500}
    assert [
        (i["reason"], i["payment_intent_id"], i["amount_minor"], i["counted_from"]) for i in explanation["items"]
    ] == [
        ("payment_without_order", "pi_x", 700, "charge"),  # flagged first, then every other row of the day
        ("payment", "pi_3", 4000, "charge"),
        ("refund", "pi_3", -500, "refund"),
    ]
    assert explanation["notes"] == [
        "our payments exceed finance's captured by 700 minor units: the listed payments are the candidates"
        " (flagged first)"
    ]
    daily = check(held.batch_id, "reconciliation.daily_revenue", "")
    assert (daily["SEVERITY"], daily["OUTCOME"], daily["ROWS_CHECKED"], daily["ROWS_FAILED"]) == (
        "error",
        "failed",
        2,
        1,
    )
    (ledger,) = query("SELECT * FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s", {"b": held.batch_id})
    assert ledger["STATUS"] == "HELD" and ledger["ROWS_PUBLISHED"] == 0
    assert not query("SELECT * FROM OPS.CONSISTENCY_INPUTS WHERE SOURCE_BATCH_ID = 'payments-2'")

    drop_finance(store, day2, {"USD": (4700, 500)}, name="report-v2.csv")  # finance's correction
    fixed = consistency_check(**window(30))
    assert fixed.status == "COMMITTED"
    (day2_row,) = query("SELECT * FROM MARTS.DAILY_REVENUE WHERE BUSINESS_DATE = %(d)s", {"d": day2})
    assert (day2_row["NET_MINOR"], day2_row["_BATCH_ID"]) == (4200, fixed.batch_id)
    (taken,) = query("SELECT BATCH_ID FROM OPS.CONSISTENCY_INPUTS WHERE SOURCE_BATCH_ID = 'payments-2'")
    assert taken["BATCH_ID"] == fixed.batch_id

    events = [json.loads(line) for line in (load_settings().lineage_dir / "events.jsonl").read_text().splitlines()]
    for event in events:
        validate_event(event)
    (fail,) = [e for e in events if e["eventType"] == "FAIL"]
    (finance_input,) = [i for i in fail["inputs"] if i["name"].endswith("raw/finance")]
    assertions = finance_input["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a["success"]) for a in assertions] == [
        ("reconciliation.finance_report_readable", True),
        ("reconciliation.daily_revenue", False),
    ]


def test_a_finance_report_that_breaks_its_layout_holds_the_gate_and_is_kept(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=12), orders=[order_row(1, T0)]))
    store = landing_store(load_settings())
    key = "raw/finance/dt=2026-11-20/report.csv"
    bad = b"business_date,currency,captured_minor,refunded_minor,net_revenue_minor\n2026-11-20,USD,12.50,0,12.50\n"
    assert store.put_if_absent(key, bad)

    held = consistency_check(**window(0))
    assert held.status == "HELD" and "reconciliation.finance_report_readable" in (held.reason or "")
    readable = check(held.batch_id, "reconciliation.finance_report_readable", "")
    assert (readable["OUTCOME"], readable["ROWS_CHECKED"], readable["ROWS_FAILED"]) == ("failed", 1, 1)
    assert "finance/dt%3D2026-11-20/report.csv" in readable["ACTUAL"]
    assert "captured_minor 12.50 is not whole minor units" in readable["ACTUAL"]
    assert query("SELECT * FROM MARTS.DAILY_REVENUE") == []
    assert store.get(key) == bad  # the raw report is kept as finance dropped it


def test_northstar_checks_shows_a_days_gate_results_metrics_and_reconciliation(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=5), orders=[order_row(7, T0)]))
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=6),
                     payments=[payment_row("pi_7", 7, 2500, T0 + timedelta(minutes=1))]))  # fmt: skip
    drop_finance(landing_store(load_settings()), DAY, {"USD": (2400, 0)})  # finance is 100 short
    code, out = run_cli("run", "consistency", "--start", window(0)["start"], "--end", window(0)["end"])
    assert code == 1 and json.loads(out)["status"] == "HELD"

    code, out = run_cli("checks", "--date", DAY.isoformat(), "--json")
    report = json.loads(out)
    assert code == 1 and report["batch"]["STATUS"] == "HELD"
    outcomes = {(c["CHECK_ID"], c["DATASET"].rsplit("/", 1)[-1]): c["OUTCOME"] for c in report["checks"]}
    assert outcomes[("reconciliation.daily_revenue", "finance")] == "failed"
    assert outcomes[("reconciliation.order_amounts", "orders")] == "passed"
    assert len(outcomes) == 19  # 4 referential, 4 reconciliation, 4 duplicates, 5 status rules, 2 fulfillment
    (recon,) = report["reconciliation"]
    assert (recon["NET_MINOR"], recon["FINANCE_NET_MINOR"], recon["WITHIN_SLA"]) == (2500, 2400, False)
    assert recon["EXPLANATION"]["difference_minor"] == 100
    metrics = {(m["BUSINESS_DATE"], m["METRIC"]): m["WITHIN_SLA"] for m in report["sla"]}
    assert metrics[(DAY.isoformat(), "reconciliation_variance")] is False
    assert metrics[(DAY.isoformat(), "duplicate_rate")] is True
    assert (None, "pending_references") in metrics

    code, text = run_cli("checks", "--date", DAY.isoformat())
    assert code == 1 and "HELD" in text and "reconciliation.daily_revenue" in text
    code, text = run_cli("checks", "--date", "2026-11-01")
    assert code == 0 and "No consistency run ended on 2026-11-01" in text


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_fulfillment_and_same_items_are_found_through_the_warehouse_slice(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    turning_old = T0 - timedelta(days=3) + timedelta(minutes=5)  # 3 days old during window(0)
    seed(SourceBatch("orders", "orders-0", T0 - timedelta(minutes=1),
                     orders=[order_row(599, T0 - timedelta(minutes=1)), order_row(602, turning_old)],
                     order_lines=[(599, 1, "B", 1), (602, 1, "A", 2)]))  # fmt: skip
    seed(SourceBatch("fulfillment", "wms-0", T0 - timedelta(minutes=1), lines=[{"shipment_id": "S602", "order_id": 602,
                                                                         "sku": "A", "quantity": 1}]))  # fmt: skip
    first = consistency_check(**window(-15))
    assert first.status == "COMMITTED"
    assert check(first.batch_id, "fulfillment.under_shipped", "shipment_lines")["ROWS_FAILED"] == 0  # not yet old
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=14),
                     orders=[order_row(600, T0 + timedelta(minutes=2)), order_row(601, T0 + timedelta(minutes=5))],
                     order_lines=[(600, 1, "A", 1), (601, 1, "B", 1)]))  # fmt: skip
    two = [{"shipment_id": s, "order_id": 600, "sku": "A", "quantity": 1} for s in ("S1", "S2")]  # each its line 1
    seed(SourceBatch("fulfillment", "wms-1", T0 + timedelta(minutes=14), lines=two))
    second = consistency_check(**window(0))
    violations = query("SELECT RULE_ID, ORDER_ID, EVIDENCE FROM OPS.STATUS_VIOLATIONS WHERE _BATCH_ID = %(b)s"
                       " AND RULE_ID LIKE 'fulfillment.%%' ORDER BY RULE_ID", {"b": second.batch_id})  # fmt: skip
    assert [(v["RULE_ID"], v["ORDER_ID"]) for v in violations] == [
        ("fulfillment.over_shipped", 600),
        ("fulfillment.under_shipped", 602),  # not touched: found among the orders turning 3 days old
    ]
    assert json.loads(violations[1]["EVIDENCE"])["skus"] == [{"sku": "A", "ordered": 2, "shipped": 1}]
    candidates = query("SELECT ORDER_ID, DUPLICATE_OF FROM OPS.DUPLICATE_CANDIDATES WHERE _BATCH_ID = %(b)s",
                       {"b": second.batch_id})  # fmt: skip
    assert candidates == [{"ORDER_ID": 601, "DUPLICATE_OF": 599}]  # 599's items fetched with the customer's orders
    over = check(second.batch_id, "fulfillment.over_shipped", "shipment_lines")
    assert (over["ROWS_CHECKED"], over["ROWS_FAILED"]) == (3, 1)  # 600, 601 touched, 602 turning old


@pytest.mark.parametrize(
    ("payments", "refunds", "finance", "difference", "notes", "items"),
    [
        pytest.param(  # issue 9 s01 before the fix: the payment stored without a captured amount, so none counted
            [], [], (5000, 0), -5000,
            ["no rows of ours explain 5000 minor units: we have no payment or refund in USD on 2026-11-20"], [],
            id="no rows of ours",
        ),
        pytest.param(  # issue 9 s02 before the fix: the charge's refund was not counted, finance's was
            [("pi_s02", 910002, 5000)], [], (5000, 2000), 2000,
            ["no rows of ours explain 2000 minor units refunded: finance counted refunds we have no row for"],
            [("payment", "pi_s02", 5000)],
            id="a refund finance saw",
        ),
    ],
)  # fmt: skip
def test_a_day_that_is_off_always_names_its_rows_or_says_none_explain_it(
    pipeline_env: Callable[..., dict[str, str]],
    payments: list[tuple[str, int, int]],
    refunds: list[dict[str, Any]],
    finance: tuple[int, int],
    difference: int,
    notes: list[str],
    items: list[tuple[str, str, int]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=5),
                     orders=[order_row(910002, T0, total=5000)]))  # fmt: skip
    rows = [payment_row(pi, order, amount, T0 + timedelta(minutes=1)) for pi, order, amount in payments]
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=6), payments=rows, refunds=refunds))
    drop_finance(landing_store(load_settings()), DAY, {"USD": finance})
    held = consistency_check(**window(0))
    assert held.status == "HELD"
    (day,) = query("SELECT * FROM OPS.DAILY_RECONCILIATION WHERE _BATCH_ID = %(b)s", {"b": held.batch_id})
    explanation = json.loads(day["EXPLANATION"])
    assert (explanation["difference_minor"], explanation["unexplained_minor"]) == (difference, abs(difference))
    assert explanation["notes"] == notes
    assert [(i["reason"], i["payment_intent_id"], i["amount_minor"]) for i in explanation["items"]] == items
    daily = check(held.batch_id, "reconciliation.daily_revenue", "")
    assert notes[0] in daily["ACTUAL"]
