"""Corrections end to end through the CLI: requested, approved by someone else, applied through the checks and the
consistency gate, evidence written once, verified in a scratch warehouse, exported for an auditor; the audit log's
chain checked. Real PostgreSQL, fakesnow through the connector, the local landing store, Prefect's harness."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from flows.consistency import consistency_check
from flows.orders_microbatch import orders_microbatch
from northstar.audit import read_audit_log
from northstar.batches import Window, batch_id
from northstar.landing import landing_store
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.consistency_seed import SourceBatch, commit, drop_finance, order_row, payment_row
from tests.helpers import T0, order, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
DAY = T0.date()  # 2026-11-20, UTC business days
DAY_END = T0.replace(hour=0) + timedelta(days=1)
ROLES = {"NORTHSTAR_APPROVERS": "alice,bob,carol", "NORTHSTAR_RECONCILE_DAYS": "1"}


def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params)


def execute(sql: str) -> None:
    with open_warehouse(load_settings()) as wh:
        wh.execute(sql)


def seed_day(captured: int) -> None:
    """One paid order and its payment on DAY, as the source flows publish them."""
    with open_warehouse(load_settings()) as wh:
        commit(
            wh, SourceBatch("orders", "orders-1", T0, orders=[order_row(1, T0 - timedelta(hours=2), total=captured)])
        )
        commit(wh, SourceBatch("payments", "payments-1", T0, payments=[payment_row("pi_1", 1, captured, T0)]))


def gate_window() -> dict[str, str]:
    return {"start": (DAY_END - timedelta(minutes=15)).isoformat(), "end": DAY_END.isoformat()}


def request_adjustment(cli: Callable[..., tuple[int, str, str]], amount: int, user: str = "alice") -> str:
    code, out, err = cli(user, "corrections", "request", "--kind", "adjustment", "--reason", "write-off of order 1",
                         "--ticket", "FIN-77", "--date", DAY.isoformat(), "--currency", "USD",
                         "--amount-minor", str(amount), "--json")  # fmt: skip
    assert code == 0, err
    return str(json.loads(out)["correction_id"])


def show(cli: Callable[..., tuple[int, str, str]], cid: str) -> dict[str, Any]:
    code, out, err = cli("alice", "corrections", "show", cid, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def test_an_adjustment_from_request_to_export_and_the_revenue_reconciles_with_finance(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    pipeline_env(**ROLES)
    seed_day(10000)
    drop_finance(landing_store(load_settings()), DAY, {"USD": (9500, 0)})  # finance wrote 500 off
    before = consistency_check(**gate_window())
    assert before.status == "HELD" and "reconciliation.daily_revenue" in (before.reason or "")
    (incident,) = query("SELECT INCIDENT_ID, STATUS FROM OPS.INCIDENTS")  # the held day
    assert incident["STATUS"] == "open"

    cid = request_adjustment(cli, -500)
    code, _, err = cli("alice", "corrections", "approve", cid)
    assert code == 2 and "alice requested this correction and may not approve it" in err and "Traceback" not in err
    code, _, err = cli("dave", "corrections", "approve", cid)
    assert code == 2 and "dave may not approve corrections: not in NORTHSTAR_APPROVERS (alice, bob, carol)" in err
    code, _, err = cli("alice", "corrections", "apply", cid)
    assert code == 2 and "has 0 of the 1 approvals it needs" in err
    assert cli("bob", "corrections", "approve", cid)[0] == 0
    assert show(cli, cid)["status"] == "approved"

    code, out, err = cli("alice", "corrections", "apply", cid, "--json")
    assert code == 0, err
    applied = json.loads(out)
    assert (applied["status"], applied["changed"], applied["gate"]["status"]) == ("applied", True, "COMMITTED")
    # the adjustment of the held day answers its incident: corrected, with the correction's id, audited
    assert applied["incidents"] == [incident["INCIDENT_ID"]]
    assert applied["message"] == f"{cid} applied; incident {incident['INCIDENT_ID']} corrected"
    (corrected,) = query("SELECT STATUS, CORRECTION_ID FROM OPS.INCIDENTS")
    assert (corrected["STATUS"], corrected["CORRECTION_ID"]) == ("corrected", cid)
    (event,) = query("SELECT * FROM OPS.INCIDENT_EVENTS WHERE EVENT = 'corrected'")
    assert (event["FROM_STATUS"], event["ACTOR"]) == ("open", "alice")
    assert event["DETAILS"] == f"{cid} correction {cid} (adjustment) applied; gate consistency-{cid} passed"
    audit = query("SELECT KIND, ACTOR FROM OPS.AUDIT_LOG WHERE SUBJECT = %(i)s ORDER BY SEQ",
                  {"i": incident["INCIDENT_ID"]})  # fmt: skip
    assert [(a["KIND"], a["ACTOR"]) for a in audit][-1] == ("incident.corrected", "alice")
    (revenue,) = query("SELECT * FROM MARTS.DAILY_REVENUE WHERE BUSINESS_DATE = %(d)s", {"d": DAY})
    assert (revenue["CAPTURED_MINOR"], revenue["REFUNDED_MINOR"], revenue["NET_MINOR"]) == (10000, 0, 9500)
    (recon,) = query("SELECT * FROM OPS.DAILY_RECONCILIATION WHERE _BATCH_ID = %(b)s", {"b": f"consistency-{cid}"})
    assert (recon["NET_MINOR"], recon["FINANCE_NET_MINOR"], recon["VARIANCE"], recon["WITHIN_SLA"]) == (
        9500, 9500, 0.0, True,
    )  # fmt: skip
    (held,) = query("SELECT * FROM OPS.DAILY_RECONCILIATION WHERE _BATCH_ID = %(b)s", {"b": before.batch_id})
    assert revenue["NET_MINOR"] - held["NET_MINOR"] == -500  # exactly the adjustment

    adjustments = query("SELECT * FROM MARTS.REVENUE_ADJUSTMENTS")
    assert [(a["BUSINESS_DAY"], a["CURRENCY"], a["AMOUNT_MINOR"], a["CORRECTION_ID"]) for a in adjustments] == [
        (DAY, "USD", -500, cid)
    ]
    code, out, _ = cli("alice", "corrections", "apply", cid, "--json")  # twice: nothing changes
    assert (code, json.loads(out)["changed"], json.loads(out)["status"]) == (0, False, "applied")
    assert len(query("SELECT * FROM MARTS.REVENUE_ADJUSTMENTS")) == 1

    shown = show(cli, cid)
    assert (shown["requested_by"], shown["approved_by"], shown["ticket"]) == ("alice", ["bob"], "FIN-77")
    assert [e["event"] for e in shown["events"]] == ["REQUESTED", "APPROVED", "APPLIED"]
    assert {"request.json", "approvals/01-bob.json", "inputs.json", "code.json", "tables.json", "diff.json",
            "checks.json", "outcome.json", "before.json"} <= set(shown["evidence"])  # fmt: skip

    code, out, err = cli("carol", "corrections", "verify", cid, "--json")
    assert code == 0, out + err
    verdict = json.loads(out)
    assert verdict["reproducible"] and verdict["problems"] == []
    table = verdict["tables"]["MARTS.REVENUE_ADJUSTMENTS"]
    assert table["recorded"] == table["rebuilt"] == table["live"]

    code, out, _ = cli("carol", "corrections", "export", cid, "--out", str(tmp_path / "audit"), "--json")
    folder = Path(json.loads(out)["folder"])
    summary = (folder / "SUMMARY.md").read_text()
    assert code == 0 and "Requested by **alice**" in summary and "Approved by: bob" in summary
    assert "FIN-77" in summary and "MARTS.REVENUE_ADJUSTMENTS" in summary
    with open(folder / "inputs.csv") as f:  # every input with its sha256 (the summary lists the first 20)
        inputs = list(csv.DictReader(f))
    assert [r["uri"].endswith("/request.json") for r in inputs] == [True] and len(inputs[0]["sha256"]) == 64
    assert "1 objects" in summary and inputs[0]["sha256"] in summary
    with open(folder / "differences_marts_revenue_adjustments.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["change"], r["CORRECTION_ID"], r["column"], r["after"]) for r in rows} >= {
        ("added", cid, "AMOUNT_MINOR", "-500")
    }
    with open(folder / "differences_marts_daily_revenue.csv") as f:
        added = {r["column"]: r["after"] for r in csv.DictReader(f)}
    assert (added["NET_MINOR"], added["CAPTURED_MINOR"]) == ("9500", "10000")  # the day was held before: added
    code, _, err = cli("carol", "corrections", "export", cid, "--out", str(tmp_path / "audit"))
    assert code == 2 and "already exists" in err

    assert cli("carol", "audit", "verify")[0] == 0
    execute("UPDATE MARTS.REVENUE_ADJUSTMENTS SET AMOUNT_MINOR = -50")  # someone edits the corrected table by hand
    code, out, _ = cli("carol", "corrections", "verify", cid)
    assert code == 1 and "NOT reproducible" in out
    assert "MARTS.REVENUE_ADJUSTMENTS: the live rows differ from those recorded after the apply" in out


def test_a_held_gate_leaves_the_correction_applied_with_the_reason_and_the_marts_as_they_were(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]]
) -> None:
    pipeline_env(**ROLES)
    seed_day(10000)
    drop_finance(landing_store(load_settings()), DAY, {"USD": (10000, 0)})
    assert consistency_check(**gate_window()).status == "COMMITTED"
    published = query("SELECT * FROM MARTS.DAILY_REVENUE")
    cid = request_adjustment(cli, 250)
    assert cli("carol", "corrections", "approve", cid)[0] == 0
    code, out, _ = cli("alice", "corrections", "apply", cid)
    assert code == 1 and out.startswith(f"{cid} applied, gate held: ") and "reconciliation.daily_revenue" in out
    assert query("SELECT * FROM MARTS.DAILY_REVENUE") == published
    assert [a["AMOUNT_MINOR"] for a in query("SELECT * FROM MARTS.REVENUE_ADJUSTMENTS")] == [250]
    assert show(cli, cid)["status"] == "applied, gate held"
    # the correction's own held gate opened the day's incident; a held gate corrects nothing
    assert [(i["STATUS"], i["CORRECTION_ID"], i["LAST_BATCH_ID"]) for i in query("SELECT * FROM OPS.INCIDENTS")] == [
        ("open", None, f"consistency-{cid}")
    ]
    code, out, _ = cli("alice", "corrections", "list", "--status", "applied, gate held", "--json")
    assert [json.loads(line)["correction_id"] for line in out.splitlines()] == [cid]


def test_rejected_corrections_are_never_applied_and_roles_are_refused_by_name(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]]
) -> None:
    pipeline_env(**ROLES, NORTHSTAR_REQUESTERS="alice")
    code, _, err = cli("mallory", "corrections", "request", "--kind", "adjustment", "--reason", "r", "--ticket", "T",
                       "--date", "2026-11-20", "--currency", "USD", "--amount-minor", "5")  # fmt: skip
    assert code == 2 and "mallory may not request corrections: not in NORTHSTAR_REQUESTERS (alice)" in err
    code, _, err = cli("alice", "corrections", "request", "--kind", "adjustment", "--reason", "r", "--ticket", "T",
                       "--date", "2026-13-01", "--currency", "USD", "--amount-minor", "5")  # fmt: skip
    assert code == 2 and "--date must be a business day YYYY-MM-DD, not '2026-13-01'" in err
    cid = request_adjustment(cli, 100)
    code, _, err = cli("bob", "corrections", "reject", cid, "--reason", "no ticket evidence")
    assert code == 0, err
    code, _, err = cli("alice", "corrections", "apply", cid)
    assert code == 2 and f"cannot apply {cid}: it was rejected by bob (no ticket evidence)" in err
    code, _, err = cli("carol", "corrections", "approve", cid)
    assert code == 2 and f"cannot approve {cid}: it is rejected" in err
    assert query("SELECT * FROM MARTS.REVENUE_ADJUSTMENTS") == []
    code, _, err = cli("alice", "corrections", "approve", cid)
    assert code == 2 and "segregation of duties" in err
    with open_warehouse(load_settings()) as wh:
        refused = [e for e in read_audit_log(wh) if e.kind == "correction.refused"]
    assert [(e.actor, e.subject, json.loads(e.details)["action"]) for e in refused] == [("alice", cid, "approve")]
    code, _, err = cli("alice", "corrections", "show", "cor-nope")
    assert code == 2 and "no correction 'cor-nope'" in err
    assert [e["event"] for e in show(cli, cid)["events"]] == ["REQUESTED", "REJECTED"]


def test_an_edited_audit_entry_is_named_by_audit_verify(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]]
) -> None:
    pipeline_env(**ROLES)
    cid = request_adjustment(cli, 100)
    assert cli("bob", "corrections", "approve", cid)[0] == 0
    code, out, _ = cli("alice", "audit", "verify", "--json")
    assert (code, json.loads(out)["ok"], json.loads(out)["entries"]) == (0, True, 2)
    execute("UPDATE OPS.AUDIT_LOG SET ACTOR = 'alice' WHERE KIND = 'correction.approved'")  # a self-approval, forged
    code, out, _ = cli("alice", "audit", "verify")
    assert code == 1
    assert out.startswith("audit log broken at entry 2 (") and f"correction.approved on {cid}): edited" in out


def orders_window() -> dict[str, str]:
    return {"start": T0.isoformat(), "end": (T0 + timedelta(minutes=15)).isoformat()}


def approve_and_apply(cli: Callable[..., tuple[int, str, str]], cid: str) -> dict[str, Any]:
    assert cli("bob", "corrections", "approve", cid)[0] == 0
    code, out, err = cli("alice", "corrections", "apply", cid, "--json")
    assert code == 0, out + err
    return dict(json.loads(out))


def test_a_quarantine_release_publishes_the_reviewed_row_after_rechecking_it(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]], source_db: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    pipeline_env(**ROLES)
    insert(source_db, source_row(1, 1), source_row(2, 2, status="PAYD"))
    first = orders_microbatch(**orders_window())
    assert (first.rows_published, first.rows_quarantined) == (1, 1)
    reviewed = order(2, 2) | {"created_at": order(2, 2)["created_at"].isoformat(),
                              "updated_at": order(2, 2)["updated_at"].isoformat()}  # fmt: skip
    override = tmp_path / "reviewed.json"
    override.write_text(json.dumps([reviewed, {**reviewed, "order_id": 1}]))
    code, _, err = cli("alice", "corrections", "request", "--kind", "quarantine_release", "--source", "orders",
                       "--reason", "r", "--ticket", "OPS-9", "--override", str(override))  # fmt: skip
    assert code == 2 and "--override: orders 1 are not quarantined: nothing to release" in err
    override.write_text(json.dumps([{"order_id": 2, "status": "paid"}]))
    code, _, err = cli("alice", "corrections", "request", "--kind", "quarantine_release", "--source", "orders",
                       "--reason", "r", "--ticket", "OPS-9", "--override", str(override))  # fmt: skip
    assert code == 2 and "the row of order 2 lacks customer_id, currency, total_amount_minor, created_at" in err
    override.write_text(json.dumps([reviewed]))
    (incident,) = query("SELECT INCIDENT_ID FROM OPS.INCIDENTS WHERE CHECK_ID = 'schema.status_allowed'")
    code, out, err = cli("alice", "corrections", "request", "--kind", "quarantine_release", "--source", "orders",
                         "--reason", "status typo confirmed with the shop", "--ticket", incident["INCIDENT_ID"],
                         "--override", str(override), "--json")  # fmt: skip
    assert code == 0, err
    cid = json.loads(out)["correction_id"]
    applied = approve_and_apply(cli, cid)
    assert applied["status"] == "applied" and applied["gate"]["status"] == "COMMITTED"
    assert applied["incidents"] == [incident["INCIDENT_ID"]]  # the ticket names the incident
    assert query("SELECT STATUS, CORRECTION_ID FROM OPS.INCIDENTS WHERE INCIDENT_ID = %(i)s",
                 {"i": incident["INCIDENT_ID"]}) == [{"STATUS": "corrected", "CORRECTION_ID": cid}]  # fmt: skip
    (row,) = query("SELECT * FROM CORE.ORDERS WHERE ORDER_ID = 2")
    assert (row["STATUS"], row["_BATCH_ID"]) == ("paid", f"orders-repair-{cid}")
    (batch,) = query("SELECT * FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s", {"b": f"orders-repair-{cid}"})
    assert (batch["STATUS"], batch["ROWS_PASSED"], batch["ROWS_QUARANTINED"]) == ("COMMITTED", 1, 0)
    checks = query("SELECT * FROM OPS.CHECK_RESULTS WHERE BATCH_ID = %(b)s", {"b": batch["BATCH_ID"]})
    assert any(c["CHECK_ID"] == "schema.status_allowed" and c["OUTCOME"] == "passed" for c in checks)
    diff = json.loads(landing_store(load_settings()).get(f"raw/corrections/{cid}/diff.json"))
    assert diff["CORE.ORDERS"]["counts"] == {"added": 1, "removed": 0, "changed": 0, "unchanged": 0}
    code, out, err = cli("carol", "corrections", "verify", cid)
    assert code == 0 and "reproducible" in out, out + err


def test_a_source_refresh_lands_a_new_version_beside_the_old_and_verify_names_a_lost_raw_object(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]], source_db: str
) -> None:
    pipeline_env(**ROLES)
    insert(source_db, source_row(1, 1), source_row(2, 2))
    assert orders_microbatch(**orders_window()).rows_published == 2
    with psycopg.connect(source_db) as conn:  # a bulk fix at the source that leaves updated_at alone
        conn.execute("UPDATE orders SET total_amount_minor = 3000 WHERE order_id = 1")
    w = orders_window()
    code, out, err = cli("alice", "corrections", "request", "--kind", "source_refresh", "--source", "orders",
                         "--start", w["start"], "--end", w["end"], "--reason", "source fixed order 1's total",
                         "--ticket", "OPS-10", "--json")  # fmt: skip
    assert code == 0, err
    cid = json.loads(out)["correction_id"]
    applied = approve_and_apply(cli, cid)
    assert applied["status"] == "applied"
    assert applied["incidents"] == [] and query("SELECT * FROM OPS.INCIDENTS") == []  # no check failed: none open
    totals = {r["ORDER_ID"]: r["TOTAL_AMOUNT_MINOR"] for r in query("SELECT * FROM CORE.ORDERS")}
    assert totals == {1: 3000, 2: 2500}
    store = landing_store(load_settings())
    batches = {k.split("/")[3] for k in store.keys("raw/orders/dt=2026-11-20/")}
    assert batches == {f"batch={orders_batch_id()}", f"batch=orders-repair-{cid}"}  # the old raw kept beside
    diff = json.loads(store.get(f"raw/corrections/{cid}/diff.json"))["CORE.ORDERS"]
    assert diff["counts"] == {"added": 0, "removed": 0, "changed": 1, "unchanged": 1}
    assert diff["sample"][0]["columns"]["TOTAL_AMOUNT_MINOR"] == {"before": 2500, "after": 3000}
    code, out, err = cli("carol", "corrections", "verify", cid)
    assert code == 0, out + err

    inputs = json.loads(store.get(f"raw/corrections/{cid}/inputs.json"))
    lost = next(i for i in inputs if i["key"].endswith(".parquet") and "/orders-" in i["key"])
    (load_settings().landing_dir / lost["key"]).unlink()
    code, out, _ = cli("carol", "corrections", "verify", cid)
    assert code == 1 and f"input {lost['uri']} no longer exists" in out


def orders_batch_id() -> str:
    w = orders_window()
    return batch_id("orders", Window.parse(w["start"], w["end"]))


def insert(dsn: str, *rows: tuple[Any, ...]) -> None:
    with psycopg.connect(dsn) as conn:
        conn.cursor().executemany(
            "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def test_a_reprocess_replays_a_batch_with_the_fixed_checks_and_reproduces_it(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]], source_db: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pipeline_env(**ROLES)
    insert(source_db, source_row(1, 1), source_row(2, 2, total_amount_minor=-5))
    assert orders_microbatch(**orders_window()).rows_quarantined == 1
    allowed = tuple(c for c in orders_flow.ORDERS_CHECKS if c.check_id != "schema.amount_minor_non_negative")
    monkeypatch.setattr(orders_flow, "ORDERS_CHECKS", allowed)  # the fixed code: a negative total is a credit note
    code, out, err = cli("alice", "corrections", "request", "--kind", "reprocess", "--source", "orders",
                         "--batch-id", orders_batch_id(), "--reason", "credit notes are valid orders",
                         "--ticket", "ENG-5", "--json")  # fmt: skip
    assert code == 0, err
    cid = json.loads(out)["correction_id"]
    applied = approve_and_apply(cli, cid)
    assert applied["status"] == "applied"
    (incident,) = query("SELECT * FROM OPS.INCIDENTS")  # the rule the fixed code dropped; its batch was replayed
    assert (incident["CHECK_ID"], incident["LAST_BATCH_ID"]) == ("schema.amount_minor_non_negative", orders_batch_id())
    assert (applied["incidents"], incident["STATUS"], incident["CORRECTION_ID"]) == (
        [incident["INCIDENT_ID"]], "corrected", cid,
    )  # fmt: skip
    totals = {r["ORDER_ID"]: (r["TOTAL_AMOUNT_MINOR"], r["_BATCH_ID"]) for r in query("SELECT * FROM CORE.ORDERS")}
    assert totals == {1: (2500, orders_batch_id() + "-v2"), 2: (-5, orders_batch_id() + "-v2")}
    outcome = json.loads(landing_store(load_settings()).get(f"raw/corrections/{cid}/outcome.json"))
    assert [(b["superseded"], b["status"]) for b in outcome["did"]["batches"]] == [(orders_batch_id(), "COMMITTED")]
    code, out, err = cli("carol", "corrections", "verify", cid)
    assert code == 0 and "reproducible" in out, out + err


def test_two_required_approvals_need_two_different_approvers(
    pipeline_env: Callable[..., dict[str, str]], cli: Callable[..., tuple[int, str, str]]
) -> None:
    pipeline_env(**ROLES, NORTHSTAR_REQUIRED_APPROVALS="2")
    cid = request_adjustment(cli, 100)
    code, out, _ = cli("bob", "corrections", "approve", cid, "--json")
    assert (code, json.loads(out)["status"]) == (0, "requested")
    code, _, err = cli("bob", "corrections", "approve", cid)
    assert code == 2 and f"bob already approved {cid}" in err
    code, _, err = cli("alice", "corrections", "apply", cid)
    assert code == 2 and "it has 1 of the 2 approvals it needs" in err
    code, out, _ = cli("carol", "corrections", "approve", cid, "--json")
    assert (code, json.loads(out)["status"]) == (0, "approved")
    assert show(cli, cid)["approved_by"] == ["bob", "carol"]
    assert set(landing_store(load_settings()).keys(f"raw/corrections/{cid}/approvals/")) == {
        f"raw/corrections/{cid}/approvals/01-bob.json", f"raw/corrections/{cid}/approvals/02-carol.json",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-20T12:15:00", "2026-11-20T12:30:00+00:00", "'2026-11-20T12:15:00' has no UTC offset"),
        ("2026-11-20T12:15:00+00:00", None, "source_refresh needs --start and --end"),
        ("2026-11-20T12:30:00+00:00", "2026-11-20T12:15:00+00:00", "is not after start"),
    ],
)
def test_a_window_is_checked_before_anything_is_written(start: str, end: str | None, message: str) -> None:
    from northstar.corrections import check_args

    with pytest.raises(ValueError, match=message):
        check_args("source_refresh", {"source": "orders", "start": start, "end": end})


def test_a_window_given_with_another_offset_is_recorded_in_utc() -> None:
    from northstar.corrections import check_args

    checked = check_args("reprocess", {"source": "orders", "start": "2026-11-20T13:15:00+01:00",
                                       "end": "2026-11-20T13:30:00+01:00"})  # fmt: skip
    assert (checked["start"], checked["end"]) == ("2026-11-20T12:15:00+00:00", "2026-11-20T12:30:00+00:00")
