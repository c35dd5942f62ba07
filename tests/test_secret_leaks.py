"""No secret leaks: a batch (committed, with a quarantined row; then failed on a source whose DSN carries a password)
and the webhook receiver (accepted, refused and rate-limited requests) run with known secret values in the
environment. None of them may appear in a log line (every logger at DEBUG, and the console), a lineage event, a
ledger or check-result row, a quarantine row, an error message, a receiver reply, or any file under the home."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.sources.orders.postgres import SourceUnavailableError
from northstar.sources.stripe.receiver import app_from_env
from northstar.warehouse import open_warehouse
from tests.helpers import T0, source_row
from tests.test_stripe_receiver import serving, sign, stripe_event

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]

CANARIES = {
    "STRIPE_WEBHOOK_SECRET": "whsec_LEAKCANARY0endpoint7f3a",
    "STRIPE_API_KEY": "rk_live_LEAKCANARY1api91b2c3",
    "SNOWFLAKE_PASSWORD": "sfpw-LEAKCANARY2-55d1",
    "NORTHSTAR_SFTP_KEY_PASSPHRASE": "sftp-passphrase-LEAKCANARY3",
    "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "pk-passphrase-LEAKCANARY4",
    "NORTHSTAR_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0LEAK/B0CANARY5/LEAKCANARY5xyz",
}
DSN_PASSWORD = "pg-LEAKCANARY6-pw"  # in the orders source's DSN, NORTHSTAR_SOURCE_PG_DSN
INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def window(i: int) -> dict[str, str]:
    start = T0 + timedelta(minutes=15 * i)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}


@pytest.fixture
def secret_env(pipeline_env: Callable[..., dict[str, str]], caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    pipeline_env(**CANARIES)
    caplog.set_level(logging.DEBUG)  # every logger, the connector's and Prefect's included
    yield


def leaks(text: str) -> list[str]:
    """The canaries (and the DSN's password) found in text."""
    return [value for value in (*CANARIES.values(), DSN_PASSWORD) if value in text]


def warehouse_text() -> str:
    """Every row of every OPS, CORE and QUARANTINE table, as text."""
    with open_warehouse(load_settings()) as wh:
        tables = wh.query(
            "SELECT TABLE_SCHEMA || '.' || TABLE_NAME AS T FROM INFORMATION_SCHEMA.TABLES"
            " WHERE TABLE_SCHEMA IN ('OPS', 'CORE', 'QUARANTINE', 'RAW')"
        )
        return "\n".join(repr(wh.query(f"SELECT * FROM {t['T']}")) for t in tables)  # names from the catalog


def home_files_text(home: Path) -> str:
    """Every file under the home (landed raw data, manifests, lineage, work folders), decoded leniently."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in home.rglob("*") if p.is_file())


def test_a_batch_and_its_failure_leak_no_secret(
    secret_env: None,
    source_db: str,
    pipeline_env: Callable[..., dict[str, str]],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(INSERT, [source_row(1, 1), source_row(2, 2, currency="usd")])  # one quarantined
    done = orders_flow.orders_microbatch(**window(0))
    assert (done.status, done.rows_published, done.rows_quarantined) == (BatchStatus.COMMITTED, 1, 1)

    pipeline_env(NORTHSTAR_SOURCE_PG_DSN=f"postgresql://northstar:{DSN_PASSWORD}@127.0.0.1:9/x?connect_timeout=2")
    monkeypatch.setattr(orders_flow, "extract_orders", orders_flow.extract_orders.with_options(retries=0))
    with pytest.raises(SourceUnavailableError) as failure:
        orders_flow.orders_microbatch(**window(1))

    home = load_settings().home
    console = capfd.readouterr()
    assert leaks(str(failure.value)) == [] and leaks(repr(failure.value)) == []
    assert "FAILED" in warehouse_text()  # the failed batch is in the ledger, with its reason
    assert leaks(warehouse_text()) == []
    assert (home / "lineage" / "events.jsonl").exists()
    assert leaks(home_files_text(home)) == []  # lineage events, manifests, landed raw data
    assert leaks(caplog.text) == [] and leaks(console.out) == [] and leaks(console.err) == []
    assert caplog.records  # the logs were captured (at DEBUG), not silent


def test_the_receiver_leaks_no_secret(
    secret_env: None, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = CANARIES["STRIPE_WEBHOOK_SECRET"]
    replies: list[httpx.Response] = []
    with serving(app_from_env()) as client:
        body = stripe_event("evt_1LeakOk0001")
        for signature in (sign(body, secret), sign(body, "whsec_someone_else"), f"t=1,v1={secret}", "garbage"):
            replies.append(client.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": signature}))
        replies.append(client.post("/webhooks/stripe", content=b"x" * 2_000_000, headers={"Stripe-Signature": "t=1"}))
        replies.append(client.get("/healthz"))
    assert [r.status_code for r in replies] == [200, 400, 400, 400, 413, 200]
    console = capfd.readouterr()
    texts = [r.text + repr(r.headers) for r in replies] + [caplog.text, console.out, console.err]
    assert [leaks(t) for t in texts] == [[]] * len(texts)
    assert leaks(home_files_text(load_settings().home)) == []
    assert any("bad_signature" in r.getMessage() for r in caplog.records)  # the refusals were logged
