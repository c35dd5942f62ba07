"""WMS/3PL shipment files to Arrow: one row per shipped order line, each traced to its file and position.

Two formats, told apart by content: ANSI X12 (the file starts with an ISA segment; 945 Warehouse Shipping
Advice and 856 Ship Notice, see x12.py) and CSV shipment confirmations (see csv_format.py for the layout).
The line model both produce, and the whole-file rejection, are in lines.py.
"""

from __future__ import annotations

import pyarrow as pa

from northstar.sources.wms.formats import csv_format, x12
from northstar.sources.wms.formats.lines import FileRejected, decode, lines_to_table


def sniff(data: bytes) -> str:
    """The file's kind by content: x12 when it starts with an ISA segment (any case, after a BOM or whitespace)."""
    return "x12" if data.removeprefix(b"\xef\xbb\xbf").lstrip()[:3].upper() == b"ISA" else "csv"


def parse_file(data: bytes, source_file: str, sha256: str) -> tuple[str, pa.Table]:
    """The file's format ("csv", "x12-945", "x12-856" or "x12-mixed") and its lines; FileRejected if bad."""
    if not data.strip():
        raise FileRejected("file.empty", f"{len(data)} bytes, no content")
    kind = sniff(data)
    lines = x12.parse_x12(decode(data)) if kind == "x12" else csv_format.parse_csv(decode(data))
    formats = sorted({line.fmt for line in lines})
    fmt = formats[0] if len(formats) == 1 else ("x12-mixed" if formats else kind)
    return fmt, lines_to_table(lines, source_file, sha256)
