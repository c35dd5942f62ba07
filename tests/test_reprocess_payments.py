"""reprocess --source payments: new versions replayed from the landed Stripe events, objects rebuilt over all their
landed events, so a later window's newer state stays and an earlier state comes back when a newer one is rejected."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import flows.payments_microbatch as payments_flow
import validators.stripe as stripe_checks
from cli.main import main
from flows.consistency import consistency_check
from flows.reprocess import ReprocessError, reprocess
from flows.reprocess_gate import gate_replayed
from northstar.batches import Window, batch_id
from northstar.landing import landing_store
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests import stripe_payloads as sp
from tests.consistency_seed import drop_finance
from tests.helpers import table_hashes
from tests.test_payments_flow import land
from validators.rules import in_range

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
T0 = datetime.fromtimestamp(sp.T0, UTC)
W0 = Window(T0, T0 + timedelta(minutes=15))
W1 = Window(T0 + timedelta(minutes=15), T0 + timedelta(minutes=30))
BASE, LATER = batch_id("payments", W0), batch_id("payments", W1)
PUBLISHED = (
    "RAW.STRIPE_EVENTS", "CORE.PAYMENTS", "CORE.REFUNDS", "CORE.DISPUTES", "CORE.DISPUTE_STATUS_HISTORY",
    "CORE.CHARGE_REFUNDED_AMOUNTS", "QUARANTINE.STRIPE_EVENTS", "OPS.QUARANTINE_SIGHTINGS", "OPS.LOAD_BATCHES",
)  # fmt: skip
PI1, PI2 = sp.ids(1)["pi"], sp.ids(2)["pi"]


def run(window: Window) -> str:
    return payments_flow.payments_microbatch(window.start.isoformat(), window.end.isoformat()).status


def seed_and_run() -> None:
    """Window 0: payment 1 succeeded (2500), payment 2 succeeded (5000). Window 1: payment 1's charge refunded 700
    (newer), payment 2 processing for 2000 (older, delivered late: the published state stays 'succeeded')."""
    land(0, sp.for_type("payment_intent.succeeded", 1, created=sp.T0 + 60))
    land(0, sp.for_type("payment_intent.succeeded", 2, created=sp.T0 + 60, amount=5000))
    assert run(W0) == "COMMITTED"
    land(1, sp.for_type("charge.refunded", 1, created=sp.T0 + 90, refunded=700))
    land(1, sp.for_type("payment_intent.processing", 2, created=sp.T0 + 30, amount=2000))
    assert run(W1) == "COMMITTED"


def amounts_at_most_3000(monkeypatch: pytest.MonkeyPatch) -> None:
    """'New code': an amount above 3000 minor units is rejected."""
    checks = (*payments_flow.STRIPE_CHECKS, in_range("schema.amount_at_most_3000", "amount", max=3000))
    monkeypatch.setattr(payments_flow, "STRIPE_CHECKS", checks)


def payments() -> dict[str, tuple[str, int, int, str]]:
    with open_warehouse(load_settings()) as wh:
        rows = wh.query("SELECT PAYMENT_INTENT_ID, STATUS, AMOUNT, AMOUNT_REFUNDED, _BATCH_ID FROM CORE.PAYMENTS")
    return {
        r["PAYMENT_INTENT_ID"]: (r["STATUS"], int(r["AMOUNT"]), int(r["AMOUNT_REFUNDED"] or 0), r["_BATCH_ID"])
        for r in rows
    }


def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params)


def hashes() -> dict[str, list[str]]:
    with open_warehouse(load_settings()) as wh:
        return table_hashes(wh, PUBLISHED)


def test_unchanged_code_is_a_no_op_and_a_check_change_rebuilds_exactly_its_objects(
    pipeline_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    seed_and_run()
    settings = load_settings()
    assert {k: v[:3] for k, v in payments().items()} == {PI1: ("succeeded", 2500, 700), PI2: ("succeeded", 5000, 0)}
    before = hashes()
    same = reprocess(settings, "payments", batch_ids=[BASE], reason="no change")
    assert [(b.status, b.batch_id) for b in same.batches] == [("UNCHANGED", BASE + "-v2")]
    assert [d.total for d in same.batches[0].diffs] == [0, 0, 0, 0]
    assert hashes() == before

    amounts_at_most_3000(monkeypatch)
    dry = reprocess(settings, "payments", batch_ids=[BASE], reason="cap", dry_run=True)
    assert dry.batches[0].status == "DRY_RUN" and hashes() == before
    report = reprocess(settings, "payments", start=W0.start.isoformat(), end=W0.end.isoformat(), reason="cap 3000")
    (replayed,) = report.batches
    assert (replayed.status, replayed.superseded, report.new_batch_ids) == ("COMMITTED", BASE, [BASE + "-v2"])
    diffs = {d.table: (d.added, d.changed, d.removed, d.sample) for d in replayed.diffs}
    assert diffs["CORE.PAYMENTS"] == (0, 1, 0, {"changed": [PI2]})
    assert diffs["QUARANTINE.STRIPE_EVENTS"][:3] == (1, 0, 0)
    assert diffs["CORE.REFUNDS"][:3] == diffs["CORE.DISPUTES"][:3] == (0, 0, 0)
    assert payments() == {
        PI1: ("succeeded", 2500, 700, BASE + "-v2"),  # window 1's newer charge state is still the state
        PI2: ("processing", 2000, 0, BASE + "-v2"),  # its 5000 'succeeded' rejected: window 1's older state shows
    }
    quarantined = query("SELECT EVENT_TYPE, REASONS FROM QUARANTINE.STRIPE_EVENTS")
    assert [(q["EVENT_TYPE"], "schema.amount_at_most_3000" in q["REASONS"]) for q in quarantined] == [
        ("payment_intent.succeeded", True)
    ]
    history = query("SELECT PAYMENT_INTENT_ID, STATUS, _SUPERSEDED_BY FROM CORE.PAYMENTS_HISTORY ORDER BY 1")
    assert [(h["PAYMENT_INTENT_ID"], h["STATUS"], h["_SUPERSEDED_BY"]) for h in history] == sorted(
        [(PI1, "succeeded", BASE + "-v2"), (PI2, "succeeded", BASE + "-v2")]
    )
    ledger = query("SELECT STATUS, SUPERSEDES FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s", {"b": BASE + "-v2"})
    assert ledger == [{"STATUS": "COMMITTED", "SUPERSEDES": BASE}]

    after = hashes()
    again = reprocess(settings, "payments", batch_ids=[BASE + "-v2"], reason="same code again")
    assert [(b.status, b.superseded) for b in again.batches] == [("UNCHANGED", BASE + "-v2")]
    assert hashes() == after


def test_a_refund_listed_only_inside_a_2019_charge_leaves_core_when_its_charge_is_rejected(
    pipeline_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 2019-era charge.refunded event lists its refunds (refunds.data) and no refund.* event ever arrives: the
    refund row is the charge event's alone, so a replay whose checks reject that event removes it too."""
    pipeline_env()
    land(0, sp.for_type("charge.refunded", 1, api_version=sp.API_2019, amount=5000, created=sp.T0 + 60, refunded=700))
    assert run(W0) == "COMMITTED"
    refund_id = sp.ids(1, sp.API_2019)["re"]
    listed = "SELECT REFUND_ID, AMOUNT, _BATCH_ID FROM CORE.REFUNDS"
    assert query(listed) == [{"REFUND_ID": refund_id, "AMOUNT": 700, "_BATCH_ID": BASE}]

    amounts_at_most_3000(monkeypatch)  # the charge (5000) is rejected now
    report = reprocess(load_settings(), "payments", batch_ids=[BASE], reason="cap 3000")
    (replayed,) = report.batches
    assert replayed.status == "COMMITTED"
    diffs = {d.table: (d.added, d.changed, d.removed, d.sample) for d in replayed.diffs}
    assert diffs["CORE.REFUNDS"] == (0, 0, 1, {"removed": [refund_id]})
    assert query(listed) == []
    history = query("SELECT REFUND_ID, _SUPERSEDED_BY FROM CORE.REFUNDS_HISTORY")
    assert history == [{"REFUND_ID": refund_id, "_SUPERSEDED_BY": BASE + "-v2"}]


def test_a_held_batch_is_replayed_and_bad_input_changes_nothing(
    pipeline_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    land(0, sp.for_type("payment_intent.succeeded", 1, created=sp.T0 + 60))
    columns = {**stripe_checks.STRIPE_EVENTS.columns, "livemode_flag": frozenset({"BOOLEAN"})}
    contract = replace(stripe_checks.STRIPE_EVENTS, columns=columns)
    with monkeypatch.context() as patched:  # the code of the day wants a column the events do not give: held
        patched.setattr(stripe_checks, "STRIPE_EVENTS", contract)
        patched.setattr(payments_flow, "STRIPE_EVENTS", contract)
        assert run(W0) == "HELD"
    settings = load_settings()
    assert payments() == {}
    report = reprocess(settings, "payments", batch_ids=[BASE], reason="contract fixed")
    assert [(b.status, b.superseded, b.batch_id) for b in report.batches] == [("COMMITTED", BASE, BASE + "-v2")]
    assert payments() == {PI1: ("succeeded", 2500, 0, BASE + "-v2")}

    before = hashes()
    with pytest.raises(ReprocessError, match="unknown batch 'payments-nope'"):
        reprocess(settings, "payments", batch_ids=["payments-nope"], reason="bad")
    (event_file,) = (settings.landing_dir / "raw" / "stripe").glob("dt=*/evt_*.json")
    event_file.unlink()  # past the raw retention: the manifest is there, the event it pinned is not
    with pytest.raises(ReprocessError, match="is gone"):
        reprocess(settings, "payments", batch_ids=[BASE], reason="raw gone")
    assert hashes() == before
    assert query("SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES") == [{"N": 0}]


MARTS = ("MARTS.DAILY_REVENUE", "MARTS.ORDER_PAYMENTS")


def marts() -> dict[str, list[str]]:
    with open_warehouse(load_settings()) as wh:
        return table_hashes(wh, MARTS)


def test_the_marts_follow_a_reprocess_through_the_consistency_gate_and_a_held_gate_keeps_them(
    pipeline_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed_and_run()
    settings = load_settings()
    scheduled = consistency_check(W1.end.isoformat(), (W1.end + timedelta(minutes=15)).isoformat())
    assert scheduled.status == "COMMITTED"
    published = marts()
    captured = "SELECT SUM(CAPTURED_MINOR) AS C FROM MARTS.DAILY_REVENUE"
    assert query(captured) == [{"C": 7500}]  # payments 1 and 2 succeeded: 2500 + 5000

    original = payments_flow.STRIPE_CHECKS
    amounts_at_most_3000(monkeypatch)
    report = reprocess(settings, "payments", batch_ids=[BASE], reason="cap 3000")
    (gate,) = gate_replayed(settings, report)
    assert (gate.batch_id, gate.status, gate.days) == (f"consistency-{report.reprocess_id}", "COMMITTED", (T0.date(),))
    assert "passed" in gate.message and "marts refreshed" in gate.message
    checked = query("SELECT SOURCE_BATCH_ID FROM OPS.CONSISTENCY_INPUTS WHERE BATCH_ID = %(b)s", {"b": gate.batch_id})
    assert [r["SOURCE_BATCH_ID"] for r in checked] == [BASE + "-v2"]
    assert marts() != published and query(captured) == [{"C": 2500}]  # payment 2 is 'processing' now
    refreshed = marts()

    # the cap is withdrawn: v3 publishes payment 2 as captured again, but finance's report for the day is broken
    # now (amounts not in minor units), so the gate holds and the marts stay as the last passed gate left them
    monkeypatch.setattr(payments_flow, "STRIPE_CHECKS", original)
    store = landing_store(settings)
    bad = b"business_date,currency,captured_minor,refunded_minor,net_revenue_minor\n2026-11-20,USD,12.50,0,12.50\n"
    assert store.put_if_absent(f"raw/finance/dt={T0.date()}/report.csv", bad)
    again = reprocess(settings, "payments", batch_ids=[BASE], reason="cap withdrawn")
    assert again.new_batch_ids == [BASE + "-v3"]
    (held,) = gate_replayed(settings, again)
    assert held.status == "HELD" and "finance_report_readable" in (held.reason or "")
    assert "the marts keep their previous state" in held.message
    assert marts() == refreshed

    # finance resends the day's report: `reprocess --source consistency` runs the checks and gate again for it
    drop_finance(store, T0.date(), {"USD": (7500, 700)}, name="report-resent.csv")
    day = ["--start", W0.start.isoformat(), "--end", (W0.start + timedelta(days=1)).isoformat()]
    out = io.StringIO()
    assert main(["reprocess", "--source", "consistency", *day, "--reason", "finance resent"], out=out) == 0
    assert "passed for 2026-11-20: marts refreshed" in out.getvalue()
    assert query(captured) == [{"C": 7500}]  # v3's payment 2 captured again, now through a passed gate
    (entry,) = query("SELECT SUBJECT, DETAILS FROM OPS.AUDIT_LOG WHERE KIND = 'reprocess' AND SUBJECT LIKE 'rc-%'")
    details = json.loads(entry["DETAILS"])
    assert (details["source"], details["reason"], details["start"]) == ("consistency", "finance resent", day[1])
    assert details["code_version"] == settings.code_version
    runs = details["gate_runs"]  # each gate run: its batch (`consistency-rc-...`), its days and what it decided
    assert runs and all(r["batch_id"].startswith(f"consistency-{entry['SUBJECT']}") for r in runs)
    assert "2026-11-20" in [d for r in runs for d in r["days"]] and {r["status"] for r in runs} == {"COMMITTED"}
    wrong = ["reprocess", "--source", "consistency", "--batch", BASE, "--reason", "r"]
    assert main(wrong, out=io.StringIO()) == 2
