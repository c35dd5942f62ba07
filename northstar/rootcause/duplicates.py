"""A duplicate-rate breach, traced to who made the duplicates: pairs of two order ids the source published once each
are the source creating one purchase twice (source change, with the day's rate against the trailing week's); an
order id CORE holds under two batches is our load taking one order twice (an ETL bug: idempotency). Pure functions of
the fetched Evidence."""

from __future__ import annotations

from typing import Any

from northstar.money import money
from northstar.rootcause.evidence import TRAILING_DAYS, Evidence
from northstar.rootcause.items import ETL_BUG, SOURCE_CHANGE, Item, _ids

SOURCE_PAIRS = "the source created "  # the claim's start; verdict.next_step keys on it
PAIR_WEIGHT, RATE_SHIFT_WEIGHT, TAKEN_TWICE_WEIGHT = 0.45, 0.2, 0.6
QUERY = "sql/rootcause/select_duplicate_candidates_day.sql"


def source_duplicates(ev: Evidence) -> list[Item]:
    """On a duplicate_rate breach: the pairs the source published as two order ids (each held once), and the day's
    rate against the trailing week's when the week has orders and stayed within the SLA. For `--order ID`: the
    source's pairs that order is in, whatever the rate."""
    source, _ = _split(ev)
    if ev.subject.kind == "order":
        source = order_pairs(ev, source)
        if source:
            return [_pairs_item(ev, source)]
    off = _breach(ev)
    if not off or not source:
        return []
    items = [_pairs_item(ev, source)]
    before = ev.duplicates_before
    orders, flagged = int(before.get("ORDERS") or 0), int(before.get("DUPLICATES") or 0)
    rate, threshold = float(off["VALUE"]), float(off["THRESHOLD"])
    if orders and flagged / orders < threshold <= rate:
        day_flagged = len({r["ORDER_ID"] for r in ev.duplicates})
        items.append(
            Item(
                SOURCE_CHANGE,
                f"duplicate rate shifted: {rate:.2%} on {ev.subject.day} ({day_flagged} duplicate order(s), measured "
                f"by {off['BATCH_ID']}) against {flagged / orders:.2%} over the trailing {TRAILING_DAYS} days "
                f"({flagged} of {orders} orders)",
                RATE_SHIFT_WEIGHT,
                "sql/rootcause/select_duplicate_rate_trailing.sql",
                **_ids(ev, {off["BATCH_ID"]}),
            )
        )
    return items


def _pairs_item(ev: Evidence, source: list[dict[str, Any]]) -> Item:
    pairs = "; ".join(_pair_text(r) for r in source[:5])
    batches = {b for r in source for b in (r["ORDER_BATCH_ID"], r["DUPLICATE_OF_BATCH_ID"]) if b}
    return Item(
        SOURCE_CHANGE,
        f"{SOURCE_PAIRS}{len(source)} purchase(s) twice, each as two order ids it published once: {pairs}",
        PAIR_WEIGHT,
        QUERY,
        **_ids(ev, batches),
        rows=tuple(source[:10]),
    )


def order_pairs(ev: Evidence, pairs: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The duplicate pairs (of the day's, or of pairs) that the subject's order is in, as the later or the earlier
    order: one row per pair."""
    order = int(ev.subject.value)
    seen: dict[tuple[int, int], dict[str, Any]] = {}
    for r in ev.duplicates if pairs is None else pairs:
        if order in (int(r["ORDER_ID"]), int(r["DUPLICATE_OF"])):
            seen.setdefault((int(r["ORDER_ID"]), int(r["DUPLICATE_OF"])), r)
    return list(seen.values())


def taken_twice(ev: Evidence) -> list[Item]:
    """On a duplicate_rate breach: pairs that are one order id taken by two batches (CORE holds it twice) or paired
    with itself, which the keyed load should have merged into one row."""
    held = _held_by(ev)
    _, ours = _split(ev)
    if not _breach(ev) or not ours:
        return []
    ids = sorted({o for r in ours for o in (int(r["ORDER_ID"]), int(r["DUPLICATE_OF"])) if len(held.get(o, ())) > 1})
    ids = ids or sorted({int(r["ORDER_ID"]) for r in ours})
    text = "; ".join(f"order {o} under {', '.join(sorted(held.get(o, ())) or ['?'])}" for o in ids[:5])
    return [
        Item(
            ETL_BUG,
            f"{len(ids)} order id(s) taken by two batches and held twice in CORE, counted as duplicates: {text} "
            "(the keyed merge should have kept one row: an idempotency fault of the load, not two purchases)",
            TAKEN_TWICE_WEIGHT,
            QUERY,
            **_ids(ev, {b for o in ids for b in held.get(o, ())}),
            rows=tuple(ours[:10]),
        )
    ]


def _breach(ev: Evidence) -> dict[str, Any] | None:
    """The latest duplicate_rate measurement of the day outside the SLA, when the subject is the duplicate rate."""
    if ev.subject.metric != "duplicate_rate":
        return None
    off = [r for r in ev.sla if r["WITHIN_SLA"] is False]
    return off[-1] if off else None


def _held_by(ev: Evidence) -> dict[int, set[str]]:
    """Order id -> the batches of CORE's rows of it (more than one: CORE holds the order twice)."""
    held: dict[int, set[str]] = {}
    for r in ev.duplicates:
        for order, batch in ((r["ORDER_ID"], r["ORDER_BATCH_ID"]), (r["DUPLICATE_OF"], r["DUPLICATE_OF_BATCH_ID"])):
            held.setdefault(int(order), set()).update([batch] if batch else [])
    return held


def _split(ev: Evidence) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The day's pairs (one row each) split into the source's (two order ids, each held once) and ours."""
    held = _held_by(ev)
    source: list[dict[str, Any]] = []
    ours: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    for r in ev.duplicates:
        key = (int(r["ORDER_ID"]), int(r["DUPLICATE_OF"]))
        if key in seen:
            continue
        seen.add(key)
        twice = key[0] == key[1] or any(len(held.get(o, ())) > 1 for o in key)
        (ours if twice else source).append(r)
    return source, ours


def _pair_text(r: dict[str, Any]) -> str:
    apart = ""
    if r["CREATED_AT"] is not None and r["DUPLICATE_OF_CREATED_AT"] is not None:
        apart = f", created {(r['CREATED_AT'] - r['DUPLICATE_OF_CREATED_AT']).total_seconds():.0f} s apart"
    return (
        f"order {r['ORDER_ID']} duplicates {r['DUPLICATE_OF']} ({r['RULE_ID']}: customer {r['CUSTOMER_ID']}, "
        f"{money(r['TOTAL_AMOUNT_MINOR'], r['CURRENCY'])}{apart}; published by {r['ORDER_BATCH_ID']} and "
        f"{r['DUPLICATE_OF_BATCH_ID']})"
    )
