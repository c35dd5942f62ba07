"""WMS/3PL file formats (CSV, X12 945 and 856) and the fulfillment checks, on generated sample files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from northstar.sources.wms.formats import parse_file
from northstar.sources.wms.formats.lines import FileRejected
from northstar.sources.wms.landing import PUBLISHED_SCHEMA, LandedFile
from tests import wms_samples as w
from validators.fulfillment import DUPLICATE, LOADED, QUARANTINED, judge_files, route_lines

TRACE = ("source_file", "file_sha256", "position", "format", "parse_error", "_raw")


def rows(data: bytes, path: str = "/outbound/f") -> list[dict[str, Any]]:
    """The parsed lines of a file, as dicts."""
    return parse_file(data, path, hashlib.sha256(data).hexdigest())[1].to_pylist()


def values(data: bytes) -> list[dict[str, Any]]:
    """The parsed lines without their trace columns (to compare formats with each other)."""
    return [{k: v for k, v in r.items() if k not in TRACE} for r in rows(data)]


def rejected(data: bytes) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        parse_file(data, "/outbound/bad", "sha")
    return caught.value


def test_csv_lines_are_typed_and_traced_to_their_line_number() -> None:
    data = w.csv_file(w.shipments(2))
    parsed = rows(data, "/outbound/ship.csv")
    assert len(parsed) == 4
    first = parsed[0]
    assert first["shipment_id"] == "SHP-000001" and first["order_id"] == 100001 and first["line_no"] == 1
    assert first["quantity"] == 3 and first["warehouse_code"] == "DAL1" and first["status"] == "shipped"
    assert first["shipped_at"] == w.T0 + timedelta(minutes=10)
    assert first["source_file"] == "/outbound/ship.csv"
    assert first["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert [r["position"] for r in parsed] == [2, 3, 4, 5]  # the header is line 1
    assert parsed[3]["_raw"] == data.decode().splitlines()[4]
    assert all(r["parse_error"] is None and r["format"] == "csv" for r in parsed)


def test_csv_with_bom_crlf_reordered_and_extra_columns_reads_the_same() -> None:
    items = w.shipments(2)
    header = w.CSV_HEADER.split(",")
    order = [*reversed(header), "note"]
    lines = [",".join(order)] + [",".join([*reversed(r.split(",")), "x"]) for r in w.csv_rows(items)]
    data = b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode()
    assert values(data) == values(w.csv_file(items))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "file.empty"),
        (b"\n\n", "file.empty"),
        (w.csv_file(w.shipments(1)).replace(b"SKU", "SKÜ".encode("latin-1")), "file.encoding"),
        (w.csv_file(w.shipments(1), header=w.CSV_HEADER.replace(",carrier", "")), "csv.missing_columns"),
        (w.csv_file(w.shipments(1), header=w.CSV_HEADER + ",sku"), "csv.repeated_columns"),
        (w.csv_file(w.shipments(2))[:-9], "csv.truncated_last_line"),
    ],
    ids=["empty", "blank", "latin-1", "missing-column", "repeated-column", "truncated"],
)
def test_a_bad_csv_file_is_rejected_whole(data: bytes, reason: str) -> None:
    assert rejected(data).reason == reason


def test_a_bad_csv_line_is_kept_with_its_parse_error_and_the_others_parse() -> None:
    good = w.csv_rows(w.shipments(1))
    broken = [
        "SHP-9,100009,1,SKU-1,two,ATL1,UPSN,1Z9,shipped,2026-11-20T12:10:00Z",
        "SHP-9,100009,2,SKU-2,1,ATL1,UPSN,1Z9,shipped,2026-11-20 12:10:00",
        "SHP-9,100009,3,SKU-3,1,ATL1",
        'SHP-9,100009,4,"SKU-4,1,ATL1,UPSN,1Z9,shipped,2026-11-20T12:10:00Z',
    ]
    parsed = rows(w.csv_file([], extra_rows=(*good, *broken)))
    assert [r["parse_error"] is None for r in parsed] == [True, True, False, False, False, False]
    errors = [r["parse_error"] for r in parsed[2:]]
    assert "quantity: 'two' is not an integer" in errors[0]
    assert "has no UTC offset" in errors[1]
    assert errors[2] == "expected 10 fields, found 6"
    assert errors[3].startswith("malformed CSV line") or "expected 10 fields" in errors[3]
    assert parsed[2]["quantity"] is None and parsed[2]["sku"] == "SKU-1" and parsed[2]["position"] == 4


def test_945_and_856_map_to_the_same_lines_as_the_csv() -> None:
    items = w.shipments(3, lines_each=3)
    expected = values(w.csv_file(items))
    assert values(w.x12_945(items)) == expected
    assert values(w.x12_856(items)) == expected
    assert parse_file(w.x12_945(items), "/f", "s")[0] == "x12-945"
    assert parse_file(w.x12_856(items), "/f", "s")[0] == "x12-856"


def test_x12_lines_are_traced_to_their_segment_numbers() -> None:
    data = w.x12_945(w.shipments(1))
    segments = data.decode().splitlines()
    parsed = rows(data)
    # ISA, GS, ST, W06, N1, N1, N9, G62, W27 are segments 1-9: the first LX is segment 10.
    assert [r["position"] for r in parsed] == [10, 12]
    assert [segments[r["position"] - 1] for r in parsed] == ["LX*1~", "LX*2~"]
    assert parsed[0]["_raw"] == "LX*1\nW12*CC*3*3*0*EA**SK*SKU-0008"


def test_x12_delimiters_come_from_the_isa_segment() -> None:
    items = w.shipments(2)
    assert values(w.x12_856(items, element="|", terminator="'")) == values(w.x12_856(items))


@pytest.mark.parametrize(
    ("data", "reason", "detail"),
    [
        (w.x12_945(w.shipments(2), se_delta=1), "x12.segment_count", "SE01 says '14' but there are 13"),
        (w.x12_856(w.shipments(2), se_delta=-1), "x12.segment_count", "SE01 says '17' but there are 18"),
        (w.x12_945(w.shipments(2), set_count=3), "x12.set_count", "GE01 says '3' but there are 2"),
        (w.x12_945(w.shipments(2), group_count=2), "x12.group_count", "IEA01 says '2' but there are 1"),
        (w.x12_945(w.shipments(2), iea_control=7), "x12.interchange_control_number", "IEA02 '000000007'"),
        (w.x12_945(w.shipments(2), total_delta=1), "x12.control_total", "W03-01 says '8' but there are 7 units"),
        (w.x12_856(w.shipments(1)).replace(b"CTT*2*", b"CTT*3*"), "x12.control_total", "CTT01 says '3'"),
        (w.x12_856(w.shipments(1)).replace(b"SE*18*0001", b"SE*18*0002"), "x12.set_control_number", "SE02"),
        (w.x12_856(w.shipments(1)).replace(b"GE*1*201", b"GE*1*202"), "x12.group_control_number", "GE02"),
        (w.x12_856(w.shipments(1)).replace(b"HL*3*2*I", b"HL*4*2*I"), "x12.hl_structure", "HL*4*2*I"),
        (w.x12_945(w.shipments(1)).replace(b"ST*945", b"ST*850"), "x12.unsupported_transaction", "850"),
        (w.x12_945(w.shipments(2))[:-30], "x12.truncated", "has no terminator"),
        (w.x12_945(w.shipments(2)).rsplit(b"SE*", 1)[0] + b"GE*2*101~IEA*1*000000101~", "x12.envelope", "no SE"),
        (w.x12_945(w.shipments(1)) + b"ST*945*0009~", "x12.envelope", "follows IEA"),
        (w.x12_945(w.shipments(1))[:90], "x12.isa", "106-character ISA"),
    ],
    ids=lambda v: v if isinstance(v, str) and not v[0].isupper() and "'" not in v else None,
)
def test_an_x12_file_whose_envelope_or_totals_are_wrong_is_rejected_whole(
    data: bytes, reason: str, detail: str
) -> None:
    error = rejected(data)
    assert error.reason == reason and detail in error.detail


# ---------------------------------------------------------------------------------------------- checks


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        yield connection


Published = tuple[tuple[str, int, str], ...]


def route(con: duckdb.DuckDBPyConnection, tmp_path: Path, *files: bytes, published: Published = ()):  # type: ignore[no-untyped-def]
    """Route the lines of files (parsed in order) with some keys already published (key, line, from file)."""
    tables = [parse_file(data, f"/outbound/{i}.csv", f"sha{i}")[1] for i, data in enumerate(files)]
    path = tmp_path / "lines.parquet"
    pq.write_table(pa.concat_tables(tables), path)
    columns = ("shipment_id", "line_no", "source_file")
    keys = pa.table({name: [key[i] for key in published] for i, name in enumerate(columns)})
    return route_lines(con, path, keys.cast(PUBLISHED_SCHEMA), w.HOUR.end)


def reasons_by_line(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], list[str]]:
    """(source file, position) -> reasons of every quarantined line."""
    found = con.execute(
        "SELECT raw_record->>'source_file', CAST(raw_record->>'position' AS INTEGER), reasons FROM quarantined"
    ).fetchall()
    return {(str(f), int(p)): list(r) for f, p, r in found}


def test_clean_lines_pass_every_check(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    routed = route(con, tmp_path, w.csv_file(w.shipments(5)))
    assert (routed.rows_extracted, routed.rows_passed, routed.rows_quarantined) == (10, 10, 0)
    assert not routed.held and all(r.success for r in routed.results)


def test_each_check_catches_its_fault_and_nothing_else(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    items = w.shipments(8)
    items[0] = w.with_line(items[0], 1, quantity=0)
    items[1] = w.with_line(items[1], 2, status="lost")
    items[2] = replace(items[2], warehouse_code="XXX9")
    items[3] = replace(items[3], shipped_at=w.HOUR.end + timedelta(hours=2))
    items[4] = w.with_line(items[4], 2, line_no=1)  # line 1 twice in one shipment: the second copy
    items[5] = w.with_line(items[5], 1, sku=" ")
    extra = ("SHP-000007,100007,9,SKU-1,1,ATL1,UPSN,1Z,shipped,soon",)
    earlier = (("SHP-000008", 2, "/outbound/earlier.csv"),)
    routed = route(con, tmp_path, w.csv_file(items, extra_rows=extra), published=earlier)
    assert reasons_by_line(con) == {
        ("/outbound/0.csv", 2): ["schema.quantity_positive"],
        ("/outbound/0.csv", 5): ["schema.status_allowed"],
        ("/outbound/0.csv", 6): ["schema.warehouse_known"],
        ("/outbound/0.csv", 7): ["schema.warehouse_known"],
        ("/outbound/0.csv", 8): ["schema.shipped_at_sane"],
        ("/outbound/0.csv", 9): ["schema.shipped_at_sane"],
        ("/outbound/0.csv", 11): ["duplicates.line_in_batch"],
        ("/outbound/0.csv", 12): ["schema.keys_present"],
        ("/outbound/0.csv", 17): ["duplicates.line_published"],
        ("/outbound/0.csv", 18): ["schema.line_parsed", "schema.shipped_at_sane"],
    }
    assert routed.rows_passed + routed.rows_quarantined == routed.rows_extracted == 17


def test_a_line_repeated_in_a_later_file_is_quarantined_there(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    items = w.shipments(3)
    route(con, tmp_path, w.csv_file(items), w.csv_file(items[2:]))
    assert reasons_by_line(con) == {
        ("/outbound/1.csv", 2): ["duplicates.line_in_batch"],
        ("/outbound/1.csv", 3): ["duplicates.line_in_batch"],
    }


def test_a_new_version_of_a_file_supersedes_its_own_lines_and_no_other_files(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    published = (("SHP-000001", 1, "/outbound/0.csv"), ("SHP-000001", 2, "/outbound/0.csv"), ("SHP-000002", 1, "x"))
    routed = route(con, tmp_path, w.csv_file(w.shipments(2)), published=published)
    assert reasons_by_line(con) == {("/outbound/0.csv", 4): ["duplicates.line_published"]}
    counts = {r.check_id: r.rows_failed for r in routed.results if r.check_id.startswith("duplicates.")}
    assert counts == {"duplicates.line_in_batch": 0, "duplicates.line_published": 1, "duplicates.line_superseded": 2}
    assert routed.rows_passed == 3


def landed(name: str, data: bytes, minute: int) -> LandedFile:
    sha = hashlib.sha256(data).hexdigest()
    mtime = datetime(2026, 11, 20, 12, minute, tzinfo=UTC)
    return LandedFile(f"/outbound/{name}", name, len(data), mtime, sha, f"raw/wms/dt=2026-11-20/{sha}/{name}")


def test_files_are_judged_duplicate_new_version_or_quarantined_whole() -> None:
    old, new = w.csv_file(w.shipments(2)), w.csv_file(w.shipments(3))
    files = (
        landed("a.csv", new, 1),  # a name seen before with other content: loaded, flagged
        landed("a-copy.csv", new, 2),  # the same content again in this batch
        landed("b.csv", old, 3),  # content taken before under another name
        landed("c.csv", b"", 4),
    )
    content = {f.key: data for f, data in zip(files, (new, new, old, b""), strict=True)}
    seen = {hashlib.sha256(old).hexdigest(): "/outbound/a.csv"}
    latest = {"/outbound/a.csv": hashlib.sha256(old).hexdigest()}
    verdicts, tables = judge_files(files, lambda f: content[f.key], lambda k: f"file:///{k}", seen, latest)
    assert [v.status for v in verdicts] == [LOADED, DUPLICATE, DUPLICATE, QUARANTINED]
    assert verdicts[0].previous_sha256 == hashlib.sha256(old).hexdigest() and verdicts[0].lines_total == 6
    assert [v.duplicate_of for v in verdicts[1:3]] == ["/outbound/a.csv", "/outbound/a.csv"]
    assert verdicts[3].reason == "file.empty: 0 bytes, no content" and verdicts[3].format == "csv"
    assert [t.num_rows for t in tables] == [6]
