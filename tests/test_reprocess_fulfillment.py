"""reprocess --source fulfillment: new versions replayed from the landed WMS files, never from the drop folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import flows.fulfillment_hourly as wms_flow
import validators.fulfillment as wms_checks
from flows.reprocess import ReprocessError, reprocess
from northstar.batches import Window, batch_id
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests import wms_samples as w
from tests.helpers import table_hashes
from tests.sftp_server import SftpTestServer
from validators.rules import in_range

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
PUBLISHED = (
    "CORE.SHIPMENTS", "CORE.SHIPMENT_LINES", "QUARANTINE.WMS_LINES", "QUARANTINE.WMS_FILES", "OPS.WMS_FILES",
    "OPS.LOAD_BATCHES", "OPS.QUARANTINE_SIGHTINGS",
)  # fmt: skip
H0 = Window(w.T0, w.T0 + timedelta(hours=1))
H1 = Window(w.T0 + timedelta(hours=1), w.T0 + timedelta(hours=2))
BASE, LATER = batch_id("fulfillment", H0), batch_id("fulfillment", H1)


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpTestServer]:
    """The SFTP server the WMS drops into."""
    with SftpTestServer(tmp_path / "sftp") as server:
        yield server


@pytest.fixture
def wms_env(pipeline_env: Callable[..., dict[str, str]], sftp: SftpTestServer) -> None:
    pipeline_env(**sftp.env())


def at(minutes: float) -> datetime:
    return w.T0 + timedelta(minutes=minutes)


def run(window: Window) -> str:
    return wms_flow.fulfillment_hourly(window.start.isoformat(), window.end.isoformat()).status


def seed_and_run(sftp: SftpTestServer) -> None:
    """Hour 0: a.csv, shipments 1-4 (8 lines; quantities 3,4 / 4,-1 / 1,2 / 2,3: SHP-000002 line 2 quarantined).
    Hour 1: a new version of a.csv with shipment 1 only (line 1 corrected to 2): its lines are hour 1's now."""
    items = w.shipments(4)
    items[1] = w.with_line(items[1], 2, quantity=-1)
    sftp.drop("a.csv", w.csv_file(items), at(5))
    assert run(H0) == "COMMITTED"
    sftp.drop("a.csv", w.csv_file([w.with_line(items[0], 1, quantity=2)]), at(65))
    assert run(H1) == "COMMITTED"


def quantity_at_most_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """'New code': the quantity check's range is 1-3 now (it was >= 1)."""
    checks = tuple(
        in_range("schema.quantity_positive", "quantity", min=1, max=3)
        if c.check_id == "schema.quantity_positive"
        else c
        for c in wms_checks.SHIPMENT_LINE_CHECKS
    )
    monkeypatch.setattr(wms_checks, "SHIPMENT_LINE_CHECKS", checks)


def lines(sql_where: str = "") -> dict[str, tuple[int, str]]:
    with open_warehouse(load_settings()) as wh:
        rows = wh.query(f"SELECT SHIPMENT_ID, LINE_NO, QUANTITY, _BATCH_ID FROM CORE.SHIPMENT_LINES {sql_where}")
    return {f"{r['SHIPMENT_ID']}/{r['LINE_NO']}": (int(r["QUANTITY"]), r["_BATCH_ID"]) for r in rows}


def query(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql, params)


def test_unchanged_code_is_a_no_op_and_a_check_change_replaces_exactly_its_rows(
    wms_env: None, sftp: SftpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_and_run(sftp)
    settings = load_settings()
    read_before = (sftp.listings, sum(sftp.opens.values()))
    with open_warehouse(settings) as wh:
        before = table_hashes(wh, PUBLISHED)
    same = reprocess(settings, "fulfillment", batch_ids=[BASE], reason="no change")
    assert [(b.status, b.batch_id) for b in same.batches] == [("UNCHANGED", BASE + "-v2")]
    assert [d.total for d in same.batches[0].diffs] == [0, 0, 0, 0]
    with open_warehouse(settings) as wh:
        assert table_hashes(wh, PUBLISHED) == before

    quantity_at_most_3(monkeypatch)
    report = reprocess(settings, "fulfillment", start=H0.start.isoformat(), end=H0.end.isoformat(), reason="cap 3")
    (replayed,) = report.batches
    assert (replayed.status, replayed.superseded, report.new_batch_ids) == ("COMMITTED", BASE, [BASE + "-v2"])
    diffs = {d.table: (d.added, d.changed, d.removed, d.sample) for d in replayed.diffs}
    assert diffs["CORE.SHIPMENT_LINES"] == (0, 0, 1, {"removed": ["SHP-000002/1"]})  # quantity 4
    assert diffs["QUARANTINE.WMS_LINES"][:3] == (2, 0, 0)  # SHP-000002/1 and hour 0's SHP-000001/2 (4)
    assert diffs["OPS.WMS_FILES"][:3] == (0, 1, 0)  # a.csv's line counts
    assert lines() == {
        "SHP-000001/1": (2, LATER),  # hour 1's newer version of the file keeps its lines
        "SHP-000001/2": (4, LATER),
        "SHP-000003/1": (1, BASE + "-v2"),
        "SHP-000003/2": (2, BASE + "-v2"),
        "SHP-000004/1": (2, BASE + "-v2"),
        "SHP-000004/2": (3, BASE + "-v2"),
    }
    history = query("SELECT SHIPMENT_ID, LINE_NO, _SUPERSEDED_BY FROM CORE.SHIPMENT_LINES_HISTORY")
    assert sorted(f"{r['SHIPMENT_ID']}/{r['LINE_NO']}" for r in history) == [
        "SHP-000002/1", "SHP-000003/1", "SHP-000003/2", "SHP-000004/1", "SHP-000004/2",
    ]  # fmt: skip
    quarantined = query("SELECT SHIPMENT_ID, LINE_NO FROM QUARANTINE.WMS_LINES ORDER BY 1, 2")
    assert [(r["SHIPMENT_ID"], r["LINE_NO"]) for r in quarantined] == [
        ("SHP-000001", 2), ("SHP-000002", 1), ("SHP-000002", 2),
    ]  # fmt: skip
    (recorded,) = query(
        "SELECT STATUS, NEW_VERSION, LINES_PUBLISHED, LINES_QUARANTINED FROM OPS.WMS_FILES WHERE _BATCH_ID = %(b)s",
        {"b": BASE + "-v2"},
    )
    # the file's passed lines (5) as a first run counts them; the ledger counts what this version publishes (4)
    assert recorded == {"STATUS": "LOADED", "NEW_VERSION": False, "LINES_PUBLISHED": 5, "LINES_QUARANTINED": 3}
    ledger = query(
        "SELECT STATUS, SUPERSEDES, ROWS_PUBLISHED FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s", {"b": BASE + "-v2"}
    )
    assert ledger == [{"STATUS": "COMMITTED", "SUPERSEDES": BASE, "ROWS_PUBLISHED": 4}]

    assert (sftp.listings, sum(sftp.opens.values())) == read_before  # the drop folder was never read
    with open_warehouse(settings) as wh:
        after = table_hashes(wh, PUBLISHED)
    again = reprocess(settings, "fulfillment", batch_ids=[BASE], reason="same code again")
    assert [(b.status, b.superseded) for b in again.batches] == [("UNCHANGED", BASE + "-v2")]
    with open_warehouse(settings) as wh:
        assert table_hashes(wh, PUBLISHED) == after


def test_a_held_batch_is_replayed_and_bad_input_changes_nothing(
    wms_env: None, sftp: SftpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sftp.drop("a.csv", w.csv_file(w.shipments(2)), at(5))
    contract = replace(
        wms_checks.FULFILLMENT, columns={**wms_checks.FULFILLMENT.columns, "pallet": frozenset({"VARCHAR"})}
    )
    with monkeypatch.context() as patched:  # the code of the day wants a column the files do not have: held
        patched.setattr(wms_checks, "FULFILLMENT", contract)
        assert run(H0) == "HELD"
    settings = load_settings()
    assert lines() == {}
    report = reprocess(settings, "fulfillment", batch_ids=[BASE], reason="contract fixed")
    assert [(b.status, b.superseded, b.batch_id) for b in report.batches] == [("COMMITTED", BASE, BASE + "-v2")]
    assert {k: v[1] for k, v in lines().items()} == {f"SHP-00000{i}/{n}": BASE + "-v2" for i in (1, 2) for n in (1, 2)}

    with open_warehouse(settings) as wh:
        before = table_hashes(wh, PUBLISHED)
    with pytest.raises(ReprocessError, match="unknown batch 'fulfillment-nope'"):
        reprocess(settings, "fulfillment", batch_ids=["fulfillment-nope"], reason="bad")
    (landed,) = [p for p in (settings.landing_dir / "raw" / "wms").rglob("a.csv")]
    landed.unlink()  # past the raw retention
    with pytest.raises(ReprocessError, match="is gone"):
        reprocess(settings, "fulfillment", batch_ids=[BASE], reason="raw gone")
    with open_warehouse(settings) as wh:
        assert table_hashes(wh, PUBLISHED) == before
        assert wh.query("SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES") == [{"N": 0}]
