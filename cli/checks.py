"""`northstar checks`: a business day's cross-system results: gate, check results, SLA metrics, reconciliation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from cli.output import print_rows
from northstar.settings import load_settings
from northstar.slices import day_bounds
from northstar.sqlfiles import read_sql
from northstar.warehouse import jsonable, open_warehouse


def show_checks(day: str | None, out: TextIO, as_json: bool) -> int:
    """Print the day's results (default: the latest business day in NORTHSTAR_BUSINESS_TZ that has a gate
    result, else today); exit 1 when its latest gate held. A day not written YYYY-MM-DD is a ValueError."""
    settings = load_settings()
    tz = settings.consistency.business_tz
    asked = _day(day) if day else None  # refused before the warehouse opens
    with open_warehouse(settings) as wh:
        when = asked or latest_gate_day(wh.query, tz)
        low, high = day_bounds([when], tz)
        batches = wh.query(read_sql("snowflake/select_consistency_batches_for_day.sql"), {"low": low, "high": high})
        batch = batches[0] if batches else None
        params = {"batch_id": batch["BATCH_ID"] if batch else None, "day": when}
        checks = wh.query(read_sql("snowflake/select_ops_check_results_batch.sql"), params) if batch else []
        sla = wh.query(read_sql("snowflake/select_ops_sla_metrics_day.sql"), params)
        daily = wh.query(read_sql("snowflake/select_ops_daily_reconciliation_day.sql"), params)
    if as_json:
        report = {"date": when.isoformat(), "timezone": tz, "batch": batch, "runs": batches, "checks": checks,
                  "sla": sla, "reconciliation": daily, "finance_compared": _compared(daily)}  # fmt: skip
        out.write(json.dumps(_jsonable(report)) + "\n")
    else:
        _print_text(out, when, tz, batches, checks, sla, daily)
    return 1 if batch and batch["STATUS"] == "HELD" else 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--date {text}: not a day; write it YYYY-MM-DD, like 2026-11-20") from None


def latest_gate_day(query: Any, tz: str) -> date:
    """The business day (in tz) the newest consistency batch's window ended in, or today when none ran.
    A window ending at midnight belongs to the day before it, as select_consistency_batch_for_day.sql counts it."""
    rows = query(read_sql("snowflake/select_latest_consistency_window_end.sql"))
    end = rows[0]["WINDOW_END"] if rows else None
    if end is None:
        return datetime.now(ZoneInfo(tz)).date()
    return (end.replace(tzinfo=UTC) - timedelta(microseconds=1)).astimezone(ZoneInfo(tz)).date()


def _compared(daily: list[dict[str, Any]]) -> bool:
    """Whether finance's report for the day was there to compare with (a row with a finance file)."""
    return any(d.get("FINANCE_FILE") for d in daily)


def _print_text(
    out: TextIO,
    when: date,
    tz: str,
    batches: list[dict[str, Any]],
    checks: list[dict[str, Any]],
    sla: list[dict[str, Any]],
    daily: list[dict[str, Any]],
) -> None:
    if not batches:
        out.write(f"No consistency run ended on {when} (business day in {tz}).\n")
    else:
        batch = batches[0]
        out.write(f"Consistency on {when} (business day in {tz}; times UTC): latest gate run {batch['BATCH_ID']} "
                  f"{batch['STATUS']}\n  {batch['REASON'] or ''}\n")  # fmt: skip
        if len(batches) > 1:
            runs = [{k: b[k] for k in ("BATCH_ID", "STATUS", "WINDOW_END", "FINISHED_AT", "REASON")} for b in batches]
            print_rows(runs, out, as_json=False, title=f"\nGate runs that day ({len(batches)}, newest first):")
        out.write("\nCheck results of the latest run (OPS.CHECK_RESULTS):\n")
        print_rows([_not_compared(c, daily) for c in checks], out, as_json=False)
    out.write("\nSLA metrics (OPS.SLA_METRICS; rates as percentages, beside their SLA threshold):\n")
    print_rows(sla, out, as_json=False)
    out.write("\nRevenue against finance (OPS.DAILY_RECONCILIATION):\n")
    if _compared(daily):
        print_rows(daily, out, as_json=False)
    else:
        out.write(f"not compared: no report from finance for {when}\n")


FINANCE_CHECKS = ("reconciliation.daily_revenue", "reconciliation.finance_report_readable")


def _not_compared(check: dict[str, Any], daily: list[dict[str, Any]]) -> dict[str, Any]:
    """A finance check that had no report to read says so, instead of 'passed, 0 checked'."""
    if check.get("CHECK_ID") in FINANCE_CHECKS and not check.get("ROWS_CHECKED") and not _compared(daily):
        return check | {"OUTCOME": "not compared: no report"}
    return check


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":  # VARIANT values arrive as JSON text
        try:
            return json.loads(value)
        except ValueError:
            return value
    return jsonable(value)
