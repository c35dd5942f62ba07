"""Referential integrity with late-arriving data: every payment and shipment line must reference a known order.

A reference to an unknown order waits (pending) and is re-checked every run; it is released when its order
arrives and orphaned (quarantined, `referential.order_missing`) once it has waited the grace period.
"""

from __future__ import annotations

from typing import Any

import duckdb

from validators.consistency.common import run_file
from validators.result import CheckResult, Severity

DATASETS = {"payment": "payments", "shipment_line": "shipment_lines"}


def check_references(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> list[CheckResult]:
    """Judge every new and waiting reference; results per referencing dataset."""
    run_file(con, "consistency/create_reference_states.sql", params)
    counts = {
        (kind, state): int(n)
        for kind, state, n in con.execute(
            "SELECT ref_kind, state, count(*) FROM reference_states GROUP BY ALL"
        ).fetchall()
    }
    results = []
    for kind, dataset in DATASETS.items():
        judged = sum(n for (k, _), n in counts.items() if k == kind)
        waiting = counts.get((kind, "pending"), 0) + counts.get((kind, "waiting"), 0)
        orphaned, released = counts.get((kind, "orphaned"), 0), counts.get((kind, "released"), 0)
        results += [
            CheckResult(
                "referential.order_missing",
                dataset,
                Severity.WARN,
                judged,
                orphaned,
                f"every {kind.replace('_', ' ')} references a known order within the grace period",
                f"{orphaned} orphaned (quarantined) of {judged} references judged",
                column="order_id",
            ),
            CheckResult(
                "referential.order_pending",
                dataset,
                Severity.INFO,
                judged,
                waiting,
                "references wait for an order that has not arrived yet",
                f"{waiting} waiting, {released} released this run",
                column="order_id",
            ),
        ]
    return results
