"""Transformation logic as the cause, on the real marts: dbt (in-process) builds every mart against fakesnow, the gate
publishes them, an analytics engineer's new model version changes the certified revenue, and `northstar investigate`
names that change (the model, its files, the two publications) while CORE still agrees with finance."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from flows.consistency import consistency_check
from northstar.landing import landing_store
from northstar.marts.dbt_runner import DBT_PROJECT_DIR
from northstar.marts.publication import LIVE, publish_marts
from northstar.settings import Settings, load_settings
from northstar.warehouse import open_warehouse
from northstar.warehouse_server import stop_server
from tests.consistency_seed import SourceBatch, commit, drop_finance, order_row, payment_row, window
from tests.helpers import T0

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
DAY = date(2026, 11, 20)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A home with its own warehouse server (dbt cannot name a database path: tests/test_marts.py) and publishing
    on: two paid orders, a refund and a lost dispute on DAY, and finance's report that agrees with CORE."""
    for key in ("NORTHSTAR_PROFILE", "NORTHSTAR_LANDING_BUCKET", "SNOWFLAKE_ACCOUNT", "NORTHSTAR_MARQUEZ_URL",
                "NORTHSTAR_WAREHOUSE_SERVER"):  # fmt: skip
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NORTHSTAR_MARTS_PUBLISH", "true")
    monkeypatch.setenv("NORTHSTAR_RECONCILE_DAYS", "1")
    settings = load_settings()
    with open_warehouse(settings) as wh:
        commit(
            wh,
            SourceBatch(
                "orders",
                "orders-1",
                T0 + timedelta(minutes=5),
                orders=[order_row(1, T0, total=2500), order_row(2, T0, total=4000, customer_id=7)],
            ),
        )
        commit(wh, SourceBatch("payments", "payments-1", T0 + timedelta(minutes=6), payments=[
            payment_row("pi_1", 1, 2500, T0 + timedelta(minutes=1)),
            payment_row("pi_2", 2, 4000, T0 + timedelta(minutes=2))],
            refunds=[{"refund_id": "re_2", "pi": "pi_2", "amount": 500, "created_at": T0 + timedelta(minutes=3)}],
            disputes=[{"dispute_id": "dp_1", "pi": "pi_1", "amount": 2500, "status": "lost"}]))  # fmt: skip
    drop_finance(landing_store(settings), DAY, {"USD": (6500, 500)})  # net 6000: lost disputes are not deducted
    try:
        yield settings
    finally:
        stop_server(settings.warehouse_dir)


def disputes_deducted_v2(tmp_path: Path) -> Path:
    """The analytics engineer's change on a branch, as DEVELOPERS.md says a changed definition ships: a new version
    of fct_daily_revenue (v1 deprecated) whose net revenue also deducts lost disputes. Finance does not."""
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    marts = project / "models" / "marts"
    v1 = (marts / "fct_daily_revenue_v1.sql").read_text()
    deducted = "- coalesce(r.refunded_minor, 0) - coalesce(l.disputes_lost_minor, 0)"
    v2 = v1.replace("- coalesce(r.refunded_minor, 0)", deducted)
    assert v2 != v1
    (marts / "fct_daily_revenue_v2.sql").write_text(v2)
    yml = (marts / "marts.yml").read_text()
    head, rest = yml.split("  - name: fct_daily_revenue\n", 1)
    body, tail = rest.split("\n  - name: fct_orders\n", 1)
    body = body.replace("latest_version: 1", "latest_version: 2").replace(
        "    versions:\n      - v: 1", "    versions:\n      - v: 2\n      - v: 1\n        deprecation_date: 2027-06-30"
    )
    (marts / "marts.yml").write_text(head + "  - name: fct_daily_revenue\n" + body + "\n  - name: fct_orders\n" + tail)
    return project


def investigate(*argv: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(["investigate", *argv, "--json"], out)
    return code, json.loads(out.getvalue())


def test_a_new_mart_version_built_by_dbt_that_disagrees_with_finance_is_transformation_logic(
    home: Settings, tmp_path: Path
) -> None:
    gate = consistency_check(**window(0))
    assert gate.status == "COMMITTED", gate.reason
    with open_warehouse(home) as wh:
        (good,) = wh.query("SELECT * FROM OPS.MART_PUBLICATIONS WHERE STATUS = 'live'")
        (certified,) = wh.query("SELECT * FROM MARTS.FCT_DAILY_REVENUE WHERE BUSINESS_DATE = %(d)s", {"d": DAY})
    assert (good["GATE_BATCH_ID"], certified["NET_REVENUE_MINOR"], certified["DISPUTES_LOST_MINOR"]) == (
        gate.batch_id, 6000, 2500,
    )  # fmt: skip
    code, clean = investigate("--metric", "daily_revenue", "--date", str(DAY))
    assert (code, clean["classification"]) == (0, "none")

    bad = publish_marts(home, gate.batch_id, project_dir=disputes_deducted_v2(tmp_path))
    assert bad.status == LIVE, bad.reason  # every dbt test passes: captured and refunded still sum to CORE
    with open_warehouse(home) as wh:
        (wrong,) = wh.query("SELECT * FROM MARTS.FCT_DAILY_REVENUE WHERE BUSINESS_DATE = %(d)s", {"d": DAY})
    assert wrong["NET_REVENUE_MINOR"] == 3500  # 6500 - 500 - 2500

    code, report = investigate("--metric", "daily_revenue", "--date", str(DAY), "--currency", "USD")
    assert code == 1 and report["classification"] == "transformation_logic" and report["confidence"] >= 0.5
    logic = [e for e in report["evidence"] if e["hypothesis"] == "transformation_logic"]
    assert [e["claim"] for e in logic] == [
        f"CORE agrees with finance on {DAY} but publication {bad.publication_id} does not "
        "(USD: mart USD 35.00, CORE USD 60.00, finance USD 60.00)",
        f"the marts' definition changed between the good publication {good['PUBLICATION_ID']} (sql hash "
        f"{good['SQL_HASH'][:12]}) and {bad.publication_id} (sql hash {(bad.sql_hash or '')[:12]}): "
        "fct_daily_revenue versions [1] latest 1 -> versions [1, 2] latest 2; "
        "models/marts/fct_daily_revenue_v2.sql added",
    ]
    assert logic[1]["query"] == (
        f"northstar marts publications; dbt manifests marts/publications/{good['PUBLICATION_ID']}/manifest.json, "
        f"marts/publications/{bad.publication_id}/manifest.json"
    )
    assert logic[0]["batch_ids"] == [gate.batch_id]
    symptom = [e["claim"] for e in report["evidence"] if e["hypothesis"] == "symptom"]
    assert symptom == [
        f"the live marts ({bad.publication_id}) disagree with finance on {DAY}: USD mart USD 35.00 vs finance USD 60.00"
    ]
    assert {h["hypothesis"]: h["score"] for h in report["hypotheses"]} == {
        "transformation_logic": 0.95, "source_change": 0.0, "late_arriving_data": 0.0, "etl_bug": 0.0,
    }  # fmt: skip
    assert report["next_step"] == (
        f"`northstar marts rollback --to {good['PUBLICATION_ID']} --reason ...` or fix the mart's model "
        f"(dbt/models/marts/), or adjust: northstar corrections request --kind adjustment --date {DAY} "
        f"--currency USD --amount-minor 2500 --reason 'transformation_logic on {DAY}' --ticket TICKET"
    )
