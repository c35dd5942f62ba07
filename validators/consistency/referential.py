"""Referential integrity with late-arriving data: every payment and shipment line must reference a known order.

A reference to an unknown order waits (pending) and is re-checked every run; it is released when its order
arrives and orphaned (quarantined, `referential.order_missing`) once it has waited the grace period.
sql/consistency/create_reference_states.sql judges every reference; each check counts one kind of them.
"""

from __future__ import annotations

from validators.consistency.checks import CrossCheck, Family
from validators.result import Severity

DATASETS = {"payment": "payments", "shipment_line": "shipment_lines"}  # the reference kind -> its dataset

REFERENTIAL = Family(
    "referential",
    prepare=("consistency/create_reference_states.sql",),
    checks=tuple(
        check
        for kind, dataset in DATASETS.items()
        for check in (
            CrossCheck(
                "referential.order_missing",
                Severity.WARN,
                dataset,
                f"every {kind.replace('_', ' ')} references a known order within the grace period",
                "consistency/referential.order_missing.sql",
                column="order_id",
                params={"ref_kind": kind},
            ),
            CrossCheck(
                "referential.order_pending",
                Severity.INFO,
                dataset,
                "references wait for an order that has not arrived yet",
                "consistency/referential.order_pending.sql",
                column="order_id",
                params={"ref_kind": kind},
            ),
        )
    ),
)
