"""reprocess: new batch versions replayed from landed raw, with history, differences, dry runs and bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import psycopg
import pytest

import flows.orders_microbatch as orders_flow
from flows.reprocess import ReprocessError, reprocess
from northstar.batches import Window, batch_id, landing_prefix
from northstar.settings import load_settings
from northstar.warehouse import Warehouse, open_warehouse
from tests.helpers import T0, source_row, table_hashes
from validators.rules import in_range

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
INSERT = (
    "INSERT INTO orders (order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
PUBLISHED = ("CORE.ORDERS", "CORE.ORDER_LINES", "QUARANTINE.ORDERS", "QUARANTINE.ORDER_LINES", "OPS.LOAD_BATCHES")
W0 = Window(T0, T0 + timedelta(minutes=15))
W1 = Window(T0 + timedelta(minutes=15), T0 + timedelta(minutes=30))


def seed_and_run(dsn: str) -> None:
    """Window 0: orders 1-3 good (order 2 totals 5000), order 4 negative; window 1: order 1 again, shipped.
    Both windows published by the ordinary flow, window 1 after window 0."""
    rows = [source_row(1, 1), source_row(2, 2, total_amount_minor=5000), source_row(3, 3)]
    rows.append(source_row(4, 4, total_amount_minor=-5))
    with psycopg.connect(dsn) as conn:
        conn.cursor().executemany(INSERT, rows)
    for w in (W0,):
        assert orders_flow.orders_microbatch(w.start.isoformat(), w.end.isoformat()).status == "COMMITTED"
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "UPDATE orders SET status = 'shipped', updated_at = %s WHERE order_id = 1", (T0 + timedelta(minutes=16),)
        )
    assert orders_flow.orders_microbatch(W1.start.isoformat(), W1.end.isoformat()).status == "COMMITTED"


def fixed_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """'New code': negative totals are allowed now, totals above 4000 are not."""
    checks = tuple(c for c in orders_flow.ORDERS_CHECKS if c.check_id != "schema.amount_minor_non_negative")
    monkeypatch.setattr(
        orders_flow, "ORDERS_CHECKS", (*checks, in_range("schema.total_at_most_4000", "total_amount_minor", max=4000))
    )


def wh_query(sql: str) -> list[dict[str, Any]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(sql)


def orders(wh: Warehouse) -> dict[int, tuple[str, int, str]]:
    rows = wh.query("SELECT ORDER_ID, STATUS, TOTAL_AMOUNT_MINOR, _BATCH_ID FROM CORE.ORDERS")
    return {r["ORDER_ID"]: (r["STATUS"], r["TOTAL_AMOUNT_MINOR"], r["_BATCH_ID"]) for r in rows}


def test_unchanged_code_is_a_no_op_and_a_dry_run_writes_nothing(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    seed_and_run(source_db)
    settings = load_settings()
    with open_warehouse(settings) as wh:
        before = table_hashes(wh, PUBLISHED)
    same = reprocess(settings, "orders", batch_ids=[batch_id("orders", W0)], reason="no change")
    assert [(b.status, b.batch_id) for b in same.batches] == [("UNCHANGED", batch_id("orders", W0) + "-v2")]
    assert all(d.total == 0 for d in same.batches[0].diffs) and len(same.batches[0].diffs) == 4
    assert same.new_batch_ids == []
    (entry,) = wh_query("SELECT DETAILS FROM OPS.AUDIT_LOG WHERE KIND = 'reprocess'")
    assert json.loads(entry["DETAILS"])["batches"][0]["batch_id"] is None  # UNCHANGED: no version was written
    unchanged_dry = reprocess(settings, "orders", batch_ids=[batch_id("orders", W0)], reason="t", dry_run=True)
    assert unchanged_dry.batches[0].message.startswith("dry run: no difference")

    # a range that cuts into a window replays the batch whose window overlaps it, not only those inside it
    inside = W0.start + timedelta(minutes=5), W0.start + timedelta(minutes=10)
    cut = reprocess(
        settings, "orders", start=inside[0].isoformat(), end=inside[1].isoformat(), reason="t", dry_run=True
    )
    assert [b.superseded for b in cut.batches] == [batch_id("orders", W0)]

    fixed_checks(monkeypatch)
    dry = reprocess(settings, "orders", start=W0.start.isoformat(), end=W0.end.isoformat(), reason="t", dry_run=True)
    assert dry.batches[0].status == "DRY_RUN"
    assert {t: (d.added, d.changed, d.removed) for t, d in dry.totals().items()}["CORE.ORDERS"] == (1, 0, 1)
    with open_warehouse(settings) as wh:
        assert table_hashes(wh, PUBLISHED) == before  # identical, load times and batch ids included
        assert wh.query("SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES") == [{"N": 0}]
        assert wh.query("SELECT COUNT(*) AS N FROM CORE.ORDERS_HISTORY") == [{"N": 0}]


def test_a_new_version_replaces_the_superseded_rows_keeps_history_and_spares_later_windows(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    seed_and_run(source_db)
    settings = load_settings()
    base, later = batch_id("orders", W0), batch_id("orders", W1)
    with psycopg.connect(source_db) as conn:  # the source changes after landing: a replay must not read it
        conn.execute("UPDATE orders SET total_amount_minor = 7 WHERE order_id = 3")
    fixed_checks(monkeypatch)
    report = reprocess(settings, "orders", batch_ids=[base], reason="total cap fixed")
    (replayed,) = report.batches
    assert (replayed.status, replayed.superseded, report.new_batch_ids) == ("COMMITTED", base, [base + "-v2"])
    diffs = {d.table: (d.added, d.changed, d.removed, d.sample) for d in replayed.diffs}
    assert diffs["CORE.ORDERS"] == (1, 0, 1, {"added": ["4"], "removed": ["2"]})
    assert diffs["QUARANTINE.ORDERS"][:3] == (1, 0, 1)
    with open_warehouse(settings) as wh:
        assert orders(wh) == {
            1: ("shipped", 2500, later),  # the later window's newer version is untouched
            3: ("paid", 2500, base + "-v2"),  # from the landed raw, not the changed source
            4: ("paid", -5, base + "-v2"),
        }
        quarantined = wh.query("SELECT ORDER_ID, REASONS FROM QUARANTINE.ORDERS ORDER BY ORDER_ID")
        # order 4 stays quarantined: window 1's overlap read it too, with the old checks (replayed below)
        assert [(r["ORDER_ID"], "schema.total_at_most_4000" in r["REASONS"]) for r in quarantined] == [
            (2, True),
            (4, False),
        ]
        history = wh.query("SELECT ORDER_ID, _BATCH_ID, _SUPERSEDED_BY FROM CORE.ORDERS_HISTORY ORDER BY ORDER_ID")
        assert [(r["ORDER_ID"], r["_BATCH_ID"], r["_SUPERSEDED_BY"]) for r in history] == [
            (2, base, base + "-v2"),
            (3, base, base + "-v2"),
        ]
        ledger = wh.query(
            "SELECT BATCH_ID, STATUS, SUPERSEDES FROM OPS.LOAD_BATCHES WHERE WINDOW_START = %(s)s ORDER BY BATCH_ID",
            {"s": W0.start.replace(tzinfo=None)},
        )
        assert [(r["BATCH_ID"], r["STATUS"], r["SUPERSEDES"]) for r in ledger] == [
            (base, "COMMITTED", None),
            (base + "-v2", "COMMITTED", base),
        ]
        recorded = wh.query("SELECT TABLE_NAME, ROWS_ADDED, ROWS_REMOVED FROM OPS.REPROCESS_DIFFS ORDER BY 1")
        assert [(r["TABLE_NAME"], r["ROWS_ADDED"], r["ROWS_REMOVED"]) for r in recorded][:2] == [
            ("CORE.ORDERS", 1, 1),
            ("CORE.ORDER_LINES", 0, 0),
        ]
        after = table_hashes(wh, PUBLISHED)
    again = reprocess(settings, "orders", batch_ids=[base + "-v2"], reason="again, same code")
    assert [(b.status, b.superseded) for b in again.batches] == [("UNCHANGED", base + "-v2")]
    with open_warehouse(settings) as wh:
        assert table_hashes(wh, PUBLISHED) == after

    both = reprocess(settings, "orders", start=W0.start.isoformat(), end=W1.end.isoformat(), reason="the range")
    assert [(b.status, b.superseded) for b in both.batches] == [("UNCHANGED", base + "-v2"), ("COMMITTED", later)]
    with open_warehouse(settings) as wh:
        assert [r["ORDER_ID"] for r in wh.query("SELECT ORDER_ID FROM QUARANTINE.ORDERS")] == [2]
        assert orders(wh)[1] == ("shipped", 2500, later + "-v2")
        audit = wh.query("SELECT KIND, SUBJECT, DETAILS FROM OPS.AUDIT_LOG WHERE KIND = 'reprocess' ORDER BY SEQ")
    # every reprocess is an audit entry (the unchanged one too: it was asked for), with its batches and reason
    assert [(r["KIND"], r["SUBJECT"]) for r in audit] == [
        ("reprocess", report.reprocess_id),
        ("reprocess", again.reprocess_id),
        ("reprocess", both.reprocess_id),
    ]
    first = json.loads(audit[0]["DETAILS"])
    assert (first["reason"], first["batches"][0]["batch_id"], first["batches"][0]["status"]) == (
        "total cap fixed",
        base + "-v2",
        "COMMITTED",
    )


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"source": "ledger", "batch_ids": ["x"]}, "unknown source 'ledger'"),
    ({"source": "orders", "batch_ids": ["orders-nope"]}, "unknown batch 'orders-nope'"),
    ({"source": "orders", "start": "2026-11-20T13:00:00+00:00", "end": "2026-11-20T12:00:00+00:00"}, "not after"),
    ({"source": "orders", "batch_ids": ["x"], "start": "2026-11-20T12:00:00+00:00"}, "not both"),
    ({"source": "orders", "start": "2026-11-21T12:00:00+00:00", "end": "2026-11-21T13:00:00+00:00"}, "no committed"),
    ({"source": "orders", "batch_ids": ["RAW_GONE"]}, "is gone"),  # last: it removes the landed raw
]


def test_bad_input_is_a_clear_error_and_changes_nothing(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    seed_and_run(source_db)
    settings = load_settings()
    with open_warehouse(settings) as wh:
        before = table_hashes(wh, PUBLISHED)
    for kwargs, message in BAD_INPUT:
        if kwargs.get("batch_ids") == ["RAW_GONE"]:  # past the raw retention: the landed folder is gone
            base = batch_id("orders", W0)
            shutil.rmtree(settings.landing_dir / landing_prefix("orders", W0, base))
            kwargs = kwargs | {"batch_ids": [base]}
        with pytest.raises(ReprocessError, match=message):
            reprocess(settings, reason="bad input", **kwargs)
    with pytest.raises(ReprocessError, match="--reason"):
        reprocess(settings, "orders", batch_ids=[batch_id("orders", W1)], reason=" ")
    with open_warehouse(settings) as wh:
        assert table_hashes(wh, PUBLISHED) == before
        assert wh.query("SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES") == [{"N": 0}]


def test_a_version_the_new_checks_hold_leaves_the_previous_one_published_and_says_so(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env()
    seed_and_run(source_db)
    settings = load_settings()
    base = batch_id("orders", W0)
    with open_warehouse(settings) as wh:
        before = table_hashes(wh, PUBLISHED[:4])
    # 'new code' whose contract wants a column the landed raw does not have: a batch-level failure
    contract = replace(orders_flow.ORDERS, columns={**orders_flow.ORDERS.columns, "channel": frozenset({"VARCHAR"})})
    monkeypatch.setattr(orders_flow, "ORDERS", contract)
    report = reprocess(settings, "orders", batch_ids=[base], reason="new contract")
    (held,) = report.held
    assert (held.batch_id, held.superseded, report.new_batch_ids) == (base + "-v2", base, [])
    assert f"{base} stays published" in held.message and "channel" in held.message
    with open_warehouse(settings) as wh:
        assert table_hashes(wh, PUBLISHED[:4]) == before
        rows = wh.query("SELECT STATUS, SUPERSEDES FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(b)s", {"b": base + "-v2"})
        assert rows == [{"STATUS": "HELD", "SUPERSEDES": base}]
