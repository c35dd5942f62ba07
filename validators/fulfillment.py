"""The fulfillment contract: WMS/3PL files judged whole first, then their shipment lines checked in DuckDB.

A file is DUPLICATE when its content (sha256) was taken before, under any name (never parsed or loaded
again); QUARANTINED whole when it cannot be trusted (see northstar/sources/wms/formats/); otherwise
LOADED, its lines going through the router like any other batch. A name seen before with new content is
loaded and flagged (previous_sha256). Lines already published, or repeated in the batch, are quarantined.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from northstar.sources.wms.formats import parse_file, sniff
from northstar.sources.wms.formats.lines import FileRejected
from northstar.sources.wms.landing import LandedFile
from northstar.sqlfiles import read_sql
from validators.contracts import INTEGER, TEXT, TIMESTAMP_UTC, Contract
from validators.result import CheckResult, Severity
from validators.router import Routed, load_batch, route
from validators.rules import RowCheck, accepted_values, in_range

LOADED, QUARANTINED, DUPLICATE = "LOADED", "QUARANTINED", "DUPLICATE"
# The warehouses that ship Northstar orders: our own DCs and the 3PLs' sites, by the code their files carry.
KNOWN_WAREHOUSES = ("ATL1", "DAL1", "RNO1", "NJ3P", "CHI3P")
ALLOWED_STATUSES = ("shipped", "partial")

FULFILLMENT = Contract(
    dataset="shipment_lines",
    key="shipment_id",  # the router's repeated_keys: only shipments seen twice can hold a repeated line
    columns={
        "shipment_id": TEXT,
        "order_id": INTEGER,
        "line_no": INTEGER,
        "sku": TEXT,
        "quantity": INTEGER,
        "warehouse_code": TEXT,
        "carrier": TEXT,
        "tracking_number": TEXT,
        "status": TEXT,
        "shipped_at": TIMESTAMP_UTC,
        "source_file": TEXT,
        "file_sha256": TEXT,
        "position": INTEGER,
        "format": TEXT,
        "parse_error": TEXT,
    },
)

SHIPMENT_LINE_CHECKS = (
    RowCheck("schema.line_parsed", Severity.ERROR, "parse_error", "every field of the line converts"),
    RowCheck("schema.keys_present", Severity.ERROR, "shipment_id", "shipment_id, order_id, sku and line_no >= 1"),
    in_range("schema.quantity_positive", "quantity", min=1, expected="quantity shipped > 0"),
    accepted_values("schema.warehouse_known", "warehouse_code", KNOWN_WAREHOUSES),
    accepted_values("schema.status_allowed", "status", ALLOWED_STATUSES),
    RowCheck("schema.shipped_at_sane", Severity.ERROR, "shipped_at", "2000-01-01 <= shipped_at < window end + 15 min"),
    RowCheck("duplicates.line_in_batch", Severity.ERROR, "line_no", "each (shipment_id, line_no) once in the batch"),
    RowCheck(
        "duplicates.line_published", Severity.ERROR, "line_no", "(shipment_id, line_no) not published from another file"
    ),
    RowCheck("duplicates.line_superseded", Severity.INFO, "line_no", "lines of a new file version replace the old"),
)


# The whole-file check (its rules are the parsers', northstar/sources/wms/formats/): id, severity, expectation.
FILE_PARSEABLE = (
    "file.parseable",
    Severity.ERROR,
    "the file parses whole: not empty, UTF-8, a complete CSV header and last line, or an X12 envelope whose"
    " control numbers and counts agree",
)


@dataclass(frozen=True)
class FileVerdict:
    """What became of one landed file: its status, why, and how many of its lines passed."""

    file: LandedFile
    landed_uri: str
    status: str
    format: str | None = None
    reason: str | None = None
    previous_sha256: str | None = None  # set when the name was seen before with other content
    duplicate_of: str | None = None  # the path first taken with the same content
    lines_total: int = 0
    lines_quarantined: int = 0

    @property
    def lines_published(self) -> int:
        """Lines of the file that passed (and were published), 0 unless LOADED."""
        return self.lines_total - self.lines_quarantined if self.status == LOADED else 0


def judge_files(
    files: tuple[LandedFile, ...],
    read: Callable[[LandedFile], bytes],
    uri: Callable[[str], str],
    seen: dict[str, str],
    latest: dict[str, str],
) -> tuple[list[FileVerdict], list[pa.Table]]:
    """Verdicts in arrival order and the lines of the loaded files; seen: sha256 -> path taken before."""
    seen = dict(seen)
    verdicts: list[FileVerdict] = []
    tables: list[pa.Table] = []
    for f in files:
        if f.sha256 in seen:
            verdicts.append(FileVerdict(f, uri(f.key), DUPLICATE, duplicate_of=seen[f.sha256]))
            continue
        seen[f.sha256] = f.remote_path
        previous = latest.get(f.remote_path)
        previous = previous if previous != f.sha256 else None
        data = read(f)
        try:
            fmt, table = parse_file(data, f.remote_path, f.sha256)
        except FileRejected as exc:
            verdicts.append(FileVerdict(f, uri(f.key), QUARANTINED, sniff(data), str(exc), previous))
            continue
        verdicts.append(FileVerdict(f, uri(f.key), LOADED, fmt, None, previous, lines_total=table.num_rows))
        tables.append(table)
    return verdicts, tables


def file_results(verdicts: list[FileVerdict] | tuple[FileVerdict, ...]) -> list[CheckResult]:
    """One `file.parseable` result per file parsed in the batch, on the file's own dataset (its remote path,
    the name its lineage input carries): 1 file checked, 1 failed when it was quarantined whole, with the
    parser's reason code and detail as `actual` (for example "x12.control_total: ..."). A DUPLICATE file is
    not parsed again and has no result."""
    check_id, severity, expected = FILE_PARSEABLE
    return [
        CheckResult(
            check_id,
            v.file.remote_path,
            severity,
            rows_checked=1,
            rows_failed=int(v.status == QUARANTINED),
            expected=expected,
            actual=(v.reason or "") if v.status == QUARANTINED else f"parsed as {v.format}, {v.lines_total} lines",
        )
        for v in verdicts
        if v.status != DUPLICATE
    ]


def with_file_results(routed: Routed, verdicts: list[FileVerdict] | tuple[FileVerdict, ...]) -> Routed:
    """The routed lines with the files' `file.parseable` results appended (OPS.CHECK_RESULTS and lineage)."""
    return replace(routed, results=routed.results + file_results(verdicts))


def route_lines(con: duckdb.DuckDBPyConnection, lines: Path, published: pa.Table, window_end: datetime) -> Routed:
    """Check the batch's lines (against each other and the already-published keys) and split them."""
    con.register("published_keys", published)
    con.execute(read_sql("checks/shipment_lines/create_published_lines.sql"))
    con.unregister("published_keys")
    schema_results = load_batch(con, lines, FULFILLMENT)
    return route(con, FULFILLMENT, SHIPMENT_LINE_CHECKS, schema_results, {"window_end": window_end})


def with_line_counts(con: duckdb.DuckDBPyConnection, verdicts: list[FileVerdict]) -> list[FileVerdict]:
    """The verdicts with each loaded file's lines counted as routed (after route_lines)."""
    rows = con.execute(read_sql("checks/shipment_lines/count_lines_by_file.sql")).fetchall()
    counts = {str(path): (int(total), int(quarantined)) for path, total, quarantined in rows}
    return [
        replace(v, lines_total=counts[v.file.remote_path][0], lines_quarantined=counts[v.file.remote_path][1])
        if v.status == LOADED and v.file.remote_path in counts
        else v
        for v in verdicts
    ]


FILES_SCHEMA = pa.schema(
    [
        ("remote_path", pa.string()),
        ("file_name", pa.string()),
        ("size_bytes", pa.int64()),
        ("mtime", pa.timestamp("us", tz="UTC")),
        ("sha256", pa.string()),
        ("format", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("new_version", pa.bool_()),
        ("previous_sha256", pa.string()),
        ("duplicate_of", pa.string()),
        ("lines_total", pa.int64()),
        ("lines_published", pa.int64()),
        ("lines_quarantined", pa.int64()),
        ("landed_uri", pa.string()),
    ]
)


def files_table(verdicts: list[FileVerdict]) -> pa.Table:
    """The verdicts as OPS.STAGE_WMS_FILES rows."""
    rows = [
        {
            "remote_path": v.file.remote_path,
            "file_name": v.file.name,
            "size_bytes": v.file.size,
            "mtime": v.file.mtime,
            "sha256": v.file.sha256,
            "format": v.format,
            "status": v.status,
            "reason": v.reason,
            "new_version": v.previous_sha256 is not None,
            "previous_sha256": v.previous_sha256,
            "duplicate_of": v.duplicate_of,
            "lines_total": v.lines_total,
            "lines_published": v.lines_published,
            "lines_quarantined": v.lines_quarantined,
            "landed_uri": v.landed_uri,
        }
        for v in verdicts
    ]
    return pa.Table.from_pylist(rows, schema=FILES_SCHEMA)
