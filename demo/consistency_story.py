"""The demo's second act: Stripe events, a WMS drop and finance's reports against the published orders, then
the cross-system checks: one run held by the gate (a refund finance saw but whose event had not arrived), the
late event, and the run that publishes the marts."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import TextIO

from cli.output import print_rows
from demo import seed
from demo.feeds import (
    DemoOrder,
    Feeds,
    build_feeds,
    drop_finance_reports,
    drop_shipments,
    land_stripe,
)
from demo.marts_story import print_marts
from demo.root_cause_story import print_investigation
from flows.engine import BatchOutcome
from northstar.batches import Window
from northstar.landing import LocalLanding, landing_store
from northstar.settings import Settings
from northstar.slices import business_days
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse


def run_cross_system(out: TextIO, settings: Settings, dsn: str, live_end: datetime) -> None:
    """Check the orders alone, then land the other feeds, run their flows and the checks twice; print findings."""
    from flows.consistency import consistency_check
    from flows.fulfillment_hourly import fulfillment_hourly
    from flows.orders_microbatch import orders_microbatch
    from flows.payments_microbatch import payments_microbatch

    def quarter(n: int) -> dict[str, str]:  # the n-th 15-minute window after the orders' last one
        start = live_end + timedelta(minutes=15 * n)
        return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat()}

    orders_only = consistency_check(**quarter(0))
    store = landing_store(settings)
    if not isinstance(store, LocalLanding):
        raise ValueError("the demo lands its feeds in the local landing store (unset NORTHSTAR_LANDING_BUCKET)")
    days = business_days(Window.parse(**quarter(2)), settings.consistency)
    feeds = build_feeds(_published_orders(settings), late_refund_day=days[-1], shipped_by=live_end)
    written = live_end + timedelta(minutes=16)
    land_stripe(store, feeds.events, written)
    drop_shipments(settings.home / "sftp-drop", feeds.lines, written)
    drop_finance_reports(store, feeds, days, written)
    os.environ.setdefault("NORTHSTAR_SFTP_STABLE_SECONDS", "0")  # the drop is written once, before the run
    payments = payments_microbatch(quarter(1)["start"], quarter(1)["end"])  # by arrival: the window's own batch
    hour = live_end.replace(minute=0)
    shipments = fulfillment_hourly(start=hour.isoformat(), end=(hour + timedelta(hours=1)).isoformat())
    held = consistency_check(**quarter(2))
    land_stripe(store, feeds.late_events, live_end + timedelta(minutes=46))
    late = payments_microbatch(quarter(3)["start"], quarter(3)["end"])  # by arrival: the window's own batch
    first_unknown = feeds.unknown_payments[0]  # its order reaches the source only now: the payment is released
    seed.seed_late_order(dsn, order_id=first_unknown.order_id, total=first_unknown.amount, currency="USD",
                         created=first_unknown.created_at, updated=live_end + timedelta(minutes=47))  # fmt: skip
    orders_microbatch(**quarter(3))
    published = consistency_check(**quarter(4))
    _summary(out, settings, feeds, [orders_only, payments, shipments, held, late, published])
    print_marts(out, settings, published.batch_id)  # the certified marts the passed gates published
    print_investigation(out, settings, held.batch_id)  # the held day's incident, classified (demo/root_cause_story.py)


def _published_orders(settings: Settings) -> list[DemoOrder]:
    with open_warehouse(settings) as wh:
        rows = wh.query(read_sql("snowflake/select_core_orders_for_demo.sql"))
        lines = wh.query(read_sql("snowflake/select_core_order_lines_for_demo.sql"))
    items: dict[int, list[tuple[str, int]]] = {}
    for line in lines:
        items.setdefault(line["ORDER_ID"], []).append((line["SKU"], line["QUANTITY"]))
    return [
        DemoOrder(
            r["ORDER_ID"],
            r["STATUS"],
            r["CURRENCY"],
            r["TOTAL_AMOUNT_MINOR"],
            r["CREATED_AT"].replace(tzinfo=UTC),
            tuple(items.get(r["ORDER_ID"], ())),
        )
        for r in rows
    ]


def _summary(out: TextIO, settings: Settings, feeds: Feeds, runs: list[BatchOutcome]) -> None:
    orders_only, payments, shipments, held, late, published = runs
    out.write(
        "\n== Cross-system consistency ==\n"
        f"Other feeds from the published orders: {len(feeds.events)} Stripe events landed "
        f"(+{len(feeds.late_events)} arriving late), {len(feeds.lines)} shipment lines in one WMS CSV, finance's "
        "daily reports for the reconciled days. Faults injected:\n"
    )
    for kind, count in sorted(feeds.faults.items()):
        out.write(f"  {kind:26} {count}\n")
    out.write(
        f"payments batch: {payments.status}, {payments.rows_published} payment/refund states published; "
        f"fulfillment batch: {shipments.status}, {shipments.rows_published} lines published; "
        f"late refund batch: {late.status}.\n\nConsistency batches (OPS.LOAD_BATCHES):\n"
    )
    with open_warehouse(settings) as wh:
        batches = wh.query(read_sql("snowflake/select_load_batches.sql"), {"source": "consistency"})
        print_rows([{k: b[k] for k in ("BATCH_ID", "STATUS", "ROWS_EXTRACTED", "REASON")} for b in batches], out,
                   as_json=False)  # fmt: skip
        held_days = wh.query(
            read_sql("snowflake/select_ops_daily_reconciliation_batch.sql"), {"batch_id": held.batch_id}
        )
        out.write(f"\nThe held run ({held.batch_id}) against finance (OPS.DAILY_RECONCILIATION):\n")
        print_rows([{k: v for k, v in d.items() if k != "EXPLANATION"} for d in held_days], out, as_json=False)
        for day in (d for d in held_days if not d["WITHIN_SLA"]):
            explanation = json.loads(day["EXPLANATION"])
            out.write(
                f"  {day['BUSINESS_DATE']} {day['CURRENCY']}: ours - finance = {explanation['difference_minor']} "
                f"minor units; {len(explanation['items'])} payments/refunds of that day listed as explanation, "
                "first: " + json.dumps(explanation["items"][:2]) + "\n"
            )
        sections = (
            ("Orders against payments, last run", "snowflake/count_ops_order_reconciliation_by_reason.sql"),
            ("Status and fulfillment rules, last run", "snowflake/count_ops_status_violations_by_rule.sql"),
            ("Reference transitions", "snowflake/count_ops_reference_transitions_by_state.sql"),
            ("Duplicate candidates", "snowflake/select_ops_duplicate_candidates.sql"),
            ("Published revenue (MARTS.DAILY_REVENUE)", "snowflake/select_marts_daily_revenue.sql"),
        )  # fmt: skip
        for title, query in sections:
            out.write(f"\n{title}:\n")
            print_rows(wh.query(read_sql(query), {"batch_id": published.batch_id}), out, as_json=False)
    out.write(
        f"\nGate: orders alone {orders_only.status}; with payments and shipments {held.status}"
        f"{' (the marts kept their previous state)' if held.status == 'HELD' else ''}; after the late refund and the "
        f"late order arrived, {published.status}"
        f"{' (the marts were refreshed)' if published.status == 'COMMITTED' else ''}.\n"
        f"Try:  .venv/bin/northstar checks --date {held_days[-1]['BUSINESS_DATE'] if held_days else ''}\n"
    )
