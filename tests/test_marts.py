"""The certified marts end to end: real dbt (in-process) against the real fakesnow server, through the connector.

One warehouse is seeded and published by the consistency flow once per module (a dbt build costs ~10 s here); the
tests then publish, break, roll back and roll forward on it in file order, each asserting against the state it
finds (the live publication when it starts), never against a number written into the test.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import snowflake.connector

from cli.main import main
from flows.consistency import consistency_check
from northstar.landing import landing_store
from northstar.marts import contracts
from northstar.marts.dbt_runner import DBT_PROJECT_DIR
from northstar.marts.publication import (
    FAILED,
    LIVE,
    ROLLED_BACK,
    SUPERSEDED,
    get_publication,
    go_live_plan,
    publish_marts,
    rollback,
)
from northstar.settings import Settings, load_settings
from northstar.warehouse import Warehouse, open_warehouse
from northstar.warehouse_server import running_server, stop_server
from tests.consistency_seed import SourceBatch, commit, drop_finance, order_row, payment_row, window
from tests.helpers import T0, table_hashes

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
DAY = date(2026, 11, 20)
STABLE = ("MARTS.FCT_DAILY_REVENUE", "MARTS.FCT_ORDERS", "MARTS.FCT_ORDERS_V1", "MARTS.FCT_PAYMENTS",
          "MARTS.FCT_FULFILLMENT", "MARTS.DIM_CUSTOMER", "MARTS.FCT_DAILY_OPERATIONS", "MARTS_COMPAT.DAILY_REVENUE",
          "MARTS_COMPAT.ORDER_PAYMENTS")  # fmt: skip
BI_QUERIES = sorted((DBT_PROJECT_DIR.parent / "bi" / "queries").glob("*.sql"))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[Settings]:
    """A warehouse with two business days of orders, payments (USD, EUR), a refund, a lost dispute, shipments and
    finance's reports, checked by the consistency flow, whose passed gate publishes the marts."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("marts")
    # dbt cannot name a database path: this home gets its own warehouse server (default path: its files), not the
    # session's shared one
    for key in ("NORTHSTAR_PROFILE", "NORTHSTAR_LANDING_BUCKET", "SNOWFLAKE_ACCOUNT", "NORTHSTAR_MARQUEZ_URL",
                "NORTHSTAR_WAREHOUSE_SERVER"):  # fmt: skip
        mp.delenv(key, raising=False)
    mp.setenv("NORTHSTAR_HOME", str(root / "home"))
    mp.setenv("NORTHSTAR_BUSINESS_TZ", "America/New_York")
    mp.setenv("NORTHSTAR_MARTS_PUBLISH", "true")
    mp.setenv("NORTHSTAR_MARTS_KEEP", "4")
    settings = load_settings()
    late_evening = T0 - timedelta(hours=9)  # 03:00 UTC on the 20th is 22:00 on the 19th in New York
    with open_warehouse(settings) as wh:
        commit(wh, SourceBatch("orders", "orders-1", T0 + timedelta(minutes=12), orders=[
            order_row(1, T0 - timedelta(days=1)), order_row(2, late_evening, total=1000),
            order_row(3, T0 + timedelta(minutes=1), total=4000, status="shipped"),
            order_row(4, T0 + timedelta(minutes=2), total=3000, currency="EUR", customer_id=7),
            order_row(5, T0 + timedelta(minutes=3), total=1500, customer_id=9),
            order_row(6, T0 + timedelta(minutes=4), total=1600, customer_id=9, status="pending")],
            order_lines=[(3, 1, "SKU-1", 2), (3, 2, "SKU-2", 1), (4, 1, "SKU-3", 1)]))  # fmt: skip
        commit(wh, SourceBatch("payments", "payments-1", T0 + timedelta(minutes=13), payments=[
            payment_row("pi_1", 1, 2500, T0 - timedelta(days=1)), payment_row("pi_2", 2, 1000, late_evening),
            payment_row("pi_3", 3, 4000, T0 + timedelta(minutes=2)),
            payment_row("pi_4", 4, 3000, T0 + timedelta(minutes=3), currency="EUR"),
            payment_row("pi_5", 5, 1500, T0 + timedelta(minutes=4))],
            refunds=[{"refund_id": "re_3", "pi": "pi_3", "amount": 500, "created_at": T0 + timedelta(minutes=5)}],
            disputes=[{"dispute_id": "dp_1", "pi": "pi_1", "amount": 2500, "status": "lost"}]))  # fmt: skip
        commit(wh, SourceBatch("wms", "wms-1", T0 + timedelta(minutes=14), lines=[
            {"shipment_id": "S1", "order_id": 3, "sku": "SKU-1", "quantity": 2},
            {"shipment_id": "S1", "line_no": 2, "order_id": 3, "sku": "SKU-2", "quantity": 1}]))  # fmt: skip
    store = landing_store(settings)
    drop_finance(store, DAY - timedelta(days=1), {"USD": (3500, 0)})
    drop_finance(store, DAY, {"USD": (5500, 500), "EUR": (3000, 0)})
    gate = consistency_check(**window(0))
    assert gate.status == "COMMITTED", gate.reason
    with open_warehouse(settings) as wh:  # as a later batch would record it (1 in 4 would hold this day's gate)
        wh.execute(
            "INSERT INTO OPS.DUPLICATE_CANDIDATES SELECT 'duplicates.same_purchase', 6, 5, %(d)s, PARSE_JSON('{}'),"
            " 'consistency-later', %(at)s",
            {"d": DAY, "at": T0.replace(tzinfo=None)},
        )
    try:
        yield settings
    finally:
        mp.undo()
        stop_server(settings.warehouse_dir)


def query(settings: Settings, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(settings) as wh:
        return wh.query(sql, params)


def ledger(settings: Settings) -> dict[str, dict[str, Any]]:
    rows = query(settings, "SELECT * FROM OPS.MART_PUBLICATIONS ORDER BY CREATED_AT")
    return {r["PUBLICATION_ID"]: r for r in rows}


def live_id(settings: Settings) -> str:
    (row,) = query(settings, "SELECT PUBLICATION_ID FROM OPS.MART_PUBLICATIONS WHERE STATUS = 'live'")
    return str(row["PUBLICATION_ID"])


def hashes(settings: Settings) -> dict[str, list[str]]:
    with open_warehouse(settings) as wh:
        return table_hashes(wh, STABLE)


def columns(settings: Settings, sql: str) -> list[str]:
    with open_warehouse(settings) as wh, wh.conn.cursor() as cur:
        cur.execute(sql)
        cur.fetchall()
        return [str(d[0]).upper() for d in cur.description]


def run_bi_queries(settings: Settings) -> dict[str, list[str]]:
    """Each dashboard query's columns, checked against the columns its header promises."""
    seen = {}
    for path in BI_QUERIES:
        text = path.read_text()
        (promised,) = re.findall(r"^-- columns: (.+)$", text, flags=re.M)
        seen[path.name] = columns(settings, text)
        assert seen[path.name] == [c.strip() for c in promised.split(",")], path.name
    return seen


def project_copy(tmp_path: Path) -> Path:
    """A copy of the dbt project to change, as the analytics engineer would on a branch."""
    copy = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    return copy


def test_the_passed_gate_publishes_every_mart_with_every_dbt_test_passing(home: Settings) -> None:
    (pub,) = ledger(home).values()
    assert pub["STATUS"] == LIVE and pub["REASON"] is None
    (gate,) = query(home, "SELECT BATCH_ID FROM OPS.LOAD_BATCHES WHERE SOURCE = 'consistency'")
    assert pub["GATE_BATCH_ID"] == gate["BATCH_ID"]
    assert json.loads(pub["CORE_BATCHES"]) == {"consistency": gate["BATCH_ID"], "orders": "orders-1",
                                               "payments": "payments-1", "wms": "wms-1"}  # fmt: skip
    run_results = json.loads((home.work_dir / "marts" / pub["PUBLICATION_ID"] / "target" / "run_results.json")
                             .read_text())  # fmt: skip
    statuses = {r["unique_id"]: r["status"] for r in run_results["results"]}
    tests = [s for uid, s in statuses.items() if uid.startswith("test.")]
    assert len(tests) > 30 and set(tests) == {"pass"}
    assert {s for uid, s in statuses.items() if uid.startswith("model.")} == {"success"}
    assert run_results["metadata"]["invocation_id"] == pub["DBT_INVOCATION_ID"]
    counts = json.loads(pub["ROW_COUNTS"])
    core_orders = query(home, "SELECT count(*) AS N FROM CORE.ORDERS")[0]["N"]
    assert counts["FCT_ORDERS_V1"] == counts["FCT_ORDERS_V2"] == core_orders
    assert landing_store(home).get(pub["MANIFEST_KEY"])  # the manifest is kept beside the raw data

    # v1 and v2 side by side; the unversioned name is the latest (v2: paid_minor became captured_minor)
    v1, v2 = columns(home, "SELECT * FROM MARTS.FCT_ORDERS_V1"), columns(home, "SELECT * FROM MARTS.FCT_ORDERS_V2")
    assert "PAID_MINOR" in v1 and "CAPTURED_MINOR" not in v1 and "CAPTURED_MINOR" in v2
    assert columns(home, "SELECT * FROM MARTS.FCT_ORDERS") == v2
    same = query(home, "SELECT count(*) AS N FROM MARTS.FCT_ORDERS_V1 AS a JOIN MARTS.FCT_ORDERS AS b"
                       " ON a.ORDER_ID = b.ORDER_ID AND a.PAID_MINOR = b.CAPTURED_MINOR")  # fmt: skip
    assert same[0]["N"] == core_orders


def test_certified_revenue_is_what_the_gate_reconciles_with_finance(home: Settings) -> None:
    gate = ledger(home)[live_id(home)]["GATE_BATCH_ID"]
    reconciled = query(home, "SELECT BUSINESS_DATE, CURRENCY, NET_MINOR, FINANCE_NET_MINOR FROM"
                             " OPS.DAILY_RECONCILIATION WHERE _BATCH_ID = %(b)s", {"b": gate})  # fmt: skip
    certified = {(r["BUSINESS_DATE"], r["CURRENCY"]): r for r in query(home, "SELECT * FROM MARTS.FCT_DAILY_REVENUE")}
    assert len(reconciled) == 3  # two days in USD (one moved by the timezone), one in EUR
    for day in reconciled:
        mart = certified[(day["BUSINESS_DATE"], day["CURRENCY"])]
        assert mart["NET_REVENUE_MINOR"] == day["NET_MINOR"] == day["FINANCE_NET_MINOR"]
        assert mart["ADJUSTMENTS_MINOR"] == 0
    # the lost dispute is shown on its own and not deducted
    assert sum(r["DISPUTES_LOST_MINOR"] for r in certified.values()) == 2500
    # the old mart's columns, through the compatibility layer, carry the same figures
    legacy = query(home, "SELECT BUSINESS_DATE, CURRENCY, NET_MINOR FROM MARTS_COMPAT.DAILY_REVENUE")
    assert {(r["BUSINESS_DATE"], r["CURRENCY"]): r["NET_MINOR"] for r in legacy} == {
        k: v["NET_REVENUE_MINOR"] for k, v in certified.items()
    }


def test_a_failing_mart_test_or_a_broken_contract_leaves_the_previous_publication_live(
    home: Settings, tmp_path: Path
) -> None:
    before, live = hashes(home), live_id(home)
    with open_warehouse(home) as wh:  # a status no source check would let through
        wh.execute("INSERT INTO CORE.ORDERS SELECT 99, 42, 'on_hold', 'USD', 100, CREATED_AT, UPDATED_AT, _BATCH_ID,"
                   " _LOADED_AT, NULL FROM CORE.ORDERS WHERE ORDER_ID = 1")  # fmt: skip
    try:
        failed = publish_marts(home, "manual")
    finally:
        with open_warehouse(home) as wh:
            wh.execute("DELETE FROM CORE.ORDERS WHERE ORDER_ID = 99")
    assert failed.status == FAILED and "accepted_values" in (failed.reason or "")
    assert live_id(home) == live and hashes(home) == before

    project = project_copy(tmp_path)  # a column retyped in the SQL, its YAML contract unchanged
    sql = project / "models" / "marts" / "fct_payments_v1.sql"
    sql.write_text(sql.read_text().replace("cast(p.currency as varchar)", "cast(1 as number(38, 0))"))
    broken = publish_marts(home, "manual", project_dir=project)
    assert broken.status == FAILED and "contract" in (broken.reason or "").lower()
    assert live_id(home) == live and hashes(home) == before
    assert ledger(home)[broken.publication_id]["STATUS"] == FAILED


def test_the_contract_check_fails_on_an_undeclared_breaking_change_only(home: Settings, tmp_path: Path) -> None:
    released = contracts.load_snapshot()
    assert released, "dbt/contracts/released.json is the previous release's contracts"
    assert contracts.check(home) == []  # the committed project keeps every released contract

    project = project_copy(tmp_path)  # v1 renamed in place: breaking, undeclared
    yml = project / "models" / "marts" / "marts.yml"
    yml.write_text(yml.read_text().replace("- name: net_revenue_minor", "- name: net_minor"))
    (project / "models" / "marts" / "fct_daily_revenue_v1.sql").write_text(
        (project / "models" / "marts" / "fct_daily_revenue_v1.sql").read_text().replace(
            "as net_revenue_minor", "as net_minor")
    )  # fmt: skip
    found = [str(b) for b in contracts.check(home, project)]
    assert found == ["fct_daily_revenue_v1: column net_revenue_minor removed or renamed"]


def add_revenue_v2(project: Path) -> None:
    """The DEVELOPERS.md recipe: a breaking change as v2 (net_revenue_minor renamed net_minor), v1 deprecated."""
    marts = project / "models" / "marts"
    v1 = (marts / "fct_daily_revenue_v1.sql").read_text()
    (marts / "fct_daily_revenue_v2.sql").write_text(v1.replace("as net_revenue_minor", "as net_minor"))
    yml = (marts / "marts.yml").read_text()
    head, rest = yml.split("  - name: fct_daily_revenue\n", 1)
    body, tail = rest.split("\n  - name: fct_orders\n", 1)
    body = body.replace("latest_version: 1", "latest_version: 2").replace(
        "    versions:\n      - v: 1",
        "      - name: net_minor\n        data_type: number(38,0)\n        description: v2's name.\n"
        "    versions:\n      - v: 2\n        columns:\n          - include: all\n"
        "            exclude: [net_revenue_minor]\n"
        "      - v: 1\n        deprecation_date: 2027-06-30\n        columns:\n          - include: all\n"
        "            exclude: [net_minor]",
    )
    (marts / "marts.yml").write_text(head + "  - name: fct_daily_revenue\n" + body + "\n  - name: fct_orders\n" + tail)


def test_dashboards_keep_working_when_a_v2_is_published(home: Settings, tmp_path: Path) -> None:
    before = run_bi_queries(home)
    project = project_copy(tmp_path)
    add_revenue_v2(project)
    assert contracts.check(home, project) == []  # declared: v1 is kept as released
    pub = publish_marts(home, "manual", project_dir=project)
    assert pub.status == LIVE, pub.reason
    assert run_bi_queries(home) == before
    assert "NET_MINOR" in columns(home, "SELECT * FROM MARTS.FCT_DAILY_REVENUE")  # the latest is v2
    assert "NET_REVENUE_MINOR" in columns(home, "SELECT * FROM MARTS.FCT_DAILY_REVENUE_V1")
    out = io.StringIO()
    assert main(["marts", "deprecations", "--json"], out) == 0
    deprecated = {
        (r["MODEL"], r["VERSION"]): r["DEPRECATION_DATE"] for r in map(json.loads, out.getvalue().splitlines())
    }
    assert deprecated == {("fct_daily_revenue", "1"): "2027-06-30", ("fct_orders", "1"): "2027-03-31"}

    (dup,) = query(home, "SELECT * FROM MARTS.FCT_ORDERS WHERE ORDER_ID = 6")  # recorded after the flow's
    assert (dup["IS_DUPLICATE"], dup["RECONCILED_STATUS"], dup["DUPLICATE_OF_ORDER_ID"]) == (True, "duplicate", 5)
    (customer,) = query(home, "SELECT * FROM MARTS.DIM_CUSTOMER WHERE CUSTOMER_ID = 9")
    assert (customer["ORDERS"], customer["DUPLICATE_ORDERS"]) == (1, 1)


def test_rollback_restores_the_exact_numbers_and_a_later_publication_rolls_forward(
    home: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A is published here, on the CORE and OPS B will read but for pi_7. The live publication is not enough: when
    # this test runs alone it is the gate's, built before the fixture recorded order 6 as a duplicate of 5, and the
    # diff would rightly count order 6 as changed too. A carries the v2 of revenue, as the one before it did.
    project = project_copy(tmp_path)
    add_revenue_v2(project)
    first = publish_marts(home, "manual", project_dir=project)
    assert first.status == LIVE, first.reason
    a = first.publication_id
    numbers_a = hashes(home)
    with open_warehouse(home) as wh:  # a later payment: B's numbers differ from A's
        commit(wh, SourceBatch("payments", "payments-2", T0 + timedelta(minutes=40),
                               payments=[payment_row("pi_7", 3, 700, T0 + timedelta(minutes=30))]))  # fmt: skip
    b = publish_marts(home, "manual")
    assert b.status == LIVE
    numbers_b = hashes(home)
    assert numbers_b != numbers_a
    # B is built from the committed project: the v2 of revenue that A had is gone, its view dropped
    assert "NET_REVENUE_MINOR" in columns(home, "SELECT * FROM MARTS.FCT_DAILY_REVENUE")

    out = io.StringIO()
    assert main(["marts", "diff", a, b.publication_id, "--json"], out) == 0
    diff = json.loads(out.getvalue())
    revenue = {(r["business_date"], r["currency"]): r["difference_minor"] for r in diff["revenue"]}
    assert revenue == {(str(DAY), "USD"): 700}
    orders = {m["relation"]: m for m in diff["marts"]}["FCT_ORDERS_V2"]
    assert (orders["added"], orders["removed"], orders["changed"]) == (0, 0, 1)

    monkeypatch.setenv("NORTHSTAR_USER", "analyst-on-call")
    assert main(["marts", "rollback", "--to", a, "--reason", "finance disputes pi_7"], io.StringIO()) == 0
    assert hashes(home) == numbers_a  # the exact earlier numbers, every stable view
    pubs = ledger(home)
    assert (pubs[a]["STATUS"], pubs[b.publication_id]["STATUS"]) == (LIVE, ROLLED_BACK)
    (event,) = query(home, "SELECT * FROM OPS.MART_PUBLICATION_EVENTS WHERE EVENT = 'rolled_back'")
    assert (event["PUBLICATION_ID"], event["PREVIOUS_ID"], event["ACTOR"], event["REASON"]) == (
        a, b.publication_id, "analyst-on-call", "finance disputes pi_7")  # fmt: skip

    forward = publish_marts(home, "manual")  # the next publication rolls forward from the same CORE
    assert forward.status == LIVE
    marts = [t for t in STABLE if t.startswith("MARTS.")]  # MARTS_COMPAT's _PUBLISHED_AT is the new publication's
    assert {t: h for t, h in hashes(home).items() if t in marts} == {t: numbers_b[t] for t in marts}
    assert ledger(home)[a]["STATUS"] == SUPERSEDED

    out = io.StringIO()
    assert main(["marts", "publications", "--json"], out) == 0
    listed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(listed) == len(ledger(home))
    # NORTHSTAR_MARTS_KEEP=4: the 4 newest keep their schema, older ones are dropped (in file order: 3 of them)
    assert [p["KEPT"] for p in listed] == [True] * min(len(listed), 4) + [False] * (len(listed) - 4)
    assert listed[0]["PUBLICATION_ID"] == forward.publication_id


def test_an_adjustment_row_changes_the_certified_revenue_by_exactly_its_amount(home: Settings) -> None:
    """A correction writes MARTS.REVENUE_ADJUSTMENTS (the shape agreed with the corrections feature); the next
    publication's fct_daily_revenue carries it in adjustments_minor and moves net revenue by exactly its amount."""
    before = {(r["BUSINESS_DATE"], r["CURRENCY"]): r for r in query(home, "SELECT * FROM MARTS.FCT_DAILY_REVENUE")}
    with open_warehouse(home) as wh:
        wh.execute(
            "INSERT INTO MARTS.REVENUE_ADJUSTMENTS (BUSINESS_DAY, CURRENCY, AMOUNT_MINOR, REASON, CORRECTION_ID,"
            " CREATED_AT) VALUES (%(d)s, 'USD', -321, 'refund booked outside Stripe', 'corr-1', %(at)s)",
            {"d": DAY, "at": T0},
        )
    try:
        assert publish_marts(home, "manual").status == LIVE
        after = {(r["BUSINESS_DATE"], r["CURRENCY"]): r for r in query(home, "SELECT * FROM MARTS.FCT_DAILY_REVENUE")}
    finally:
        with open_warehouse(home) as wh:
            wh.execute("DELETE FROM MARTS.REVENUE_ADJUSTMENTS WHERE CORRECTION_ID = 'corr-1'")
    assert after.keys() == before.keys()
    for key, row in after.items():
        moved = -321 if key == (DAY, "USD") else 0
        assert row["ADJUSTMENTS_MINOR"] == before[key]["ADJUSTMENTS_MINOR"] + moved
        assert row["NET_REVENUE_MINOR"] == before[key]["NET_REVENUE_MINOR"] + moved
        assert row["CAPTURED_MINOR"] == before[key]["CAPTURED_MINOR"]


def test_the_go_live_is_one_transaction_no_other_session_sees_a_mix(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the go-live's first view switch and its COMMIT, another session still reads the whole previous
    publication: every stable view and the ledger, observed after each statement of the transaction."""
    pubs = ledger(home)
    live = live_id(home)
    (target,) = [p for p, r in list(pubs.items())[-2:] if p != live]  # the newest kept one that is not live
    observed: list[dict[str, list[str]]] = []
    info = running_server(home.warehouse_dir)  # a second login: this process's own is shared by its sessions
    assert info is not None
    conn = snowflake.connector.connect(**info.connect_args(home.warehouse_dir.resolve()), database=home.database)
    with contextlib.closing(conn):
        observer = Warehouse(conn, home.database)
        before = table_hashes(observer, (*STABLE, "OPS.MART_PUBLICATIONS"))
        real_execute = Warehouse.execute

        def spying(self: Warehouse, sql: str, params: dict[str, Any] | None = None) -> int:
            done = real_execute(self, sql, params)
            if self is not observer and sql.startswith(("CREATE OR REPLACE VIEW", "UPDATE OPS.MART_PUBLICATIONS")):
                observed.append(table_hashes(observer, (*STABLE, "OPS.MART_PUBLICATIONS")))
            return done

        monkeypatch.setattr(Warehouse, "execute", spying)
        rollback(home, target, "atomicity check")
        monkeypatch.undo()
        after = table_hashes(observer, (*STABLE, "OPS.MART_PUBLICATIONS"))
    assert len(observed) >= len(STABLE) + 2  # every view switch and both ledger updates were observed
    assert all(seen == before for seen in observed)
    assert after != before and live_id(home) == target


def test_the_snowflake_swap_go_live_is_written_and_fakesnow_cannot_run_it(home: Settings) -> None:
    """Production's go-live (sql/marts/swap_marts_live.sql): a clone swapped into MARTS_LIVE in one statement. The
    emulator refuses SWAP WITH and schema CLONE, so it can only be rendered here, not run."""
    with open_warehouse(home) as wh:
        pub = get_publication(wh, live_id(home))
        plan = go_live_plan(pub, swap=True)
        assert plan[:3] == ["CREATE SCHEMA IF NOT EXISTS MARTS_LIVE",
                            f"CREATE OR REPLACE TRANSIENT SCHEMA MARTS_NEXT CLONE {pub.schema_name}",
                            "ALTER SCHEMA MARTS_LIVE SWAP WITH MARTS_NEXT"]  # fmt: skip
        assert "CREATE OR REPLACE VIEW MARTS.FCT_ORDERS AS SELECT * FROM MARTS_LIVE.FCT_ORDERS" in plan
        for unsupported in plan[1:3]:
            with pytest.raises(snowflake.connector.errors.ProgrammingError):
                wh.execute(unsupported)
        wh.execute("DROP SCHEMA IF EXISTS MARTS_LIVE")
