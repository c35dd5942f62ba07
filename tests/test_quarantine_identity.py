"""The same source row is one row everywhere: quarantine rows keyed by the source row's identity.

A row re-read by another batch (the 5-minute overlap, a window run after a later one, a recovery batch,
two batches taking one file) is quarantined once, with every batch that saw it; the quarantine tables do
not depend on the order the batches ran in, and each batch's ledger row says what it really did.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

import flows.fulfillment_hourly as wms_flow
import flows.orders_microbatch as orders_flow
import flows.payments_microbatch as payments_flow
from cli.main import main as cli_main
from flows.engine import Stopwatch, new_record, publish_or_hold
from northstar.batches import Window, batch_id
from northstar.landing import LocalLanding, landing_store
from northstar.loads import BatchStatus
from northstar.settings import load_settings
from northstar.sources.stripe.landing import arrival_key
from northstar.warehouse import open_warehouse
from tests import stripe_payloads as sp
from tests import wms_samples as w
from tests.helpers import T0, source_row, table_hashes
from tests.sftp_server import SftpTestServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
INSERT_ORDER = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
INSERT_LINE = (
    "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_minor, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)
ORDER_QUARANTINE = ("QUARANTINE.ORDERS", "QUARANTINE.ORDER_LINES", "OPS.QUARANTINE_SIGHTINGS")
LOAD_TIMES = frozenset({"_QUARANTINED_AT", "SEEN_AT"})


def window(i: int) -> dict[str, str]:
    start = T0 + timedelta(minutes=15 * i)
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}


def orders_batch(i: int) -> str:
    return batch_id("orders", Window.parse(**window(i)))


def query(sql: str) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql)


def seen(table: str) -> list[tuple[Any, ...]]:
    """(a row's id column, its reasons, the batches that saw it, its first batch) for every quarantine row."""
    key = {"QUARANTINE.STRIPE_EVENTS": "EVENT_ID", "QUARANTINE.WMS_LINES": "_POSITION"}.get(table, "ORDER_ID")
    rows = query(f"SELECT {key} AS ID, REASONS, _SEEN_BATCHES, _BATCH_ID FROM {table}")  # names from the test
    return sorted((r["ID"], tuple(json.loads(r["REASONS"])), tuple(json.loads(r["_SEEN_BATCHES"])), r["_BATCH_ID"])
                  for r in rows)  # fmt: skip


def identities_once(table: str) -> bool:
    keys = [r["_ROW_KEY"] for r in query(f"SELECT _ROW_KEY FROM {table}")]  # a table named by the test
    return len(keys) == len(set(keys)) and None not in keys


def ledger(source: str) -> dict[str, tuple[int, ...]]:
    """Per batch: extracted, passed, quarantined, published, already current, re-quarantined."""
    rows = query(f"SELECT * FROM OPS.LOAD_BATCHES WHERE SOURCE = '{source}'")  # a source named by the test
    columns = ("ROWS_EXTRACTED", "ROWS_PASSED", "ROWS_QUARANTINED", "ROWS_PUBLISHED")
    return {
        r["BATCH_ID"]: tuple(int(r[c]) for c in (*columns, "ROWS_ALREADY_CURRENT", "ROWS_REQUARANTINED")) for r in rows
    }


def seed_overlapping_faults(dsn: str) -> None:
    """Bad rows where consecutive windows overlap: minutes 13-14 (re-read by window 1) and 27-29 (window 2)."""
    orders = [
        source_row(1, 1),  # good, window 0 only
        source_row(2, 13, currency="usd"),  # bad, windows 0 and 1
        source_row(3, 14, customer_id=None),  # bad, windows 0 and 1
        source_row(4, 14.5),  # good, windows 0 and 1: the second reader finds it already current
        source_row(9, 26),  # good, windows 1 and 2
        source_row(7, 27, status="lost"),  # bad, twice identically in the source: two rows, windows 1 and 2
        source_row(7, 27, status="lost"),
        source_row(5, 28, total_amount_minor=-100),  # bad, windows 1 and 2
        source_row(6, 29, status="paid"),  # one version with two contents: both quarantined, windows 1 and 2
        source_row(6, 29, status="shipped"),
        source_row(8, 40),  # good, window 2 only
    ]
    lines = [
        (1, 1, "SKU-1", 1, 2500, T0),
        (2, 1, "SKU-2", 1, 2500, T0),  # a good line of a quarantined order: referential.order_in_batch
        (4, 1, "SKU-4", 0, 2500, T0),  # a bad line of a good order: schema.quantity_positive
        (8, 1, "SKU-8", 1, 2500, T0),
        (9, 1, "SKU-9", 1, 2500, T0),
    ]
    with psycopg.connect(dsn) as conn:
        conn.cursor().executemany(INSERT_ORDER, orders)
        conn.cursor().executemany(INSERT_LINE, lines)


def test_orders_windows_run_in_reverse_leave_the_quarantine_as_an_in_order_run(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, tmp_path: Path
) -> None:
    seed_overlapping_faults(source_db)
    w0, w1, w2 = (orders_batch(i) for i in range(3))
    quarantined = {}
    for name, order in (("in-order", (0, 1, 2)), ("reverse", (2, 1, 0))):
        pipeline_env(NORTHSTAR_HOME=str(tmp_path / name))
        for i in order:
            assert orders_flow.orders_microbatch(**window(i)).status == BatchStatus.COMMITTED
        with open_warehouse(load_settings()) as wh:
            quarantined[name] = table_hashes(wh, ORDER_QUARANTINE, exclude=LOAD_TIMES)
        assert identities_once("QUARANTINE.ORDERS") and identities_once("QUARANTINE.ORDER_LINES")
        assert seen("QUARANTINE.ORDERS") == [
            (2, ("schema.currency_iso4217",), (w0, w1), w0),
            (3, ("schema.customer_id_required",), (w0, w1), w0),
            (5, ("schema.amount_minor_non_negative",), (w1, w2), w1),
            (6, ("duplicates.conflicting_version",), (w1, w2), w1),
            (6, ("duplicates.conflicting_version",), (w1, w2), w1),
            (7, ("schema.status_allowed",), (w1, w2), w1),  # the two identical source rows: copies 1 and 2
            (7, ("schema.status_allowed",), (w1, w2), w1),
        ]
        assert seen("QUARANTINE.ORDER_LINES") == [
            (2, ("referential.order_in_batch",), (w0, w1), w0),
            (4, ("schema.quantity_positive",), (w0, w1), w0),
        ]
        sightings = query("SELECT QUARANTINE_TABLE, COUNT(*) AS N FROM OPS.QUARANTINE_SIGHTINGS GROUP BY 1")
        assert {r["QUARANTINE_TABLE"]: r["N"] for r in sightings} == {
            "QUARANTINE.ORDERS": 14,
            "QUARANTINE.ORDER_LINES": 4,
        }
        if name == "in-order":  # extracted, passed, quarantined, published, already current, re-quarantined
            assert ledger("orders") == {
                w0: (4, 2, 2, 2, 0, 0),
                w1: (9, 2, 7, 1, 1, 2),  # order 4 was current already; orders 2 and 3 were quarantined already
                w2: (7, 2, 5, 1, 1, 5),
            }
        else:
            assert ledger("orders") == {
                w2: (7, 2, 5, 2, 0, 0),
                w1: (9, 2, 7, 1, 1, 5),
                w0: (4, 2, 2, 1, 1, 2),  # ran last: it says order 4 was already current, not "published nothing"
            }
    assert quarantined["reverse"] == quarantined["in-order"]


def cli_json(*argv: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    assert cli_main([*argv, "--json"], out=out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_quarantine_listing_shows_every_batch_that_saw_a_row(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    with psycopg.connect(source_db) as conn:
        conn.cursor().executemany(INSERT_ORDER, [source_row(1, 14, currency="usd"), source_row(2, 20)])
    for i in (0, 1):
        assert orders_flow.orders_microbatch(**window(i)).status == BatchStatus.COMMITTED
    (row,) = cli_json("quarantine", "--batch", orders_batch(1))
    assert (row["ORDER_ID"], row["_BATCH_ID"]) == (1, orders_batch(0))
    assert row["_SEEN_BATCHES"] == [orders_batch(0), orders_batch(1)]  # nested JSON is JSON
    batches = cli_json("batches", "--source", "orders")  # newest first
    assert [(b["ROWS_QUARANTINED"], b["ROWS_REQUARANTINED"], b["ROWS_ALREADY_CURRENT"]) for b in batches] == [
        (1, 1, 0),
        (1, 0, 0),
    ]


def land_events(events: list[dict[str, Any]]) -> None:
    """Land events as the receiver would (the envelope and its arrival entry), arriving one minute into window 0."""
    store = landing_store(load_settings())
    assert isinstance(store, LocalLanding)
    arrived = T0 + timedelta(minutes=1)
    for evt in events:
        key, entry = sp.landing_key(evt["id"], sp.T0), arrival_key(evt["id"], sp.T0, arrived)
        assert store.put_if_absent(key, sp.envelope(evt)) and store.put_if_absent(entry, b"{}")
        for written in (key, entry):
            os.utime(store.root / written, (arrived.timestamp(), arrived.timestamp()))


def test_a_stripe_event_quarantined_by_a_regular_and_a_recovery_batch_is_one_row(
    pipeline_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    bad = sp.for_type("refund.created", 3, refunded=-5)
    events = [sp.for_type("payment_intent.succeeded", 1), bad]
    regular = payments_flow.payments_batch_id(Window.parse(**window(0)), payments_flow.DEFAULT_LOOKBACK_DAYS)
    recovery = payments_flow.payments_batch_id(Window.parse(**window(0)), 30)
    quarantined = {}
    default = payments_flow.DEFAULT_LOOKBACK_DAYS
    for name, lookbacks in (("regular-first", (default, 30)), ("recovery-first", (30, default))):
        pipeline_env(NORTHSTAR_HOME=str(tmp_path / name))
        land_events(events)
        for lookback in lookbacks:
            bounds = window(0)
            outcome = payments_flow.payments_microbatch(bounds["start"], bounds["end"], lookback_days=lookback)
            assert (outcome.status, outcome.rows_extracted, outcome.rows_quarantined) == (BatchStatus.COMMITTED, 2, 1)
        with open_warehouse(load_settings()) as wh:
            quarantined[name] = table_hashes(wh, ("QUARANTINE.STRIPE_EVENTS", "OPS.QUARANTINE_SIGHTINGS"), LOAD_TIMES)
        assert identities_once("QUARANTINE.STRIPE_EVENTS")
        assert seen("QUARANTINE.STRIPE_EVENTS") == [
            (bad["id"], ("schema.amount_minor_non_negative",), (regular, recovery), regular)
        ]
        second, first = (recovery, regular) if name == "regular-first" else (regular, recovery)
        counts = ledger("payments")  # the first batch loaded both; the second found them loaded and quarantined
        assert counts[first][4:] == (0, 0) and counts[second][4:] == (1, 1)
    assert quarantined["recovery-first"] == quarantined["regular-first"]


def test_a_wms_file_taken_by_two_batches_is_quarantined_once(
    pipeline_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    """Two hourly runs that list the drop before either commits (a backfill beside the schedule) both take its
    files: the bad line and the bad file are one quarantine row each, seen by both batches."""
    with SftpTestServer(tmp_path / "sftp") as sftp:
        pipeline_env(**sftp.env())
        items = w.shipments(2)
        sftp.drop("a.csv", w.csv_file([w.with_line(items[0], 1, quantity=0), items[1]]), w.T0 + timedelta(minutes=5))
        sftp.drop("empty.csv", b"", w.T0 + timedelta(minutes=6))
        settings = load_settings()
        cfg = settings.fulfillment.sftp
        windows = [Window(w.T0 + timedelta(hours=i), w.T0 + timedelta(hours=i + 1)) for i in (1, 0)]
        batches = [batch_id("fulfillment", win) for win in windows]
        validated = []
        source = wms_flow.FulfillmentSource(cfg)
        for win, batch in zip(windows, batches, strict=True):  # both land and check before either publishes
            landed = wms_flow.land_wms_files.fn(settings, cfg, win, batch)
            checked = source.validate(settings, landed, win, batch)
            validated.append((checked, new_record(settings, "fulfillment", win, batch, checked, "run", Stopwatch())))
        for checked, record in validated:
            assert publish_or_hold.fn(settings, checked, record).status == BatchStatus.COMMITTED
    later, earlier = batches
    assert identities_once("QUARANTINE.WMS_LINES") and identities_once("QUARANTINE.WMS_FILES")
    assert seen("QUARANTINE.WMS_LINES") == [(2, ("schema.quantity_positive",), (earlier, later), earlier)]
    (file,) = query("SELECT FILE_NAME, _SEEN_BATCHES, _BATCH_ID FROM QUARANTINE.WMS_FILES")
    assert (file["FILE_NAME"], json.loads(file["_SEEN_BATCHES"]), file["_BATCH_ID"]) == (
        "empty.csv",
        [earlier, later],
        earlier,
    )
    counts = ledger("fulfillment")
    # quarantined, published, already current, re-quarantined: the earlier batch, publishing second, replaces
    # the file's lines (a file's lines are replaced by its path) and finds its bad line already quarantined
    assert counts[later][2:] == (1, 3, 0, 0) and counts[earlier][2:] == (1, 3, 0, 1)
