"""CSV shipment confirmations: the layout senders must follow, and its parser.

Layout (RFC 4180 quoting, UTF-8 with or without BOM, LF or CRLF line ends, every line ending in one):

    shipment_id,order_id,line_no,sku,quantity,warehouse_code,carrier,tracking_number,status,shipped_at
    SHP-1001,100234,1,SKU-RED-M,2,ATL1,UPSN,1Z999AA10123456784,shipped,2026-11-20T11:30:00Z

- A header line naming the ten columns (any order; extra columns are ignored), then one line per shipped
  order line. A field may not contain a line break (each line is parsed on its own).
- shipment_id: the sender's shipment id; order_id: the Northstar order number (integer); line_no: the
  line's number within the shipment (integer >= 1; unique per shipment); sku: text; quantity: units
  shipped (integer > 0); warehouse_code: a known warehouse code; carrier: SCAC code; tracking_number:
  may be empty; status: `shipped` or `partial`; shipped_at: ISO-8601 with a UTC offset (`Z` allowed).

Whole-file rejections: empty file, not UTF-8 (`file.encoding`), a header missing a column
(`csv.missing_columns`) or repeating one, a last line without its line end (`csv.truncated_last_line`:
the sender's upload was cut). A line with the wrong number of fields, a broken quote or a value that does not
convert is quarantined alone (its `parse_error` says why). Blank lines are ignored.
"""

from __future__ import annotations

import csv

from northstar.sources.wms.formats.lines import FIELDS, FileRejected, RawLine

FORMAT = "csv"


def parse_csv(text: str) -> list[RawLine]:
    """The data lines of a CSV shipment confirmation; FileRejected when the file as a whole is bad."""
    if not text.endswith("\n"):
        last = text.count("\n") + 1
        raise FileRejected("csv.truncated_last_line", f"line {last} has no line end: the file was cut short")
    lines = [line.removesuffix("\r") for line in text.split("\n")[:-1]]
    header = _header(lines[0])
    return [_line(header, text, number) for number, text in enumerate(lines[1:], start=2) if text.strip()]


def _header(first: str) -> list[str]:
    """The header's column names; every layout column must be there exactly once."""
    names = [name.strip().lower() for name in next(csv.reader([first]), [])]
    missing = [name for name in FIELDS if name not in names]
    if missing:
        raise FileRejected("csv.missing_columns", f"header lacks {', '.join(missing)}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FileRejected("csv.repeated_columns", f"header repeats {', '.join(repeated)}")
    return names


def _line(header: list[str], text: str, position: int) -> RawLine:
    """One data line, parsed alone; a bad quote or a wrong field count keeps the line with the error."""
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
