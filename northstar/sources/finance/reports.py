"""Finance's daily revenue report: the source of truth the consistency run reconciles against.

Finance drops one CSV per business day in the landing store, under

    raw/finance/dt=YYYY-MM-DD/<name>.csv        (dt = the business day the file reports)

with a header row and one row per currency:

    business_date,currency,captured_minor,refunded_minor,net_revenue_minor
    2026-11-20,USD,1250000,30000,1220000

Amounts are integers in the currency's minor unit (as Stripe counts them: JPY has none), revenue is
captured minus refunded by business day in NORTHSTAR_BUSINESS_TZ, the same definition the pipeline uses.
The landing store is write-once, so finance corrects a day by dropping a new file in the same folder:
the most recently written file of a day wins. Rows dated other than their folder's day are ignored.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from northstar.landing import LandingStore
from northstar.sqlfiles import read_sql

if TYPE_CHECKING:  # DuckDB is imported where a report is read, not by a command that only names a day's prefix
    import duckdb

PREFIX = "raw/finance/"


def day_prefix(day: date) -> str:
    """raw/finance/dt=YYYY-MM-DD/"""
    return f"{PREFIX}dt={day.isoformat()}/"


def latest_report(store: LandingStore, day: date) -> str | None:
    """The key of the day's most recently written CSV, or None when finance has not reported the day."""
    files = [(written, key) for key, written in store.list_modified(day_prefix(day)) if key.endswith(".csv")]
    return max(files)[1] if files else None


def load_reports(con: duckdb.DuckDBPyConnection, store: LandingStore, days: list[date], work_dir: Path) -> list[str]:
    """Read each day's latest report into the DuckDB table `finance`; the landing keys read.

    A report that does not follow the layout (a missing column, a number that is not an integer) is not
    guessed at: it goes to `finance_unreadable` with the reader's error, its day is left unreconciled, and
    the check reconciliation.finance_report_readable fails, which holds the gate until finance drops a
    corrected file (the raw file stays in the landing store).
    """
    import duckdb  # here: a command that only names a day's prefix does not load DuckDB

    keys = []
    for day in days:
        key = latest_report(store, day)
        if key is None:
            continue
        local = store.local_copy(key, work_dir / "finance" / day.isoformat())
        params = {"path": str(local), "day": day, "uri": store.uri(key)}
        try:
            con.execute(read_sql("consistency/insert_finance_report.sql"), params)
        except duckdb.Error as exc:
            error = str(exc).splitlines()[0]
            con.execute("INSERT INTO finance_unreadable VALUES ($uri, $error)", {"uri": params["uri"], "error": error})
        keys.append(key)
    return keys
