"""The demo's last word on the held day: its incident, investigated (`northstar investigate --incident ID`)."""

from __future__ import annotations

from typing import TextIO

from cli.main import main
from northstar.settings import Settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse


def print_investigation(out: TextIO, settings: Settings, held_batch_id: str) -> None:
    """Investigate the incident the held consistency run opened, and print the report."""
    with open_warehouse(settings) as wh:
        incidents = [
            i
            for i in wh.query(read_sql("incidents/select_ops_incidents.sql"), {"status": None})
            if i["FIRST_BATCH_ID"] == held_batch_id
        ]
    out.write("\n== Root cause of the held day ==\n")
    if not incidents:
        out.write(f"(no incident was opened by {held_batch_id})\n")
        return
    incident = incidents[-1]["INCIDENT_ID"]
    out.write(f"$ northstar investigate --incident {incident}\n")
    main(["investigate", "--incident", incident], out)
