"""Row checks: each is a query in sql/checks/<dataset>/<check_id>.sql returning the failing _row_ids."""

from __future__ import annotations

from dataclasses import dataclass

from northstar.sqlfiles import read_sql
from validators.result import Severity


@dataclass(frozen=True)
class RowCheck:
    """A row-level rule; its query reads the table `batch` and returns the _row_id of each failing row."""

    check_id: str
    severity: Severity
    column: str | None
    expected: str

    def sql(self, dataset: str) -> str:
        return read_sql(f"checks/{dataset}/{self.check_id}.sql")
