"""`northstar incidents list` as a person reads it: a compact table within an 80- or 100-column terminal."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest

from cli.incidents import print_incidents

SUMMARY = "rows_failed=1250 of 40000 (3.13%): total_amount_minor must be >= 0, found -10 in order 1000042 and 1249 more"


def incident(n: int, **fields: Any) -> dict[str, Any]:
    """One row as list_incidents returns it (every column of sql/incidents/select_ops_incidents.sql)."""
    return {
        "INCIDENT_ID": f"INC-20261120-3f9a1{n}",
        "STATUS": "investigating",
        "SOURCE": "orders",
        "CHECK_ID": "schema.amount_minor_non_negative",
        "BUSINESS_DATE": datetime(2026, 11, 20).date(),
        "OCCURRENCES": 3,
        "CLASSIFICATION": "source_defect",
        "CORRECTION_ID": None,
        "FIRST_BATCH_ID": "orders-20261120t1200-20261120t1215",
        "LAST_BATCH_ID": "orders-20261120t1245-20261120t1300",
        "OPENED_AT": datetime(2026, 11, 20, 12, 16, 3),
        "UPDATED_AT": datetime(2026, 11, 20, 13, 1, 9),
        "SUMMARY": SUMMARY,
    } | fields


@pytest.mark.parametrize("width", [80, 100])
def test_the_list_fits_the_terminal_as_a_table_and_wraps_the_subject_without_cutting_it(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    out = io.StringIO()
    print_incidents([incident(1), incident(2, STATUS="open", OCCURRENCES=1, SUMMARY=None)], out)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    assert lines[0].split() == ["INCIDENT_ID", "OPENED", "STATUS", "SUBJECT"]  # a table, not a block per row
    first = next(line for line in lines if "INC-20261120-3f9a11" in line)  # ids, times, statuses stay whole
    assert first.split()[:4] == ["INC-20261120-3f9a11", "2026-11-20T12:16Z", "investigating", "orders"]
    text = "".join(out.getvalue().split())
    assert "".join(f"orders schema.amount_minor_non_negative (3 batches){SUMMARY}".split()) in text
    assert "FIRST_BATCH_ID" not in out.getvalue() and "CLASSIFICATION" not in out.getvalue()  # `show` has them
    assert lines[-2:] == ["(2 rows)", "Details: northstar incidents show ID (every field: incidents list --json)"]


def test_no_incidents_says_so() -> None:
    out = io.StringIO()
    print_incidents([], out)
    assert out.getvalue() == "(no rows)\n"
