"""Incidents and `northstar investigate`: one seeded incident of each kind, on the real flows, fakesnow and DuckDB,
each classified with its evidence; a consistent day is `none`."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from cli.main import main
from flows.consistency import consistency_check
from northstar.landing import landing_store
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.consistency_seed import SourceBatch, commit, drop_finance, naive, order_row, payment_row, window
from tests.helpers import T0, source_row
from validators.rules import in_range

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
DAY = date(2026, 11, 20)
INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params)


def seed(batch: SourceBatch, code_version: str | None = None, raw_uri: str | None = None) -> None:
    with open_warehouse(load_settings()) as wh:
        commit(wh, batch)
        wh.execute(
            "UPDATE OPS.LOAD_BATCHES SET CODE_VERSION = %(v)s, RAW_URI = %(r)s WHERE BATCH_ID = %(b)s",
            {"v": code_version, "r": raw_uri, "b": batch.batch_id},
        )


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out)
    return code, out.getvalue()


def investigate(*argv: str) -> dict[str, Any]:
    code, out = cli("investigate", *argv, "--json")
    report = json.loads(out)
    assert code == (0 if report["classification"] == "none" else 1)
    return report


def claims(report: dict[str, Any], hypothesis: str) -> list[str]:
    return [e["claim"] for e in report["evidence"] if e["hypothesis"] == hypothesis]


def test_a_refund_after_its_day_was_reconciled_and_an_order_after_its_payment_are_late_data(
    pipeline_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=10), orders=[order_row(3, T0, total=4000)]))
    seed(
        SourceBatch(
            "payments",
            "payments-1",
            T0 + timedelta(minutes=11),
            payments=[
                payment_row("pi_3", 3, 4000, T0 + timedelta(minutes=2)),
                payment_row("pi_9", 9, 3000, T0 + timedelta(minutes=3)),
            ],
        )
    )  # order 9 reaches the source later
    drop_finance(landing_store(load_settings()), DAY, {"USD": (7000, 500)})  # finance saw refund re_3

    first, second = consistency_check(**window(0)), consistency_check(**window(15))
    assert (first.status, second.status) == ("HELD", "HELD")
    (incident,) = query("SELECT * FROM OPS.INCIDENTS")  # one cause, two runs: one incident
    assert (incident["CAUSE_KEY"], incident["STATUS"], incident["OCCURRENCES"]) == (
        f"consistency|reconciliation.daily_revenue|{DAY}",
        "open",
        2,
    )
    assert (incident["FIRST_BATCH_ID"], incident["LAST_BATCH_ID"]) == (first.batch_id, second.batch_id)

    refund = {"refund_id": "re_3", "pi": "pi_3", "amount": 500, "created_at": T0 + timedelta(minutes=5)}
    seed(SourceBatch("payments", "payments-2", T0 + timedelta(minutes=40), refunds=[refund]))
    seed(SourceBatch("orders", "orders-2", T0 + timedelta(minutes=41), orders=[order_row(9, T0, total=3000)]))
    assert consistency_check(**window(30)).status == "COMMITTED"

    page = tmp_path / "investigation.html"
    code, out = cli("investigate", "--incident", incident["INCIDENT_ID"], "--json", "--html", str(page))
    report = json.loads(out)
    assert code == 1 and report["classification"] == "late_arriving_data" and report["confidence"] >= 0.5
    late = claims(report, "late_arriving_data")
    assert any(
        "refund re_3" in c and "after a comparison of the day with finance that should have counted" in c for c in late
    )
    assert any("payment pi_9 -> order 9 pending" in c for c in late)
    refund_item = next(e for e in report["evidence"] if "refund re_3" in e["claim"])
    assert "payments-2" in refund_item["batch_ids"] and refund_item["query"].endswith(".sql")
    assert report["next_step"] == (  # the third run published the day: nothing to correct
        f"none needed: the late rows arrived and {DAY} reconciles with finance now. "
        f"northstar incidents close {incident['INCIDENT_ID']} --reason 'late rows arrived'"
    )
    assert refund_item["claim"].startswith(f"1 payment/refund row(s) of {DAY} (amount USD 5.00) were published")
    assert report["subject"]["currency"] == "USD"  # the incident's currency: the one its comparisons were off in
    by_day = investigate("--metric", "daily_revenue", "--date", str(DAY))
    code, out = cli("investigate", "--metric", "daily_revenue", "--date", str(DAY), "--html", str(page))
    assert (code, out.count("\n")) == (1, 1) and out.startswith(f"wrote {page} (")  # one line, not the report
    html = page.read_text()
    named = sorted({b for e in by_day["evidence"] for b in e["batch_ids"]} | set(by_day["affected_batches"]))
    assert sorted(by_day["affected_batches"]) == named  # one list: the evidence's batches are the affected ones
    assert f"<p>{len(named)} batch(es), windows from" in html
    code, out = cli("investigate", "--metric", "daily_revenue", "--date", str(DAY))
    assert f"\nAffected batches: {len(named)}: " in out
    assert "late_arriving_data" in html and "payments-2" in html and "<script" not in html
    assert investigate("--metric", "daily_revenue", "--date", str(DAY))["classification"] == "late_arriving_data"

    code, out = cli("incidents", "show", incident["INCIDENT_ID"], "--json")
    shown = json.loads(out)
    assert code == 0 and (shown["status"], shown["classification"]) == ("investigating", "late_arriving_data")
    assert [e["event"] for e in shown["events"]] == ["opened", "seen_again", "investigating"]
    assert investigate("--order", "9")["classification"] == "late_arriving_data"  # its payment came first
    assert cli("incidents", "correct", incident["INCIDENT_ID"], "--correction", "cor-20261120t1300-abc123")[0] == 0
    assert cli("incidents", "close", incident["INCIDENT_ID"], "--reason", "late refund arrived; day published")[0] == 0
    code, out = cli("incidents", "list", "--status", "closed", "--json")
    assert [json.loads(line)["INCIDENT_ID"] for line in out.splitlines()] == [incident["INCIDENT_ID"]]
    code, out = cli("incidents", "close", incident["INCIDENT_ID"], "--reason", "again")  # closed is final: a no-op
    assert (code, out) == (0, f"incident {incident['INCIDENT_ID']}: already closed (nothing changed)\n")
    audit = query("SELECT KIND, SUBJECT FROM OPS.AUDIT_LOG WHERE KIND LIKE 'incident.%' ORDER BY SEQ")
    assert [(a["KIND"], a["SUBJECT"]) for a in audit] == [
        (f"incident.{kind}", incident["INCIDENT_ID"]) for kind in ("opened", "investigating", "corrected", "closed")
    ]
    assert cli("audit", "verify")[0] == 0


def test_new_status_and_currency_values_on_a_day_with_a_late_refund_are_a_source_change_of_orders(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    """A late refund in payments must not explain the orders quarantine of the same day (the source narrows the
    evidence); the quarantined new values are the source change, released by a quarantine_release."""
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    rows = [source_row(1, 1, total_amount_minor=4000), source_row(2, 2, currency="EURO"),
            source_row(3, 3, status="PAYED"), source_row(4, 4, currency="usd ")]  # fmt: skip
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(INSERT, rows)
    orders = orders_flow.orders_microbatch(T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat())
    assert (orders.status, orders.rows_quarantined) == ("COMMITTED", 3)
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=11),
                     payments=[payment_row("pi_1", 1, 4000, T0 + timedelta(minutes=2))]))  # fmt: skip
    drop_finance(landing_store(load_settings()), DAY, {"USD": (4000, 500)})
    assert consistency_check(**window(0)).status == "HELD"  # finance saw refund re_1 before it arrived
    refund = {"refund_id": "re_1", "pi": "pi_1", "amount": 500, "created_at": T0 + timedelta(minutes=5)}
    seed(SourceBatch("payments", "payments-2", T0 + timedelta(minutes=40), refunds=[refund]))
    assert consistency_check(**window(30)).status == "COMMITTED"
    (incident,) = query("SELECT INCIDENT_ID FROM OPS.INCIDENTS WHERE CHECK_ID = 'schema.currency_iso4217'")

    revenue = investigate("--metric", "daily_revenue", "--date", str(DAY))  # the refund is the revenue's cause
    assert revenue["classification"] == "late_arriving_data"
    for argv in (["--metric", "quarantine_rate", "--date", str(DAY), "--source", "orders"],
                 ["--batch", orders.batch_id], ["--incident", incident["INCIDENT_ID"]]):  # fmt: skip
        report = investigate(*argv)
        assert report["classification"] == "source_change", (argv, report["hypotheses"])
        assert claims(report, "late_arriving_data") == [], argv  # payments' late refund explains no orders row
        assert (
            "new values the source sends, unseen in the trailing week: currency 'EURO' (1 rows), currency 'usd ' "
            "(1 rows), status 'PAYED' (1 rows)"
        ) in claims(report, "source_change"), argv
        assert "northstar corrections request --kind quarantine_release --source orders" in report["next_step"]
        assert "payments-2" not in report["affected_batches"], argv
        ticket = incident["INCIDENT_ID"] if argv[0] == "--incident" else "TICKET"
        assert report["next_step"].endswith(f"--ticket {ticket}"), argv


def test_a_retyped_column_and_a_new_status_value_are_a_source_change(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(INSERT, [source_row(1, 1), source_row(2, 2), source_row(3, 16, status="on_hold")])
    w = [
        {
            "start": (T0 + timedelta(minutes=15 * i)).isoformat(),
            "end": (T0 + timedelta(minutes=15 * (i + 1))).isoformat(),
        }
        for i in range(3)
    ]
    assert orders_flow.orders_microbatch(**w[0]).status == "COMMITTED"
    assert orders_flow.orders_microbatch(**w[1]).rows_quarantined == 1  # the new status value
    with psycopg.connect(source_db) as conn:
        conn.execute("ALTER TABLE orders ALTER COLUMN total_amount_minor TYPE numeric(12, 2)")
        conn.cursor().execute(INSERT, source_row(4, 31))
    held = orders_flow.orders_microbatch(**w[2])
    assert held.status == "HELD"
    causes = {r["CHECK_ID"] for r in query("SELECT CHECK_ID FROM OPS.INCIDENTS WHERE SOURCE = 'orders'")}
    assert {"schema.status_allowed", "schema.column_types"} <= causes

    report = investigate("--metric", "quarantine_rate", "--date", str(DAY), "--source", "orders")
    assert report["classification"] == "source_change"
    change = claims(report, "source_change")
    assert any(c.startswith("the source's contract changed: schema.column_types") for c in change)
    assert any("schema.status_allowed" in c for c in change)
    assert "new values the source sends, unseen in the trailing week: status 'on_hold' (1 rows)" in change
    start, end = (T0 + timedelta(minutes=30)).isoformat(), (T0 + timedelta(minutes=45)).isoformat()
    assert report["next_step"].endswith(
        f"--kind source_refresh --source orders --start {start} --end {end} --reason 'source_change on {DAY}' "
        "--ticket TICKET"
    )
    by_batch = investigate("--batch", held.batch_id)
    assert by_batch["classification"] == "source_change" and by_batch["affected_batches"] == [held.batch_id]


def test_batches_that_ran_an_older_code_version_than_the_good_days_are_an_etl_bug(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    for n in (3, 2, 1):  # the trailing days ran the fixed code
        at = T0 - timedelta(days=n)
        seed(SourceBatch("payments", f"payments-good-{n}", at, payments=[payment_row(f"pi_g{n}", None, 1000, at)]),
             code_version="v2")  # fmt: skip
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=5), orders=[order_row(1, T0, total=2500)]),
         code_version="v2")  # fmt: skip
    # v1 mapped the charge's amount_captured in major units: 25 instead of 2500
    seed(SourceBatch("payments", "payments-bad", T0 + timedelta(minutes=10),
                     payments=[payment_row("pi_1", 1, 25, T0 + timedelta(minutes=1))]),
         code_version="v1", raw_uri="file:///landing/raw/payments/payments-bad/")  # fmt: skip
    with open_warehouse(load_settings()) as wh:  # the same raw read again by the fixed code (a reprocess)
        wh.execute(
            "INSERT INTO OPS.LOAD_BATCHES (BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED,"
            " ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS, RAW_URI, CODE_VERSION, STARTED_AT, FINISHED_AT) VALUES"
            " ('payments-bad-r', 'payments', %(s)s, %(e)s, 1, 0, 1, 0, 'HELD', 'file:///landing/raw/payments/payments-bad/',"
            " 'v2', %(e)s, %(e)s)",
            {"s": naive(T0 - timedelta(minutes=5)), "e": naive(T0 + timedelta(minutes=10))},
        )
    drop_finance(landing_store(load_settings()), DAY, {"USD": (2500, 0)})
    assert consistency_check(**window(0)).status == "HELD"

    report = investigate("--metric", "daily_revenue", "--date", str(DAY), "--currency", "USD")
    assert report["classification"] == "etl_bug"
    bug = claims(report, "etl_bug")
    assert any("ran code version v1; the trailing week's good batches ran v2" in c for c in bug)
    assert any("gave different results under code versions" in c for c in bug)
    assert "--kind reprocess --source payments --batch-id payments-bad --batch-id payments-bad-r" in report["next_step"]
    assert {h["hypothesis"]: h["score"] for h in report["hypotheses"]}["late_arriving_data"] == 0


def test_a_bug_fixed_between_code_versions_differs_in_a_dry_run_reprocess_of_the_old_batches_an_etl_bug(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env(NORTHSTAR_CODE_VERSION="v1")
    before = T0 - timedelta(days=1)
    rows = [source_row(1, 1 - 24 * 60, total_amount_minor=5000, created_at=before - timedelta(hours=1)),
            source_row(2, 1, total_amount_minor=5000), source_row(3, 2)]  # fmt: skip
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(INSERT, rows)
    good = orders_flow.orders_microbatch(before.isoformat(), (before + timedelta(minutes=15)).isoformat())
    assert (good.status, good.rows_quarantined) == ("COMMITTED", 0)
    # v2 shipped a bad rule: totals above 4000 rejected (its mapping of the limit was in major units)
    checks = orders_flow.ORDERS_CHECKS
    monkeypatch.setenv("NORTHSTAR_CODE_VERSION", "v2")
    monkeypatch.setattr(
        orders_flow, "ORDERS_CHECKS", (*checks, in_range("schema.total_limit", "total_amount_minor", max=4000))
    )
    bad = orders_flow.orders_microbatch(T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat())
    assert bad.status == "COMMITTED"
    quarantined = [r["ORDER_ID"] for r in query("SELECT ORDER_ID FROM QUARANTINE.ORDERS ORDER BY 1")]
    assert quarantined == [1, 2]  # order 1 again too: the batch re-reads the overlap before its watermark
    monkeypatch.setattr(orders_flow, "ORDERS_CHECKS", checks)  # v3, the current code, fixed it
    monkeypatch.setenv("NORTHSTAR_CODE_VERSION", "v3")

    report = investigate("--metric", "quarantine_rate", "--date", str(DAY), "--source", "orders")
    assert report["classification"] == "etl_bug" and report["confidence"] >= 0.5
    bug = claims(report, "etl_bug")
    assert "1 affected orders batch(es) ran code version v2; the trailing week's good batches ran v1" in bug
    replay = next(c for c in bug if c.startswith("a dry-run reprocess of the affected raw with the current code gives"))
    assert "different rows: CORE.ORDERS: +1 -0 ~0" in replay and "QUARANTINE.ORDERS: +0 -2 ~0" in replay
    assert query("SELECT ORDER_ID FROM CORE.ORDERS WHERE ORDER_ID = 2") == []  # a dry run wrote nothing
    assert f"--kind reprocess --source orders --batch-id {bad.batch_id} " in report["next_step"]


def _publication(wh: Any, pub: str, status: str, sql_hash: str, net: int, created_minutes: int) -> None:
    schema = f"MARTS_PUB_{pub}"
    wh.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    wh.execute(f"CREATE OR REPLACE TABLE {schema}.FCT_DAILY_REVENUE_V1 (BUSINESS_DATE DATE, CURRENCY VARCHAR,"
               " NET_REVENUE_MINOR NUMBER(38, 0))")  # fmt: skip
    wh.execute(f"INSERT INTO {schema}.FCT_DAILY_REVENUE_V1 VALUES (%(d)s, 'USD', %(n)s)", {"d": DAY, "n": net})
    versions = json.dumps({"fct_daily_revenue": {"versions": [1], "latest": 1}})
    wh.execute(
        "INSERT INTO OPS.MART_PUBLICATIONS (PUBLICATION_ID, GATE_BATCH_ID, SCHEMA_NAME, MODEL_VERSIONS, SQL_HASH,"
        " STATUS, CREATED_AT) SELECT %(p)s, 'consistency-x', %(s)s, PARSE_JSON(%(v)s), %(h)s, %(st)s, %(at)s",
        {"p": pub, "s": schema, "v": versions, "h": sql_hash, "st": status,
         "at": naive(T0 + timedelta(minutes=created_minutes))},
    )  # fmt: skip


def test_a_mart_definition_changed_while_core_matches_finance_is_transformation_logic_and_a_clean_day_is_none(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env(NORTHSTAR_RECONCILE_DAYS="1")
    seed(SourceBatch("orders", "orders-1", T0 + timedelta(minutes=5), orders=[order_row(1, T0, total=2500)]))
    seed(SourceBatch("payments", "payments-1", T0 + timedelta(minutes=6),
                     payments=[payment_row("pi_1", 1, 2500, T0 + timedelta(minutes=1))]))  # fmt: skip
    drop_finance(landing_store(load_settings()), DAY, {"USD": (2500, 0)})
    assert consistency_check(**window(0)).status == "COMMITTED"

    clean = investigate("--metric", "daily_revenue", "--date", str(DAY))
    assert clean["classification"] == "none" and clean["next_step"].startswith("nothing to correct")
    assert query("SELECT * FROM OPS.INCIDENTS") == []

    with open_warehouse(load_settings()) as wh:
        wh.run_file("marts/create_marts_tables.sql")
        _publication(wh, "A", "superseded", "a" * 64, 2500, 20)
        _publication(wh, "B", "live", "b" * 64, 2400, 40)  # the new model drops a fee line: 100 short
    report = investigate("--metric", "daily_revenue", "--date", str(DAY))
    assert report["classification"] == "transformation_logic" and report["confidence"] >= 0.5
    logic = claims(report, "transformation_logic")
    assert any("CORE agrees with finance" in c and "publication B does not (USD: mart USD 24.00, CORE USD 25.00" in c
               for c in logic)  # fmt: skip
    assert any("definition changed between the good publication A" in c for c in logic)
    assert report["next_step"].startswith("`northstar marts rollback --to A --reason ...` or fix the mart's model")
    assert f"--kind adjustment --date {DAY} --currency USD --amount-minor 100 " in report["next_step"]


def test_bad_input_is_one_line_and_exit_2(pipeline_env: Callable[..., dict[str, str]], capsys: Any) -> None:
    pipeline_env()
    cases = [
        (["investigate", "--metric", "daily_revenue"], "--metric daily_revenue needs --date YYYY-MM-DD"),
        (["investigate", "--metric", "freshness", "--date", "20-11-2026"], "is not a date written YYYY-MM-DD"),
        (["investigate", "--incident", "INC-1", "--date", "2026-11-20"], "--date goes with --metric"),
        (["investigate", "--incident", "INC-nope"], "no incident 'INC-nope'"),
        (["investigate", "--batch", "orders-nope"], "no batch 'orders-nope' in the ledger"),
        (["investigate", "--order", "424242"], "order 424242 is in neither CORE.ORDERS nor QUARANTINE.ORDERS"),
        (["incidents", "close", "INC-nope", "--reason", "x"], "no incident 'INC-nope'"),
    ]
    for argv, message in cases:
        assert cli(*argv)[0] == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, (argv, err)
