"""The hypotheses as pure functions of hand-made evidence: exact weights, and `none` when nothing is off."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from northstar.rootcause.evidence import Evidence, Subject
from northstar.rootcause.verdict import classify

DAY = date(2026, 11, 20)
LOW = datetime(2026, 11, 20)


def batch(batch_id: str, source: str, start: datetime, status: str = "COMMITTED", code: str = "v1") -> dict[str, Any]:
    return {"BATCH_ID": batch_id, "SOURCE": source, "WINDOW_START": start, "WINDOW_END": start + timedelta(minutes=15),
            "STATUS": status, "REASON": None, "RAW_URI": f"file:///raw/{batch_id}", "CODE_VERSION": code,
            "LINEAGE_RUN_ID": f"run-{batch_id}", "STARTED_AT": start, "FINISHED_AT": start,
            "ROWS_PASSED": 10, "ROWS_QUARANTINED": 0}  # fmt: skip


def evidence(**fields: Any) -> Evidence:
    ev = Evidence(Subject("metric", "quarantine_rate", "quarantine_rate", DAY), LOW, LOW + timedelta(days=1), 5)
    for name, value in fields.items():
        setattr(ev, name, value)
    return ev


def test_weak_signals_on_a_consistent_day_are_none() -> None:
    # another code version on the day and a new quarantine reason, but nothing failing beyond the good days
    batches = [batch("o-good", "orders", LOW - timedelta(days=1)), batch("o-day", "orders", LOW, code="v2")]
    failures = [{"BATCH_ID": b, "CHECK_ID": "schema.status_allowed", "SEVERITY": "error", "DATASET": "orders",
                 "ROWS_FAILED": 1, "ACTUAL": "1 row"} for b in ("o-good", "o-day")]  # fmt: skip
    verdict = classify(evidence(batches=batches, failures=failures))
    assert verdict.classification == "none" and not verdict.symptom.inconsistent
    assert {f.hypothesis: f.score for f in verdict.ranked}["etl_bug"] == 0.4  # noted, but no cause invented


def test_a_replay_with_identical_rows_speaks_against_an_etl_bug() -> None:
    batches = [batch("o-good", "orders", LOW - timedelta(days=1)), batch("o-day", "orders", LOW, "HELD", "v2")]
    same = [{"batch_id": "o-day", "table": "CORE.ORDERS", "added": 0, "removed": 0, "changed": 0}]
    differs = [{"batch_id": "o-day", "table": "CORE.ORDERS", "added": 2, "removed": 0, "changed": 1}]
    scores = [{f.hypothesis: f.score for f in classify(evidence(batches=batches, replay=r)).ranked}["etl_bug"]
              for r in ([], same, differs)]  # fmt: skip
    assert scores == [0.4, 0.1, 0.95]


def test_a_status_mix_and_a_null_rate_that_moved_against_the_trailing_week_are_source_change_evidence() -> None:
    day, week = LOW.date(), (LOW - timedelta(days=3)).date()
    distribution = [{"DAY": week, "STATUS": "paid", "CURRENCY": "USD", "N": 9, "AMOUNT_P50": 2500},
                    {"DAY": week, "STATUS": "pending", "CURRENCY": "USD", "N": 1, "AMOUNT_P50": 2500},
                    {"DAY": day, "STATUS": "paid", "CURRENCY": "USD", "N": 2, "AMOUNT_P50": 2500},
                    {"DAY": day, "STATUS": "pending", "CURRENCY": "USD", "N": 2, "AMOUNT_P50": 2500}]  # fmt: skip
    batches = [batch("o-good", "orders", LOW - timedelta(days=1)), batch("o-day", "orders", LOW, "HELD")]
    nulls = [{"BATCH_ID": "o-good", "DATASET": "orders", "COLUMN_NAME": "customer_id", "ROWS_CHECKED": 40,
              "ROWS_FAILED": 1},
             {"BATCH_ID": "o-day", "DATASET": "orders", "COLUMN_NAME": "customer_id", "ROWS_CHECKED": 10,
              "ROWS_FAILED": 3}]  # fmt: skip
    verdict = classify(evidence(batches=batches, distribution=distribution, null_rates=nulls))
    found = {i.claim: i.weight for f in verdict.ranked for i in f.evidence if f.hypothesis == "source_change"}
    assert found == {
        "status mix shifted: paid 50% (trailing week 90%), pending 50% (trailing week 10%) of 4 orders on the day "
        "against 10 over the trailing week": 0.15,
        "null rate of orders.customer_id jumped to 30.0% (3 of 10 rows) in the affected batches from 2.5% (1 of 40) "
        "over the trailing week": 0.25,
    }
    assert verdict.classification == "source_change"  # the held batch is the symptom


def test_one_order_id_taken_by_two_batches_is_an_etl_bug_not_a_source_change() -> None:
    # CORE holds order 5 under two batches (the keyed merge kept both): the pair query's joins give four rows
    batches = [batch("o-a", "orders", LOW), batch("o-b", "orders", LOW + timedelta(minutes=15))]
    sla = [{"BATCH_ID": "gate-1", "METRIC": "duplicate_rate", "VALUE": 0.5, "THRESHOLD": 0.001, "WITHIN_SLA": False}]
    rows = [{"RULE_ID": "duplicates.same_purchase", "ORDER_ID": 5, "DUPLICATE_OF": 5, "BATCH_ID": "gate-1",
             "ORDER_BATCH_ID": a, "DUPLICATE_OF_BATCH_ID": b, "CUSTOMER_ID": 42, "CURRENCY": "USD",
             "TOTAL_AMOUNT_MINOR": 2500, "CREATED_AT": LOW, "DUPLICATE_OF_CREATED_AT": LOW}
            for a in ("o-a", "o-b") for b in ("o-a", "o-b")]  # fmt: skip
    ev = evidence(batches=batches, sla=sla, duplicates=rows, duplicates_before={"DUPLICATES": 0, "ORDERS": 40})
    ev.subject = Subject("metric", "duplicate_rate", "duplicate_rate", DAY)
    verdict = classify(ev)
    scores = {f.hypothesis: f.score for f in verdict.ranked}
    assert (verdict.classification, scores["source_change"], scores["etl_bug"]) == ("etl_bug", 0.0, 0.6)
    (item,) = verdict.ranked[0].evidence
    assert item.claim == (
        "1 order id(s) taken by two batches and held twice in CORE, counted as duplicates: order 5 under o-a, o-b "
        "(the keyed merge should have kept one row: an idempotency fault of the load, not two purchases)"
    )
    assert item.batch_ids == ("o-a", "o-b")


def test_an_inconsistent_day_without_evidence_is_never_none() -> None:
    # a held batch (the symptom) and nothing that supports any hypothesis
    verdict = classify(evidence(batches=[batch("o-day", "orders", LOW, "HELD")]))
    assert verdict.symptom.inconsistent
    assert (verdict.classification, verdict.confidence) == ("source_change", 0.0)
    assert verdict.next_step == (
        f"unexplained: quarantine_rate on {DAY} is inconsistent but no hypothesis has any evidence (source_change is "
        f"only the first of the four, confidence 0); read `northstar checks --date {DAY}` and the batches listed"
    )
