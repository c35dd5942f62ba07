"""Full-history cross-system checks: the consistency families' declarations, run in the warehouse over all of CORE.

The batch path fetches a slice of the warehouse into DuckDB per run (northstar/slices.py) and runs each family's
prepare files, violations and measure queries there (validators/consistency/). Here the slice tables are TEMPORARY
tables of the warehouse session, created from the same DDL (sql/consistency/create_slice_tables.sql) and filled over
the whole history with every committed source batch as the run's input
(sql/history/consistency/insert_history_slices.sql); the family files are the batch path's own, written once in
DuckDB SQL and transpiled by sqlglot (validators/snowflake_render.py), or, where sqlglot cannot, a Snowflake file in
sql/consistency/snowflake/ that says why (`snowflake_file`). Snowflake does the work; the worker reads one row per
check and the first `key_limit` failing keys (sql/consistency/select_failing_keys.sql).

Finance's daily reports live in the landing store, not the warehouse: the worker reads them with the batch path's
reader (`read_finance`) and inserts their rows (one per day and currency) into the session's `finance` tables.
The reconciled days are every business day from the history's first through `as_of`'s, so the per-day checks
(reconciliation.daily_revenue, duplicates.daily_rate) report per business day.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import duckdb
import sqlglot

from northstar.landing import LandingStore, landing_store
from northstar.settings import Settings
from northstar.slices import Slice, day_bounds, params_for
from northstar.sources.finance.reports import load_reports
from northstar.sqlfiles import SQL_DIR, read_sql, statements
from validators.consistency.checks import CrossCheck
from validators.consistency.duplicates import MAX_DAILY_RATE
from validators.consistency.reconciliation import FINANCE
from validators.consistency.suite import FAMILIES
from validators.history import EPOCH, PYFORMAT, HistoryCheck, _body
from validators.result import CheckResult
from validators.snowflake_render import DAYS_TABLE, render

SLICE_DDL = "consistency/create_slice_tables.sql"
HISTORY_SLICES = "history/consistency/insert_history_slices.sql"
SESSION_SCHEMA = "history/consistency/use_ops_schema.sql"
KEYS = "consistency/select_failing_keys.sql"
CHUNK = 500  # rows bound into one INSERT ... VALUES


class Session(Protocol):
    """What the audit needs of a warehouse session (northstar.warehouse.Warehouse): queries and statements."""

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int: ...


def snowflake_file(duckdb_sql: str, relative: str) -> str | None:
    """The Snowflake file standing in for a family statement sqlglot cannot render (it says why), or None:
    sql/consistency/snowflake/create_<table>.sql for a statement creating <table>, else the query file's own name."""
    created = re.match(r"\s*CREATE OR REPLACE TABLE (\w+)", duckdb_sql)
    name = f"create_{created.group(1)}.sql" if created else Path(relative).name
    return f"consistency/snowflake/{name}" if (SQL_DIR / "consistency" / "snowflake" / name).exists() else None


def _run(wh: Session, duckdb_sql: str, params: Mapping[str, Any], relative: str = "") -> list[dict[str, Any]]:
    """A DuckDB statement rendered (or its Snowflake file) and run: a query's rows, or [] for DDL and INSERT."""
    own = snowflake_file(duckdb_sql, relative) if relative else None
    if own:
        sql = _body(read_sql(own))
        bound = {name: params[name] for name in set(PYFORMAT.findall(sql))}
    else:
        sql, bound = render(duckdb_sql, params)
    if sql.lstrip().upper().startswith(("CREATE", "INSERT")):
        wh.execute(sql, bound or None)
        return []
    return wh.query(sql, bound or None)


def history_days(wh: Session, *, since: datetime, as_of: datetime, tz: str) -> list[date]:
    """Every business day (in tz) from the history's first order, payment or refund at or after `since` through
    `as_of`'s (naive UTC both); [] when the history is empty."""
    (row,) = wh.query(read_sql("history/select_history_first_day.sql"), {"since": since})
    first = row["FIRST_AT"]
    if first is None:
        return []
    zone = ZoneInfo(tz)
    low = first.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
    high = as_of.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()
    return [low + timedelta(days=n) for n in range((high - low).days + 1)]


def read_finance(
    store: LandingStore, days: list[date], work_dir: Path
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Finance's reports for the days, read by the batch path's reader: (report rows, unreadable reports), each a
    tuple in the columns of the slice tables `finance` and `finance_unreadable`."""
    with duckdb.connect() as con:
        for sql in statements(SLICE_DDL):
            con.execute(sql)
        load_reports(con, store, days, work_dir)
        rows = con.execute("SELECT * FROM finance ORDER BY business_date, currency, source_file").fetchall()
        unreadable = con.execute("SELECT * FROM finance_unreadable ORDER BY source_file").fetchall()
    return rows, unreadable


def _insert_rows(wh: Session, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows into a session table in chunks, every value bound (the table name and shape come from code)."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params = {f"v{i}_{j}": value for i, row in enumerate(chunk) for j, value in enumerate(row)}
        values = ", ".join(
            "(" + ", ".join(f"%(v{i}_{j})s" for j in range(len(row))) + ")" for i, row in enumerate(chunk)
        )
        wh.execute(f"INSERT INTO {table} VALUES {values}", params)


def build_history_slice(
    wh: Session,
    *,
    since: datetime,
    days: list[date],
    tz: str,
    duplicate_window: timedelta,
    finance: tuple[Sequence[tuple[Any, ...]], Sequence[tuple[Any, ...]]],
) -> None:
    """The slice tables as the session's TEMPORARY tables, filled from CORE over the history (naive UTC `since`).
    The session's current schema becomes OPS first: the tables' names are unqualified, and a session that created no
    schema (a warehouse set up by an earlier session) has no current schema to create them in."""
    wh.execute(_body(read_sql(SESSION_SCHEMA)))
    for text in statements(SLICE_DDL):  # a statement may carry the next after a comment: split them
        for tree in sqlglot.parse(re.sub(r"--[^\n]*", "", text), read="duckdb"):  # the DDL has no '--' in literals
            if tree is not None:
                _run(wh, tree.sql(dialect="duckdb"), {})
    _run(wh, f"CREATE OR REPLACE TABLE {DAYS_TABLE} (business_date DATE)", {})
    _insert_rows(wh, DAYS_TABLE, [(d,) for d in days])
    low, high = day_bounds(days, tz) if days else (since, since)
    params = {"since": since, "low": low, "high": high, "first_day": days[0] if days else date.min,
              "last_day": days[-1] if days else date.min, "seconds": int(duplicate_window.total_seconds())}  # fmt: skip
    for sql in statements(HISTORY_SLICES):
        wh.execute(sql, {name: value for name, value in params.items() if f"%({name})s" in sql} or None)
    _insert_rows(wh, "finance", finance[0])
    _insert_rows(wh, "finance_unreadable", finance[1])


def audit_consistency(
    wh: Session,
    params: Mapping[str, Any],
    *,
    check_ids: Sequence[str] | None = None,
    key_limit: int | None = 20,
    datasets: Mapping[str, str] | None = None,
) -> list[HistoryCheck]:
    """Every family of the suite over the slice build_history_slice made, in the suite's order: its prepare files,
    then each (selected) check's violations and measure, then the failing keys. `params` are the batch path's
    (northstar.slices.params_for: as_of, tz, grace_seconds, ...; `days` is read from the session's table).
    ValueError when a measure does not return one row."""
    found: list[tuple[CrossCheck, CheckResult, float]] = []
    for family in FAMILIES:
        for relative in family.prepare:
            for sql in statements(relative):
                _run(wh, sql, dict(params) | dict(family.params), relative)
        for check in family.checks:
            if check_ids is not None and check.check_id not in check_ids:
                continue
            started = time.perf_counter()
            result = _measure(wh, check, params, datasets or {})
            found.append((check, result, time.perf_counter() - started))
    keys = failing_keys(wh, params, key_limit)
    return [
        HistoryCheck(result, keys.get((check.check_id, str(check.params.get("ref_kind", ""))), ()), seconds)
        for check, result, seconds in found
    ]


def _measure(wh: Session, check: CrossCheck, params: Mapping[str, Any], datasets: Mapping[str, str]) -> CheckResult:
    own = dict(params) | dict(check.params) | {"check_id": check.check_id, "severity": check.severity.value}
    if check.violations:
        rule = read_sql(check.violations)
        _run(
            wh, f"INSERT INTO out_violations SELECT $check_id, $severity, order_id, evidence FROM ({_body(rule)})", own
        )
    rows = _run(wh, _body(read_sql(check.measure)), own, check.measure)
    if len(rows) != 1:
        raise ValueError(f"{check.measure} returned {len(rows)} rows for {check.check_id}, not one")
    row = rows[0]
    return CheckResult(
        check.check_id,
        datasets.get(check.dataset, check.dataset),
        check.severity,
        int(row["ROWS_CHECKED"] or 0),
        int(row["ROWS_FAILED"] or 0),
        check.expected,
        str(row["ACTUAL"]),
        check.column,
    )


def failing_keys(
    wh: Session, params: Mapping[str, Any], key_limit: int | None
) -> dict[tuple[str, str], tuple[str, ...]]:
    """(check id, scope) -> its first key_limit failing keys in key order (None: all), read from the session."""
    keys_sql, bound = render(_body(read_sql(KEYS)), dict(params) | {"max_duplicate_rate": MAX_DAILY_RATE})
    wrapper = _body(read_sql("history/select_history_failing_keys.sql")).replace("{keys}", keys_sql)
    rows = wh.query(wrapper, bound | {"key_limit": key_limit})
    out: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        out.setdefault((row["CHECK_ID"], row["SCOPE"]), []).append(str(row["FAILING_KEY"]))
    return {k: tuple(v) for k, v in out.items()}


def audit_history_consistency(
    wh: Session,
    settings: Settings,
    *,
    as_of: datetime,
    since: datetime = EPOCH,
    check_ids: Sequence[str] | None = None,
    key_limit: int | None = 20,
    finance_dataset: str = FINANCE,
) -> list[HistoryCheck]:
    """`northstar audit-history --source consistency`: the history's business days, finance's reports for them (read
    from the landing store), the slice as the session's tables, then every family (naive UTC `as_of`, `since`).
    [] when CORE holds nothing from `since`. ValueError, before any query, for a check id no family declares."""
    check_selection(check_ids)
    cfg = settings.consistency
    days = history_days(wh, since=since, as_of=as_of, tz=cfg.business_tz)
    if not days:
        return []
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as work:
        finance = read_finance(landing_store(settings), days, Path(work))
    build_history_slice(
        wh, since=since, days=days, tz=cfg.business_tz, duplicate_window=cfg.duplicate_window, finance=finance
    )
    params = params_for(Slice({}, days, day_bounds(days, cfg.business_tz), as_of), cfg)
    return audit_consistency(wh, params, check_ids=check_ids, key_limit=key_limit, datasets={FINANCE: finance_dataset})


def check_selection(check_ids: Sequence[str] | None) -> None:
    """Refuse, without the warehouse, a check id no consistency family declares: ValueError naming the known ones."""
    unknown = sorted(set(check_ids or ()) - set(known_checks()))
    if unknown:
        raise ValueError(
            f"--checks: {', '.join(unknown)} not declared for consistency; known checks: {', '.join(known_checks())}"
        )


def known_checks() -> list[str]:
    """The consistency check ids, in the suite's order, each once."""
    return list(dict.fromkeys(c.check_id for family in FAMILIES for c in family.checks))
