"""The demo's last step: the certified marts the passed gate published, and their revenue beside finance's."""

from __future__ import annotations

from typing import TextIO

from cli.output import print_rows
from northstar.marts.publication import live_publication
from northstar.settings import Settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse


def print_marts(out: TextIO, settings: Settings, gate_batch_id: str) -> None:
    """The live publication and the certified revenue per day beside finance's figures (minor units)."""
    with open_warehouse(settings) as wh:
        live = live_publication(wh)
        if live is None:
            out.write("\nNo marts publication is live (NORTHSTAR_MARTS_PUBLISH=false, or every one failed).\n")
            return
        rows = wh.query(read_sql("marts/select_certified_revenue_vs_finance.sql"), {"batch_id": gate_batch_id})
    out.write(
        f"\n== Certified marts (dbt) ==\nLive publication {live.publication_id} (schema {live.schema_name}, after "
        f"gate {live.gate_batch_id}, dbt build + tests {live.dbt_seconds or 0:.1f} s), rows: "
        + ", ".join(f"{name} {n:,}" for name, n in live.row_counts.items())
        + ".\nCertified net revenue (MARTS.FCT_DAILY_REVENUE) beside finance's figure for the days the gate "
        "reconciled:\n"
    )
    print_rows(rows, out, as_json=False)
    out.write("Try:  .venv/bin/northstar marts publications;  .venv/bin/northstar marts deprecations\n")
