"""The monitors: pure functions from a snapshot of the ledger to readings (no I/O, testable on seeded rows).

Each reading says what was measured (VALUE), against what (WARN_AT, PAGE_AT) and how it stands (ok, warn,
page); a reading that is not ok fires the alert of its key, `<monitor>:<subject>`. Times are UTC datetimes,
ages minutes or hours as named, rates fractions (0.01 is 1%), row counts whole numbers.

- freshness: now minus the end of a source's last committed window against its SLA (orders and payments 20
  minutes, fulfillment 80: README "Guarantees"), warning at 75% of it; the webhook receiver's last landing
  against NORTHSTAR_WEBHOOK_SILENCE_MINUTES the same way; the consistency gate held, or not run, for longer
  than NORTHSTAR_GATE_HELD_MINUTES (held at all is a warning).
- volume: each committed batch's rows against the same window of the week over the last 4 weeks, a robust
  score (x - median) / scale with scale = max(1.4826 * MAD, sqrt(median), 1): the MAD ignores one odd week,
  and the square root keeps a perfectly regular history (MAD 0) from calling every small wobble an anomaly.
  Only a drop is an anomaly: a peak (Black Friday) is more business, and the quality monitors judge its rows.
  Zero rows where the history expects some is its own alert (volume_zero, a page).
- quality: the quarantine rate per batch and per business day, a quarantine reason first seen recently,
  pending references older than half the grace period, and the duplicate rate and reconciliation variance
  of each reconciled day against half their SLA (warn) and the SLA (page).
"""

from __future__ import annotations

import math
import statistics
from datetime import timedelta

from northstar.monitoring.readings import (
    SEVERITY_RANK,
    SOURCES,
    LedgerBatch,
    Reading,
    Snapshot,
    business_day,
    grade,
    minutes_of,
    recent,
    worst,
)
from northstar.settings import MonitorSettings

__all__ = ["SEVERITY_RANK", "SOURCES", "LedgerBatch", "Reading", "Snapshot", "grade", "worst"]

FRESHNESS_SLA_MINUTES = {"orders": 20.0, "payments": 20.0, "fulfillment": 80.0}
WARN_FRACTION = 0.75  # freshness warns at 75% of its SLA
SLA_WARN_FRACTION = 0.5  # duplicate rate and variance warn at 50% of theirs
HISTORY_WEEKS = 4
MIN_HISTORY = 3  # weeks of history a volume judgement needs
MAD_TO_SIGMA = 1.4826  # MAD * 1.4826 estimates a normal's standard deviation


def freshness(snap: Snapshot) -> list[Reading]:
    """Minutes since each source's last committed window ended, against its SLA (a source never committed pages)."""
    readings = []
    for source in SOURCES:
        sla = FRESHNESS_SLA_MINUTES[source]
        end = snap.last_window_end.get(source)
        if end is None:
            readings.append(
                Reading(
                    "freshness",
                    source,
                    None,
                    sla * WARN_FRACTION,
                    sla,
                    "page",
                    f"{source} has no committed batch: its data is not fresh at all",
                )
            )
            continue
        age = minutes_of(snap.now - end)
        status = grade(age, sla * WARN_FRACTION, sla)
        ended = f"{end:%Y-%m-%d %H:%M}"
        detail = f"{source} data is {age:g} min old (last committed window ended {ended} UTC; SLA {sla:g} min)"
        readings.append(Reading("freshness", source, age, sla * WARN_FRACTION, sla, status, detail))
    return readings


def webhook_silence(snap: Snapshot, cfg: MonitorSettings) -> Reading:
    """Minutes since the webhook receiver last landed an event, against NORTHSTAR_WEBHOOK_SILENCE_MINUTES."""
    limit = cfg.webhook_silence.total_seconds() / 60.0
    if snap.last_arrival is None:
        return Reading(
            "webhook_silence",
            "payments",
            None,
            limit * WARN_FRACTION,
            limit,
            "page",
            "the webhook receiver landed nothing today or yesterday",
        )
    age = minutes_of(snap.now - snap.last_arrival)
    detail = f"the webhook receiver last landed an event {age:g} min ago (alert after {limit:g} min)"
    return Reading(
        "webhook_silence",
        "payments",
        age,
        limit * WARN_FRACTION,
        limit,
        grade(age, limit * WARN_FRACTION, limit),
        detail,
    )


def gate(snap: Snapshot, cfg: MonitorSettings) -> list[Reading]:
    """The consistency gate: held (a warning, a page after NORTHSTAR_GATE_HELD_MINUTES), or not run for that long."""
    limit = cfg.gate_held.total_seconds() / 60.0
    runs = sorted((b for b in snap.batches if b.source == "consistency"), key=lambda b: b.window_end)
    last = runs[-1] if runs else None
    last_at = (last.finished_at or last.window_end) if last else None
    idle = minutes_of(snap.now - last_at) if last_at else None
    not_run = Reading(
        "gate_not_run",
        "consistency",
        idle,
        None,
        limit,
        "page" if idle is None or idle >= limit else "ok",
        f"the consistency check last ran {idle:g} min ago (alert after {limit:g} min)"
        if idle is not None
        else "the consistency check has not run in 4 weeks",
        last.batch_id if last else None,
    )
    if last is None or last.status != "HELD":
        return [not_run, Reading("gate_held", "consistency", 0.0, 0.0, limit, "ok", "the gate is not held")]
    held = [b for b in runs if b.status == "HELD"]
    committed = [b for b in runs if b.status == "COMMITTED"]
    since_batch = next(b for b in held if not committed or b.window_end > committed[-1].window_end)
    since = since_batch.finished_at or since_batch.window_end
    minutes = minutes_of(snap.now - since)
    status = "page" if minutes >= limit else "warn"
    detail = f"the consistency gate has held the marts for {minutes:g} min (since batch {since_batch.batch_id})"
    day = business_day(last.window_end, snap.business_tz)
    return [not_run, Reading("gate_held", "consistency", minutes, 0.0, limit, status, detail, last.batch_id, day)]


def marts_held(snap: Snapshot) -> bool:
    """Whether the newest consistency batch is HELD (the marts keep their previous state)."""
    runs = [b for b in snap.batches if b.source == "consistency"]
    return bool(runs) and max(runs, key=lambda b: b.window_end).status == "HELD"


def volume(snap: Snapshot, cfg: MonitorSettings) -> list[Reading]:
    """Each committed source batch of the lookback against the same window of the week over the last 4 weeks."""
    index = {(b.source, b.window_start): b for b in snap.batches if b.status == "COMMITTED"}
    readings = []
    for b in recent(snap, cfg):
        history = [
            index[(b.source, b.window_start - timedelta(weeks=k))].rows_extracted
            for k in range(1, HISTORY_WEEKS + 1)
            if (b.source, b.window_start - timedelta(weeks=k)) in index
        ]
        readings.append(volume_reading(b, history, cfg.volume_score))
    return readings


def volume_reading(b: LedgerBatch, history: list[int], threshold: float) -> Reading:
    """One batch's rows against its history (rows of the same window in earlier weeks); see the module's doc."""
    rows, day = b.rows_extracted, b.window_start.date()
    if len(history) < MIN_HISTORY:
        detail = f"{rows} rows; {len(history)} of {HISTORY_WEEKS} weeks of history, {MIN_HISTORY} needed: not judged"
        return Reading("volume", b.source, float(rows), None, None, "ok", detail, b.batch_id, day)
    median = float(statistics.median(history))
    mad = float(statistics.median(abs(h - median) for h in history))
    scale = max(MAD_TO_SIGMA * mad, math.sqrt(median), 1.0)
    score = round((rows - median) / scale, 2)
    low, high = max(median - threshold * scale, 0.0), median + threshold * scale
    band = {"expected": median, "band_low": round(low, 2), "band_high": round(high, 2)}
    if rows == 0 and median > 0:
        detail = f"0 rows where the same window of the last {len(history)} weeks had a median of {median:g}"
        return Reading("volume_zero", b.source, 0.0, None, 0.0, "page", detail, b.batch_id, day, **band)
    status = "warn" if score <= -threshold else "ok"
    if status == "warn":
        detail = f"{rows} rows, expected {low:.0f}-{high:.0f} (median {median:g}, robust score {score:g})"
    elif score >= threshold:
        detail = f"{rows} rows, above the band (median {median:g}, score {score:g}): a peak, not an anomaly"
    else:
        detail = f"{rows} rows within the band (median {median:g}, score {score:g})"
    return Reading("volume", b.source, float(rows), round(low, 2), None, status, detail, b.batch_id, day, **band)


def quarantine_rates(snap: Snapshot, cfg: MonitorSettings) -> list[Reading]:
    """The quarantine rate of each committed source batch of the lookback, and of each source's business day."""
    warn, page = cfg.quarantine_warn, cfg.quarantine_page
    readings = []
    for b in recent(snap, cfg):
        if b.rows_extracted:
            rate = round(b.rows_quarantined / b.rows_extracted, 6)
            detail = f"{b.rows_quarantined} of {b.rows_extracted} rows quarantined ({rate:.2%}) in batch {b.batch_id}"
            readings.append(
                Reading(
                    "quarantine_rate",
                    b.source,
                    rate,
                    warn,
                    page,
                    grade(rate, warn, page),
                    detail,
                    b.batch_id,
                    b.window_start.date(),
                )
            )
    today = business_day(snap.now, snap.business_tz)
    for source in SOURCES:
        day = [
            b
            for b in snap.batches
            if b.source == source
            and b.status == "COMMITTED"
            and business_day(b.window_start, snap.business_tz) == today
        ]
        extracted = sum(b.rows_extracted for b in day)
        if extracted:
            rate = round(sum(b.rows_quarantined for b in day) / extracted, 6)
            detail = f"{rate:.2%} of {extracted} {source} rows quarantined on {today} ({len(day)} batches)"
            readings.append(
                Reading("quarantine_rate_day", source, rate, warn, page, grade(rate, warn, page), detail, day=today)
            )
    return readings


def new_reasons(snap: Snapshot, cfg: MonitorSettings) -> list[Reading]:
    """A quarantine reason first seen within NORTHSTAR_NEW_REASON_HOURS: a fault never met before (warn)."""
    since = snap.now - cfg.new_reason
    return [
        Reading(
            "new_quarantine_reason",
            f"{table}/{reason}",
            None,
            None,
            None,
            "warn",
            f"{table} quarantined rows for {reason!r} for the first time at {first:%Y-%m-%d %H:%M} UTC",
            day=first.date(),
        )
        for table, reason, first in snap.reasons
        if first >= since
    ]


def pending_references(snap: Snapshot) -> list[Reading]:
    """The oldest reference of each kind still waiting for its order, in hours, against half the grace period."""
    grace = snap.grace.total_seconds() / 3600.0
    readings = []
    for kind in ("payment", "shipment_line"):
        ages = [(snap.now - since).total_seconds() / 3600.0 for k, since in snap.pending if k == kind]
        oldest = round(max(ages), 2) if ages else 0.0
        detail = f"{len(ages)} {kind} references wait for their order, the oldest {oldest:g} h (grace {grace:g} h)"
        readings.append(
            Reading("pending_references", kind, oldest, grace / 2, None, grade(oldest, grace / 2, None), detail)
        )
    return readings


def sla_metrics(snap: Snapshot) -> list[Reading]:
    """Each reconciled day's duplicate rate and reconciliation variance: warn at half the SLA, page at it."""
    subjects = {"duplicate_rate": "orders", "reconciliation_variance": "revenue"}
    readings = []
    for day, metric, value, threshold in sorted(snap.sla):
        if metric in subjects:
            status = grade(value, threshold * SLA_WARN_FRACTION, threshold)
            detail = f"{metric} of {day} is {value:.4%} (SLA {threshold:.4%}, warn at {SLA_WARN_FRACTION:.0%} of it)"
            readings.append(
                Reading(
                    metric, subjects[metric], value, threshold * SLA_WARN_FRACTION, threshold, status, detail, day=day
                )
            )
    return readings


def run_monitors(snap: Snapshot, cfg: MonitorSettings) -> list[Reading]:
    """Every monitor over one snapshot, in a fixed order."""
    return [
        *freshness(snap),
        webhook_silence(snap, cfg),
        *gate(snap, cfg),
        *volume(snap, cfg),
        *quarantine_rates(snap, cfg),
        *new_reasons(snap, cfg),
        *pending_references(snap),
        *sla_metrics(snap),
    ]


MONITORS = (
    "freshness",
    "webhook_silence",
    "gate_not_run",
    "gate_held",
    "volume",
    "volume_zero",
    "quarantine_rate",
    "quarantine_rate_day",
    "new_quarantine_reason",
    "pending_references",
    "duplicate_rate",
    "reconciliation_variance",
)
