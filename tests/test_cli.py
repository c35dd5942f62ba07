"""Each `northstar` command against a home populated by real runs."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from cli.main import main
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def loaded(pipeline_env: Callable[..., dict[str, str]], source_db: str) -> str:
    """A home with one committed orders batch holding one quarantined row; returns its batch id."""
    pipeline_env()
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(
            "INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [source_row(1, 1), source_row(2, 2, total_amount_minor=-10), source_row(3, 3)],
        )
    start, end = T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat()
    code, out = run_cli("run", "orders", "--start", start, "--end", end)
    assert code == 0
    outcome = json.loads(out)
    assert outcome["status"] == "COMMITTED" and outcome["rows_quarantined"] == 1
    return str(outcome["batch_id"])


def test_batches_lists_status_counts_and_timings(loaded: str) -> None:
    code, out = run_cli("batches", "--source", "orders", "--json")
    (batch,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and batch["BATCH_ID"] == loaded and batch["STATUS"] == "COMMITTED"
    assert (batch["ROWS_EXTRACTED"], batch["ROWS_PASSED"], batch["ROWS_QUARANTINED"]) == (3, 2, 1)
    assert batch["VALIDATE_SECONDS"] is not None and batch["PUBLISH_SECONDS"] is not None
    code, table = run_cli("batches")
    assert code == 0 and loaded in table and "(1 row)" in table


def test_quarantine_shows_rows_and_reasons(loaded: str) -> None:
    code, out = run_cli("quarantine", "--batch", loaded, "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["TABLE"] == "QUARANTINE.ORDERS" and row["ORDER_ID"] == 2
    assert "schema.amount_minor_non_negative" in row["REASONS"]
    raw = row["RAW_RECORD"]  # nested JSON is JSON, not JSON text inside JSON
    assert raw["total_amount_minor"] == -10
    assert sorted(raw) == sorted(
        ["order_id", "customer_id", "status", "currency", "total_amount_minor", "created_at", "updated_at"]
    )


def test_quarantine_of_an_unknown_batch_is_an_error_that_names_the_fix(loaded: str, capsys) -> None:
    code, out = run_cli("quarantine", "--batch", "orders-nonexistent")
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert "orders-nonexistent" in err and "northstar batches" in err and "Traceback" not in err


def test_query_prints_a_table_or_json_lines(loaded: str) -> None:
    code, out = run_cli("query", "SELECT ORDER_ID, STATUS FROM CORE.ORDERS ORDER BY ORDER_ID", "--json")
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"ORDER_ID": 1, "STATUS": "paid"},
        {"ORDER_ID": 3, "STATUS": "paid"},
    ]
    code, out = run_cli("query", "SELECT COUNT(*) AS N FROM CORE.ORDERS")
    assert code == 0 and out.splitlines()[0].strip() == "N" and out.splitlines()[2].strip() == "2"


def test_show_tables_prints_name_schema_kind_and_counted_rows(loaded: str) -> None:
    code, out = run_cli("query", "SHOW TABLES IN SCHEMA CORE")
    assert code == 0 and out.splitlines()[0].split() == ["NAME", "SCHEMA", "KIND", "ROWS"]
    listed = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:-1]}
    assert listed["ORDERS"] == ["CORE", "TABLE", "2"]  # counted: the local emulator's SHOW says 0
    assert listed["PAYMENTS"] == ["CORE", "TABLE", "0"]
    code, out = run_cli("query", "SHOW TABLES IN SCHEMA CORE", "--json")
    every = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(every) == len(listed) and "retention_time" in every[0]  # --json: every column


@pytest.mark.parametrize(
    "sql", ["DELETE FROM CORE.ORDERS", "DROP TABLE CORE.ORDERS", "SELECT 1; DELETE FROM CORE.ORDERS"]
)
def test_query_refuses_anything_but_one_read(loaded: str, sql: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("query", sql)[0] == 2
    assert "northstar:" in capsys.readouterr().err
    assert run_cli("query", "SELECT COUNT(*) AS N FROM CORE.ORDERS", "--json")[1].strip() == '{"N": 2}'


def test_run_rejects_a_window_without_offset(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env()
    code, _ = run_cli("run", "orders", "--start", "2026-11-20T12:00:00", "--end", "2026-11-20T12:15:00")
    assert code == 2
    assert run_cli("run", "orders", "--start", T0.isoformat())[0] == 2


def test_run_payments_commits_an_empty_window_and_quarantine_lists_none(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    start, end = T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat()
    code, out = run_cli("run", "payments", "--start", start, "--end", end)
    outcome = json.loads(out)
    assert code == 0 and outcome["status"] == "COMMITTED" and outcome["rows_extracted"] == 0
    code, out = run_cli("quarantine", "--source", "payments")
    assert code == 0 and "(no rows)" in out


def test_stripe_recover_lands_what_the_webhook_missed_and_publishes_it_once(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    """Events from five days ago (beyond the regular 3-day lookback) are landed, processed, and not twice."""
    from tests import stripe_payloads as sp
    from tests.test_stripe_recover import API_KEY, FakeStripe

    five_days_ago = int((datetime.now(UTC) - timedelta(days=5)).timestamp())
    events = [
        sp.for_type("payment_intent.succeeded", n, created=five_days_ago + 60 * n, api_version=shape, amount=1000 + n)
        for n, shape in enumerate(sp.SHAPES * 3)
    ]
    server = FakeStripe(sorted(events, key=lambda e: (e["created"], e["id"]), reverse=True))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pipeline_env(STRIPE_API_KEY=API_KEY, STRIPE_API_BASE=server.url)
        since = datetime.fromtimestamp(five_days_ago - 3600, UTC).isoformat()
        code, out = run_cli("run", "stripe-recover", "--since", since)
        first = json.loads(out)
        code_again, out_again = run_cli("run", "stripe-recover", "--since", since)
        second = json.loads(out_again)
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0 and first["recovery"] == {"listed": 6, "landed": 6, "duplicates": 0}
    assert first["batch"]["status"] == "COMMITTED" and first["batch"]["rows_extracted"] == 6
    assert code_again == 0 and second["recovery"] == {"listed": 6, "landed": 0, "duplicates": 6}
    assert second["batch"]["rows_extracted"] == 0
    code, out = run_cli("query", "SELECT STATUS, AMOUNT FROM CORE.PAYMENTS ORDER BY AMOUNT", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows == [{"STATUS": "succeeded", "AMOUNT": 1000 + n} for n in range(6)]


def test_stripe_recover_needs_since_and_an_api_key(
    pipeline_env: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    assert run_cli("run", "stripe-recover")[0] == 2
    assert run_cli("run", "payments", "--since", T0.isoformat())[0] == 2
    assert run_cli("run", "stripe-recover", "--since", datetime.now(UTC).isoformat())[0] == 2
