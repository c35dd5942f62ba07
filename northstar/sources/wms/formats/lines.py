"""WMS/3PL shipment files to Arrow: one row per shipped order line, each traced to its file and position.

The line model shared by both formats (the package __init__ tells them apart: x12.py, csv_format.py).
A file that cannot be trusted as a whole (empty, wrong encoding, missing columns, truncated, a broken X12
envelope or control total) raises FileRejected with a reason code and a detail; nothing from it is loaded.
The reason codes are stable (QUARANTINE.WMS_FILES and the file checks carry them): `file.empty` and
`file.unsupported_format` (__init__.py), `file.encoding` (here), the `csv.*` codes in csv_format.py and the
`x12.*` codes in x12.py; README.md, "Fulfillment (SFTP)", lists them all. A line whose
values do not convert is kept with `parse_error` set, so the router quarantines that line alone.

Every row carries `source_file` (remote path), `file_sha256`, `position` (CSV: the line number, the header
being line 1; X12: the number of the segment starting the line, counted from ISA = 1) and `_raw` (the
line's text, or its segments), which lands in QUARANTINE.WMS_LINES when the line is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

FIELDS = (
    "shipment_id",
    "order_id",
    "line_no",
    "sku",
    "quantity",
    "warehouse_code",
    "carrier",
    "tracking_number",
    "status",
    "shipped_at",
)
TYPED_FIELDS = frozenset({"order_id", "line_no", "quantity", "shipped_at"})  # the others are text
LINE_SCHEMA = pa.schema(
    [
        ("shipment_id", pa.string()),
        ("order_id", pa.int64()),
        ("line_no", pa.int64()),
        ("sku", pa.string()),
        ("quantity", pa.int64()),
        ("warehouse_code", pa.string()),
        ("carrier", pa.string()),
        ("tracking_number", pa.string()),
        ("status", pa.string()),
        ("shipped_at", pa.timestamp("us", tz="UTC")),
        ("source_file", pa.string()),
        ("file_sha256", pa.string()),
        ("position", pa.int64()),
        ("format", pa.string()),
        ("parse_error", pa.string()),
        ("_raw", pa.string()),
    ]
)
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")


class FileRejected(ValueError):
    """The whole file is bad input: quarantined with `reason` (a short code) and `detail` (for a person)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class RawLine:
    """One shipment line as read from a file: text values, where it was, and any structural error."""

    position: int
    fmt: str
    values: dict[str, str | None] = field(default_factory=dict)
    raw: list[str] = field(default_factory=list)
    error: str | None = None


def decode(data: bytes) -> str:
    """The file as text: UTF-8 (an optional BOM is dropped); anything else rejects the whole file (file.encoding).

    A UTF-16 file (Excel's "Unicode Text", recognised by its byte order mark) is named as such in the reason.
    """
    for bom, name in ((b"\xff\xfe", "UTF-16 little-endian"), (b"\xfe\xff", "UTF-16 big-endian")):
        if data.startswith(bom):
            raise FileRejected("file.encoding", f"{name} (byte order mark {bom.hex(' ')}), not UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise FileRejected("file.encoding", f"not UTF-8: byte 0x{bad} at offset {exc.start}") from None


def lines_to_table(lines: list[RawLine], source_file: str, sha256: str) -> pa.Table:
    """Typed columns for the lines; a value that does not convert is null and named in parse_error."""
    errors: list[list[str]] = [[line.error] if line.error else [] for line in lines]
    columns: dict[str, list[Any]] = {}
    for name in FIELDS:
        texts = [line.values.get(name) for line in lines]
        if name in TYPED_FIELDS:
            columns[name] = _typed(name, texts, errors)
        else:  # text: trimmed, empty as null; status in lower case
            trimmed = [(t.strip() or None) if t else None for t in texts]
            columns[name] = [t.lower() if t else t for t in trimmed] if name == "status" else trimmed
    columns["source_file"] = [source_file] * len(lines)
    columns["file_sha256"] = [sha256] * len(lines)
    columns["position"] = [line.position for line in lines]
    columns["format"] = [line.fmt for line in lines]
    columns["parse_error"] = ["; ".join(e) or None for e in errors]
    columns["_raw"] = ["\n".join(line.raw) for line in lines]
    return pa.table(columns, schema=LINE_SCHEMA)


def _typed(name: str, texts: list[str | None], errors: list[list[str]]) -> list[object]:
    """A column of integers or timestamps; each distinct text converted once (a shipment repeats its values)."""
    seen: dict[str, tuple[object, str | None]] = {}
    values: list[object] = []
    for text, line_errors in zip(texts, errors, strict=True):
        text = text.strip() if text else None
        if not text:  # a missing value is a check's business (required ids, quantities), not parsing's
            values.append(None)
            continue
        value, error = seen[text] if text in seen else seen.setdefault(text, _convert(name, text))
        values.append(value)
        if error:
            line_errors.append(error)
    return values


def _convert(name: str, text: str) -> tuple[object, str | None]:
    """A non-empty integer or timestamp text's value and, when it does not convert, the reason."""
    if name == "shipped_at":
        return parse_timestamp(text)
    if _INTEGER.match(text):
        return int(text), None
    return None, f"{name}: {text[:40]!r} is not an integer"


def parse_timestamp(text: str) -> tuple[datetime | None, str | None]:
    """An ISO-8601 timestamp with a UTC offset, as UTC; a timestamp without offset is not guessed."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None, f"shipped_at: {text[:40]!r} is not an ISO-8601 timestamp"
    if value.tzinfo is None:
        return None, f"shipped_at: {text[:40]!r} has no UTC offset"
    return value.astimezone(UTC), None
