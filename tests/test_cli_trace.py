"""`northstar trace` and `northstar lineage` on an order quarantined first and fixed at the source later."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest

from cli.main import main
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def window(n: int) -> list[str]:
    start = T0 + timedelta(minutes=15 * n)
    return ["--start", start.isoformat(), "--end", (start + timedelta(minutes=15)).isoformat()]


def test_trace_follows_an_order_through_quarantine_and_its_fix(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(
            "INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [source_row(1, 1), source_row(2, 2, total_amount_minor=-10)],
        )
    code, out = run_cli("run", "orders", *window(0))
    first = json.loads(out)
    assert code == 0 and first["rows_quarantined"] == 1
    with psycopg.connect(source_db) as conn:  # the source fixes the order; its new version is in window 1
        conn.execute(
            "UPDATE orders SET total_amount_minor = 990, updated_at = %s WHERE order_id = 2",
            (T0 + timedelta(minutes=20),),
        )
    code, out = run_cli("run", "orders", *window(1))
    second = json.loads(out)
    assert code == 0 and second["rows_published"] == 1

    code, out = run_cli("trace", "--order", "2", "--json")
    report = json.loads(out)
    assert code == 0 and report["found"] and (report["kind"], report["id"]) == ("order", 2)
    sections = report["sections"]
    (core,) = sections["core"]
    assert (core["TOTAL_AMOUNT_MINOR"], core["_BATCH_ID"]) == (990, second["batch_id"])
    (quarantined,) = sections["quarantine"]
    assert quarantined["_BATCH_ID"] == first["batch_id"] and quarantined["RAW_RECORD"]["total_amount_minor"] == -10
    assert "schema.amount_minor_non_negative" in quarantined["REASONS"]
    assert [s["BATCH_ID"] for s in sections["quarantine_history"]] == [first["batch_id"]]
    assert [(r["BATCH_ID"], r["UPDATED_AT"][:16], r["UPDATED_AT"][-6:]) for r in report["raw"]] == [
        (first["batch_id"], "2026-11-20T12:02", "+00:00"),  # with its offset, as every time the CLI prints
        (second["batch_id"], "2026-11-20T12:20", "+00:00"),
    ]
    assert all(r["KEY"].startswith("raw/orders/dt=2026-11-20/batch=") for r in report["raw"])
    batches = report["batches"]
    assert [(b["BATCH_ID"], b["STATUS"]) for b in batches] == [
        (first["batch_id"], "COMMITTED"),
        (second["batch_id"], "COMMITTED"),
    ]
    runs = {b["LINEAGE_RUN_ID"] for b in batches}
    assert {e["RUN_ID"] for e in report["lineage"]} == runs
    assert sorted(e["STATE"] for e in report["lineage"]) == ["COMPLETE", "COMPLETE", "START", "START"]
    assert sections["marts"] == []  # the consistency gate has not published any

    code, table = run_cli("trace", "--order", "2")
    assert code == 0 and "quarantine_history:" in table and "raw objects:" in table and "lineage runs:" in table
    assert run_cli("trace", "--order", "999")[0] == 1

    code, out = run_cli("lineage", "--job", "orders-microbatch", "--json")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(events) == 4 and {e["RUN_ID"] for e in events} == runs
    assert events[0]["EVENT_TIME"] >= events[-1]["EVENT_TIME"]  # newest first
    assert all(any("orders" in d for d in e["INPUTS"] + e["OUTPUTS"]) for e in events)
    code, out = run_cli("lineage", "--dataset", "no-such-dataset", "--json")
    assert (code, out) == (0, "")
