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

from northstar.settings import DEFAULT_TEMP_PATTERNS, load_settings
from northstar.sources.wms.drop.local import LocalDrop
from northstar.sources.wms.drop.sftp import complete_files, is_temporary
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
        (w.csv_file(w.shipments(2))[:-40], "csv.truncated_last_line"),
        (w.csv_file(w.shipments(1)).replace(b",", b";"), "csv.delimiter"),
        ("\ufeff".encode("utf-16-le") + w.csv_file(w.shipments(1)).decode().encode("utf-16-le"), "file.encoding"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(200)), "file.unsupported_format"),
        (b"UNA:+.? 'UNB+UNOC:3+ACME+NORTHSTAR+261120:1130+1'", "file.unsupported_format"),
        (b'{"shipment_id": "SHP-1"}\n', "file.unsupported_format"),
    ],
    ids=[
        "empty",
        "blank",
        "latin-1",
        "missing-column",
        "repeated-column",
        "truncated",
        "semicolons",
        "utf-16",
        "xlsx",
        "edifact",
        "json",
    ],
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
        (w.x12_856(w.shipments(1)).replace(b"CTT*2*", b"CTT*5*"), "x12.control_total", "2 item levels and 4 HL"),
        (w.x12_856(w.shipments(1)).replace(b"*P*>~", b"*P*~~"), "x12.isa", "implausible delimiters"),
        (w.edi([], version="00501", repetition=">"), "x12.isa", "repetition '>'"),
        (
            w.edi([]).replace(b"ACMEWMS" + b" " * 8, b"ACMEWMS"),
            "x12.isa_not_fixed_width",
            "ISA06 'ACMEWMS' is 7 characters",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and not v[0].isupper() and "'" not in v else None,
)
def test_an_x12_file_whose_envelope_or_totals_are_wrong_is_rejected_whole(
    data: bytes, reason: str, detail: str
) -> None:
    error = rejected(data)
    assert error.reason == reason and detail in error.detail


# ---------------------------------------------------------------------------------------------- real senders' files

CASES = Path(__file__).parent / "cases"
Z = UTC


def case(name: str) -> bytes:
    """A case file copied into tests/cases/ (issue 9's inputs, and one third-party sample)."""
    return (CASES / name).read_bytes()


def keyed(data: bytes) -> list[tuple[Any, ...]]:
    """(shipment, order, line, sku, quantity, warehouse, carrier, tracking, status, shipped_at, error) per line."""
    fields = ("shipment_id", "order_id", "line_no", "sku", "quantity", "warehouse_code", "carrier")
    more = ("tracking_number", "status", "shipped_at", "parse_error")
    return [tuple(r[k] for k in (*fields, *more)) for r in rows(data)]


def test_w07_an_856_whose_ctt01_counts_every_hl_segment_is_read() -> None:
    shipped = datetime(2026, 11, 20, 10, 30, tzinfo=Z)
    assert keyed(case("w07-x12-856-ctt-counts-hl/asn_ctt_hl.edi")) == [
        ("SHP-CT1", 100701, 1, "SKU-A", 2, "ATL1", "UPSN", "1Z856CT1", "shipped", shipped, None),
        ("SHP-CT1", 100701, 2, "SKU-B", 1, "ATL1", "UPSN", "1Z856CT1", "shipped", shipped, None),
    ]


def test_a_third_party_856_sample_with_ctt01_counting_hl_segments_is_read() -> None:
    data = case("x12-856-third-party-ctt-hl/asn_sample.edi")  # CTT*4*30: 4 HL segments, 24 + 6 units
    shipped = datetime(2011, 12, 6, tzinfo=Z)  # DTM*011 (date only) wins over the BSN's date and time
    assert keyed(data) == [
        ("829716", 99999817, 1, "87787D", 24, None, "XXXX", "5787970539", "shipped", shipped, None),
        ("829716", 99999817, 2, "99887D", 6, None, "XXXX", "5787970539", "shipped", shipped, None),
    ]
    assert [r["position"] for r in rows(data)] == [22, 27]
    assert parse_file(data, "/f", "s")[0] == "x12-856"


def test_the_same_sample_with_line_feeds_as_terminators_is_rejected_for_its_control_number_only() -> None:
    # The Machete.X12 fixture of the same 856: every segment ends in a line feed (ISA's 106th character),
    # and its IEA02 does not repeat ISA13: that, and only that, is why it is rejected.
    lines = case("x12-856-third-party-ctt-hl/asn_sample.edi").decode().replace("~\n", "\n").splitlines()
    lines[0] = (
        "ISA*01*0000000000*01*0000000000*ZZ*ABCDEFGHIJKLMNO*ZZ*123456789012345*101127*1719*U*00400*000003438*0*P*>"
    )
    error = rejected(("\n".join(lines)).encode())
    assert (error.reason, error.detail) == (
        "x12.interchange_control_number",
        "IEA02 '000000049' does not match ISA13 '000003438'",
    )
    lines[-1] = "IEA*1*000003438"
    assert [r["quantity"] for r in rows("\n".join(lines).encode())] == [24, 6]  # no terminator after the last


def test_w05_items_with_an_empty_lin01_are_numbered_by_their_order() -> None:
    shipped = datetime(2026, 11, 20, 10, 30, tzinfo=Z)
    assert keyed(case("w05-x12-856-lin01-empty/asn_lin01_empty.edi")) == [
        ("SHP-LN1", 100501, 1, "SKU-A", 2, "ATL1", "UPSN", "1Z856LN1", "shipped", shipped, None),
        ("SHP-LN1", 100501, 2, "SKU-B", 3, "ATL1", "UPSN", "1Z856LN1", "shipped", shipped, None),
    ]


def test_w09_a_dtm_time_code_is_an_offset_from_utc() -> None:
    (line,) = rows(case("w09-x12-dtm-time-code/asn_dtm_et.edi"))
    assert line["shipped_at"] == datetime(2026, 11, 20, 15, 30, tzinfo=Z) and line["parse_error"] is None


@pytest.mark.parametrize(
    ("date", "time", "code", "utc"),
    [
        ("20261120", "1030", "ET", datetime(2026, 11, 20, 15, 30)),  # Eastern in November: standard, -05:00
        ("20260720", "1030", "ET", datetime(2026, 7, 20, 14, 30)),  # Eastern in July: daylight, -04:00
        ("20260720", "1030", "ES", datetime(2026, 7, 20, 15, 30)),  # Eastern Standard, whatever the date
        ("20261120", "1030", "ED", datetime(2026, 11, 20, 14, 30)),  # Eastern Daylight, whatever the date
        ("20260720", "1030", "CT", datetime(2026, 7, 20, 15, 30)),
        ("20261120", "1030", "CS", datetime(2026, 11, 20, 16, 30)),
        ("20260720", "1030", "CD", datetime(2026, 7, 20, 15, 30)),
        ("20261120", "1030", "MT", datetime(2026, 11, 20, 17, 30)),
        ("20261120", "1030", "MS", datetime(2026, 11, 20, 17, 30)),
        ("20261120", "1030", "MD", datetime(2026, 11, 20, 16, 30)),
        ("20260720", "1030", "PT", datetime(2026, 7, 20, 17, 30)),
        ("20261120", "1030", "PS", datetime(2026, 11, 20, 18, 30)),
        ("20261120", "1030", "PD", datetime(2026, 11, 20, 17, 30)),
        ("20261120", "1030", "UT", datetime(2026, 11, 20, 10, 30)),
        ("20261120", "1030", "GM", datetime(2026, 11, 20, 10, 30)),
        ("20261120", "1030", "Z", datetime(2026, 11, 20, 10, 30)),
        ("20261120", "1030", "ut", datetime(2026, 11, 20, 10, 30)),
        ("20261120", "1030", "", datetime(2026, 11, 20, 10, 30)),  # no code: UTC by agreement
        ("20261120", "1030", "01", datetime(2026, 11, 20, 9, 30)),  # ISO P01: UTC+01:00
        ("20261120", "1030", "12", datetime(2026, 11, 19, 22, 30)),  # ISO P12
        ("20261120", "1030", "13", datetime(2026, 11, 20, 22, 30)),  # ISO M12: UTC-12:00
        ("20261120", "1030", "24", datetime(2026, 11, 20, 11, 30)),  # ISO M01
        ("20261120", "1030", "27", datetime(2026, 11, 20, 5, 0)),  # ISO P5:30
        ("20261120", "1030", "NS", datetime(2026, 11, 20, 14, 0)),  # Newfoundland Standard, -03:30
        ("20261120", "103015", "ET", datetime(2026, 11, 20, 15, 30, 15)),
        ("20261120", "10301525", "ET", datetime(2026, 11, 20, 15, 30, 15, 250000)),  # HHMMSSDD
    ],
)
def test_x12_time_codes_of_element_623_are_read_as_offsets(date: str, time: str, code: str, utc: datetime) -> None:
    (line,) = rows(w.asn(dtm=f"DTM*011*{date}*{time}*{code}".rstrip("*")))
    assert (line["shipped_at"], line["parse_error"]) == (utc.replace(tzinfo=Z), None)


@pytest.mark.parametrize(
    ("dtm", "error"),
    [
        ("DTM*011*20261120*1030*XX", "shipped_at: DTM*011 time code 'XX': not a time code of X12 element 623"),
        ("DTM*011*20261120*1030*LT", "shipped_at: DTM*011 time code 'LT': Local Time names no place"),
        ("DTM*011*20261120*1030*HT", "time code 'HT': Hawaii-Aleutian Time is two different clocks"),
        ("DTM*011*20260308*0230*ET", "2026-03-08 02:30 does not exist on that clock"),
        ("DTM*011*20261101*0130*ET", "2026-11-01 01:30 happened twice on that clock"),
        ("DTM*011*261120*1030", "shipped_at: DTM*011 date '261120' is not CCYYMMDD"),
        ("DTM*011*20261131*1030", "shipped_at: DTM*011 20261131 1030 is not a calendar date and time"),
        ("DTM*011*20261120*10h30", "shipped_at: DTM*011 time '10h30' is not HHMM"),
    ],
)
def test_a_time_that_cannot_be_told_leaves_its_lines_with_the_reason(dtm: str, error: str) -> None:
    lines = rows(w.asn(dtm=dtm, items=("LIN*1*VN*SKU-A", "SN1**2*EA", "LIN*2*VN*SKU-B", "SN1**1*EA")))
    assert [r["shipped_at"] for r in lines] == [None, None]  # not the BSN's date instead: the DTM was sent
    assert all(error in (r["parse_error"] or "") for r in lines), lines[0]["parse_error"]


def test_an_unknown_time_code_quarantines_the_lines_naming_the_code(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    routed = route(con, tmp_path, w.asn(dtm="DTM*011*20261120*1030*QQ"))
    assert (routed.rows_extracted, routed.rows_passed, routed.rows_quarantined) == (1, 0, 1)
    ((reasons, error),) = con.execute("SELECT reasons, raw_record->>'parse_error' FROM quarantined").fetchall()
    assert reasons == ["schema.line_parsed", "schema.shipped_at_sane"] and "time code 'QQ'" in error


def test_a_945_g62_time_code_is_read_like_the_856_dtm() -> None:
    (line,) = rows(w.advice(g62="G62*11*20261120*8*1030*CT"))
    assert line["shipped_at"] == datetime(2026, 11, 20, 16, 30, tzinfo=Z)
    (undated,) = rows(w.advice(g62=""))  # no G62*11: the W06 date, at midnight UTC
    assert undated["shipped_at"] == datetime(2026, 11, 20, tzinfo=Z)


ASN_VALUES = [
    ("SHP-V1", 100801, 1, "SKU-A", 2, "ATL1", "UPSN", "1ZV1", "shipped", datetime(2026, 11, 20, 10, 30, tzinfo=Z), None)
]


@pytest.mark.parametrize(
    "variant",
    [
        {"element": "|", "component": ":", "terminator": "'"},
        {"terminator": "~", "line_end": "\r\n"},
        {"terminator": "~", "line_end": ""},  # one long line
        {"terminator": "\n", "line_end": ""},  # the line feed is the terminator
        {"terminator": "\r", "line_end": "\n"},  # CR as terminator, then LF
        {"version": "00501", "repetition": "^"},  # 005010: ISA11 is the repetition separator
        {"version": "00406", "repetition": "-"},  # the third-party sample's repetition separator
    ],
    ids=["pipe-colon-apostrophe", "crlf", "no-line-breaks", "lf-terminator", "cr-terminator", "5010", "4060"],
)
def test_x12_delimiters_and_line_ends_as_the_isa_declares_them_read_the_same(variant: dict[str, str]) -> None:
    data = w.edi([w.group("SH", [w.st("856", w.asn_body())])], **variant)
    assert keyed(data) == ASN_VALUES


def test_the_isa_is_read_by_position_even_when_an_element_holds_the_terminator() -> None:
    data = w.edi([w.group("SH", [w.st("856", w.asn_body())])], terminator="'")
    assert keyed(data.replace(b"ACMEWMS        ", b"ACME'S WMS     ")) == ASN_VALUES


def test_x12_envelope_variants_read_the_same() -> None:
    one = w.edi([w.group("SH", [w.st("856", w.asn_body())])])
    bom_and_blank = b"\xef\xbb\xbf\r\n  " + one + b"\x00\x00\x1a"  # a BOM and a line before, NUL and Ctrl-Z after
    lower = one.decode().replace("ISA*", "isa*").replace("HL*3*2*I", "hl*3*2*i").replace("LIN*1*VN", "lin*1*vn")
    for data in (bom_and_blank, lower.encode()):
        assert keyed(data) == ASN_VALUES
    second = w.edi([w.group("SH", [w.st("856", w.asn_body(shipment="SHP-V2"))])], control=302, terminator="|")
    two = rows(one + b"\r\n" + second)  # two interchanges back to back, each with its own delimiters
    assert [(r["shipment_id"], r["position"]) for r in two] == [("SHP-V1", 12), ("SHP-V2", 29)]


def test_several_groups_and_sets_in_one_interchange_are_all_read() -> None:
    data = w.edi(
        [
            w.group("SH", [w.st("856", w.asn_body()), w.st("856", w.asn_body(shipment="SHP-V2"), control=2)], 7),
            w.group("SW", [w.st("945", w.advice_body())], 8),
        ]
    )
    fmt, table = parse_file(data, "/f", "s")
    assert fmt == "x12-mixed"
    assert [(r["shipment_id"], r["format"]) for r in table.to_pylist()] == [
        ("SHP-V1", "x12-856"), ("SHP-V2", "x12-856"), ("SHP-W1", "x12-945"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, [(1, "SKU-A", 2, 100801)]),
        (
            {"items": ("LIN**UP*00012345678005*VN*SKU-A", "SN1**2*EA", "LIN**VP*SKU-B", "SN1**3.0*EA")},
            [(1, "SKU-A", 2, 100801), (2, "SKU-B", 3, 100801)],
        ),
        ({"items": ("LIN*7*SK*SKU-A", "SN1*7*2.*EA"), "ctt": "CTT*1*2"}, [(7, "SKU-A", 2, 100801)]),
        ({"order": "REF*PO*100803"}, [(1, "SKU-A", 2, 100803)]),  # the order as a purchase order REF
        ({"order": "PRF*100804*PO"}, [(1, "SKU-A", 2, 100804)]),
        (
            {"items": ("LIN*1*VN*SKU-A", "SN1**2*EA", "LIN*2*VN*SKU-B", "SN1**1*EA"), "ctt": "CTT*2*3"},
            [(1, "SKU-A", 2, 100801), (2, "SKU-B", 1, 100801)],
        ),
        (
            {"items": ("LIN*1*VN*SKU-A", "SN1**2.0*EA", "LIN*2*VN*SKU-B", "SN1**1*EA"), "ctt": "CTT*4*21"},
            [(1, "SKU-A", 2, 100801), (2, "SKU-B", 1, 100801)],
        ),  # hash of 2.0 and 1: 20 + 1
    ],
    ids=["plain", "lin01-empty-and-decimal-units", "sn1-decimal-point", "ref-po", "prf", "ctt-items", "ctt-hash"],
)
def test_856_variants_map_to_exact_lines(kwargs: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    assert [(r["line_no"], r["sku"], r["quantity"], r["order_id"]) for r in rows(w.asn(**kwargs))] == expected


def test_856_pack_levels_and_an_order_at_the_shipment_level_are_read() -> None:
    sopi = ["BSN*00*SHP-P1*20261120*1030", "HL*1**S*1", "TD5*O*2*UPSN", "REF*2I*1ZP1", "N1*WH*Acme*92*DAL1",
            "HL*2*1*O", "PRF*100805", "HL*3*2*P", "MAN*GM*00000123450000000018", "HL*4*3*I", "LIN**SK*SKU-A",
            "SN1**4*EA", "HL*5*2*P", "HL*6*5*I", "LIN**SK*SKU-B", "SN1**1*EA", "CTT*6*5"]  # fmt: skip
    si = ["BSN*00*SHP-P2*20261120*1030", "HL*1**S", "PRF*100806", "TD5*O*2*FDXG", "N1*SF*Acme*92*RNO1",
          "HL*2*1*I", "LIN*1*BP*SKU-C", "SN1**2*EA"]  # fmt: skip
    lines = rows(w.edi([w.group("SH", [w.st("856", sopi), w.st("856", si, control=2)])]))
    fields = ("shipment_id", "order_id", "line_no", "sku", "quantity", "warehouse_code")
    assert [tuple(r[k] for k in fields) for r in lines] == [
        ("SHP-P1", 100805, 1, "SKU-A", 4, "DAL1"), ("SHP-P1", 100805, 2, "SKU-B", 1, "DAL1"),
        ("SHP-P2", 100806, 1, "SKU-C", 2, "RNO1"),
    ]  # fmt: skip


def test_an_order_level_reference_wins_over_a_shipment_level_prf() -> None:
    body = w.asn_body(order="REF*PO*100807")
    body.insert(body.index("HL*2*1*O"), "PRF*100808")  # the shipment's PRF, then an order level with its own REF
    second = ["HL*4*1*O", "HL*5*4*I", "LIN*1*VN*SKU-B", "SN1**1*EA"]  # an order level without one: the shipment's
    lines = rows(w.edi([w.group("SH", [w.st("856", body + second)])]))
    assert [(r["order_id"], r["sku"]) for r in lines] == [(100807, "SKU-A"), (100808, "SKU-B")]


def test_a_fraction_of_a_unit_quarantines_its_line_only() -> None:
    lines = rows(w.asn(items=("LIN*1*VN*SKU-A", "SN1**2.5*EA", "LIN*2*VN*SKU-B", "SN1**1*EA")))
    assert [(r["quantity"], r["parse_error"]) for r in lines] == [
        (None, "quantity: '2.5' is not an integer"),
        (1, None),
    ]


@pytest.mark.parametrize(
    ("w12", "expected"),
    [
        (("LX*1", "W12*CP*3*2*1*EA**VN*SKU-A"), [(1, "SKU-A", 2, "partial")]),
        (("LX*1", "W12*BP*3*2*1*EA**SK*SKU-A"), [(1, "SKU-A", 2, "partial")]),
        (("LX*1", "W12*CS*2*2*0*EA**SK*SKU-A"), [(1, "SKU-A", 2, "shipped")]),
        (("LX*1", "W12*cc*2*2.0*0*EA**sk*SKU-A"), [(1, "SKU-A", 2, "shipped")]),
        (("LX*1", "W12*CC*2*2*0*EA*012345678905" + "*" * 15 + "VP*SKU-A"), [(1, "SKU-A", 2, "shipped")]),
        (("LX*1", "W12*IS*2*2*0*EA**SK*SKU-NEW*********SK*SKU-OLD"), [(1, "SKU-NEW", 2, "shipped")]),
        (("LX*1", "W12*CC*2*2*0*EA*012345678905" + "*" * 11 + "SK*SKU-A"), [(1, "SKU-A", 2, "shipped")]),
        (
            ("W12*CC*1*1*0*EA**SK*SKU-A", "W12*CC*1*1*0*EA**SK*SKU-B"),
            [(1, "SKU-A", 1, "shipped"), (2, "SKU-B", 1, "shipped")],
        ),
    ],
    ids=[
        "cp-partial",
        "bp-partial",
        "cs-shipped",
        "lower-case-decimal",
        "w12-21-22",
        "substitute",
        "w12-17-18",
        "no-lx",
    ],
)
def test_945_w12_variants_map_to_exact_lines(w12: tuple[str, ...], expected: list[tuple[Any, ...]]) -> None:
    lines = rows(w.advice(w12=w12, total=sum(q for *_, q, _ in expected)))
    assert [(r["line_no"], r["sku"], r["quantity"], r["status"]) for r in lines] == expected
    assert all(r["parse_error"] is None and r["order_id"] == 100802 for r in lines)


W02_VALUES = [
    (
        "SHP-201",
        100201,
        1,
        "SKU-A",
        2,
        "ATL1",
        "UPSN",
        "1Z201",
        "shipped",
        datetime(2026, 11, 20, 10, 30, tzinfo=Z),
        None,
    ),
    (
        "SHP-201",
        100201,
        2,
        "SKU-B",
        1,
        "ATL1",
        "UPSN",
        "1Z201",
        "shipped",
        datetime(2026, 11, 20, 10, 30, tzinfo=Z),
        None,
    ),
]


def test_w02_a_csv_whose_lines_end_in_cr_only_is_read() -> None:
    data = case("w02-csv-cr-only-line-ends/mac_excel.csv")
    assert b"\n" not in data and keyed(data) == W02_VALUES
    assert [r["position"] for r in rows(data)] == [2, 3]


@pytest.mark.parametrize(
    "shape",
    [
        "lf",
        "crlf",
        "cr",
        "mixed",
        "bom",
        "no-final-line-end",
        "blank-lines",
        "quoted",
        "quoted-line-break",
        "stray-cells",
    ],
)
def test_csv_line_ends_quoting_and_blank_lines_read_the_same(shape: str) -> None:
    lines = case("w02-csv-cr-only-line-ends/mac_excel.csv").decode().split("\r")[:-1]
    text = {
        "lf": "\n".join(lines) + "\n",
        "crlf": "\r\n".join(lines) + "\r\n",
        "cr": "\r".join(lines) + "\r",
        "mixed": lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r",
        "bom": "\ufeff" + "\r".join(lines) + "\r",
        "no-final-line-end": "\r\n".join(lines),
        "blank-lines": "\n" + lines[0] + "\n\n" + lines[1] + "\n\n" + lines[2] + "\n\n\n",
        "quoted": "\n".join([lines[0], *('"' + line.replace(",", '","') + '"' for line in lines[1:])]) + "\n",
        "stray-cells": "\r\n".join(line + ",," for line in lines) + "\r\n,,\r\n",
        "quoted-line-break": lines[0] + ",note\n" + lines[1] + ',"left at\r\nthe back door"\n' + lines[2] + ',"x"\n',
    }[shape]
    assert keyed(text.encode()) == W02_VALUES


def test_a_quoted_line_break_keeps_the_next_records_on_their_own_line_numbers() -> None:
    text = w.CSV_HEADER + ",note\n" + "\n".join(r + ',"a\nb"' for r in w.csv_rows(w.shipments(2))) + "\n"
    assert [r["position"] for r in rows(text.encode())] == [2, 4, 6, 8]


def test_a_last_line_cut_inside_its_last_field_is_quarantined_not_published() -> None:
    data = w.csv_file(w.shipments(2))[:-9]  # "...,2026-11-20T1": all ten fields, the timestamp cut
    parsed = rows(data)
    assert [r["parse_error"] for r in parsed[:3]] == [None, None, None]
    assert (
        parsed[3]["parse_error"] == "shipped_at: '2026-11-20T1' is not an ISO-8601 timestamp"
        and parsed[3]["position"] == 5
    )


def test_a_quote_left_open_costs_one_line_when_the_file_ends_in_a_line_end() -> None:
    good = w.csv_rows(w.shipments(2))
    text = (
        "\n".join([w.CSV_HEADER, good[0], 'SHP-9,9,1,"SKU-9,1,ATL1,UPSN,1Z,shipped,2026-11-20T10:00:00Z', *good[1:]])
        + "\n"
    )
    assert [(r["position"], r["parse_error"] is None) for r in rows(text.encode())] == [
        (2, True), (3, False), (4, True), (5, True), (6, True),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "temporary"),
    [
        ("confirm_1101.csv.filepart", True),  # WinSCP
        ("confirm.csv.part", True),  # FileZilla, curl, browsers
        ("confirm.csv.TMP", True),
        ("confirm.csv.partial", True),
        (".confirm.csv", True),  # hidden: rsync and many clients upload under a dot name
        ("~confirm.csv", True),  # Office-style temporary and lock files
        ("confirm.csv", False),
        ("confirm.partial.csv", False),
        ("asn.edi", False),
    ],
)
def test_temporary_upload_names_are_recognised(name: str, temporary: bool) -> None:
    assert is_temporary(name, DEFAULT_TEMP_PATTERNS) is temporary


def test_the_temporary_name_patterns_are_a_setting_that_replaces_the_list(tmp_path: Path) -> None:
    home = {"NORTHSTAR_HOME": str(tmp_path)}
    assert load_settings(home).fulfillment.sftp.temp_patterns == DEFAULT_TEMP_PATTERNS
    env = home | {"NORTHSTAR_SFTP_TEMP_PATTERNS": "*.inprogress, *.filepart", "NORTHSTAR_SFTP_STABLE_SECONDS": "0"}
    cfg = load_settings(env).fulfillment.sftp
    assert cfg.temp_patterns == ("*.inprogress", "*.filepart")
    for name in ("a.csv.inprogress", "a.csv.filepart", "a.csv.tmp", "a.csv"):
        (tmp_path / name).write_text("x")
    taken = complete_files(LocalDrop(tmp_path, None), cfg)
    assert sorted(f.name for f in taken) == ["a.csv", "a.csv.tmp"]


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
