"""`northstar trace` and `northstar lineage`: where a record came from and went, and what ran.

`trace --order ID` (or `--payment PI`, `--shipment ID`) answers in one command: the record as published (CORE),
every quarantined version with each batch that saw it (QUARANTINE, OPS.QUARANTINE_SIGHTINGS), the raw objects
that carried it (orders: the landed Parquet files, read with DuckDB; payments: the landed events, RAW.STRIPE_EVENTS;
shipments: the WMS files taken, OPS.WMS_FILES), the ledger rows of every batch involved,
their lineage runs (the run ids in the ledger, found in the lineage store), and the marts' rows. Each section
is a query in sql/trace/; a table that does not exist yet (no marts published) is an empty section.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

# Each kind's sections: (name, sql/trace file); every query binds %(id)s.
SECTIONS = {
    "order": (
        ("core", "trace/select_core_orders.sql"),
        ("core_lines", "trace/select_core_order_lines.sql"),
        ("quarantine", "trace/select_quarantine_orders.sql"),
        ("quarantine_lines", "trace/select_quarantine_order_lines.sql"),
        ("quarantine_history", "trace/select_quarantine_sightings_order.sql"),
        ("payments", "trace/select_core_payments_order.sql"),
        ("shipment_lines", "trace/select_core_shipment_lines_order.sql"),
        ("orphan_references", "trace/select_orphan_references_order.sql"),
        ("marts", "trace/select_marts_order_payments.sql"),
    ),
    "payment": (
        ("core", "trace/select_core_payments.sql"),
        ("refunds", "trace/select_core_refunds.sql"),
        ("raw_events", "trace/select_raw_stripe_events.sql"),
        ("quarantine", "trace/select_quarantine_stripe_events.sql"),
        ("orphan_references", "trace/select_orphan_references.sql"),
    ),
    "shipment": (
        ("core", "trace/select_core_shipments.sql"),
        ("core_lines", "trace/select_core_shipment_lines.sql"),
        ("quarantine", "trace/select_quarantine_wms_lines.sql"),
        ("raw_files", "trace/select_wms_files_shipment.sql"),
        ("orphan_references", "trace/select_orphan_references.sql"),
    ),
}
BATCH_KEYS = ("_BATCH_ID", "BATCH_ID", "SOURCE_BATCH_ID")


def add_commands(sub: Any) -> None:
    """Register trace and lineage."""
    trace = sub.add_parser("trace", help="where a record came from and went: batches, raw, quarantine, lineage, marts")
    what = trace.add_mutually_exclusive_group(required=True)
    what.add_argument("--order", type=int, metavar="ORDER_ID")
    what.add_argument("--payment", metavar="PAYMENT_INTENT_ID")
    what.add_argument("--shipment", metavar="SHIPMENT_ID")
    trace.add_argument("--json", action="store_true", help="one JSON object, a list per section")
    trace.set_defaults(handler=trace_command)

    lineage = sub.add_parser("lineage", help="runs and datasets from the lineage store, newest first")
    lineage.add_argument("--job", help="only runs of this job (e.g. orders-microbatch)")
    lineage.add_argument("--dataset", help="only runs that read or wrote a dataset whose name contains this")
    lineage.add_argument("--limit", type=int, default=20)
    lineage.add_argument("--json", action="store_true")
    lineage.set_defaults(handler=lineage_command)


def trace_command(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when the record was found anywhere, 1 when nothing anywhere names it."""
    from cli.output import jsonable, print_rows
    from northstar.settings import load_settings

    kind, key = _kind(args)
    settings = load_settings()
    report = trace(settings, kind, key)
    if args.json:
        out.write(json.dumps(jsonable(report)) + "\n")
    else:
        parts = {**report["sections"], "raw objects": report["raw"], "batches": report["batches"],
                 "lineage runs": report["lineage"]}  # fmt: skip
        out.write(f"{kind} {key}\n")
        for section, rows in parts.items():
            if rows:
                print_rows(rows, out, as_json=False, title=f"\n{section}:")
        empty = [section for section, rows in parts.items() if not rows]
        if empty:
            out.write(f"\nnothing in: {', '.join(empty)}\n")
    if report["found"]:
        return 0
    print(f"northstar: no {kind} {key} in the warehouse, the quarantine or the landed raw data", file=_stderr())
    return 1


def trace(settings: Any, kind: str, key: Any) -> dict[str, Any]:
    """The trace report: {kind, id, found, sections: {name: rows}, raw, batches, lineage}."""
    from northstar.sqlfiles import read_sql
    from northstar.warehouse import open_warehouse

    sections: dict[str, list[dict[str, Any]]] = {}
    with open_warehouse(settings) as wh:
        for name, relative in SECTIONS[kind]:
            query = _rows_or_none if name == "marts" else wh.query  # only the marts may not exist yet
            sections[name] = list(query(read_sql(relative), {"id": key}))
        raw = raw_orders(settings, int(key)) if kind == "order" else []
        ids = sorted(_batch_ids(sections) | {r["BATCH_ID"] for r in raw})
        batches = wh.query(read_sql("trace/select_load_batches.sql"), {"ids": ids}) if ids else []
    lineage = lineage_runs(settings, {b["LINEAGE_RUN_ID"] for b in batches if b.get("LINEAGE_RUN_ID")})
    found = any(rows for name, rows in sections.items()) or bool(raw)
    return {"kind": kind, "id": key, "found": found, "sections": sections, "raw": raw, "batches": batches,
            "lineage": lineage}  # fmt: skip


def raw_orders(settings: Any, order_id: int) -> list[dict[str, Any]]:
    """Every landed orders file holding a version of the order: its key, batch and the version's updated_at."""
    import tempfile

    import duckdb

    from northstar.landing import landing_store

    store = landing_store(settings)
    keys = [k for k in store.keys("raw/orders/") if Path(k).name.startswith("orders-") and k.endswith(".parquet")]
    if not keys:
        return []
    with tempfile.TemporaryDirectory(dir=_work(settings)) as work:
        paths = {str(store.local_copy(k, Path(work))): k for k in keys}
        found = (
            duckdb.connect()
            .execute(
                "SELECT filename, updated_at FROM read_parquet($paths, filename = true,"
                " union_by_name = true) WHERE order_id = $id ORDER BY filename",
                {"paths": list(paths), "id": order_id},
            )
            .fetchall()
        )
    # UPDATED_AT as a UTC datetime: printed like every other time (cli.output: ISO-8601 with its offset)
    return [{"BATCH_ID": _batch_of(paths[f]), "KEY": paths[f], "UPDATED_AT": _utc(u), "URI": store.uri(paths[f])}
            for f, u in found]  # fmt: skip


def _utc(moment: Any) -> Any:
    from datetime import UTC, datetime

    return moment.astimezone(UTC) if isinstance(moment, datetime) and moment.tzinfo else moment


def lineage_runs(settings: Any, run_ids: set[str]) -> list[dict[str, Any]]:
    """The lineage events of the given runs from the local store ($NORTHSTAR_HOME/lineage/events.jsonl)."""
    return [e for e in _events(settings) if e["RUN_ID"] in run_ids]


def lineage_command(args: argparse.Namespace, out: TextIO) -> int:
    """Runs newest first, one row per event: job, state, time, inputs and outputs."""
    from cli.output import print_rows
    from northstar.settings import load_settings

    settings = load_settings()
    if settings.lineage.marquez_url:
        out.write(f"lineage goes to Marquez ({settings.lineage.marquez_url}): browse it there\n")
        return 0
    events = [e for e in _events(settings) if (args.job is None or e["JOB"] == args.job)]
    if args.dataset:
        events = [e for e in events if any(args.dataset in d for d in e["INPUTS"] + e["OUTPUTS"])]
    events.sort(key=lambda e: e["EVENT_TIME"], reverse=True)
    rows = events[: args.limit]
    if not args.json:
        rows = [{k: (_names(v) if isinstance(v, list) else v) for k, v in e.items()} for e in rows]
    print_rows(rows, out, as_json=args.json)
    return 0


def _names(datasets: list[str]) -> str:
    """Dataset names one per line, without their namespace (--json has both)."""
    return "\n".join(d.rsplit("/", 1)[-1] for d in datasets)


def dataset_name(dataset: dict[str, Any]) -> str:
    """An OpenLineage dataset as one name: its namespace joined to its name (`file` + `/path` is `file:///path`,
    `s3://bucket` + `raw/x` is `s3://bucket/raw/x`, `snowflake://acct` + `DB.CORE.T` is `snowflake://acct/DB.CORE.T`)."""
    namespace, name = str(dataset.get("namespace") or ""), str(dataset.get("name") or "")
    if namespace == "file":
        return f"file://{name}"
    return f"{namespace.rstrip('/')}/{name.lstrip('/')}"


def _events(settings: Any) -> list[dict[str, Any]]:
    path = settings.lineage_dir / "events.jsonl"
    if not path.is_file():
        return []
    events = []
    for line in path.read_text().splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        events.append({
            "EVENT_TIME": e.get("eventTime"), "JOB": e.get("job", {}).get("name"), "STATE": e.get("eventType"),
            "RUN_ID": e.get("run", {}).get("runId"),
            "INPUTS": [dataset_name(d) for d in e.get("inputs") or []],
            "OUTPUTS": [dataset_name(d) for d in e.get("outputs") or []],
        })  # fmt: skip
    return events


def _rows_or_none(sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    import snowflake.connector

    from northstar.settings import load_settings
    from northstar.warehouse import open_warehouse

    try:
        with open_warehouse(load_settings()) as wh:
            return list(wh.query(sql, params))
    except snowflake.connector.errors.ProgrammingError:  # a table not created yet (the marts before a publication)
        return []


def _batch_ids(sections: dict[str, list[dict[str, Any]]]) -> set[str]:
    ids: set[str] = set()
    for rows in sections.values():
        for row in rows:
            ids.update(str(row[k]) for k in BATCH_KEYS if row.get(k))
            seen = row.get("_SEEN_BATCHES")
            if isinstance(seen, str) and seen.strip().startswith("["):
                ids.update(json.loads(seen))
    return ids


def _batch_of(key: str) -> str:
    part = next((p for p in key.split("/") if p.startswith("batch=")), "batch=?")
    return part.removeprefix("batch=")


def _kind(args: argparse.Namespace) -> tuple[str, Any]:
    if args.order is not None:
        return "order", args.order
    if args.payment is not None:
        return "payment", args.payment
    return "shipment", args.shipment


def _work(settings: Any) -> Path:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    return Path(settings.work_dir)


def _stderr() -> TextIO:
    import sys

    return sys.stderr
