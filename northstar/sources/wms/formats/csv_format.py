"""CSV shipment confirmations: the layout senders must follow, and its parser.

Layout (RFC 4180, UTF-8 with or without a byte order mark):

    shipment_id,order_id,line_no,sku,quantity,warehouse_code,carrier,tracking_number,status,shipped_at
    SHP-1001,100234,1,SKU-RED-M,2,ATL1,UPSN,1Z999AA10123456784,shipped,2026-11-20T11:30:00Z

- A header line naming the ten columns (any order, any case; extra columns are ignored), then one line per
  shipped order line. shipment_id: the sender's shipment id; order_id: the Northstar order number
  (integer); line_no: the line's number within the shipment (integer >= 1; unique per shipment); sku:
  text; quantity: units shipped (integer > 0); warehouse_code: a known warehouse code; carrier: SCAC code;
  tracking_number: may be empty; status: `shipped` or `partial`; shipped_at: ISO-8601 with a UTC offset
  (`Z` allowed).

Read as senders write it:
- Line ends: CRLF (RFC 4180 §2.1), LF (Unix, most exporters) and CR alone (classic Mac OS, Excel for Mac's
  "CSV (Macintosh)"), mixed within a file too. Positions are line numbers counted with whichever ends the
  file uses (the header is line 1).
- Quoted fields (RFC 4180 §2.5-2.7): commas, doubled quotes and line breaks inside quotes; a record whose
  quoted field spans lines is one record, positioned at its first line.
- Blank lines (before the header, between records, trailing) are ignored, and so are lines of empty fields
  (`,,,`: a spreadsheet's empty row) and columns with a blank header (the empty cells a spreadsheet exports
  after the last column: `shipped_at,,`).
- The last record without a line end (RFC 4180 §2.2: "may or may not have an ending line break") is read
  like any other when it has all the header's fields.

Whole-file rejections (reason codes are stable):
- file.empty, file.encoding (not UTF-8; a UTF-16 file is named as such) - see lines.py
- csv.missing_columns: the header lacks a layout column; csv.repeated_columns: it names one twice
- csv.delimiter: the header is separated by `;`, a tab or `|` instead of commas (the detail says which)
- csv.truncated_last_line: the file ends without a line end in the middle of a record: its last line has
  fewer fields than the header, or a quoted field is still open at the end of the file. The file was cut
  short; nothing in it is loaded. (A file is never called truncated for its line ends alone.)

A line with the wrong number of fields, a broken quote or a value that does not convert is quarantined alone
(its `parse_error` says why); a quote left open (with the file ending in a line end) leaves the rest of the
file to be read line by line, so one bad quote costs one line.
"""

from __future__ import annotations

import csv
import re

from northstar.sources.wms.formats.lines import FIELDS, FileRejected, RawLine

FORMAT = "csv"
_LINE_END = re.compile(r"\r\n|\r|\n")
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def parse_csv(text: str) -> list[RawLine]:
    """The data lines of a CSV shipment confirmation; FileRejected when the file as a whole is bad."""
    physical = _LINE_END.split(text)
    ends_with_line_end = physical[-1] == ""
    if ends_with_line_end:
        physical.pop()
    start = next((i for i, line in enumerate(physical) if line.strip()), None)
    if start is None:
        raise FileRejected("file.empty", f"{len(text)} characters, no content")
    header = _header(physical[start])
    records = list(_records(physical, start + 1))
    if not ends_with_line_end and records:
        _check_last(records[-1], len(header), len(physical))
    return [_line(header, raw, number) for number, raw, _ in records if not _blank(raw)]


def _blank(raw: str) -> bool:
    """A blank record: nothing but whitespace and commas (a spreadsheet's empty row exports as `,,,`)."""
    return not raw.replace(",", "").strip()


def _records(physical: list[str], first: int) -> list[tuple[int, str, bool]]:
    """(line number, record text, quote left open) of each record from physical line `first` (0-based)."""
    records: list[tuple[int, str, bool]] = []
    i = first
    while i < len(physical):
        record, j = physical[i], i
        while record.count('"') % 2 == 1 and j + 1 < len(physical):  # a quoted field goes on to the next line
            j += 1
            record += "\n" + physical[j]
        if record.count('"') % 2 == 1 and j > i:  # never closed: read the line alone, its error says why
            records.append((i + 1, physical[i], True))
            i += 1
            continue
        records.append((i + 1, record, record.count('"') % 2 == 1))
        i = j + 1
    return records


def _check_last(last: tuple[int, str, bool], width: int, lines: int) -> None:
    """Reject the file when its last record, which has no line end, stops in the middle of the record."""
    number, raw, open_quote = last
    if _blank(raw):
        return
    if open_quote:
        raise FileRejected(
            "csv.truncated_last_line",
            f"the file ends without a line end inside a quoted field opened on line {number}: it was cut short",
        )
    fields = _fields(raw)
    if fields is not None and len(fields) < width:
        raise FileRejected(
            "csv.truncated_last_line",
            f"line {lines} has no line end and {len(fields)} of the header's {width} fields: the file was cut short",
        )


def _fields(raw: str) -> list[str] | None:
    """A record's fields (RFC 4180), or None when its quoting is broken."""
    try:
        return next(csv.reader([raw], strict=True), [])
    except csv.Error:
        return None


def _header(first: str) -> list[str]:
    """The header's column names; every layout column must be there exactly once."""
    names = [name.strip().lower() for name in next(csv.reader([first]), [])]
    missing = [name for name in FIELDS if name not in names]
    if missing:
        for delimiter, called in _OTHER_DELIMITERS.items():
            other = [name.strip().strip('"').lower() for name in first.split(delimiter)]
            if all(name in other for name in FIELDS):
                raise FileRejected("csv.delimiter", f"the header's fields are separated by {called}, not commas")
        raise FileRejected("csv.missing_columns", f"header lacks {', '.join(missing)}")
    repeated = sorted({name for name in names if name and names.count(name) > 1})  # blank: Excel's stray cells
    if repeated:
        raise FileRejected("csv.repeated_columns", f"header repeats {', '.join(repeated)}")
    return names


def _line(header: list[str], text: str, position: int) -> RawLine:
    """One record, parsed alone; a bad quote or a wrong field count keeps the line with the error."""
    line = RawLine(position=position, fmt=FORMAT, raw=[text])
    try:
        row = next(csv.reader([text], strict=True))
    except csv.Error as exc:
        line.error = f"malformed CSV line: {exc}"
        return line
    if len(row) != len(header):
        line.error = f"expected {len(header)} fields, found {len(row)}"
        return line
    line.values = {name: value for name, value in zip(header, row, strict=True) if name in FIELDS}
    return line
