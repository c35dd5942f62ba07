"""The one result type every check returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a failing check matters: ERROR quarantines rows or holds the batch."""

    ERROR = "error"
    WARN = "warn"
    INFO = "info"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARN = "warn"
    NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one dataset in one batch."""

    check_id: str  # "<family>.<rule>", for example "duplicates.conflicting_version"
    dataset: str  # the dataset checked, for example "orders"
    severity: Severity
    rows_checked: int
    rows_failed: int
    expected: str  # the rule in words, for example "status in allowed statuses"
    actual: str  # what was measured, for example "3 rows with unknown status"
    column: str | None = None
    evaluated: bool = True  # False when a batch-level failure stopped the check from running

    @property
    def outcome(self) -> Outcome:
        if not self.evaluated:
            return Outcome.NOT_EVALUATED
        if self.rows_failed == 0:
            return Outcome.PASSED
        return Outcome.FAILED if self.severity is Severity.ERROR else Outcome.WARN

    @property
    def success(self) -> bool:
        """True when the check ran and nothing it guards failed (a warning still succeeds)."""
        return self.outcome in (Outcome.PASSED, Outcome.WARN)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"outcome": self.outcome.value, "severity": self.severity.value}
