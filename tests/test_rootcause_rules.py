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
