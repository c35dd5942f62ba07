"""WMS/3PL shipment files to Arrow: one row per shipped order line, each traced to its file and position.

Two formats, told apart by content: ANSI X12 (the file starts with an ISA segment; 945 Warehouse Shipping
Advice and 856 Ship Notice, see x12.py) and CSV shipment confirmations (see csv_format.py for the layout).
The line model both produce, and the whole-file rejection, are in lines.py. A file that is neither, but
recognisably something else a sender might drop by mistake (a spreadsheet workbook, a compressed file, a
UN/EDIFACT interchange, XML or JSON), is rejected whole as `file.unsupported_format` naming what it is,
instead of being read as a CSV with a strange header.
"""

from __future__ import annotations

import pyarrow as pa

from northstar.sources.wms.formats import csv_format, x12
from northstar.sources.wms.formats.lines import FileRejected, decode, lines_to_table

# Leading bytes of formats a sender may drop instead of CSV or X12, and what to call them.
OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP container (an Excel .xlsx workbook or a .zip archive)"),
    (b"\xd0\xcf\x11\xe0", "an OLE2 compound file (a legacy Excel .xls workbook)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"UNA", "a UN/EDIFACT interchange (UNA)"),
    (b"UNB", "a UN/EDIFACT interchange (UNB)"),
    (b"<", "XML or HTML"),
    (b"{", "JSON"),
    (b"[", "JSON"),
)


def sniff(data: bytes) -> str:
    """The file's kind by content: x12 when it starts with an ISA segment (any case, after a BOM or whitespace)."""
    return "x12" if data.removeprefix(b"\xef\xbb\xbf").lstrip()[:3].upper() == b"ISA" else "csv"


def parse_file(data: bytes, source_file: str, sha256: str) -> tuple[str, pa.Table]:
    """The file's format ("csv", "x12-945", "x12-856" or "x12-mixed") and its lines; FileRejected if bad."""
    if not data.strip():
        raise FileRejected("file.empty", f"{len(data)} bytes, no content")
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    for magic, what in OTHER_FORMATS:
        if start.startswith(magic):
            raise FileRejected("file.unsupported_format", f"{what}, not CSV or ANSI X12")
    kind = sniff(data)
    lines = x12.parse_x12(decode(data)) if kind == "x12" else csv_format.parse_csv(decode(data))
    formats = sorted({line.fmt for line in lines})
    fmt = formats[0] if len(formats) == 1 else ("x12-mixed" if formats else kind)
    return fmt, lines_to_table(lines, source_file, sha256)
