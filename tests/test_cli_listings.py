"""Listings over a seeded ledger: batches newest first with --status and --limit, every gate run of a day, and a
day without a finance report said as "not compared"."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest

from cli.main import main
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse

pytestmark = pytest.mark.integration

LEDGER = (
    "INSERT INTO OPS.LOAD_BATCHES (BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED,"
    " ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS, REASON, FINISHED_AT) VALUES (%(id)s, %(source)s, %(start)s, %(end)s,"
    " 1, 1, 0, 1, %(status)s, %(reason)s, %(end)s)"
)
CHECK = (
    "INSERT INTO OPS.CHECK_RESULTS (BATCH_ID, SOURCE, CHECK_ID, DATASET, SEVERITY, OUTCOME, ROWS_CHECKED, ROWS_FAILED)"
    " VALUES (%(id)s, 'consistency', 'reconciliation.daily_revenue', 'finance', 'error', 'passed', 0, 0)"
)


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.fixture
def ledger(pipeline_env: Callable[..., dict[str, str]]) -> None:
    """Three orders batches (one held) and two consistency gate runs on 2026-11-20, no finance report."""
    pipeline_env()
    rows = [
        ("orders-a", "orders", "2026-11-20 12:00:00", "2026-11-20 12:15:00", "COMMITTED", None),
        ("orders-b", "orders", "2026-11-20 12:15:00", "2026-11-20 12:30:00", "HELD", "schema.columns_present"),
        ("orders-c", "orders", "2026-11-20 12:30:00", "2026-11-20 12:45:00", "COMMITTED", None),
        ("consistency-1", "consistency", "2026-11-20 12:00:00", "2026-11-20 12:15:00", "HELD", "gate held"),
        ("consistency-2", "consistency", "2026-11-20 12:15:00", "2026-11-20 12:30:00", "COMMITTED", None),
    ]
    with open_warehouse(load_settings()) as wh:
        for batch_id, source, start, end, status, reason in rows:
            params = {"id": batch_id, "source": source, "start": start, "end": end, "status": status, "reason": reason}
            wh.execute(LEDGER, params)
        wh.execute(CHECK, {"id": "consistency-2"})


@pytest.mark.usefixtures("ledger")
def test_batches_are_newest_first_and_filtered() -> None:
    code, out = run_cli("batches", "--source", "orders", "--json")
    assert code == 0 and [json.loads(r)["BATCH_ID"] for r in out.splitlines()] == ["orders-c", "orders-b", "orders-a"]
    code, out = run_cli("batches", "--status", "held", "--limit", "1", "--json")
    assert [json.loads(r)["BATCH_ID"] for r in out.splitlines()] == ["orders-b"]  # window ends 12:30
    code, table = run_cli("batches", "--source", "orders", "--limit", "2")
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["BATCH_ID", "STATUS", "WINDOW_START"]
    assert lines[2].startswith("orders-c") and lines[3].startswith("orders-b") and "orders-a" not in table
    assert "schema.columns_present" in lines[3] and lines[-1] == "(the newest 2; --limit shows more)"


@pytest.mark.usefixtures("ledger")
def test_checks_show_each_gate_run_and_say_when_finance_was_not_compared() -> None:
    code, text = run_cli("checks", "--date", "2026-11-20")
    assert code == 0  # the latest run committed
    assert "Consistency on 2026-11-20 (business day in UTC; times UTC): latest gate run consistency-2 COMMITTED" in text
    assert "Gate runs that day (2, newest first):" in text
    runs = text[text.index("Gate runs") :].splitlines()
    assert runs[3].startswith("consistency-2") and runs[4].startswith("consistency-1") and "gate held" in runs[4]
    assert "not compared: no report" in text and "not compared: no report from finance for 2026-11-20" in text
    code, out = run_cli("checks", "--date", "2026-11-20", "--json")
    report = json.loads(out)
    assert [r["BATCH_ID"] for r in report["runs"]] == ["consistency-2", "consistency-1"]
    assert report["finance_compared"] is False and report["timezone"] == "UTC"
