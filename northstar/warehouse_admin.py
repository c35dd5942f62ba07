"""`northstar warehouse setup`: the Snowflake account objects around the pipeline's tables.

Roles, warehouses, the resource monitor, the BI views, Time Travel on MARTS and the two-year retention task,
from the idempotent files in sql/snowflake/admin/ (run in name order, then the retention procedure built from
purge_past_retention.sql, then 05_retention.sql). Against Snowflake every statement runs. Against the local
fakesnow emulator the statements it cannot parse are skipped, each one reported with its reason:
UNSUPPORTED_BY_FAKESNOW is that list, and tests/test_warehouse_admin.py checks that every statement it skips
really fails on fakesnow and every other one runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from northstar.sqlfiles import SQL_DIR, statements
from northstar.warehouse import Warehouse

ADMIN_DIR = "snowflake/admin"
PURGE_FILE = f"{ADMIN_DIR}/purge_past_retention.sql"
RETENTION_YEARS = 2
# Statement kinds fakesnow 0.12.1 cannot run (each fails with a parser error there; checked by the tests).
UNSUPPORTED_BY_FAKESNOW: tuple[tuple[str, str], ...] = (
    (r"^CREATE ROLE\b", "roles"),
    (r"^GRANT\b", "grants"),
    (r"^(CREATE|ALTER) WAREHOUSE\b", "warehouses"),
    (r"^(CREATE|ALTER) RESOURCE MONITOR\b", "resource monitors"),
    (r"^ALTER SCHEMA \w+ SET DATA_RETENTION_TIME_IN_DAYS\b", "Time Travel retention"),
    (r"^CREATE OR REPLACE PROCEDURE\b", "stored procedures (Snowflake Scripting)"),
    (r"^(CREATE OR REPLACE|ALTER) TASK\b", "tasks"),
)


@dataclass(frozen=True)
class AdminStatement:
    """One statement of the set-up, where it comes from, and why it is skipped here (None: it runs)."""

    source: str
    sql: str
    skipped_because: str | None = None


def admin_files() -> list[str]:
    """The numbered files of sql/snowflake/admin/, in the order they run."""
    return sorted(f"{ADMIN_DIR}/{p.name}" for p in (SQL_DIR / ADMIN_DIR).glob("[0-9][0-9]_*.sql"))


def purge_procedure_sql() -> str:
    """CREATE OR REPLACE PROCEDURE OPS.PURGE_PAST_RETENTION(): the purge file's statements, cutoff = now - 2 years."""
    cutoff = f"DATEADD(year, -{RETENTION_YEARS}, SYSDATE())"  # SYSDATE(): now in UTC, TIMESTAMP_NTZ like the columns
    body = "\n".join(f"    {sql.replace('%(cutoff)s', cutoff)};" for sql in statements(PURGE_FILE))
    return (
        "CREATE OR REPLACE PROCEDURE OPS.PURGE_PAST_RETENTION() RETURNS VARCHAR LANGUAGE SQL "
        "COMMENT = 'two-year retention of CORE and RAW; OPS evidence kept' AS\n"
        f"$$\nBEGIN\n{body}\n    RETURN 'purged rows created before ' || {cutoff}::VARCHAR;\nEND;\n$$"
    )


def plan(emulated: bool) -> list[AdminStatement]:
    """Every set-up statement in order; on the emulator (emulated=True) those it cannot run carry their reason."""
    planned: list[AdminStatement] = []
    for relative in admin_files():
        if relative.endswith("05_retention.sql"):
            planned.append(AdminStatement("purge_past_retention.sql (as a procedure)", purge_procedure_sql()))
        planned += [AdminStatement(relative, sql) for sql in statements(relative)]
    if not emulated:
        return planned
    return [AdminStatement(s.source, s.sql, unsupported_reason(s.sql)) for s in planned]


def unsupported_reason(sql: str) -> str | None:
    """Why fakesnow cannot run this statement, or None when it can."""
    for pattern, reason in UNSUPPORTED_BY_FAKESNOW:
        if re.match(pattern, sql.strip(), flags=re.IGNORECASE):
            return f"fakesnow cannot emulate {reason}"
    return None


def setup(wh: Warehouse, *, emulated: bool, dry_run: bool = False) -> list[AdminStatement]:
    """Run the set-up (nothing when dry_run); the statements in order, with what was skipped and why.

    Raises the connector's error on the first statement that fails (every statement is idempotent, so a
    rerun after fixing the cause continues where it stopped).
    """
    planned = plan(emulated)
    if dry_run:
        return planned
    params = {"database": wh.database}
    for statement in planned:
        if statement.skipped_because is None:
            wh.execute(statement.sql, params if "%(database)s" in statement.sql else None)
    return planned


def purge_past_retention(wh: Warehouse, now: datetime) -> None:
    """Delete CORE and RAW rows older than two years before now (UTC, naive or aware), as the daily task does.

    The task calls the procedure on Snowflake; this runs the same statements directly (locally, and for a
    one-off purge). It runs in one transaction: all tables or none.
    """
    utc = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo is not None else now
    try:
        cutoff = utc.replace(year=utc.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        cutoff = utc.replace(year=utc.year - RETENTION_YEARS, day=28)
    params: dict[str, Any] = {"cutoff": cutoff}
    with wh.transaction():
        wh.run_file(PURGE_FILE, params)
