"""Source reconciliation for orders: prove, per created day, that CORE holds exactly what PostgreSQL holds.

The watermark extract misses rows for many reasons (a NULL or wrong updated_at, a restore, a bulk fix that did not
touch updated_at, a delete). This compares, per created day (UTC), the count and an order-independent digest of
(order_id, updated_at) on both sides (sql/postgres/reconcile_orders_*.sql against sql/snowflake/
reconcile_core_orders_*.sql: the same formula in both dialects). Where a day differs, its key range is split into
`fanout` ranges and only the ranges that differ are split again (data-diff's bisection), until a range holds at most
`threshold` orders: then its keys are fetched from both sides and compared. Ranges that agree cost one digest row.

Differences are classified: `missing` (in the source, not in CORE), `stale` (CORE holds another updated_at),
`deleted` (in CORE, no row left in the source), `quarantined` (the source's version is in QUARANTINE.ORDERS:
nothing to repair). Orders whose latest source version is known to be quarantined (with its reasons) are accounted
for before any comparison: their own digests are taken out of both sides' day and range digests, so a day whose
only differences are quarantined rows proves complete in one query per side; they are still reported.
mark_deleted() records deletes; re-extracting missing and stale orders is the repair batch's job
(flows/orders_repair.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import adbc_driver_postgresql.dbapi as pg_dbapi

from northstar.sources.orders.postgres import SourceUnavailableError
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse

FANOUT = 32  # ranges a differing range is split into (data-diff's bisection factor)
THRESHOLD = 2_048  # a range with at most this many orders on either side is compared key by key
Digest = tuple[int, int, int]  # (count, h1, h2)
NO_STAMP = -1  # a version without updated_at


@dataclass
class OrdersDiff:
    """What a reconciliation found over [low, high) (UTC, by created_at). Ids are order ids."""

    low: datetime
    high: datetime
    days_checked: int = 0
    days_differing: list[date] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    quarantined: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)  # in CORE under another created day than the source says
    queries: int = 0  # digest and key queries run, both sides
    keys_fetched: int = 0
    core_orders: int = 0  # CORE's orders (not marked deleted) created in the range: what the deletes are out of
    seconds: float = 0.0

    @property
    def to_repair(self) -> list[int]:
        """The orders a repair batch re-extracts: missing, stale and moved."""
        return sorted(set(self.missing) | set(self.stale) | set(self.moved))

    @property
    def complete(self) -> bool:
        """True when every difference is a known quarantine (nothing missing, stale or deleted)."""
        return not (self.to_repair or self.deleted)

    def as_dict(self) -> dict[str, Any]:
        return {
            "low": self.low.isoformat(),
            "high": self.high.isoformat(),
            "days_checked": self.days_checked,
            "days_differing": [d.isoformat() for d in self.days_differing],
            "missing": self.missing,
            "stale": self.stale,
            "moved": self.moved,
            "deleted": self.deleted,
            "quarantined": self.quarantined,
            "queries": self.queries,
            "keys_fetched": self.keys_fetched,
            "core_orders": self.core_orders,
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
        }


@dataclass(frozen=True)
class _Known:
    """An order whose latest source version is quarantined: its day and own digest (r1, r2) on each side."""

    source_day: date
    source: tuple[int, int]
    core_day: date | None = None
    core: tuple[int, int] | None = None


class _Sides:
    """The two sides' queries: PostgreSQL through ADBC, the warehouse through its client."""

    def __init__(self, cur: Any, wh: Warehouse, diff: OrdersDiff) -> None:
        self.cur, self.wh, self.diff = cur, wh, diff
        self.known: dict[int, _Known] = {}  # orders whose latest source version is quarantined

    def source(self, relative: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        self.diff.queries += 1
        self.cur.execute(read_sql(relative), params)
        return [tuple(row) for row in self.cur.fetchall()]

    def core(self, relative: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.diff.queries += 1
        return self.wh.query(read_sql(relative), params)


def reconcile_orders(dsn: str, wh: Warehouse, low: datetime, high: datetime, threshold: int = THRESHOLD) -> OrdersDiff:
    """Compare the orders created in [low, high) (UTC) in the source with CORE.ORDERS; the differences found.

    The source is read in one REPEATABLE READ snapshot. Rows committed to CORE while this runs may show up as
    differences: run it between batches, or re-run to confirm (a repair of an order already current is a no-op).
    Raises SourceUnavailableError when the source cannot be read.
    """
    diff = OrdersDiff(low.astimezone(UTC), high.astimezone(UTC))
    t0 = time.perf_counter()
    naive_low, naive_high = _naive(low), _naive(high)
    try:
        with pg_dbapi.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            sides = _Sides(cur, wh, diff)
            source_days = {
                row[0]: row[1:] for row in sides.source("postgres/reconcile_orders_by_day.sql", (diff.low, diff.high))
            }
            core_days = {
                r["DAY"]: (r["N"], r["H1"], r["H2"], r["LO"], r["HI"])
                for r in sides.core(
                    "snowflake/reconcile_core_orders_by_day.sql", {"low": naive_low, "high": naive_high}
                )
            }
            diff.core_orders = sum(int(v[0]) for v in core_days.values())
            sides.known = _known_quarantined(sides, diff.low, diff.high)
            for known in sides.known.values():
                _subtract(source_days, known.source_day, known.source)
                if known.core_day is not None and known.core is not None:
                    _subtract(core_days, known.core_day, known.core)
            diff.quarantined = sorted(sides.known)
            days = sorted(set(source_days) | set(core_days))
            diff.days_checked = len(days)
            extra: set[int] = set()
            for day in days:
                s, c = source_days.get(day), core_days.get(day)
                if _digest(s or (0, 0, 0)) == _digest(c or (0, 0, 0)):
                    continue
                diff.days_differing.append(day)
                lo = min(int(v[3]) for v in (s, c) if v is not None and v[3] is not None)
                hi = max(int(v[4]) for v in (s, c) if v is not None and v[4] is not None)
                day_low = datetime.combine(day, datetime.min.time(), UTC)
                bounds = (max(day_low, diff.low), min(day_low + timedelta(days=1), diff.high))
                _bisect(sides, bounds, lo, hi, threshold, extra)
            _classify(cur, wh, diff, extra)
    except pg_dbapi.Error as exc:
        raise SourceUnavailableError(f"orders source reconciliation failed: {exc}") from exc
    diff.seconds = time.perf_counter() - t0
    return diff


def earliest_created(dsn: str, wh: Warehouse) -> datetime | None:
    """The earliest created_at (UTC) of an order in the source (one with an order_id) or in CORE.ORDERS; None when
    neither holds an order. Raises SourceUnavailableError when the source cannot be read."""
    try:
        with pg_dbapi.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(read_sql("postgres/select_orders_earliest_created.sql"))
            row = cur.fetchone()
    except pg_dbapi.Error as exc:
        raise SourceUnavailableError(f"orders source reconciliation failed: {exc}") from exc
    core = wh.query(read_sql("snowflake/select_core_orders_earliest_created.sql"))[0]["EARLIEST"]
    found = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in (row[0] if row else None, core) if m is not None]
    return min(found).astimezone(UTC) if found else None


def _bisect(
    sides: _Sides, bounds: tuple[datetime, datetime], lo: int, hi: int, threshold: int, extra: set[int]
) -> None:
    """Split [lo, hi] into FANOUT ranges, descend only into those that differ; compare small ranges by key."""
    low, high = bounds
    params = {"low": _naive(low), "high": _naive(high), "lo": lo, "hi": hi, "k": FANOUT}
    source = {
        int(r[0]): _digest(r[1:])
        for r in sides.source("postgres/reconcile_orders_segments.sql", (low, high, lo, hi, FANOUT))
    }
    core = {
        int(r["BUCKET"]): _digest((r["N"], r["H1"], r["H2"]))
        for r in sides.core("snowflake/reconcile_core_orders_segments.sql", params)
    }
    span = hi - lo + 1
    day = low.date()
    for order_id, known in sides.known.items():
        if lo <= order_id <= hi:
            bucket = (order_id - lo) * FANOUT // span
            if known.source_day == day:
                source[bucket] = _minus(source.get(bucket), known.source)
            if known.core_day == day and known.core is not None:
                core[bucket] = _minus(core.get(bucket), known.core)
    for bucket in sorted(set(source) | set(core)):
        s, c = source.get(bucket, (0, 0, 0)), core.get(bucket, (0, 0, 0))
        if s == c:
            continue
        b_lo = lo + (bucket * span + FANOUT - 1) // FANOUT
        b_hi = lo + ((bucket + 1) * span + FANOUT - 1) // FANOUT - 1
        biggest = max(s[0], c[0])
        if biggest <= threshold or b_hi - b_lo + 1 <= FANOUT:
            _compare_keys(sides, (low, high), b_lo, b_hi, extra)
        else:
            _bisect(sides, bounds, b_lo, b_hi, threshold, extra)


def _compare_keys(sides: _Sides, bounds: tuple[datetime, datetime], lo: int, hi: int, extra: set[int]) -> None:
    low, high = bounds
    rows = sides.source("postgres/reconcile_orders_keys.sql", (low, high, lo, hi))
    source = {int(k): (int(r1), int(r2)) for k, r1, r2 in rows}
    params = {"low": _naive(low), "high": _naive(high), "lo": lo, "hi": hi}
    core = {
        int(r["ORDER_ID"]): (int(r["R1"]), int(r["R2"]))
        for r in sides.core("snowflake/reconcile_core_orders_keys.sql", params)
    }
    sides.diff.keys_fetched += len(source) + len(core)
    day = low.date()
    for order_id, known in sides.known.items():  # accounted for already
        if known.source_day == day:
            source.pop(order_id, None)
        if known.core_day == day:
            core.pop(order_id, None)
    for order_id, digest in source.items():
        if order_id not in core:
            sides.diff.missing.append(order_id)
        elif core[order_id] != digest:
            sides.diff.stale.append(order_id)
    extra.update(k for k in core if k not in source)


def _classify(cur: Any, wh: Warehouse, diff: OrdersDiff, extra: set[int]) -> None:
    """extra (in CORE for a day, not in the source's): deleted when no source row is left, else moved. Missing or
    stale orders whose source version is the quarantined one are quarantined, not repaired."""
    if extra:
        cur.execute(read_sql("postgres/select_orders_present.sql"), (",".join(map(str, sorted(extra))),))
        present = {int(row[0]) for row in cur.fetchall()}
        diff.deleted = sorted(extra - present)
        diff.moved = sorted(extra & present)
    suspects = sorted(set(diff.missing) | set(diff.stale))
    if not suspects:
        return
    cur.execute(read_sql("postgres/reconcile_orders_versions.sql"), (",".join(map(str, suspects)),))
    source_us = {int(k): (NO_STAMP if v is None else int(v)) for k, v in cur.fetchall()}
    versions = _quarantined_versions(wh, suspects)
    quarantined = {k for k in suspects if k in source_us and source_us[k] in versions.get(k, set())}
    diff.quarantined = sorted(set(diff.quarantined) | quarantined)
    diff.missing = sorted(set(diff.missing) - quarantined)
    diff.stale = sorted(set(diff.stale) - quarantined)


def _known_quarantined(sides: _Sides, low: datetime, high: datetime) -> dict[int, _Known]:
    """The orders created in [low, high) whose latest source version is one of their quarantined versions, with
    their digests on both sides (one query for the quarantine, one on the source per 100,000 quarantined orders,
    one on the warehouse)."""
    versions: dict[int, set[int]] = {}
    for row in sides.core("snowflake/select_quarantine_orders_since.sql", {"low": _naive(low)}):
        versions.setdefault(int(row["ORDER_ID"]), set()).add(_record_us(row["RAW_RECORD"]))
    known: dict[int, _Known] = {}
    for chunk in _chunks(sorted(versions), 100_000):  # one text parameter: PostgreSQL takes a long list at once
        for order_id, day, us, r1, r2 in sides.source("postgres/reconcile_orders_by_ids.sql",
                                                      (low, high, ",".join(map(str, chunk)))):  # fmt: skip
            if (NO_STAMP if us is None else int(us)) in versions[int(order_id)]:
                known[int(order_id)] = _Known(day, (int(r1), int(r2)))
    if known:
        for row in sides.core("snowflake/reconcile_core_orders_quarantined.sql", {"low": _naive(low)}):
            k = int(row["ORDER_ID"])
            if k in known:
                known[k] = _Known(known[k].source_day, known[k].source, row["DAY"], (int(row["R1"]), int(row["R2"])))
    return known


def _subtract(days: dict[Any, tuple[Any, ...]], day: date, own: tuple[int, int]) -> None:
    """Take one order's own digest out of a day's (count, h1, h2, lo, hi); the key range is kept."""
    if day in days:
        n, h1, h2, *bounds = days[day]
        days[day] = (int(n) - 1, int(h1 or 0) - own[0], int(h2 or 0) - own[1], *bounds)


def _minus(digest: Digest | None, own: tuple[int, int]) -> Digest:
    n, h1, h2 = digest or (0, 0, 0)
    return n - 1, h1 - own[0], h2 - own[1]


def _quarantined_versions(wh: Warehouse, order_ids: list[int]) -> dict[int, set[int]]:
    """Per order id, the updated_at (epoch microseconds) of each of its quarantined versions."""
    found: dict[int, set[int]] = {}
    for chunk in _chunks(order_ids, 1000):
        for row in wh.query(read_sql("snowflake/select_quarantine_orders_by_ids.sql"), {"ids": tuple(chunk)}):
            found.setdefault(int(row["ORDER_ID"]), set()).add(_record_us(row["RAW_RECORD"]))
    return found


def mark_deleted(wh: Warehouse, order_ids: list[int], batch_id: str, detected_at: datetime, how: str) -> int:
    """Mark orders deleted at the source in CORE.ORDERS and CORE.ORDER_LINES (_DELETED_AT) and record each in
    OPS.SOURCE_DELETES, in the caller's transaction; the number of orders newly marked."""
    marked = 0
    for chunk in _chunks(sorted(order_ids), 1000):
        params = {"ids": tuple(chunk), "detected_at": _naive(detected_at), "batch_id": batch_id, "how": how}
        before = wh.query("SELECT COUNT(*) AS N FROM OPS.SOURCE_DELETES WHERE BATCH_ID = %(batch_id)s", params)[0]["N"]
        wh.run_file("snowflake/update_core_orders_deleted.sql", params)
        after = wh.query("SELECT COUNT(*) AS N FROM OPS.SOURCE_DELETES WHERE BATCH_ID = %(batch_id)s", params)[0]["N"]
        marked += int(after) - int(before)
    return marked


def _record_us(raw: Any) -> int:
    """updated_at of a quarantined raw record (JSON text or dict) in epoch microseconds, NO_STAMP when it has none."""
    record = json.loads(raw) if isinstance(raw, str) else raw
    value = record.get("updated_at") if isinstance(record, dict) else None
    if not value:
        return NO_STAMP
    moment = datetime.fromisoformat(str(value))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))


def _digest(values: Iterable[Any]) -> Digest:
    n, h1, h2 = list(values)[:3]
    return int(n), int(h1 or 0), int(h2 or 0)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
