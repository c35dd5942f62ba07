"""`northstar investigate` on the metrics beyond revenue, on real runs (the flows, fakesnow, DuckDB, PostgreSQL): a
duplicate rate breach the source made (a source change, with its pairs and the trailing week) and a freshness breach
with their exact values, a finance report that landed after the gate ran, and a
column's null rate jumping against its trailing week (a source change whose next step releases reviewed rows)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from cli.main import main
from flows.consistency import consistency_check
from northstar.batches import utc_text
from northstar.landing import landing_store
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.consistency_seed import SourceBatch, commit, drop_finance, order_row, payment_row, window
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
DAY = date(2026, 11, 20)
INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def seed(batch: SourceBatch) -> None:
    with open_warehouse(load_settings()) as wh:
        commit(wh, batch)


def investigate(*argv: str) -> dict[str, Any]:
    out = io.StringIO()
    code = main(["investigate", *argv, "--json"], out)
    report = json.loads(out.getvalue())
    assert code == (0 if report["classification"] == "none" else 1)
    return dict(report)


def claims(report: dict[str, Any], hypothesis: str) -> list[str]:
    return [e["claim"] for e in report["evidence"] if e["hypothesis"] == hypothesis]


def test_a_duplicate_rate_breach_from_the_source_is_a_source_change_with_its_pairs_and_the_trailing_week(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    week = T0 - timedelta(days=3)  # the trailing week: four orders of four customers, no duplicate
    earlier = [order_row(10 + i, week - timedelta(minutes=i), customer_id=20 + i) for i in range(4)]
    seed(SourceBatch("orders", "orders-0", week, orders=earlier))
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=5), orders=[
        order_row(1, T0 + timedelta(minutes=1)), order_row(2, T0 + timedelta(minutes=2)),  # one purchase, twice
        order_row(3, T0 + timedelta(minutes=3), total=4000, customer_id=7),
        order_row(4, T0 + timedelta(minutes=4), total=1000, customer_id=8)]))  # fmt: skip
    gate = consistency_check(**window(0))
    assert gate.status == "HELD" and "duplicates.daily_rate" in (gate.reason or "")

    report = investigate("--metric", "duplicate_rate", "--date", str(DAY))
    assert claims(report, "symptom") == [
        f"1 duplicate_rate measurement(s) of {DAY} outside the SLA: duplicate_rate 0.25 against 0.001 "
        f"({gate.batch_id})",
        f"1 duplicate order pair(s) of {DAY}: order 2 duplicates 1 (duplicates.same_purchase)",
    ]
    assert claims(report, "source_change") == [
        "the source created 1 purchase(s) twice, each as two order ids it published once: order 2 duplicates 1 "
        "(duplicates.same_purchase: customer 42, USD 25.00, created 60 s apart; published by orders-1 and "
        "orders-1)",
        f"duplicate rate shifted: 25.00% on {DAY} (1 duplicate order(s), measured by {gate.batch_id}) against 0.00% "
        "over the trailing 7 days (0 of 4 orders)",
    ]
    pair = next(e for e in report["evidence"] if e["claim"].startswith("the source created"))
    assert pair["batch_ids"] == ["orders-1"] and pair["query"] == "sql/rootcause/select_duplicate_candidates_day.sql"
    assert claims(report, "etl_bug") == []  # two order ids each published once: not our load taking one twice
    assert (report["classification"], report["confidence"]) == ("source_change", 0.65)
    refresh = (
        "northstar corrections request --kind source_refresh --source orders --start 2026-11-20T11:50:00+00:00 "
        "--end 2026-11-20T12:05:00+00:00 --reason 'source_change on 2026-11-20' --ticket"
    )
    assert report["next_step"] == (
        "confirm with the shop that order(s) 2 repeat a purchase already made and have it cancel them at the source "
        "(the marts count a confirmed duplicate once; a cancellation that moves updated_at is published by the next "
        "orders batch, a delete is marked by `northstar reconcile-source orders`); then re-extract the window that "
        f"published them: {refresh} TICKET"
    )

    # the incident the held gate opened is investigated as the same breach, its id as the ticket
    with open_warehouse(load_settings()) as wh:
        (incident,) = wh.query("SELECT INCIDENT_ID FROM OPS.INCIDENTS WHERE CHECK_ID = 'duplicates.daily_rate'")
    by_incident = investigate("--incident", incident["INCIDENT_ID"])
    assert by_incident["classification"] == "source_change"
    assert by_incident["next_step"].endswith(f"{refresh} {incident['INCIDENT_ID']}")

    by_order = investigate("--order", "2")  # the duplicate purchase: named with the order it repeats, never "none"
    assert f"order 2 duplicates order 1 (duplicates.same_purchase, found by {gate.batch_id})" in claims(
        by_order, "symptom"
    )
    assert by_order["classification"] == "source_change"
    assert by_order["next_step"].startswith("confirm with the shop that order(s) 2 repeat a purchase")
    assert "order 1 is duplicated by order 2" in " ".join(claims(investigate("--order", "1"), "symptom"))


def test_a_freshness_breach_names_the_stale_source_and_the_window_to_run(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed(SourceBatch("orders", "orders-1", T0, orders=[order_row(1, T0 - timedelta(minutes=5))]))
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=40),
                     payments=[payment_row("pi_1", 1, 2500, T0 + timedelta(minutes=30))]))  # fmt: skip
    gate = consistency_check(**window(30))  # as of 12:45: orders last ended at 12:00, payments at 12:40

    report = investigate("--metric", "freshness", "--date", str(DAY))
    assert claims(report, "symptom") == [
        f"1 freshness measurement(s) of {DAY} outside the SLA: freshness_minutes_orders 45 minutes against "
        f"20 minutes ({gate.batch_id})"
    ]
    assert claims(report, "late_arriving_data") == [
        f"orders was 45 minutes behind at {gate.batch_id} (SLA 20): its newest committed window then ended "
        "2026-11-20T12:00:00+00:00, no batch of it ran since"
    ]
    assert (report["classification"], report["confidence"]) == ("late_arriving_data", 0.3)
    assert report["next_step"] == (
        "see why orders stopped committing (`northstar batches --source orders`), then northstar run orders "
        "--start 2026-11-20T12:00:00+00:00 --end 2026-11-20T12:15:00+00:00"
    )
    # orders caught up later (a batch after the breach): the window to run follows the newest committed one overall
    caught_up = [order_row(2, T0 + timedelta(minutes=45))]
    seed(SourceBatch("orders", "orders-2", T0 + timedelta(minutes=50), orders=caught_up))
    (newest,) = [b for b in query_batches() if b["BATCH_ID"] == "orders-2"]
    later = investigate("--metric", "freshness", "--date", str(DAY))["next_step"]
    assert f"then northstar run orders --start {utc_text(newest['WINDOW_END'])} --end " in later, later
    consistency_check(**window(45))  # measured again: orders is within its SLA now
    assert investigate("--metric", "freshness", "--date", str(DAY))["next_step"].startswith(
        "none needed for orders: fresh again at the latest measurement ("
    )


def query_batches() -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query("SELECT BATCH_ID, WINDOW_END FROM OPS.LOAD_BATCHES ORDER BY WINDOW_END")


def test_a_finance_report_that_landed_after_the_gate_ran_says_so_and_the_rerun_compares_the_day(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=5), orders=[order_row(1, T0, total=2500)]))
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=6),
                     payments=[payment_row("pi_1", 1, 2500, T0 + timedelta(minutes=1))]))  # fmt: skip
    early = consistency_check(**window(0))
    assert early.status == "COMMITTED"  # nothing to compare yet: finance has not reported the day
    key = drop_finance(landing_store(load_settings()), DAY, {"USD": (2500, 0)})

    report = investigate("--metric", "daily_revenue", "--date", str(DAY))
    assert report["classification"] == "late_arriving_data"
    assert claims(report, "symptom") == [
        f"{DAY} was never compared with finance: its report ({key}) landed after the gate run(s) covering the day "
        f"({early.batch_id})"
    ]
    (late,) = claims(report, "late_arriving_data")
    assert late.startswith(f"finance's report for {DAY} ({key}) landed at ")
    assert late.endswith(
        f"after 1 gate run(s) covering the day had run without it (last: {early.batch_id}, started "
        f"{late.split('started ', 1)[1].split(')', 1)[0]}); no gate has compared the day with finance since"
    )
    start, end = (T0 + timedelta(minutes=15)).isoformat(), (T0 + timedelta(minutes=30)).isoformat()
    assert report["next_step"] == (
        f"finance's report for {DAY} arrived after the gate ran: run the gate again so it compares the day "
        f"(the marts publish only if it passes): northstar run consistency --start {start} --end {end}"
    )

    out = io.StringIO()  # the next step, as printed
    assert main(["run", "consistency", "--start", start, "--end", end], out) == 0, out.getvalue()
    after = investigate("--metric", "daily_revenue", "--date", str(DAY))
    assert after["classification"] == "none"
    (noted,) = claims(after, "late_arriving_data")  # still on record, no longer a symptom
    with open_warehouse(load_settings()) as wh:
        gates = wh.query("SELECT BATCH_ID FROM OPS.LOAD_BATCHES WHERE SOURCE = 'consistency' ORDER BY WINDOW_END")
    assert gates[0]["BATCH_ID"] == early.batch_id
    rerun = gates[-1]["BATCH_ID"]
    assert noted.endswith(f"; first compared by {rerun}")


def test_a_null_rate_jump_is_a_source_change_and_the_next_step_releases_the_reviewed_rows(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    before = T0 - timedelta(days=1)
    rows = [source_row(1, 1 - 24 * 60, created_at=before - timedelta(hours=1)),
            source_row(2, 2 - 24 * 60, created_at=before - timedelta(hours=1)),
            source_row(3, 1, customer_id=None), source_row(4, 2, customer_id=None), source_row(5, 3)]  # fmt: skip
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(INSERT, rows)
    good = orders_flow.orders_microbatch(before.isoformat(), (before + timedelta(minutes=15)).isoformat())
    assert (good.status, good.rows_quarantined) == ("COMMITTED", 0)
    bad = orders_flow.orders_microbatch(T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat())
    assert (bad.status, bad.rows_quarantined) == ("COMMITTED", 2)

    report = investigate("--metric", "quarantine_rate", "--date", str(DAY), "--source", "orders")
    assert report["classification"] == "source_change"
    change = claims(report, "source_change")
    assert (
        "null rate of orders.customer_id jumped to 40.0% (2 of 5 rows) in the affected batches from 0.0% (0 of 2) "
        "over the trailing week"
    ) in change  # 5 rows: the day's first batch reads orders 1 and 2 again (the overlap before its watermark)
    assert (
        "quarantine-reason mix shifted: new against the trailing week: schema.customer_id_required (2 rows)" in change
    )
    assert report["next_step"] == (
        f"review the quarantined rows (`northstar quarantine --batch {bad.batch_id} --json`), write their reviewed "
        f"values to reviewed-{DAY}.json (a JSON list of complete orders rows), then: northstar corrections request "
        f"--kind quarantine_release --source orders --override reviewed-{DAY}.json --reason 'source_change on {DAY}' "
        "--ticket TICKET"
    )
