"""Every cross-system rule on a seeded slice in real DuckDB, with exact expected counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pytest

from northstar.sqlfiles import read_sql, statements
from validators.consistency.checks import CrossCheck, Family, run_family
from validators.consistency.suite import FAMILIES, SuiteResult, run_suite
from validators.result import CheckResult, Severity

AS_OF = datetime(2026, 11, 20, 12, 0)
DAY = date(2026, 11, 20)
HOUR = 3600.0


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        for sql in statements("consistency/create_slice_tables.sql"):
            con.execute(sql)
        yield con


def insert(con: duckdb.DuckDBPyConnection, table: str, *rows: dict[str, Any]) -> None:
    """Rows into a slice table by column name; columns left out are null."""
    for row in rows:
        names = ", ".join(row)
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def order(order_id: int, status: str = "paid", total: int = 2500, **kw: Any) -> dict[str, Any]:
    return {"order_id": order_id, "customer_id": 42, "status": status, "currency": "USD",
            "total_amount_minor": total, "created_at": AS_OF - timedelta(hours=1)} | kw  # fmt: skip


def payment(pi: str, order_id: int | None, captured: int, currency: str = "USD") -> dict[str, Any]:
    return {"payment_intent_id": pi, "order_id": order_id, "currency": currency, "amount_captured": captured,
            "created_at": AS_OF - timedelta(minutes=30)}  # fmt: skip


PARAMS = {"as_of": AS_OF, "tz": "UTC", "grace_seconds": 24 * HOUR, "duplicate_window_seconds": 600.0,
          "unshipped_seconds": 3 * 24 * HOUR, "days": [DAY]}  # fmt: skip


def suite(con: duckdb.DuckDBPyConnection, **overrides: Any) -> SuiteResult:
    return run_suite(con, PARAMS | overrides, "raw/finance")


def result(results: SuiteResult, check_id: str, dataset: str = "orders") -> CheckResult:
    (found,) = [r for r in results.results if r.check_id == check_id and r.dataset == dataset]
    return found


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def test_each_order_gets_the_reason_code_for_how_its_payments_differ(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "orders", order(1), order(2), order(3), order(4), order(5), order(6),
           order(7, "cancelled"), order(8, "cancelled"), order(9, "pending"))  # fmt: skip
    insert(con, "payments", payment("pi_1", 1, 2500), payment("pi_3", 3, 2000), payment("pi_4", 4, 3000),
           payment("pi_5", 5, 2500), payment("pi_6", 6, 2500, "EUR"), payment("pi_8", 8, 2500))  # fmt: skip
    insert(con, "refunds", {"refund_id": "re_5", "payment_intent_id": "pi_5", "amount": 500, "currency": "USD",
                            "status": "succeeded"},
           {"refund_id": "re_x", "payment_intent_id": "pi_1", "amount": 2500, "currency": "USD",
            "status": "failed"})  # fmt: skip
    insert(con, "new_payments", payment("pi_none", None, 900) | {"_batch_id": "payments-1"})
    results = suite(con)
    by_order = dict(rows(con, "SELECT order_id, reconciliation FROM order_amounts"))
    assert by_order == {1: "matched", 2: "unpaid", 3: "underpaid", 4: "overpaid", 5: "partially_refunded",
                        6: "currency_mismatch", 7: "matched", 8: "overpaid", 9: "not_compared"}  # fmt: skip
    findings = Counter(reason for (reason,) in rows(con, "SELECT reason FROM out_order_findings"))
    assert findings == {"unpaid": 1, "underpaid": 1, "overpaid": 2, "partially_refunded": 1,
                        "currency_mismatch": 1, "payment_without_order": 1}  # fmt: skip
    amounts = result(results, "reconciliation.order_amounts")
    assert (amounts.rows_checked, amounts.rows_failed) == (8, 6)
    assert result(results, "reconciliation.payment_without_order", "payments").rows_failed == 1
    assert rows(con, "SELECT order_id, expected_minor, captured_minor, refunded_minor FROM out_order_findings "
                     "WHERE reason = 'partially_refunded'") == [(5, 2500, 2500, 500)]  # fmt: skip


def test_references_wait_are_released_or_orphaned_by_the_grace_period(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "orders", order(1))
    insert(con, "new_payments", payment("pi_a", 1, 2500) | {"_batch_id": "p2"},
           payment("pi_b", 99, 100) | {"_batch_id": "p2"})  # fmt: skip
    insert(con, "pending",
           {"ref_kind": "payment", "ref_key": "pi_c", "order_id": 98, "pending_since": AS_OF - timedelta(minutes=30)},
           {"ref_kind": "payment", "ref_key": "pi_d", "order_id": 1, "pending_since": AS_OF - timedelta(minutes=10)},
           {"ref_kind": "payment", "ref_key": "pi_e", "order_id": 96, "pending_since": AS_OF - timedelta(hours=3)},
           {"ref_kind": "shipment_line", "ref_key": "SH#1", "order_id": 97,
            "pending_since": AS_OF - timedelta(hours=2)})  # fmt: skip
    con.execute("UPDATE pending SET source_batch_id = $s, first_batch_id = $f", {"s": "p1", "f": "c1"})
    insert(con, "payments", payment("pi_e", 96, 1200))
    results = suite(con, grace_seconds=1 * HOUR)
    transitions = rows(con, "SELECT ref_kind, ref_key, state FROM out_transitions ORDER BY ref_key")
    assert transitions == [("shipment_line", "SH#1", "orphaned"), ("payment", "pi_b", "pending"),
                           ("payment", "pi_d", "released"), ("payment", "pi_e", "orphaned")]  # fmt: skip
    states = dict(rows(con, "SELECT ref_key, state FROM reference_states"))
    assert states == {"pi_a": "satisfied", "pi_b": "pending", "pi_c": "waiting", "pi_d": "released",
                      "pi_e": "orphaned", "SH#1": "orphaned"}  # fmt: skip
    payments_missing = result(results, "referential.order_missing", "payments")
    assert (payments_missing.rows_checked, payments_missing.rows_failed) == (5, 1)
    assert result(results, "referential.order_pending", "payments").rows_failed == 2
    assert result(results, "referential.order_missing", "shipment_lines").rows_failed == 1
    assert rows(con, "SELECT payment_intent_id, captured_minor FROM out_order_findings "
                     "WHERE reason = 'payment_without_order'") == [("pi_e", 1200)]  # fmt: skip
    metrics = dict(rows(con, "SELECT metric, value FROM out_metrics WHERE business_date IS NULL"))
    assert (metrics["pending_references"], metrics["pending_max_age_hours"]) == (2, 0.5)
    assert metrics["orphaned_references"] == 2


def test_the_same_purchase_twice_within_the_window_is_one_candidate_pair(con: duckdb.DuckDBPyConnection) -> None:
    t = AS_OF - timedelta(hours=2)
    new = [order(10, created_at=t), order(13, created_at=t + timedelta(minutes=2), currency="EUR"),
           order(14, created_at=t + timedelta(minutes=1), total=2600),
           order(15, created_at=t, customer_id=43),
           order(20, created_at=t, customer_id=50),
           order(21, created_at=t + timedelta(minutes=1), customer_id=50)]  # fmt: skip
    insert(con, "new_orders", *[o | {"_batch_id": "orders-1"} for o in new])
    insert(con, "customer_orders", order(11, created_at=t - timedelta(minutes=5)),
           order(12, created_at=t - timedelta(minutes=11)))  # fmt: skip
    results = suite(con)
    assert rows(con, "SELECT rule_id, order_id, duplicate_of FROM out_duplicates ORDER BY order_id") == [
        ("duplicates.same_purchase", 10, 11),
        ("duplicates.same_purchase", 21, 20),
    ]
    assert result(results, "duplicates.same_purchase").rows_failed == 2


@pytest.mark.parametrize(("orders_that_day", "within"), [(2000, False), (2001, True)])
def test_the_daily_duplicate_rate_holds_the_gate_at_one_in_a_thousand(
    con: duckdb.DuckDBPyConnection, orders_that_day: int, within: bool
) -> None:
    con.execute("INSERT INTO day_orders SELECT i, $t FROM range($n) AS r(i)", {"t": AS_OF, "n": orders_that_day})
    insert(con, "day_duplicates", {"order_id": 1, "business_date": DAY}, {"order_id": 2, "business_date": DAY})
    results = suite(con)
    rate = result(results, "duplicates.daily_rate")
    assert (rate.rows_checked, rate.rows_failed == 0, rate.success) == (1, within, within)
    assert (results.held_reason is None) is within
    assert rows(con, "SELECT value, within_sla FROM out_metrics WHERE metric = 'duplicate_rate'") == [
        (2 / orders_that_day, within)
    ]


def test_status_rules_find_each_disagreement(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "orders", order(1), order(2, "cancelled"), order(3, "delivered"),
           order(4, created_at=AS_OF - timedelta(days=4)), order(5, created_at=AS_OF - timedelta(days=1)),
           order(8, "shipped"))  # fmt: skip
    insert(con, "payments", payment("pi_2", 2, 2500), payment("pi_3", 3, 2500), payment("pi_4", 4, 2500),
           payment("pi_5", 5, 2500), payment("pi_8", 8, 2500))  # fmt: skip
    refund = {"amount": 2500, "currency": "USD", "status": "succeeded"}
    insert(con, "refunds", {"refund_id": "re_2", "payment_intent_id": "pi_2"} | refund,
           {"refund_id": "re_3", "payment_intent_id": "pi_3"} | refund)  # fmt: skip
    insert(con, "shipment_lines", {"shipment_id": "S1", "line_no": 1, "order_id": 1, "quantity": 1},
           {"shipment_id": "S2", "line_no": 1, "order_id": 2, "quantity": 1})  # fmt: skip
    insert(con, "aging_orders",
           {"order_id": 6, "status": "paid", "created_at": AS_OF - timedelta(days=3), "shipment_lines": 0},
           {"order_id": 7, "status": "paid", "created_at": AS_OF - timedelta(days=3), "shipment_lines": 1})  # fmt: skip
    insert(con, "disputes", {"dispute_id": "dp_8", "payment_intent_id": "pi_8", "amount": 2500, "status": "lost"})
    results = suite(con)
    found = rows(con, "SELECT rule_id, order_id FROM out_violations ORDER BY rule_id, order_id")
    assert found == [
        ("status.cancelled_but_shipped", 2),
        ("status.dispute_lost_counted", 8),
        ("status.paid_not_shipped", 4),
        ("status.paid_not_shipped", 6),
        ("status.refunded_still_completed", 3),
        ("status.shipped_never_paid", 1),
    ]
    assert {r.check_id: r.rows_failed for r in results.results if r.check_id.startswith("status.")} == {
        "status.shipped_never_paid": 1,
        "status.cancelled_but_shipped": 1,
        "status.refunded_still_completed": 1,
        "status.paid_not_shipped": 2,
        "status.dispute_lost_counted": 1,
    }
    assert results.held_reason is None  # status rules are warnings: they do not hold the marts


@pytest.mark.parametrize(("ours", "within"), [(100_049, True), (100_050, False)])
def test_a_day_within_five_basis_points_of_finance_passes(
    con: duckdb.DuckDBPyConnection, ours: int, within: bool
) -> None:
    insert(con, "day_payments", {"payment_intent_id": "pi_1", "order_id": 1, "currency": "USD",
                                 "amount_captured": ours, "created_at": AS_OF, "order_known": True,
                                 "order_status": "paid", "order_currency": "USD",
                                 "order_total_minor": 100_000})  # fmt: skip
    insert(con, "finance", {"business_date": DAY, "currency": "USD", "net_revenue_minor": 100_000, "source_file": "f"})
    results = suite(con)
    daily = result(results, "reconciliation.daily_revenue", "raw/finance")
    assert (daily.rows_checked, daily.rows_failed) == (1, 0 if within else 1)
    assert (results.held_reason is None) is within
    explanation = rows(con, "SELECT explanation FROM out_daily")[0][0]
    if within:
        assert explanation is None
    else:
        assert '"reason":"amount_differs_from_order"' in explanation and '"difference_minor":50' in explanation


def test_a_currency_finance_did_not_report_fails_its_day(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "day_payments", {"payment_intent_id": "pi_1", "order_id": None, "currency": "EUR",
                                 "amount_captured": 500, "created_at": AS_OF, "order_known": False})  # fmt: skip
    insert(con, "finance", {"business_date": DAY, "currency": "USD", "net_revenue_minor": 0, "source_file": "f"})
    suite(con)
    assert rows(
        con, "SELECT currency, net_minor, finance_net_minor, variance, within_sla FROM out_daily ORDER BY 1"
    ) == [
        ("EUR", 500, None, 1.0, False),
        ("USD", 0, 0, 0.0, True),
    ]


def test_a_payment_intent_linked_to_a_second_order_makes_that_order_a_duplicate(
    con: duckdb.DuckDBPyConnection,
) -> None:
    t = AS_OF - timedelta(minutes=20)
    insert(con, "known_links", {"payment_intent_id": "pi_1", "order_id": 5, "event_id": "evt_a", "linked_at": t})
    links = [("pi_1", 6, "evt_b", 5), ("pi_1", 5, "evt_c", 6), ("pi_2", 7, "evt_d", 0), ("pi_2", 8, "evt_e", 1),
             ("pi_3", 9, "evt_f", 0)]  # (intent, order, event, minutes after t)  # fmt: skip
    insert(con, "new_links", *[
        {"payment_intent_id": pi, "order_id": order_id, "event_id": evt, "linked_at": t + timedelta(minutes=m),
         "_batch_id": "payments-2"} for pi, order_id, evt, m in links])  # fmt: skip
    results = suite(con)
    by_intent = (
        "SELECT order_id, duplicate_of FROM out_duplicates WHERE rule_id = 'duplicates.payment_intent_two_orders'"
    )
    assert rows(con, by_intent + " ORDER BY 1") == [(6, 5), (8, 7)]
    linked = result(results, "duplicates.payment_intent_two_orders", "payments")
    assert (linked.rows_checked, linked.rows_failed) == (3, 2)
    assert rows(con, "SELECT payment_intent_id, order_id, event_id FROM out_links ORDER BY 1, 2") == [
        ("pi_1", 6, "evt_b"),
        ("pi_2", 7, "evt_d"),
        ("pi_2", 8, "evt_e"),
        ("pi_3", 9, "evt_f"),
    ]  # pi_1 -> 5 was recorded already


def test_orders_an_earlier_batch_published_are_counted_not_failed(con: duckdb.DuckDBPyConnection) -> None:
    low = AS_OF - timedelta(minutes=20)
    insert(con, "inputs", {"batch_id": "orders-2", "source": "orders", "watermark_low": low})
    insert(con, "new_orders", *[order(n, created_at=low + timedelta(minutes=m)) | {"_batch_id": "orders-2"}
                                for n, m in ((1, -60), (2, -1), (3, 5))])  # fmt: skip
    counted = result(suite(con), "duplicates.order_id_across_batches")
    assert (counted.rows_checked, counted.rows_failed, counted.outcome.value, counted.success) == (3, 2, "warn", True)


def ordered(order_id: int, *items: tuple[str, int]) -> list[dict[str, Any]]:
    """Order lines (sku, quantity) numbered from 1."""
    return [{"order_id": order_id, "line_no": n, "sku": sku, "quantity": q} for n, (sku, q) in enumerate(items, 1)]


def shipped(shipment_id: str, order_id: int, *items: tuple[str, int]) -> list[dict[str, Any]]:
    """Shipment lines (sku, quantity) numbered from 1 within their shipment, not the order."""
    return [{"shipment_id": shipment_id, "line_no": n, "order_id": order_id, "sku": sku, "quantity": q,
             "status": "shipped"} for n, (sku, q) in enumerate(items, 1)]  # fmt: skip


def test_fulfillment_rules_compare_shipped_with_ordered_quantities_per_order_and_sku(
    con: duckdb.DuckDBPyConnection,
) -> None:
    old, young = AS_OF - timedelta(days=4), AS_OF - timedelta(days=1)
    insert(con, "orders", order(1, created_at=old), order(2, created_at=old), order(3, "shipped", created_at=young),
           order(4, "delivered", created_at=young), order(5, "cancelled", created_at=old),
           order(6, "pending", created_at=old), order(7, created_at=old), order(8, "shipped", created_at=young),
           order(9, created_at=old), order(10, "delivered", created_at=old), order(11, created_at=old))  # fmt: skip
    # order 9's line is fetched twice (touched and near a new order of its customer): counted once
    lines = [ordered(1, ("A", 2), ("B", 1)), ordered(2, ("A", 2), ("B", 1)), ordered(3, ("A", 1)),
             ordered(4, ("A", 1)), ordered(5, ("A", 1)), ordered(6, ("A", 1)), ordered(8, ("A", 2)),
             ordered(9, ("A", 2)), ordered(9, ("A", 2)), ordered(10, ("A", 1)), ordered(11, ("A", 1))]  # fmt: skip
    insert(con, "order_lines", *[line for group in lines for line in group])
    shipments = [shipped("S1", 1, ("B", 1), ("A", 2)), shipped("S2", 2, ("A", 1)), shipped("S3", 3, ("A", 1)),
                 shipped("S3b", 3, ("A", 1)), shipped("S4", 4, ("A", 1), ("Z", 1)), shipped("S5", 5, ("A", 1)),
                 shipped("S7", 7, ("A", 3)), shipped("S8", 8, ("A", 1)), shipped("S9", 9, ("A", 2))]  # fmt: skip
    insert(con, "shipment_lines", *[line for group in shipments for line in group])
    aging = {"status": "paid", "created_at": AS_OF - timedelta(days=3), "sku": "A", "shipped": 0}
    insert(con, "aging_short_lines", aging | {"order_id": 20, "ordered": 2, "order_shipped": 1},
           aging | {"order_id": 21, "ordered": 1, "order_shipped": 0})  # fmt: skip
    results = suite(con)
    found = rows(con, "SELECT rule_id, order_id FROM out_violations WHERE rule_id LIKE 'fulfillment.%' ORDER BY 1, 2")
    assert found == [
        ("fulfillment.over_shipped", 3),  # two shipments, each numbering its line 1: 2 of 1 shipped
        ("fulfillment.over_shipped", 4),  # Z was never ordered
        ("fulfillment.under_shipped", 2),
        ("fulfillment.under_shipped", 10),  # delivered, nothing shipped
        ("fulfillment.under_shipped", 20),  # turned 3 days old in the window, partly shipped
    ]  # 11 and 21 are paid with nothing shipped: status.paid_not_shipped, not counted twice
    over = result(results, "fulfillment.over_shipped", "shipment_lines")
    under = result(results, "fulfillment.under_shipped", "shipment_lines")
    assert (over.rows_checked, over.rows_failed, under.rows_checked, under.rows_failed) == (12, 2, 12, 3)
    (evidence,) = rows(con, "SELECT evidence FROM out_violations WHERE rule_id = 'fulfillment.under_shipped' "
                            "AND order_id = 2")[0]  # fmt: skip
    assert '"skus":[{"sku":"A","ordered":2,"shipped":1},{"sku":"B","ordered":1,"shipped":0}]' in evidence
    status = rows(con, "SELECT rule_id, order_id FROM out_violations WHERE rule_id LIKE 'status.%'")
    assert {("status.cancelled_but_shipped", 5), ("status.paid_not_shipped", 11)} <= set(status)
    assert results.held_reason is None  # fulfillment rules are warnings


def test_the_same_purchase_needs_the_same_items(con: duckdb.DuckDBPyConnection) -> None:
    t = AS_OF - timedelta(hours=2)
    insert(con, "new_orders", *[order(n, created_at=t, customer_id=c) | {"_batch_id": "orders-1"}
                                for n, c in ((30, 60), (32, 61), (34, 62))])  # fmt: skip
    insert(con, "customer_orders", *[order(n, created_at=t - timedelta(minutes=2), customer_id=c)
                                     for n, c in ((31, 60), (33, 61), (35, 62))])  # fmt: skip
    lines = [ordered(30, ("A", 1), ("B", 2)), ordered(31, ("B", 2), ("A", 1)), ordered(32, ("A", 1)),
             ordered(33, ("A", 2)), ordered(34, ("A", 1), ("A", 1)), ordered(35, ("A", 2))]  # fmt: skip
    insert(con, "order_lines", *[line for group in lines for line in group])
    results = suite(con)
    assert rows(con, "SELECT order_id, duplicate_of, evidence::JSON->>'items' FROM out_duplicates ORDER BY 1") == [
        (30, 31, "Ax1,Bx2"),
        (34, 35, "Ax2"),  # the same items split over two lines
    ]
    assert result(results, "duplicates.same_purchase").rows_failed == 2


# The cross-system checks as data: every documented check declared once per dataset, measured by one runner.
DOCUMENTED = {
    ("referential.order_missing", "payments", "warn"), ("referential.order_pending", "payments", "info"),
    ("referential.order_missing", "shipment_lines", "warn"), ("referential.order_pending", "shipment_lines", "info"),
    ("reconciliation.order_amounts", "orders", "warn"), ("reconciliation.payment_without_order", "payments", "warn"),
    ("reconciliation.finance_report_readable", "finance", "error"),
    ("reconciliation.daily_revenue", "finance", "error"),
    ("duplicates.order_id_across_batches", "orders", "info"), ("duplicates.same_purchase", "orders", "warn"),
    ("duplicates.payment_intent_two_orders", "payments", "warn"), ("duplicates.daily_rate", "orders", "error"),
    ("status.shipped_never_paid", "orders", "warn"), ("status.cancelled_but_shipped", "orders", "warn"),
    ("status.refunded_still_completed", "orders", "warn"), ("status.paid_not_shipped", "orders", "warn"),
    ("status.dispute_lost_counted", "orders", "warn"), ("fulfillment.over_shipped", "shipment_lines", "warn"),
    ("fulfillment.under_shipped", "shipment_lines", "warn"),
}  # fmt: skip


def test_every_documented_cross_system_check_is_declared_once_and_reported_once(
    con: duckdb.DuckDBPyConnection,
) -> None:
    declared = [(c.check_id, c.dataset, c.severity.value) for f in FAMILIES for c in f.checks]
    assert len(declared) == len(set(declared)) and set(declared) == DOCUMENTED
    for check in (c for f in FAMILIES for c in f.checks):
        assert read_sql(check.measure) and (check.violations is None or read_sql(check.violations))
    results = suite(con)  # an empty slice: every check is measured and passes
    reported = {(r.check_id, "finance" if r.dataset == "raw/finance" else r.dataset, r.severity.value)
                for r in results.results}  # fmt: skip
    assert reported == DOCUMENTED and len(results.results) == len(DOCUMENTED)
    assert all(r.outcome.value == "passed" and r.rows_failed == 0 for r in results.results)


def test_one_declaration_makes_a_rule_its_violations_and_its_result(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "orders", order(1), order(2, "cancelled"))
    insert(con, "payments", payment("pi_2", 2, 2500))
    insert(con, "shipment_lines", {"shipment_id": "S2", "line_no": 1, "order_id": 2, "quantity": 1})
    suite(con)  # builds the slice's derived tables (order_amounts)
    strict = Family(
        "strict",
        prepare=("consistency/create_out_violations.sql",),
        checks=(CrossCheck("status.cancelled_but_shipped", Severity.ERROR, "orders", "a cancelled order ships nothing",
                           "consistency/count_status_violations.sql",
                           violations="consistency/status.cancelled_but_shipped.sql"),),
    )  # fmt: skip
    (found,) = run_family(con, strict, PARAMS)
    assert (found.check_id, found.severity, found.rows_checked, found.rows_failed, found.outcome.value) == (
        "status.cancelled_but_shipped", Severity.ERROR, 2, 1, "failed")  # fmt: skip
    assert found.actual == "1 orders violate"
    assert SuiteResult([found]).held_reason == "status.cancelled_but_shipped: 1 orders violate"  # an error holds
    assert rows(con, "SELECT rule_id, severity, order_id FROM out_violations") == [
        ("status.cancelled_but_shipped", "error", 2)
    ]


def test_a_measure_query_must_return_exactly_one_row(con: duckdb.DuckDBPyConnection) -> None:
    insert(con, "orders", order(1, "cancelled"), order(2, "cancelled"))
    insert(con, "shipment_lines", {"shipment_id": "S1", "line_no": 1, "order_id": 1, "quantity": 1},
           {"shipment_id": "S2", "line_no": 1, "order_id": 2, "quantity": 1})  # fmt: skip
    suite(con)
    wrong = Family("wrong", (), (CrossCheck("status.x", Severity.WARN, "orders", "x",
                                            "consistency/status.cancelled_but_shipped.sql"),))  # fmt: skip
    with pytest.raises(ValueError, match=r"returned 2 rows for status\.x, not one"):
        run_family(con, wrong, PARAMS)
