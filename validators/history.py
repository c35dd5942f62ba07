"""Full-history checks: the batch path's row checks, rendered for Snowflake and run there over all of CORE.

The declarations are the batch path's own (`validators/schema.py`, `duplicates.py`, `order_lines.py`,
`fulfillment.py`): the same `RowCheck`s, the same query files. A check's query reads the table `batch` and
returns the failing `_row_id`s; here `batch` is a CTE over a CORE table (`sql/history/select_history_<dataset>.sql`:
the contract's columns under their contract names, `_row_id` the row's key as text), and the context tables a check
reads (`repeated_keys`, `batch_orders`, `published_lines`) are CTEs too. The query is written once, in DuckDB SQL,
and sqlglot transpiles it to Snowflake (`to_snowflake`); where sqlglot cannot, `sql/checks/snowflake/` holds a
Snowflake file saying why (accepted_values, matches). Snowflake does the work; the worker reads, per check, the
number of failing rows and the first `key_limit` failing keys.

Payments are not here: their checks read envelopes parsed in DuckDB (`sql/stripe/create_raw_batch.sql`), whose
columns CORE does not keep; re-checking Stripe history means re-parsing RAW.STRIPE_EVENTS' payloads (README).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlglot
from sqlglot import exp

from northstar.sqlfiles import SQL_DIR, read_sql
from validators.contracts import ORDERS, Contract
from validators.duplicates import ORDERS_DUPLICATE_CHECKS
from validators.fulfillment import FULFILLMENT, SHIPMENT_LINE_CHECKS
from validators.order_lines import ORDER_LINE_CHECKS, ORDER_LINES
from validators.result import CheckResult
from validators.rules import PLACEHOLDER, RowCheck
from validators.schema import ORDERS_ROW_CHECKS

PYFORMAT = re.compile(r"%\((\w+)\)s")
EPOCH = datetime(1970, 1, 1)  # --since's default: the whole history


class Session(Protocol):
    """What the audit needs of a warehouse session (northstar.warehouse.Warehouse)."""

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class HistoryDataset:
    """A dataset's checks over its CORE history: the contract and checks of the batch path, the history query
    (`sql/history/select_history_<dataset>.sql`) and the context tables its checks read, by name -> query file."""

    contract: Contract
    checks: tuple[RowCheck, ...]
    context: Mapping[str, str] = field(default_factory=dict)

    @property
    def dataset(self) -> str:
        return self.contract.dataset


# The orders flow's checks (flows/orders_microbatch.py composes the same tuple: ORDERS_CHECKS).
ORDERS_HISTORY = HistoryDataset(ORDERS, ORDERS_ROW_CHECKS + ORDERS_DUPLICATE_CHECKS)
ORDER_LINES_HISTORY = HistoryDataset(
    ORDER_LINES, ORDER_LINE_CHECKS, {"batch_orders": "history/select_history_batch_orders.sql"}
)
SHIPMENT_LINES_HISTORY = HistoryDataset(
    FULFILLMENT, SHIPMENT_LINE_CHECKS, {"published_lines": "history/select_history_published_lines.sql"}
)
SOURCES: dict[str, tuple[HistoryDataset, ...]] = {
    "orders": (ORDERS_HISTORY, ORDER_LINES_HISTORY),
    "fulfillment": (SHIPMENT_LINES_HISTORY,),
}


@dataclass(frozen=True)
class HistoryCheck:
    """One check's verdict over a history: its CheckResult, its first failing keys in key order (text:
    orders "<order_id>", lines "<order_id>#<line_no>", shipment lines "<shipment_id>#<line_no>"), and the
    seconds the warehouse took."""

    result: CheckResult
    failing_keys: tuple[str, ...]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return self.result.as_dict() | {"failing_keys": list(self.failing_keys), "seconds": round(self.seconds, 3)}


def to_snowflake(duckdb_sql: str, casts: Mapping[str, str] | None = None) -> str:
    """A DuckDB check query in Snowflake SQL (sqlglot): `$name` parameters become the connector's `%(name)s`, and
    quoted identifiers (the generic templates quote the contract's lower-case names) are left unquoted, so that
    Snowflake resolves them as the history's upper-case columns. `casts` names a type for a parameter the
    connector would bind as a bare string literal (a timestamp: DuckDB binds it typed, `'...' + INTERVAL` does not
    bind in Snowflake). sqlglot.ParseError on SQL it cannot read."""
    types = casts or {}

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            bound = exp.var(f"%({node.name})s")
            return exp.cast(bound, types[node.name], dialect="snowflake") if node.name in types else bound
        if isinstance(node, exp.Identifier) and node.quoted:
            node.set("quoted", False)
        return node

    tree = sqlglot.parse_one(duckdb_sql, read="duckdb").transform(rewrite)
    return tree.sql(dialect="snowflake", comments=False)


def check_sql(check: RowCheck, dataset: str, casts: Mapping[str, str] | None = None) -> str:
    """The check's query for Snowflake: its own Snowflake file when one exists (`sql/checks/snowflake/`, which says
    why sqlglot cannot render it), else the DuckDB query transpiled."""
    own = f"checks/snowflake/{f'generic/{check.kind}' if check.kind else f'{dataset}/{check.check_id}'}.sql"
    if (SQL_DIR / own).exists():
        plain = {k: v.replace('"', "") for k, v in check.fragments.items()}  # identifiers validated by rules._quote
        return PLACEHOLDER.sub(lambda m: plain[m.group(1)], _body(read_sql(own)))
    return to_snowflake(check.sql(dataset), casts)


def history_ctes(history: HistoryDataset) -> str:
    """The WITH list every check of the dataset runs under: `batch`, `repeated_keys`, then its context tables."""
    key = history.contract.key
    if not re.fullmatch(r"[a-z_]+", key):
        raise ValueError(f"not a column name: {key!r}")
    parts = {
        "batch": read_sql(f"history/select_history_{history.dataset}.sql"),
        "repeated_keys": read_sql("history/select_history_repeated_keys.sql").replace("{key}", key),
    } | {name: read_sql(relative) for name, relative in history.context.items()}
    return ",\n".join(f"{name} AS (\n{_body(sql)}\n)" for name, sql in parts.items())


def audit_dataset(
    wh: Session,
    history: HistoryDataset,
    *,
    since: datetime = EPOCH,
    as_of: datetime,
    check_ids: Sequence[str] | None = None,
    key_limit: int | None = 20,
) -> list[HistoryCheck]:
    """Run the dataset's checks (or those named) over its history updated since `since` (naive UTC), each as one
    warehouse query. `as_of` (naive UTC) is the checks' window end. key_limit None reads every failing key."""
    ctes = history_ctes(history)
    counted = wh.query(_body(read_sql("history/count_history_rows.sql")).replace("{ctes}", ctes), {"since": since})
    rows = int(counted[0]["ROWS_CHECKED"])
    params = history.contract.params | {"since": since, "window_end": as_of, "key_limit": key_limit}
    wrapper = _body(read_sql("history/select_history_failures.sql")).replace("{ctes}", ctes)
    checks = [c for c in history.checks if check_ids is None or c.check_id in check_ids]
    return [_run_check(wh, wrapper, history, check, rows, params) for check in checks]


def _run_check(
    wh: Session, wrapper: str, history: HistoryDataset, check: RowCheck, rows: int, params: dict[str, Any]
) -> HistoryCheck:
    casts = {name: "TIMESTAMP_NTZ" for name, value in params.items() if isinstance(value, datetime)}
    sql = wrapper.replace("{check}", check_sql(check, history.dataset, casts))
    started = time.perf_counter()
    found = wh.query(sql, _bound(sql, params | dict(check.params)))
    seconds = time.perf_counter() - started
    failed = int(found[0]["ROWS_FAILED"]) if found else 0
    result = CheckResult(
        check.check_id,
        history.dataset,
        check.severity,
        rows,
        failed,
        check.expected,
        f"{failed} of {rows} rows fail",
        check.column,
    )
    return HistoryCheck(result, tuple(str(r["FAILING_KEY"]) for r in found), seconds)


def _bound(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters the statement names; KeyError naming any it needs and nobody gives."""
    names = set(PYFORMAT.findall(sql))
    missing = names - set(params)
    if missing:
        raise KeyError(f"history query needs parameters {sorted(missing)}")
    return {name: params[name] for name in names}


def _body(sql: str) -> str:
    """A query file's text without its comment lines (they may hold characters pyformat would read)."""
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).strip()


def check_selection(source: str, check_ids: Sequence[str] | None) -> None:
    """Refuse, without the warehouse, a source with no warehouse path or a check id none of its datasets declares:
    ValueError naming it and what is known."""
    if source not in SOURCES:
        raise ValueError(
            f"audit-history: no full-history path for {source!r} (it has: {', '.join(SOURCES)}, consistency); "
            "payments' checks read envelopes parsed in DuckDB, which CORE does not keep (README, Full-history checks)"
        )
    known = [c.check_id for h in SOURCES[source] for c in h.checks]
    unknown = sorted(set(check_ids or ()) - set(known))
    if unknown:
        raise ValueError(f"--checks: {', '.join(unknown)} not declared for {source}; known checks: {', '.join(known)}")


def audit_source(
    wh: Session,
    source: str,
    *,
    as_of: datetime,
    since: datetime = EPOCH,
    check_ids: Sequence[str] | None = None,
    key_limit: int | None = 20,
) -> list[HistoryCheck]:
    """Every dataset of a source over its history (naive UTC `since`, `as_of`). ValueError, before any query, for
    a source without a warehouse path or a check id none of its datasets declares."""
    check_selection(source, check_ids)
    return [
        found
        for history in SOURCES[source]
        for found in audit_dataset(wh, history, since=since, as_of=as_of, check_ids=check_ids, key_limit=key_limit)
    ]
