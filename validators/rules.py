"""Row checks as data: each is a declaration (id, severity, column, expectation) and the query it runs.

A generic check is one line: `not_null(...)`, `not_blank(...)`, `accepted_values(...)`, `unique(...)`,
`in_range(...)` or `matches(...)`, rendered from ONE template per kind, `sql/checks/generic/<kind>.sql`.
Its identifiers come from the declaration (checked against IDENTIFIER, then quoted) and its values are
bound as DuckDB named parameters, never formatted into the SQL. A check no template expresses (for example
`duplicates.conflicting_version`) is a plain `RowCheck(id, severity, column, expected)` whose query is
`sql/checks/<dataset>/<check_id>.sql`. Either way the query reads the table `batch` and returns the
`_row_id` of each failing row; the router (validators/router.py) runs it and makes its CheckResult.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from northstar.sqlfiles import read_sql
from validators.result import Severity

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")  # the contracts' column names: lower-case snake case
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
LISTED_VALUES = 8  # up to this many accepted values are spelled out in the expectation


@dataclass(frozen=True)
class RowCheck:
    """A row-level rule; its query reads the table `batch` and returns the _row_id of each failing row.

    kind None: the query is sql/checks/<dataset>/<check_id>.sql. Otherwise sql/checks/generic/<kind>.sql with
    each `{placeholder}` replaced by `fragments[placeholder]` (SQL built from validated identifiers only) and
    `params` bound as DuckDB parameters ($name). `columns` lists every column the query names, so the router
    can refuse a check whose columns are not in the dataset's contract.
    """

    check_id: str
    severity: Severity
    column: str | None
    expected: str
    kind: str | None = None
    fragments: Mapping[str, str] = field(default_factory=dict, hash=False)
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    columns: tuple[str, ...] = ()

    def sql(self, dataset: str) -> str:
        """The check's query over `batch`; KeyError if its template uses a placeholder it does not fill."""
        if self.kind is None:
            return read_sql(f"checks/{dataset}/{self.check_id}.sql")
        return PLACEHOLDER.sub(lambda m: self.fragments[m.group(1)], read_sql(f"checks/generic/{self.kind}.sql"))


def not_null(
    check_id: str, column: str, *, severity: Severity = Severity.ERROR, expected: str = "", when: str | None = None
) -> RowCheck:
    """Rows whose `column` is null fail (only rows where the boolean column `when` is true, if given)."""
    return _single("not_null", check_id, column, severity, expected or f"{column} is not null", when, {})


def not_blank(
    check_id: str, column: str, *, severity: Severity = Severity.ERROR, expected: str = "", when: str | None = None
) -> RowCheck:
    """Rows whose text `column` is null, empty or only spaces fail."""
    return _single("not_blank", check_id, column, severity, expected or f"{column} is present and not blank", when, {})


def accepted_values(
    check_id: str,
    column: str,
    values: Collection[object],
    *,
    severity: Severity = Severity.ERROR,
    expected: str = "",
    when: str | None = None,
) -> RowCheck:
    """Rows whose `column` is null or not one of `values` (bound as a list parameter) fail."""
    accepted = sorted(values, key=str) if isinstance(values, set | frozenset) else list(values)  # stable order
    if not accepted:
        raise ValueError(f"{check_id}: accepted_values needs at least one value")
    listed = ", ".join(map(str, accepted)) if len(accepted) <= LISTED_VALUES else f"{len(accepted)} accepted values"
    expected = expected or f"{column} is one of {listed}"
    return _single("accepted_values", check_id, column, severity, expected, when, {"values": accepted})


def in_range(
    check_id: str,
    column: str,
    min: object | None = None,
    max: object | None = None,
    *,
    severity: Severity = Severity.ERROR,
    expected: str = "",
    when: str | None = None,
) -> RowCheck:
    """Rows whose `column` is null or outside [min, max] fail; a bound left None is open (both inclusive)."""
    if min is None and max is None:
        raise ValueError(f"{check_id}: in_range needs a min or a max")
    bounds = [f"{min} <=" if min is not None else "", column, f"<= {max}" if max is not None else ""]
    expected = expected or " ".join(b for b in bounds if b)
    return _single("in_range", check_id, column, severity, expected, when, {"min": min, "max": max})


def matches(
    check_id: str,
    column: str,
    pattern: str,
    *,
    severity: Severity = Severity.ERROR,
    expected: str = "",
    when: str | None = None,
) -> RowCheck:
    """Rows whose text `column` is null or does not match the regular expression `pattern` in full fail."""
    re.compile(pattern)  # a broken pattern fails at declaration, not in the middle of a batch
    expected = expected or f"{column} matches {pattern}"
    return _single("matches", check_id, column, severity, expected, when, {"pattern": pattern})


def unique(
    check_id: str,
    keys: tuple[str, ...],
    *,
    required: tuple[str, ...] | None = None,
    severity: Severity = Severity.ERROR,
    expected: str = "",
) -> RowCheck:
    """Every row of a key the batch holds more than once fails (every copy), and every row missing a `required`
    key column (default: all of them; a key column left out is another check's to require).

    The result's column is the key's last column, the one that must be unique within the others.
    """
    required = keys if required is None else required
    if not keys or not set(required) <= set(keys):
        raise ValueError(f"{check_id}: unique needs keys, and required columns among them")
    quoted = [_quote(k) for k in keys]
    fragments = {
        "keys": ", ".join(quoted),
        "keys_present": " AND ".join(f"{k} IS NOT NULL" for k in quoted),
        "keys_match": " AND ".join(f"b.{k} = r.{k}" for k in quoted),
        "required_missing": " OR ".join(f"{_quote(k)} IS NULL" for k in required) or "false",
    }
    expected = expected or f"each ({', '.join(keys)}) once in the batch"
    return RowCheck(check_id, severity, keys[-1], expected, "unique", fragments, {}, keys)


def _single(
    kind: str,
    check_id: str,
    column: str,
    severity: Severity,
    expected: str,
    when: str | None,
    params: dict[str, object],
) -> RowCheck:
    fragments = {"column": _quote(column), "when": _quote(when) if when else "true"}
    columns = (column, when) if when else (column,)
    return RowCheck(check_id, severity, column, expected, kind, fragments, params, columns)


def _quote(identifier: str) -> str:
    """A column name as a quoted SQL identifier; ValueError unless it is a plain lower-case name."""
    if not IDENTIFIER.fullmatch(identifier):
        raise ValueError(f"not a column name: {identifier!r}")
    return f'"{identifier}"'
