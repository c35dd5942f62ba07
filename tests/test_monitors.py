"""The monitors and the alert state, as pure functions over seeded ledger snapshots: exact readings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from northstar.monitoring.alerting import evaluate
from northstar.monitoring.monitors import (
    MONITORS,
    LedgerBatch,
    Reading,
    Snapshot,
    freshness,
    gate,
    new_reasons,
    pending_references,
    quarantine_rates,
    sla_metrics,
    volume,
    webhook_silence,
)
from northstar.settings import MonitorSettings

NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # Black Friday, 18:00 UTC
CFG = MonitorSettings()
Q = timedelta(minutes=15)


def batch(source: str, end: datetime, rows: int, quarantined: int = 0, status: str = "COMMITTED",
          cadence: timedelta = Q) -> LedgerBatch:  # fmt: skip
    start = end - cadence
    return LedgerBatch(f"{source}-{start:%Y%m%dT%H%M}", source, start, end, status, rows, quarantined, end)


def weeks(source: str, end: datetime, history: list[int], current: int) -> list[LedgerBatch]:
    """The current batch ending at `end` and the same window in each of the last len(history) weeks."""
    past = [batch(source, end - timedelta(weeks=k + 1), rows) for k, rows in enumerate(history)]
    return [*past, batch(source, end, current)]


def test_freshness_against_each_sources_sla_warning_at_75_percent() -> None:
    snap = Snapshot(NOW, last_window_end={"orders": NOW - timedelta(minutes=10),
                                          "payments": NOW - timedelta(minutes=16)})  # fmt: skip
    assert freshness(snap) == [
        Reading("freshness", "orders", 10.0, 15.0, 20.0, "ok",
                "orders data is 10 min old (last committed window ended 2026-11-27 17:50 UTC; SLA 20 min)"),
        Reading("freshness", "payments", 16.0, 15.0, 20.0, "warn",
                "payments data is 16 min old (last committed window ended 2026-11-27 17:44 UTC; SLA 20 min)"),
        Reading("freshness", "fulfillment", None, 60.0, 80.0, "page",
                "fulfillment has no committed batch: its data is not fresh at all"),
    ]  # fmt: skip


def test_webhook_silence_is_minutes_since_the_last_landing() -> None:
    r = webhook_silence(Snapshot(NOW, last_arrival=NOW - timedelta(minutes=21)), CFG)
    assert (r.key, r.value, r.warn_at, r.page_at, r.status) == ("webhook_silence:payments", 21.0, 15.0, 20.0, "page")
    assert webhook_silence(Snapshot(NOW, last_arrival=NOW - timedelta(minutes=3)), CFG).status == "ok"
    assert webhook_silence(Snapshot(NOW), CFG).status == "page"


def test_gate_held_warns_then_pages_after_an_hour_and_not_running_pages() -> None:
    committed = batch("consistency", NOW - timedelta(minutes=90), 10)
    held = [batch("consistency", NOW - timedelta(minutes=m), 10, status="HELD") for m in (75, 60, 45, 30, 15)]
    not_run, held_reading = gate(Snapshot(NOW, (committed, *held)), CFG)
    assert (not_run.status, not_run.value) == ("ok", 15.0)
    assert held_reading == Reading(
        "gate_held", "consistency", 75.0, 0.0, 60.0, "page",
        "the consistency gate has held the marts for 75 min (since batch consistency-20261127T1630)",
        held[-1].batch_id, date(2026, 11, 27),
    )  # fmt: skip
    recent = gate(Snapshot(NOW, (committed, *held[-2:])), CFG)[1]
    assert (recent.status, recent.value) == ("warn", 30.0)
    stale = gate(Snapshot(NOW, (batch("consistency", NOW - timedelta(minutes=80), 1),)), CFG)
    assert [(r.key, r.status, r.value) for r in stale] == [
        ("gate_not_run:consistency", "page", 80.0),
        ("gate_held:consistency", "ok", 0.0),
    ]


def test_volume_a_tenth_of_the_usual_rows_is_an_anomaly_with_its_band() -> None:
    (r,) = volume(Snapshot(NOW, tuple(weeks("orders", NOW, [100, 104, 98, 101], 10))), CFG)
    # median 100.5, MAD 2 -> scale max(2.9652, sqrt(100.5)=10.025, 1) = 10.025; score (10 - 100.5) / 10.025
    assert (r.key, r.status, r.value, r.expected) == ("volume:orders", "warn", 10.0, 100.5)
    assert (r.band_low, r.band_high) == (65.41, 135.59)
    assert r.detail == "10 rows, expected 65-136 (median 100.5, robust score -9.03)"


def test_a_holiday_like_spike_is_not_an_anomaly() -> None:
    # the same evening peak in every one of the last 4 weeks: this week's peak is the usual
    weekly_peak = volume(Snapshot(NOW, tuple(weeks("orders", NOW, [980, 1010, 1000, 995], 1005))), CFG)
    # one holiday week in the history does not move the median: a normal batch stays normal
    one_holiday = volume(Snapshot(NOW, tuple(weeks("orders", NOW, [100, 1000, 102, 99], 97))), CFG)
    # Black Friday itself, far above the band: a peak, not an anomaly
    black_friday = volume(Snapshot(NOW, tuple(weeks("orders", NOW, [100, 104, 98, 101], 900))), CFG)
    assert [(r.status, r.value, r.expected) for r in (*weekly_peak, *one_holiday, *black_friday)] == [
        ("ok", 1005.0, 997.5),
        ("ok", 97.0, 101.0),
        ("ok", 900.0, 100.5),
    ]
    assert black_friday[0].detail == "900 rows, above the band (median 100.5, score 79.75): a peak, not an anomaly"


def test_zero_rows_where_rows_are_expected_is_its_own_page() -> None:
    (r,) = volume(Snapshot(NOW, tuple(weeks("payments", NOW, [40, 38, 41, 39], 0))), CFG)
    assert (r.key, r.status, r.value, r.page_at, r.expected) == ("volume_zero:payments", "page", 0.0, 0.0, 39.5)
    assert r.detail == "0 rows where the same window of the last 4 weeks had a median of 39.5"
    (night,) = volume(Snapshot(NOW, tuple(weeks("payments", NOW, [0, 0, 1, 0], 0))), CFG)
    assert (night.key, night.status) == ("volume:payments", "ok")  # no rows expected, none came
    (young,) = volume(Snapshot(NOW, tuple(weeks("payments", NOW, [40, 38], 0))), CFG)
    assert (young.status, young.detail) == ("ok", "0 rows; 2 of 4 weeks of history, 3 needed: not judged")


def test_quarantine_rate_per_batch_and_per_day() -> None:
    batches = (
        batch("orders", NOW - timedelta(minutes=30), 200, 4),  # 2%: warn
        batch("orders", NOW - timedelta(minutes=15), 100, 6),  # 6%: page
        batch("orders", NOW - timedelta(hours=3), 700, 0),  # out of the lookback, in the day
    )
    readings = quarantine_rates(Snapshot(NOW, batches), CFG)
    assert [(r.key, r.value, r.status) for r in readings] == [
        ("quarantine_rate:orders", 0.02, "warn"),
        ("quarantine_rate:orders", 0.06, "page"),
        ("quarantine_rate_day:orders", 0.01, "warn"),  # 10 of 1000
    ]
    assert readings[2].detail == "1.00% of 1000 orders rows quarantined on 2026-11-27 (3 batches)"


def test_a_quarantine_reason_never_seen_before_warns() -> None:
    reasons = (
        ("QUARANTINE.ORDERS", "schema.currency_iso4217", NOW - timedelta(days=30)),
        ("QUARANTINE.ORDERS", "schema.total_negative", NOW - timedelta(hours=2)),
    )
    (r,) = new_reasons(Snapshot(NOW, reasons=reasons), CFG)
    assert (r.key, r.status) == ("new_quarantine_reason:QUARANTINE.ORDERS/schema.total_negative", "warn")


def test_pending_references_older_than_half_the_grace_period_warn() -> None:
    pending = (("payment", NOW - timedelta(hours=13)), ("payment", NOW - timedelta(hours=1)))
    readings = pending_references(Snapshot(NOW, pending=pending, grace=timedelta(hours=24)))
    assert [(r.key, r.value, r.warn_at, r.status) for r in readings] == [
        ("pending_references:payment", 13.0, 12.0, "warn"),
        ("pending_references:shipment_line", 0.0, 12.0, "ok"),
    ]


def test_duplicate_rate_and_variance_warn_at_half_their_sla_and_page_at_it() -> None:
    sla = (
        (date(2026, 11, 26), "duplicate_rate", 0.004, 0.01),
        (date(2026, 11, 27), "duplicate_rate", 0.006, 0.01),
        (date(2026, 11, 27), "reconciliation_variance", 0.0012, 0.001),
    )
    assert [(r.key, r.day, r.status) for r in sla_metrics(Snapshot(NOW, sla=sla))] == [
        ("duplicate_rate:orders", date(2026, 11, 26), "ok"),
        ("duplicate_rate:orders", date(2026, 11, 27), "warn"),
        ("reconciliation_variance:revenue", date(2026, 11, 27), "page"),
    ]


def test_one_alert_per_key_repeats_counted_reminder_after_quiet_then_resolved() -> None:
    fire = Reading("freshness", "orders", 30.0, 15.0, 20.0, "page", "orders data is 30 min old")
    alerts = evaluate({}, [fire], MONITORS, NOW, timedelta(hours=4))
    assert alerts["freshness:orders"].pending == "firing"
    sent = {k: a.__class__(**{**a.__dict__, "pending": None, "notified_at": NOW}) for k, a in alerts.items()}
    for minutes in (5, 10, 15, 20):
        sent |= evaluate(sent, [fire], MONITORS, NOW + timedelta(minutes=minutes), timedelta(hours=4))
    a = sent["freshness:orders"]
    assert (a.occurrences, a.pending, a.state) == (5, None, "firing")
    later = evaluate(sent, [fire], MONITORS, NOW + timedelta(hours=4), timedelta(hours=4))["freshness:orders"]
    assert later.pending == "reminder"
    cleared = evaluate(sent, [], MONITORS, NOW + timedelta(minutes=25), timedelta(hours=4))["freshness:orders"]
    assert (cleared.state, cleared.pending) == ("resolved", "resolved")
    assert evaluate(sent, [], ["volume"], NOW, timedelta(hours=4)) == {}  # freshness did not run: nothing clears


def test_every_alert_kind_has_a_message_and_a_runbook_that_says_the_four_things() -> None:
    from pathlib import Path

    from northstar.monitoring.messages import KINDS

    root = Path(__file__).resolve().parents[1] / "docs" / "runbooks"
    assert set(KINDS) == set(MONITORS)
    for kind in (*MONITORS, "flow_run_failed"):
        text = (root / f"{kind}.md").read_text()
        for section in ("## What it means", "## How to confirm", "## How to fix", "## When to escalate"):
            assert section in text, f"{kind}.md lacks {section}"
