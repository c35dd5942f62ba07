"""fulfillment-hourly end to end: a real SFTP server on loopback (key auth), DuckDB, fakesnow, Prefect's harness."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncssh
import pytest

import flows.fulfillment_hourly as wms_flow
from lineage.validate import validate_event
from northstar import loads
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.sources.wms.drop.sftp import DownloadFailed, HostKeyRefused
from northstar.warehouse import open_warehouse
from tests import wms_samples as w
from tests.helpers import table_hashes
from tests.sftp_server import SftpTestServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
WMS_TABLES = ("CORE.SHIPMENTS", "CORE.SHIPMENT_LINES", "QUARANTINE.WMS_LINES", "QUARANTINE.WMS_FILES", "OPS.WMS_FILES")
TABLES = (*WMS_TABLES, "OPS.LOAD_BATCHES", "OPS.CHECK_RESULTS")


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpTestServer]:
    """The SFTP server the WMS drops into, with its drop folder /outbound."""
    with SftpTestServer(tmp_path / "sftp") as server:
        yield server


@pytest.fixture
def wms_env(pipeline_env: Callable[..., dict[str, str]], sftp: SftpTestServer) -> Callable[..., dict[str, str]]:
    """The pipeline pointed at the SFTP server; call it with more NORTHSTAR_* settings to change some."""
    pipeline_env(**sftp.env())
    return pipeline_env


def hour(i: int) -> dict[str, str]:
    """The i-th hour after T0 as flow parameters."""
    start = w.T0 + timedelta(hours=i)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}


def at(minutes: float) -> datetime:
    return w.T0 + timedelta(minutes=minutes)


def query(sql: str) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql)


def files() -> dict[str, dict[str, Any]]:
    """OPS.WMS_FILES by file name (the latest record of each name)."""
    return {r["FILE_NAME"]: r for r in query("SELECT * FROM OPS.WMS_FILES ORDER BY _RECORDED_AT")}


def line_keys() -> set[tuple[str, int]]:
    return {(r["SHIPMENT_ID"], int(r["LINE_NO"])) for r in query("SELECT * FROM CORE.SHIPMENT_LINES")}


def landed_files() -> list[Path]:
    return sorted(p for p in (load_settings().landing_dir / "raw" / "wms").rglob("*") if p.is_file())


def lineage_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (load_settings().lineage_dir / "events.jsonl").read_text().splitlines()]


def test_new_files_in_every_format_are_landed_published_and_traced(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    items = w.shipments(7)
    csv = w.csv_file(items[:3])
    sftp.drop("confirm-001.csv", csv, at(5))
    sftp.drop("advice-001.945", w.x12_945(items[3:5]), at(10))
    sftp.drop("asn-001.856", w.x12_856(items[5:]), at(15))
    sftp.drop("later.csv", w.csv_file(w.shipments(1, prefix="LATE")), at(65))  # the next hour's file
    outcome = wms_flow.fulfillment_hourly(**hour(0))

    assert (outcome.status, outcome.rows_extracted, outcome.rows_published, outcome.rows_quarantined) == (
        BatchStatus.COMMITTED, 14, 14, 0,
    )  # fmt: skip
    recorded = files()
    assert sorted(recorded) == ["advice-001.945", "asn-001.856", "confirm-001.csv"]
    assert {r["STATUS"] for r in recorded.values()} == {"LOADED"}
    assert {r["FORMAT"] for r in recorded.values()} == {"csv", "x12-945", "x12-856"}
    sha = hashlib.sha256(csv).hexdigest()
    key = f"raw/wms/dt=2026-11-20/{sha}/confirm-001.csv"
    assert (load_settings().landing_dir / key).read_bytes() == csv
    (line,) = query("SELECT * FROM CORE.SHIPMENT_LINES WHERE SHIPMENT_ID = 'SHP-000002' AND LINE_NO = 2")
    assert (line["_SOURCE_FILE"], line["_FILE_SHA256"], line["_POSITION"]) == ("/outbound/confirm-001.csv", sha, 5)
    assert line["_BATCH_ID"] == outcome.batch_id and line["SHIPPED_AT"] == at(10).replace(tzinfo=None)
    assert len(query("SELECT * FROM CORE.SHIPMENTS")) == 7

    events = lineage_events()
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"]
    for event in events:
        validate_event(event)
    inputs = {i["name"] for i in events[1]["inputs"]}
    assert inputs >= {"/outbound/confirm-001.csv", "/outbound/advice-001.945", "/outbound/asn-001.856"}

    assert wms_flow.fulfillment_hourly(**hour(1)).rows_published == 2  # later.csv, in its own hour
    assert files()["later.csv"]["_BATCH_ID"] != outcome.batch_id


def test_bad_lines_are_quarantined_with_reasons_while_good_lines_publish(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    items = w.shipments(4)
    items[1] = w.with_line(items[1], 2, quantity=-1)
    sftp.drop(
        "a.csv", w.csv_file(items, extra_rows=("SHP-9,1,1,SKU-1,1,ATL1,UPSN,1Z,shipped,2026-11-20 12:00",)), at(5)
    )
    sftp.drop("b.945", w.x12_945(items[3:]), at(6))  # SHP-000004 again, from another file
    outcome = wms_flow.fulfillment_hourly(**hour(0))

    assert (outcome.rows_extracted, outcome.rows_published, outcome.rows_quarantined) == (11, 7, 4)
    assert outcome.quarantined_by_reason == {
        "duplicates.line_in_batch": 2,
        "schema.line_parsed": 1,
        "schema.quantity_positive": 1,
        "schema.shipped_at_sane": 1,
    }
    quarantined = query("SELECT _SOURCE_FILE, _POSITION, REASONS, RAW_LINE FROM QUARANTINE.WMS_LINES ORDER BY 1, 2")
    assert [(q["_SOURCE_FILE"], q["_POSITION"]) for q in quarantined] == [
        ("/outbound/a.csv", 5), ("/outbound/a.csv", 10), ("/outbound/b.945", 10), ("/outbound/b.945", 12),
    ]  # fmt: skip
    assert quarantined[1]["RAW_LINE"].startswith("SHP-9,1,1,SKU-1")
    assert {r["LINES_PUBLISHED"] for r in files().values()} == {7, 0}
    assert ("SHP-000004", 1) in line_keys()  # from a.csv, the first file to carry it


def test_a_file_still_being_written_is_not_taken_until_it_is_stable(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    rows = w.csv_rows(w.shipments(3, prefix="GROW"))
    growing = sftp.drop("growing.csv", (w.CSV_HEADER + "\n" + rows[0] + "\n").encode(), at(20))
    sftp.drop("done.csv", w.csv_file(w.shipments(1)), at(5))
    gone = sftp.drop("gone.csv", w.csv_file(w.shipments(1, prefix="GONE")), at(6))

    def grow(listing: int) -> None:  # the sender is still uploading while the first run lists twice
        if listing == 1:
            with growing.open("a") as f:
                f.write("\n".join(rows[1:]) + "\n")
            os.utime(growing, (at(25).timestamp(), at(25).timestamp()))
        if listing == 2:
            gone.unlink()  # taken back by the sender after the second listing, before its download

    sftp.on_list = grow
    first = wms_flow.fulfillment_hourly(**hour(0))
    assert sorted(files()) == ["done.csv"] and first.rows_published == 2
    assert sftp.opens["growing.csv"] == 0  # not even downloaded: its size changed between the two listings
    assert not [p for p in landed_files() if p.name == "gone.csv"]  # listed twice unchanged, then gone: skipped
    second = wms_flow.fulfillment_hourly(**hour(1))  # stable now (and last modified before hour 1's end)
    assert second.rows_published == 6 and files()["growing.csv"]["LINES_TOTAL"] == 6


@pytest.mark.parametrize("marker", [True, False], ids=["marked", "unmarked"])
def test_with_done_markers_only_marked_files_are_taken(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer, marker: bool
) -> None:
    wms_env(NORTHSTAR_SFTP_DONE_MARKERS="true")
    sftp.drop("a.csv", w.csv_file(w.shipments(1)), at(5))
    if marker:
        sftp.drop("a.csv.done", b"", at(6))
    outcome = wms_flow.fulfillment_hourly(**hour(0))
    assert sorted(files()) == (["a.csv"] if marker else []) and outcome.rows_published == (2 if marker else 0)


def test_empty_truncated_misencoded_and_broken_x12_files_are_quarantined_whole(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    items = w.shipments(6)
    sftp.drop("empty.csv", b"", at(1))
    sftp.drop("cut.csv", w.csv_file(items[:2])[:-40], at(2))  # ends mid-line, without a line end
    sftp.drop("latin1.csv", w.csv_file(items[2:3]).replace(b"SKU", "SKÜ".encode("latin-1")), at(3))
    sftp.drop("bad-count.945", w.x12_945(items[3:5], se_delta=1), at(4))
    sftp.drop("good.856", w.x12_856(items[5:]), at(5))
    with caplog.at_level(logging.ERROR, logger="northstar.alerts"):
        outcome = wms_flow.fulfillment_hourly(**hour(0))

    assert outcome.status == BatchStatus.COMMITTED and outcome.rows_published == 2 and outcome.rows_quarantined == 0
    rejected = {r["FILE_NAME"]: r["REASON"] for r in query("SELECT * FROM QUARANTINE.WMS_FILES")}
    assert {name: reason.split(":")[0] for name, reason in rejected.items()} == {
        "empty.csv": "file.empty",
        "cut.csv": "csv.truncated_last_line",
        "latin1.csv": "file.encoding",
        "bad-count.945": "x12.segment_count",
    }
    assert "SE01 says '14' but there are 13 segments" in rejected["bad-count.945"]
    assert line_keys() == {("SHP-000006", 1), ("SHP-000006", 2)}  # nothing from a rejected file, anywhere
    assert query("SELECT * FROM QUARANTINE.WMS_LINES") == []
    assert sum("quarantined whole" in r.getMessage() for r in caplog.records) == 4
    assert len(landed_files()) == 6  # every file landed as received (5) and the manifest


def test_the_same_content_under_another_name_is_a_duplicate_and_a_new_version_is_loaded_and_flagged(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    first = w.csv_file(w.shipments(2))
    sftp.drop("a.csv", first, at(5))
    wms_flow.fulfillment_hourly(**hour(0))
    sftp.drop("a-resent.csv", first, at(65))
    corrected = w.shipments(3)  # the same name again: the first two shipments, one line corrected, one more
    fixed_line = replace(corrected[0].lines[0], quantity=9)
    corrected[0] = replace(corrected[0], lines=(fixed_line, *corrected[0].lines[1:]))
    second = w.csv_file(corrected)
    sftp.drop("a.csv", second, at(66))
    outcome = wms_flow.fulfillment_hourly(**hour(1))

    recorded = {(r["FILE_NAME"], r["SHA256"]): r for r in query("SELECT * FROM OPS.WMS_FILES")}
    old_sha, new_sha = hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()
    resent = recorded[("a-resent.csv", old_sha)]
    assert (resent["STATUS"], resent["DUPLICATE_OF"], resent["LINES_TOTAL"]) == ("DUPLICATE", "/outbound/a.csv", 0)
    version = recorded[("a.csv", new_sha)]
    assert (version["STATUS"], version["NEW_VERSION"], version["PREVIOUS_SHA256"]) == ("LOADED", True, old_sha)
    assert outcome.rows_published == 6 and outcome.quarantined_by_reason == {}
    assert len(line_keys()) == 6 == len(query("SELECT * FROM CORE.SHIPMENT_LINES"))
    sources = query("SELECT _FILE_SHA256 AS SHA, COUNT(*) AS N FROM CORE.SHIPMENT_LINES GROUP BY 1")
    assert sources == [{"SHA": new_sha, "N": 6}]  # the new version's lines replaced the old version's four
    (line,) = query("SELECT QUANTITY FROM CORE.SHIPMENT_LINES WHERE SHIPMENT_ID = 'SHP-000001' AND LINE_NO = 1")
    assert line == {"QUANTITY": 9}
    (superseded,) = query(
        f"SELECT ROWS_FAILED, OUTCOME FROM OPS.CHECK_RESULTS WHERE BATCH_ID = '{outcome.batch_id}' "
        "AND CHECK_ID = 'duplicates.line_superseded'"
    )
    assert superseded == {"ROWS_FAILED": 4, "OUTCOME": "warn"}


def test_a_line_published_from_another_file_is_a_duplicate(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    sftp.drop("a.csv", w.csv_file(w.shipments(2)), at(5))
    wms_flow.fulfillment_hourly(**hour(0))
    sftp.drop("b.csv", w.csv_file(w.shipments(3)), at(65))  # the first two shipments again, in another file
    outcome = wms_flow.fulfillment_hourly(**hour(1))
    assert outcome.rows_published == 2 and outcome.quarantined_by_reason == {"duplicates.line_published": 4}
    assert len(query("SELECT * FROM CORE.SHIPMENT_LINES")) == 6


@pytest.mark.parametrize("known", ["unknown", "changed"])
def test_an_untrusted_host_key_is_refused_and_nothing_is_downloaded(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer, known: str
) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519")
    line = sftp.known_hosts_line(other)  # "changed": this address with another key
    sftp.known_hosts.write_text(line if known == "changed" else line.replace("127.0.0.1", "10.9.9.9"))
    sftp.drop("a.csv", w.csv_file(w.shipments(1)), at(5))
    with pytest.raises(HostKeyRefused, match="not trusted"):
        wms_flow.fulfillment_hourly(**hour(0))
    assert sftp.listings == 0 and not sftp.opens  # refused before any SFTP request
    assert landed_files() == [] and query("SELECT STATUS FROM OPS.LOAD_BATCHES") == [{"STATUS": "FAILED"}]
    events = lineage_events()
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    for event in events:
        validate_event(event)


def test_a_connection_dropped_mid_download_is_retried_and_never_leaves_half_a_file(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    # One retry layer: the drop's own loop retries the file (NORTHSTAR_SFTP_DOWNLOAD_ATTEMPTS, 3 by default);
    # the landing task, which retries other failures twice, does not retry a spent download (not 3 x 3 opens).
    big = w.csv_file(w.shipments(1500))
    sftp.drop("big.csv", big, at(5))
    sftp.cut_after["big.csv"], sftp.cut_opens["big.csv"] = 40_000, 4  # all 3 attempts of run 1, then once more
    with pytest.raises(DownloadFailed, match="failed 3 times"):
        wms_flow.fulfillment_hourly(**hour(0))
    assert sftp.opens["big.csv"] == 3
    assert sftp.cuts["big.csv"] == 3 and landed_files() == []
    assert query("SELECT STATUS FROM OPS.LOAD_BATCHES") == [{"STATUS": "FAILED"}]  # the failed batch is recorded
    outcome = wms_flow.fulfillment_hourly(**hour(0))  # its first download is cut too, its retry succeeds
    assert sftp.cuts["big.csv"] == 4 and sftp.opens["big.csv"] == 5
    assert outcome.status == BatchStatus.COMMITTED and outcome.rows_published == 3000
    data_files = [p for p in landed_files() if p.name != "manifest.json"]
    assert [p.read_bytes() == big for p in data_files] == [True]
    assert data_files[0].parent.name == hashlib.sha256(big).hexdigest()
    leftovers = [p for p in load_settings().home.rglob("*") if p.name.startswith(".") and p.is_file()]
    assert leftovers == []  # no temporary or partial file anywhere


def test_a_rerun_of_the_hour_leaves_every_table_identical_and_processed_files_are_archived(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    wms_env(NORTHSTAR_SFTP_ARCHIVE_DIR="/archive")
    items = w.shipments(5)
    sftp.drop("a.csv", w.csv_file([w.with_line(items[0], 1, quantity=0), *items[1:3]]), at(5))
    sftp.drop("b.945", w.x12_945(items[3:], se_delta=2), at(6))
    sftp.drop("c.856", w.x12_856(items[3:]), at(7))
    sftp.drop("e.csv", w.csv_file(w.shipments(1, prefix="NEXT")), at(70))  # the next hour's: not processed yet
    assert wms_flow.fulfillment_hourly(**hour(0)).status == BatchStatus.COMMITTED
    with open_warehouse(load_settings()) as wh:
        before = table_hashes(wh, TABLES)
    assert sorted(p.name for p in (sftp.root / "archive").iterdir()) == ["a.csv", "b.945", "c.856"]
    assert sorted(p.name for p in (sftp.root / "outbound").iterdir()) == ["e.csv"]

    sftp.drop("d.csv", w.csv_file(w.shipments(1, prefix="NEW")), at(30))  # arrives after the hour ran
    assert wms_flow.fulfillment_hourly(**hour(0)).status == "SKIPPED"
    with open_warehouse(load_settings()) as wh:
        assert table_hashes(wh, TABLES) == before
    assert wms_flow.fulfillment_hourly(**hour(1)).rows_published == 4  # d.csv and e.csv, in the next hour
    assert list((sftp.root / "outbound").iterdir()) == []


def test_without_an_sftp_host_a_local_folder_stands_in(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env(NORTHSTAR_SFTP_STABLE_SECONDS="0.1", NORTHSTAR_SFTP_ARCHIVE_DIR="archive")
    drop = load_settings().home / "sftp-drop"
    drop.mkdir(parents=True)
    for name, minute in (("a.csv", 5), ("b.csv", 70)):
        (drop / name).write_bytes(w.csv_file(w.shipments(2, prefix=name[0].upper())))
        os.utime(drop / name, (at(minute).timestamp(), at(minute).timestamp()))
    outcome = wms_flow.fulfillment_hourly(**hour(0))
    assert outcome.status == BatchStatus.COMMITTED and outcome.rows_published == 4
    assert files()["a.csv"]["REMOTE_PATH"] == str(drop / "a.csv")
    assert (drop / "archive" / "a.csv").is_file() and sorted(p.name for p in drop.iterdir()) == ["archive", "b.csv"]


# ---------------------------------------------------------------------------------------------- real senders' files

CASES = Path(__file__).parent / "cases"


def case(name: str) -> bytes:
    """A case file copied into tests/cases/ (issue 9's inputs, and one third-party sample)."""
    return (CASES / name).read_bytes()


def published_lines() -> list[tuple[Any, ...]]:
    """(shipment, line, order, sku, quantity, warehouse, shipped_at, format, source file) of CORE.SHIPMENT_LINES."""
    found = query("SELECT * FROM CORE.SHIPMENT_LINES ORDER BY SHIPMENT_ID, LINE_NO")
    return [
        (r["SHIPMENT_ID"], r["LINE_NO"], r["ORDER_ID"], r["SKU"], r["QUANTITY"], r["WAREHOUSE_CODE"],
         r["SHIPPED_AT"], r["FORMAT"], r["_SOURCE_FILE"].rsplit("/", 1)[-1])
        for r in found
    ]  # fmt: skip


def test_real_senders_files_are_read_checked_and_published_with_their_exact_values(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    sample = case("x12-856-third-party-ctt-hl/asn_sample.edi").replace(
        b"N1*SF*1 EDI SOURCE~", b"N1*SF*1 EDI SOURCE*92*ATL1~"
    )
    unknown_code = case("w09-x12-dtm-time-code/asn_dtm_et.edi").replace(b"*ET~", b"*QQ~").replace(b"TZ1", b"TZ2")
    sftp.drop("mac_excel.csv", case("w02-csv-cr-only-line-ends/mac_excel.csv"), at(241))
    sftp.drop("asn_lin01_empty.edi", case("w05-x12-856-lin01-empty/asn_lin01_empty.edi"), at(242))
    sftp.drop("asn_ctt_hl.edi", case("w07-x12-856-ctt-counts-hl/asn_ctt_hl.edi"), at(243))
    sftp.drop("asn_dtm_et.edi", case("w09-x12-dtm-time-code/asn_dtm_et.edi"), at(244))
    sftp.drop("asn_sample.edi", sample, at(245))
    sftp.drop("asn_unknown_code.edi", unknown_code, at(246))
    outcome = wms_flow.fulfillment_hourly(**hour(4))  # 16:00-17:00 UTC: w09's 15:30 is in the past

    assert (outcome.status, outcome.rows_extracted, outcome.rows_published, outcome.rows_quarantined) == (
        BatchStatus.COMMITTED, 10, 9, 1,
    )  # fmt: skip
    assert {name: r["STATUS"] for name, r in files().items()} == dict.fromkeys(
        ["mac_excel.csv", "asn_lin01_empty.edi", "asn_ctt_hl.edi", "asn_dtm_et.edi", "asn_sample.edi",
         "asn_unknown_code.edi"], "LOADED",
    )  # fmt: skip
    day, morning = datetime(2026, 11, 20), datetime(2026, 11, 20, 10, 30)
    assert published_lines() == [
        ("829716", 1, 99999817, "87787D", 24, "ATL1", datetime(2011, 12, 6), "x12-856", "asn_sample.edi"),
        ("829716", 2, 99999817, "99887D", 6, "ATL1", datetime(2011, 12, 6), "x12-856", "asn_sample.edi"),
        ("SHP-201", 1, 100201, "SKU-A", 2, "ATL1", morning, "csv", "mac_excel.csv"),
        ("SHP-201", 2, 100201, "SKU-B", 1, "ATL1", morning, "csv", "mac_excel.csv"),
        ("SHP-CT1", 1, 100701, "SKU-A", 2, "ATL1", morning, "x12-856", "asn_ctt_hl.edi"),
        ("SHP-CT1", 2, 100701, "SKU-B", 1, "ATL1", morning, "x12-856", "asn_ctt_hl.edi"),
        ("SHP-LN1", 1, 100501, "SKU-A", 2, "ATL1", morning, "x12-856", "asn_lin01_empty.edi"),
        ("SHP-LN1", 2, 100501, "SKU-B", 3, "ATL1", morning, "x12-856", "asn_lin01_empty.edi"),
        ("SHP-TZ1", 1, 100901, "SKU-A", 2, "ATL1", day.replace(hour=15, minute=30), "x12-856", "asn_dtm_et.edi"),
    ]
    (held,) = query("SELECT SHIPMENT_ID, REASONS, RAW_RECORD FROM QUARANTINE.WMS_LINES")
    assert held["SHIPMENT_ID"] == "SHP-TZ2" and json.loads(held["REASONS"]) == [
        "schema.line_parsed", "schema.shipped_at_sane",
    ]  # fmt: skip
    assert json.loads(held["RAW_RECORD"])["parse_error"] == (
        "shipped_at: DTM*011 time code 'QQ': not a time code of X12 element 623 that Northstar reads"
    )
    assert query("SELECT * FROM QUARANTINE.WMS_FILES") == []


def test_w11_an_upload_in_progress_is_never_taken_and_the_finished_file_publishes_alone(
    wms_env: Callable[..., dict[str, str]], sftp: SftpTestServer
) -> None:
    partial = sftp.drop(
        "confirm_1101.csv.filepart", case("w11-filepart-in-progress-upload/confirm_1101.csv.filepart"), at(5)
    )
    first = wms_flow.fulfillment_hourly(**hour(0))  # the .filepart is stable across both listings: still not taken
    assert first.rows_extracted == 0 and files() == {} and sftp.opens["confirm_1101.csv.filepart"] == 0

    partial.unlink()  # WinSCP renames the finished upload to its real name
    sftp.drop("confirm_1101.csv", case("w11-filepart-in-progress-upload/confirm_1101.csv"), at(65))
    second = wms_flow.fulfillment_hourly(**hour(1))
    assert (second.rows_published, second.rows_quarantined, second.quarantined_by_reason) == (2, 0, {})
    shipped = datetime(2026, 11, 20, 10, 30)
    assert published_lines() == [
        ("SHP-1101", 1, 101101, "SKU-A", 2, "NJ3P", shipped, "csv", "confirm_1101.csv"),
        ("SHP-1101", 2, 101101, "SKU-B", 5, "NJ3P", shipped, "csv", "confirm_1101.csv"),
    ]
    assert sorted(files()) == ["confirm_1101.csv"] and query("SELECT * FROM QUARANTINE.WMS_LINES") == []


def test_the_local_drop_skips_temporary_upload_names_too(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env(NORTHSTAR_SFTP_STABLE_SECONDS="0.1")
    drop = load_settings().home / "sftp-drop"
    drop.mkdir(parents=True)
    names = ["confirm_1101.csv.filepart", "a.csv.part", "a.csv.TMP", "a.csv.partial", ".a.csv", "~a.csv", "a.csv"]
    for name in names:
        (drop / name).write_bytes(w.csv_file(w.shipments(1)))
        os.utime(drop / name, (at(5).timestamp(), at(5).timestamp()))
    outcome = wms_flow.fulfillment_hourly(**hour(0))
    assert sorted(files()) == ["a.csv"] and outcome.rows_published == 2


def test_an_hour_without_files_records_what_the_full_load_records(
    wms_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty hour takes publish's fast path (nothing staged): the same ledger row and check results as the
    same empty hour loaded the full way, and nothing published."""
    staged: list[str] = []
    stage_files = loads.stage_files

    def recorded(wh: Any, plan: Any, record: Any) -> None:  # still stages: this only writes down who did
        staged.append(record.batch_id)
        stage_files(wh, plan, record)

    monkeypatch.setattr(loads, "stage_files", recorded)
    fast = wms_flow.fulfillment_hourly(**hour(0))
    with monkeypatch.context() as patch:
        patch.setattr(wms_flow, "WMS_LOAD", replace(wms_flow.WMS_LOAD, empty_loads_nothing=False))
        full = wms_flow.fulfillment_hourly(**hour(1))
    assert staged == [full.batch_id]  # the empty hour staged nothing
    assert (fast.status, fast.rows_extracted, fast.rows_published) == (BatchStatus.COMMITTED, 0, 0)
    assert (full.status, full.rows_extracted, full.rows_published) == (BatchStatus.COMMITTED, 0, 0)
    ledger = {r["BATCH_ID"]: r for r in query("SELECT * FROM OPS.LOAD_BATCHES")}
    same = ("STATUS", "ROWS_EXTRACTED", "ROWS_PASSED", "ROWS_QUARANTINED", "ROWS_PUBLISHED", "ROWS_ALREADY_CURRENT",
            "ROWS_REQUARANTINED", "REASON")  # fmt: skip
    assert {k: ledger[fast.batch_id][k] for k in same} == {k: ledger[full.batch_id][k] for k in same}
    checks = "SELECT * EXCLUDE (BATCH_ID, CHECKED_AT) FROM OPS.CHECK_RESULTS WHERE BATCH_ID = '{}' ORDER BY CHECK_ID"
    fast_checks = query(checks.format(fast.batch_id))
    assert fast_checks and fast_checks == query(checks.format(full.batch_id))
    assert all(query(f"SELECT COUNT(*) AS N FROM {table}") == [{"N": 0}] for table in WMS_TABLES)
