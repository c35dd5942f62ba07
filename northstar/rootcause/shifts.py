"""Distribution shifts of the affected batches against the trailing week, as source-change evidence: quarantine
reasons, order amounts, the status mix and columns' null rates. Pure functions of the fetched Evidence."""

from __future__ import annotations

from collections import Counter

from northstar.money import money
from northstar.rootcause.evidence import Evidence
from northstar.rootcause.items import SOURCE_CHANGE, Item, _ids


def _reason_shift(ev: Evidence, affected: set[str], baseline: set[str]) -> list[Item]:
    """Quarantine reasons of the affected batches the trailing week never gave (only when it has batches)."""
    if not baseline:
        return []
    before = {r["REASON"] for r in ev.quarantine if r["BATCH_ID"] in baseline}
    now: Counter[str] = Counter()
    for r in ev.quarantine:
        if r["BATCH_ID"] in affected and r["REASON"] not in before:
            now[r["REASON"]] += int(r["N"])
    if not now:
        return []
    text = ", ".join(f"{reason} ({n} rows)" for reason, n in now.most_common(5))
    batches = {r["BATCH_ID"] for r in ev.quarantine if r["BATCH_ID"] in affected and r["REASON"] in now}
    return [
        Item(
            SOURCE_CHANGE,
            f"quarantine-reason mix shifted: new against the trailing week: {text}",
            0.2,
            "sql/rootcause/select_quarantine_reasons_in_range.sql",
            **_ids(ev, batches),
        )
    ]


def _amount_shift(ev: Evidence) -> list[Item]:
    """The day's median order amount more than doubled or halved against the trailing days' (by currency)."""
    day: dict[str, list[tuple[int, float]]] = {}  # currency -> (n, p50) per status
    before: dict[str, list[tuple[int, float]]] = {}
    for r in ev.distribution:
        bucket = day if r["DAY"] >= ev.low.date() else before
        bucket.setdefault(r["CURRENCY"], []).append((int(r["N"]), float(r["AMOUNT_P50"] or 0)))
    items = []
    for currency, rows in day.items():
        if currency not in before:
            continue
        now, then = _weighted(rows), _weighted(before[currency])
        if then > 0 and (now / then > 2 or now / then < 0.5):
            items.append(
                Item(
                    SOURCE_CHANGE,
                    f"{currency} order amounts shifted: median {money(round(now), currency)} on the day against "
                    f"{money(round(then), currency)} over the trailing week",
                    0.25,
                    "sql/rootcause/select_order_distribution.sql",
                )
            )
    return items


STATUS_SHARE_SHIFT = 0.25  # a status's share of the day's orders moving 25 points from the trailing week's


def _status_mix_shift(ev: Evidence) -> list[Item]:
    """Statuses whose share of the day's orders (CORE) moved by STATUS_SHARE_SHIFT or more against the trailing
    week's (only when the week has orders)."""
    day: Counter[str] = Counter()
    before: Counter[str] = Counter()
    for r in ev.distribution:
        (day if r["DAY"] >= ev.low.date() else before)[str(r["STATUS"])] += int(r["N"])
    if not day or not before:
        return []
    n_day, n_before = sum(day.values()), sum(before.values())
    moved = [
        (status, day[status] / n_day, before[status] / n_before)
        for status in sorted(set(day) | set(before))
        if abs(day[status] / n_day - before[status] / n_before) >= STATUS_SHARE_SHIFT
    ]
    if not moved:
        return []
    text = ", ".join(f"{s} {now:.0%} (trailing week {was:.0%})" for s, now, was in moved)
    return [
        Item(
            SOURCE_CHANGE,
            f"status mix shifted: {text} of {n_day} orders on the day against {n_before} over the trailing week",
            0.15,
            "sql/rootcause/select_order_distribution.sql",
        )
    ]


NULL_RATE_JUMP = 0.05  # a column's null rate rising by 5 points or more, and at least doubling, is a shift


def _null_shift(ev: Evidence, affected: set[str], baseline: set[str]) -> list[Item]:
    """Columns whose null rate (a not_null check's failed rows over its checked rows) in the affected batches jumped
    against the trailing week's (only when the week has batches that checked the column)."""
    if not baseline:
        return []
    now: dict[tuple[str, str], list[int]] = {}
    before: dict[tuple[str, str], list[int]] = {}
    for r in ev.null_rates:
        bucket = now if r["BATCH_ID"] in affected else before if r["BATCH_ID"] in baseline else None
        if bucket is not None:
            sums = bucket.setdefault((r["DATASET"], r["COLUMN_NAME"]), [0, 0, 0])
            sums[0] += int(r["ROWS_FAILED"] or 0)
            sums[1] += int(r["ROWS_CHECKED"] or 0)
    items = []
    for (dataset, column), (failed, checked, _) in sorted(now.items()):
        was_failed, was_checked, _ = before.get((dataset, column), [0, 0, 0])
        if not checked or not was_checked:
            continue
        rate, was = failed / checked, was_failed / was_checked
        if rate - was >= NULL_RATE_JUMP and rate >= 2 * was:
            batches = {r["BATCH_ID"] for r in ev.null_rates if r["BATCH_ID"] in affected and r["ROWS_FAILED"]}
            items.append(
                Item(
                    SOURCE_CHANGE,
                    f"null rate of {dataset}.{column} jumped to {rate:.1%} ({failed} of {checked} rows) in the "
                    f"affected batches from {was:.1%} ({was_failed} of {was_checked}) over the trailing week",
                    0.25,
                    "sql/rootcause/select_null_rates_in_range.sql",
                    **_ids(ev, batches),
                )
            )
    return items


def _weighted(rows: list[tuple[int, float]]) -> float:
    total = sum(n for n, _ in rows)
    return sum(n * v for n, v in rows) / total if total else 0.0
