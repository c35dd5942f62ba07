"""Output a person can feed back in, and the completeness inventory, through the `northstar` command."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from cli.main import main
from northstar.landing import landing_store
from northstar.settings import load_settings
from northstar.sources.stripe.landing import land_event
from northstar.warehouse import open_warehouse
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_a_batch_listing_feeds_back_into_run_and_nulls_stay_null(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    start, end = T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat()
    assert run_cli("run", "orders", "--start", start, "--end", end)[0] == 0  # an empty window: no watermark high
    code, out = run_cli("batches", "--source", "orders", "--json")
    (batch,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert (batch["WINDOW_START"], batch["WINDOW_END"]) == ("2026-11-20T12:00:00+00:00", "2026-11-20T12:15:00+00:00")
    assert batch["WATERMARK_HIGH"] is None  # NULL is null, never 1970-01-01
    assert batch["FINISHED_AT"].endswith("+00:00") and batch["SAFE_UNTIL"] == "2026-11-20T12:15:00+00:00"
    code, rerun = run_cli("run", "orders", "--start", batch["WINDOW_START"], "--end", batch["WINDOW_END"])
    assert code == 0 and json.loads(rerun)["status"] == "SKIPPED"  # the same batch, accepted as printed
    code, table = run_cli("batches")
    assert "2026-11-20T12:00:00+00:00" in table and "1970" not in table


def test_completeness_names_what_no_batch_took_and_what_two_batches_took(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env(NORTHSTAR_COMPLETENESS_GRACE_MINUTES="0")
    with psycopg.connect(source_db) as conn:
        conn.execute("INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)", source_row(1, 1))
    start, end = T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat()
    assert run_cli("run", "orders", "--start", start, "--end", end)[0] == 0
    settings = load_settings()
    store = landing_store(settings)
    # an orders batch landed and never committed, a Stripe event no payments batch took, a finance report never read
    store.put_if_absent("raw/orders/dt=2026-11-20/batch=orders-lost/manifest.json", b"{}")
    event = json.dumps({"id": "evt_lost1", "type": "charge.succeeded", "created": int(T0.timestamp()), "data": {}})
    landed = land_event(
        store, event.encode(), received_at=datetime.now(UTC), signature_timestamp=None, source="webhook"
    )
    store.put_if_absent("raw/finance/dt=2026-11-20/report.csv", b"business_date,currency\n")
    with open_warehouse(settings) as wh:  # a second ledger row pinning the committed batch's manifest
        wh.execute(
            "INSERT INTO OPS.LOAD_BATCHES (BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED,"
            " ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS, RAW_URI) SELECT 'orders-again', SOURCE, WINDOW_START,"
            " WINDOW_END, 0, 0, 0, 0, STATUS, RAW_URI FROM OPS.LOAD_BATCHES WHERE SOURCE = 'orders'"
        )
    code, out = run_cli("completeness", "--json")
    report = json.loads(out)
    assert code == 1
    assert sorted((f["source"], f["key"]) for f in report["unprocessed"]) == [
        ("finance", "raw/finance/dt=2026-11-20/report.csv"),
        ("orders", "raw/orders/dt=2026-11-20/batch=orders-lost/manifest.json"),
        ("payments", landed.key),
    ]
    (twice,) = report["processed_twice"]
    assert twice["source"] == "orders" and len(twice["batch_ids"]) == 2 and "orders-again" in twice["batch_ids"]
    failed = {(c["check_id"], c["dataset"]): c["rows_failed"] for c in report["checks"] if c["rows_failed"]}
    assert failed == {
        ("completeness.landed_unprocessed", "orders"): 1,
        ("completeness.landed_unprocessed", "payments"): 1,
        ("completeness.landed_unprocessed", "finance"): 1,
        ("completeness.processed_twice", "orders"): 1,
    }
    with open_warehouse(settings) as wh:
        stored = wh.query(
            "SELECT CHECK_ID, DATASET, ROWS_FAILED FROM OPS.CHECK_RESULTS WHERE BATCH_ID = %(b)s AND ROWS_FAILED > 0",
            {"b": report["batch_id"]},
        )
        opened = wh.query("SELECT SOURCE, CHECK_ID, FIRST_BATCH_ID FROM OPS.INCIDENTS WHERE STATUS = 'open'")
    assert len(stored) == 4  # results like any other, under the completeness batch id
    assert sorted((i["SOURCE"], i["CHECK_ID"], i["FIRST_BATCH_ID"]) for i in opened) == sorted(
        (source, check, report["batch_id"]) for check, source in failed
    )  # each finding an incident of its source
    code, out = run_cli("completeness", "--source", "fulfillment")
    assert code == 0 and "completeness.landed_unprocessed" in out


def test_checks_without_a_date_shows_the_latest_day_with_a_gate_result_with_offsets(
    pipeline_env: Callable[..., dict[str, str]],
) -> None:
    pipeline_env()
    start, end = T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat()
    code, out = run_cli("run", "consistency", "--start", start, "--end", end)
    assert code == 0 and json.loads(out)["status"] == "COMMITTED"
    with open_warehouse(load_settings()) as wh:  # a later run that failed: it recorded no gate result
        wh.execute(
            "INSERT INTO OPS.LOAD_BATCHES (BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED,"
            " ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS, REASON) VALUES ('consistency-failed', 'consistency',"
            " '2026-11-22 12:00:00', '2026-11-22 12:15:00', 0, 0, 0, 0, 'FAILED', 'RuntimeError: gone')"
        )
    code, out = run_cli("checks", "--json")  # no --date: not an empty today, not the failed run's day
    report = json.loads(out)
    assert code == 0 and report["date"] == "2026-11-20" and report["batch"]["STATUS"] == "COMMITTED"
    assert report["batch"]["WINDOW_END"] == "2026-11-20T12:15:00+00:00"  # feeds back into --start/--end as is
    assert report["batch"]["FINISHED_AT"].endswith("+00:00") and report["checks"]
    assert all(c["CHECKED_AT"].endswith("+00:00") for c in report["checks"] if c.get("CHECKED_AT"))
    code, text = run_cli("checks")
    assert code == 0 and "2026-11-20" in text and "1970" not in text
