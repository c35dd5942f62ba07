"""Reprocess corrections of the payments and fulfillment sources through the CLI: requested, approved by someone
else, applied (the replay of flows/reprocess.py), shown, verified by a rebuild from the evidence in a scratch
warehouse, and a hand edit of a corrected CORE row named by verify. Real PostgreSQL, fakesnow through the
connector, the local landing store, the SFTP test server, Prefect's harness."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tests.test_reprocess_fulfillment as rf
import tests.test_reprocess_payments as rp
from northstar.corrections import check_args
from northstar.landing import landing_store
from northstar.settings import load_settings
from tests.helpers import Cli
from tests.sftp_server import SftpTestServer
from tests.test_corrections import ROLES, approve_and_apply, execute, show

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpTestServer]:
    """The SFTP server the WMS drops into."""
    with SftpTestServer(tmp_path / "sftp") as server:
        yield server


def request_reprocess(cli: Cli, source: str, batch: str, reason: str) -> str:
    code, out, err = cli("alice", "corrections", "request", "--kind", "reprocess", "--source", source,
                         "--batch-id", batch, "--reason", reason, "--ticket", "ENG-13", "--json")  # fmt: skip
    assert code == 0, err
    return str(json.loads(out)["correction_id"])


def evidence(cid: str, name: str) -> Any:
    return json.loads(landing_store(load_settings()).get(f"raw/corrections/{cid}/{name}"))


def verify(cli: Cli, cid: str) -> tuple[int, dict[str, Any]]:
    code, out, err = cli("carol", "corrections", "verify", cid, "--json")
    assert "Traceback" not in err and out, err
    return code, dict(json.loads(out))


def test_a_payments_reprocess_correction_is_rebuilt_from_its_events_and_their_context(
    pipeline_env: Callable[..., dict[str, str]], cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env(**ROLES)
    rp.seed_and_run()
    rp.amounts_at_most_3000(monkeypatch)  # the fixed code: amounts above 3000 are test charges
    for batch, said in (("payments-nope", "unknown batch 'payments-nope'"), (rp.BASE, "belongs to the payments")):
        source = "payments" if batch == "payments-nope" else "orders"  # a batch that is not the source's
        code, _, err = cli("alice", "corrections", "request", "--kind", "reprocess", "--source", source,
                           "--batch-id", batch, "--reason", "r", "--ticket", "T")  # fmt: skip
        assert (code, said in err, "Traceback" in err) == (2, True, False), err
    assert cli("alice", "corrections", "list", "--json")[1] == ""  # refused at the request: nothing to approve
    cid = request_reprocess(cli, "payments", rp.BASE, "amounts above 3000 are test charges")
    code, _, err = cli("alice", "corrections", "approve", cid)
    assert code == 2 and "alice requested this correction and may not approve it" in err
    applied = approve_and_apply(cli, cid)
    assert applied["status"] == "applied" and applied["gate"]["status"] == "COMMITTED"
    assert rp.payments() == {
        rp.PI1: ("succeeded", 2500, 700, rp.BASE + "-v2"),  # window 1's refund is still part of its state
        rp.PI2: ("processing", 2000, 0, rp.BASE + "-v2"),  # its 5000 'succeeded' rejected: window 1's state shows
    }
    shown = show(cli, cid)
    assert (shown["status"], shown["approved_by"]) == ("applied", ["bob"])
    assert [e["event"] for e in shown["events"]] == ["REQUESTED", "APPROVED", "APPLIED"]
    assert "inputs/reprocess-plan.json" in shown["evidence"]

    inputs = evidence(cid, "inputs.json")
    manifest = next(i for i in inputs if i["key"].endswith("manifest.json"))
    assert f"batch={rp.BASE}/" in manifest["key"]
    context = [i for i in inputs if "written_at" in i]  # window 1's events of the same two payments
    assert len(context) == 2 and all(i["key"].startswith("raw/stripe/dt=") for i in context)
    assert len([i for i in inputs if i["key"].startswith("raw/stripe/dt=")]) == 4  # the batch's two, and those
    tables = evidence(cid, "tables.json")
    assert set(tables) == {"CORE.PAYMENTS", "CORE.REFUNDS", "CORE.DISPUTES"}
    assert all(t["rebuilt"] for t in tables.values())
    assert {rp.PI1, rp.PI2} <= set(tables["CORE.PAYMENTS"]["scope"]["params"]["ids"])
    assert (tables["CORE.PAYMENTS"]["before"]["count"], tables["CORE.PAYMENTS"]["after"]["count"]) == (2, 2)
    changed = evidence(cid, "diff.json")["CORE.PAYMENTS"]
    assert changed["counts"] == {"added": 0, "removed": 0, "changed": 1, "unchanged": 1}

    code, verdict = verify(cli, cid)
    assert code == 0 and verdict["reproducible"] and verdict["problems"] == [], verdict
    payments = verdict["tables"]["CORE.PAYMENTS"]
    assert payments["recorded"] == payments["rebuilt"] == payments["live"]

    execute(f"UPDATE CORE.PAYMENTS SET AMOUNT = 1 WHERE PAYMENT_INTENT_ID = '{rp.PI1}'")  # a hand edit
    code, verdict = verify(cli, cid)
    assert code == 1 and not verdict["reproducible"]
    assert [p.split(":")[0] for p in verdict["problems"]] == ["CORE.PAYMENTS"]
    assert "the live rows differ from those recorded after the apply" in verdict["problems"][0]


def test_a_payments_reprocess_correction_of_a_range_rebuilds_its_batches_in_order(
    pipeline_env: Callable[..., dict[str, str]], cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env(**ROLES)
    rp.seed_and_run()
    rp.amounts_at_most_3000(monkeypatch)
    code, out, err = cli("alice", "corrections", "request", "--kind", "reprocess", "--source", "payments",
                         "--start", rp.W0.start.isoformat(), "--end", rp.W1.end.isoformat(),
                         "--reason", "amounts above 3000 are test charges", "--ticket", "ENG-13", "--json")  # fmt: skip
    assert code == 0, err
    cid = json.loads(out)["correction_id"]
    applied = approve_and_apply(cli, cid)
    assert applied["status"] == "applied"
    plan = evidence(cid, "inputs/reprocess-plan.json")
    assert [t["base"] for t in plan["targets"]] == [rp.BASE, rp.LATER]
    code, verdict = verify(cli, cid)
    assert code == 0 and verdict["reproducible"], verdict
    assert all(t["recorded"] == t["rebuilt"] == t["live"] for t in verdict["tables"].values())


def test_a_fulfillment_reprocess_correction_is_rebuilt_from_its_files_and_the_records_they_were_judged_against(
    pipeline_env: Callable[..., dict[str, str]], cli: Cli, sftp: SftpTestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pipeline_env(**ROLES, **sftp.env())
    rf.seed_and_run(sftp)
    rf.quantity_at_most_3(monkeypatch)  # the fixed code: a quantity above 3 is a keying error
    cid = request_reprocess(cli, "fulfillment", rf.BASE, "quantities above 3 are keying errors")
    applied = approve_and_apply(cli, cid)
    assert applied["status"] == "applied"
    assert rf.lines() == {
        "SHP-000001/1": (2, rf.LATER),  # hour 1's newer version of the file keeps its lines
        "SHP-000001/2": (4, rf.LATER),
        "SHP-000003/1": (1, rf.BASE + "-v2"),
        "SHP-000003/2": (2, rf.BASE + "-v2"),
        "SHP-000004/1": (2, rf.BASE + "-v2"),
        "SHP-000004/2": (3, rf.BASE + "-v2"),
    }
    assert [e["event"] for e in show(cli, cid)["events"]] == ["REQUESTED", "APPROVED", "APPLIED"]
    inputs = evidence(cid, "inputs.json")
    assert [i["key"].rsplit("/", 1)[-1] for i in inputs] == ["reprocess-plan.json", "manifest.json", "a.csv"]
    lines = evidence(cid, "tables.json")["CORE.SHIPMENT_LINES"]
    assert lines["scope"]["params"]["keys"] == [
        "SHP-000002/1", "SHP-000002/2", "SHP-000003/1", "SHP-000003/2", "SHP-000004/1", "SHP-000004/2",
    ]  # fmt: skip  # hour 0's lines, less the two hour 1 owns
    assert (lines["before"]["count"], lines["after"]["count"], lines["rebuilt"]) == (5, 4, True)

    code, verdict = verify(cli, cid)
    assert code == 0 and verdict["reproducible"], verdict
    table = verdict["tables"]["CORE.SHIPMENT_LINES"]
    assert table["recorded"] == table["rebuilt"] == table["live"]

    execute("UPDATE CORE.SHIPMENT_LINES SET QUANTITY = 1 WHERE SHIPMENT_ID = 'SHP-000003' AND LINE_NO = 2")
    code, verdict = verify(cli, cid)
    assert code == 1 and len(verdict["problems"]) == 1
    assert verdict["problems"][0].startswith("CORE.SHIPMENT_LINES: the live rows differ")

    # hour 1's file is a new version of a path hour 0 recorded: the replay judges it against that record, which the
    # evidence keeps (as Parquet) and the rebuild loads into the scratch warehouse first
    later = request_reprocess(cli, "fulfillment", rf.LATER, "same code, replayed for the audit")
    assert approve_and_apply(cli, later)["status"] == "applied"
    inputs = evidence(later, "inputs.json")
    assert [i["key"].rsplit("/", 1)[-1] for i in inputs] == [
        "reprocess-plan.json", "manifest.json", "a.csv", "seed-ops-wms_files.parquet",
    ]  # fmt: skip
    assert evidence(later, "inputs/reprocess-plan.json")["seeded"] == ["OPS.WMS_FILES"]
    code, verdict = verify(cli, later)
    assert code == 0 and verdict["reproducible"], verdict
    table = verdict["tables"]["CORE.SHIPMENT_LINES"]
    assert table["recorded"] == table["rebuilt"] == table["live"]


@pytest.mark.parametrize("source", ["payments", "fulfillment"])
def test_reprocess_accepts_every_replayed_source_and_the_other_kinds_name_what_to_do_instead(source: str) -> None:
    assert check_args("reprocess", {"source": source, "batch_ids": ["b"]})["source"] == source
    window = {"start": "2026-11-20T12:00:00+00:00", "end": "2026-11-20T12:15:00+00:00"}
    with pytest.raises(ValueError, match=f"support the orders source, not '{source}'; .* request a reprocess"):
        check_args("source_refresh", {"source": source, **window})
    with pytest.raises(ValueError, match=f"support the orders source, not '{source}'; .* request a reprocess"):
        check_args("quarantine_release", {"source": source, "override": [{}]})
    with pytest.raises(ValueError, match="reprocess corrections replay orders, payments, fulfillment, not 'stripe'"):
        check_args("reprocess", {"source": "stripe", "batch_ids": ["b"]})


def test_a_refused_source_is_one_line_and_exit_2_at_the_command(
    pipeline_env: Callable[..., dict[str, str]], cli: Cli
) -> None:
    pipeline_env(**ROLES)
    code, _, err = cli("alice", "corrections", "request", "--kind", "source_refresh", "--source", "fulfillment",
                       "--start", "2026-11-20T12:00:00+00:00", "--end", "2026-11-20T13:00:00+00:00",
                       "--reason", "r", "--ticket", "T")  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "not 'fulfillment'; for payments or fulfillment, land the missing raw first" in err
    code, out, _ = cli("alice", "corrections", "list", "--json")
    assert (code, out) == (0, "")  # nothing was recorded
