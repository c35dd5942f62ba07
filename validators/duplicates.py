"""Duplicate checks within a batch: conflicting versions are quarantined, repeats are counted."""

from __future__ import annotations

from validators.result import Severity
from validators.rules import RowCheck

ORDERS_DUPLICATE_CHECKS = (
    RowCheck(
        "duplicates.conflicting_version",
        Severity.ERROR,
        "order_id",
        "one content per (order_id, updated_at)",
    ),
    RowCheck(
        "duplicates.exact_repeat",
        Severity.WARN,
        "order_id",
        "each row once (repeats are absorbed by the keyed load)",
    ),
    RowCheck(
        "duplicates.superseded_version",
        Severity.INFO,
        "updated_at",
        "one version per order_id in a batch (older versions are superseded by the keyed load)",
    ),
)
