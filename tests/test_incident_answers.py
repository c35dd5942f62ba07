"""Which incidents a correction answers (northstar.incidents.answers): the rule, on OPS.INCIDENTS-shaped rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from northstar.incidents import DAILY_REVENUE, answers

TZ = "UTC"


def incident(**overrides: Any) -> dict[str, Any]:
    row = {"INCIDENT_ID": "INC-20261120-aaaaaa", "SOURCE": "consistency", "CHECK_ID": DAILY_REVENUE,
           "BUSINESS_DATE": date(2026, 11, 20), "SUMMARY": "GBP 15.7771% off (finance counted refunds we have no row "
           "for)", "FIRST_BATCH_ID": "consistency-a", "LAST_BATCH_ID": "consistency-b"}  # fmt: skip
    return row | overrides


def test_an_adjustment_answers_its_days_revenue_incident_only_in_a_currency_the_incident_names() -> None:
    usd = {"date": "2026-11-20", "currency": "USD", "amount_minor": -1250}
    assert not answers(incident(), "T-1", "adjustment", usd, TZ)  # the day's incident is about GBP
    assert answers(incident(), "T-1", "adjustment", usd | {"currency": "GBP"}, TZ)
    assert answers(incident(SUMMARY="USD 0.2% off; GBP 15.7771% off"), "T-1", "adjustment", usd, TZ)
    assert not answers(incident(SUMMARY="USDT 1% off"), "T-1", "adjustment", usd, TZ)  # a whole code, not a prefix
    assert not answers(incident(), "T-1", "adjustment", usd | {"currency": "GBP", "date": "2026-11-21"}, TZ)
    assert answers(incident(), "INC-20261120-aaaaaa", "adjustment", usd, TZ)  # its ticket names it


def test_a_reprocess_answers_its_sources_incidents_by_batch_or_by_day() -> None:
    orders = incident(SOURCE="orders", CHECK_ID="duplicates.order_id", FIRST_BATCH_ID="orders-1", LAST_BATCH_ID="o-2")
    assert answers(orders, "T", "reprocess", {"source": "orders", "batch_ids": ["o-2"]}, TZ)
    day = {"source": "orders", "start": "2026-11-20T00:00:00+00:00", "end": "2026-11-21T00:00:00+00:00"}
    assert answers(orders, "T", "reprocess", day, TZ)
    assert not answers(orders, "T", "reprocess", day | {"source": "payments"}, TZ)
    assert not answers(orders, "T", "source_refresh", day | {"start": "2026-11-21T00:00:00+00:00",
                                                              "end": "2026-11-22T00:00:00+00:00"}, TZ)  # fmt: skip
