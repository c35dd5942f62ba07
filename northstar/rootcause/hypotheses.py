"""The four hypotheses, each a pure function of the fetched Evidence: what supports it, and how strongly (0..1).

The weights are rules of thumb, written once here: a contract break or a row published after its day was reconciled
is near proof; a code version that differs from the good days' is suggestive until a replay of the same raw under
the current code gives different rows; a mart that disagrees with a CORE that agrees with finance is near proof of
the mart's logic. `classify` ranks them; no inconsistency at all is `none`, whatever the weak signals say.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from northstar.money import money
from northstar.rootcause.duplicates import order_pairs, source_duplicates
from northstar.rootcause.evidence import REVENUE_METRICS, Evidence, gates_before_report, uncompared
from northstar.rootcause.items import (
    CONTRACT_CHECKS,
    SOURCE_CHANGE,
    VALUE_CHECKS,
    Finding,
    Item,
    Symptom,
    _ids,
    _score,
)
from northstar.rootcause.shifts import _amount_shift, _null_shift, _reason_shift, _status_mix_shift


def symptom(ev: Evidence) -> Symptom:
    """What is off for the subject's metric on its day (and whether it still is)."""
    items: list[Item] = []
    s = ev.subject
    if s.metric in REVENUE_METRICS or s.kind == "order":
        off = [r for r in ev.reconciliation if not r["WITHIN_SLA"]]
        if off:
            items.append(
                Item(
                    "symptom",
                    f"{len(off)} comparison(s) of {s.day} with finance were off (latest: "
                    f"{'off' if not ev.reconciliation[-1]['WITHIN_SLA'] else 'within SLA since'})",
                    1.0,
                    "sql/rootcause/select_daily_reconciliation_day.sql",
                    **_ids(ev, {r["BATCH_ID"] for r in off}),
                    rows=tuple(off[-3:]),
                )
            )
        items += _mart_disagreement(ev)
        if uncompared(ev):
            gates, report = gates_before_report(ev)
            items.append(
                Item(
                    "symptom",
                    f"{s.day} was never compared with finance: its report ({report[0] if report else ''}) landed "
                    f"after the gate run(s) covering the day ({', '.join(g['BATCH_ID'] for g in gates[-3:])})",
                    1.0,
                    "sql/rootcause/select_daily_reconciliation_day.sql",
                    **_ids(ev, {g["BATCH_ID"] for g in gates}),
                )
            )
    if s.metric in ("duplicate_rate", "freshness"):
        items += _sla_symptom(ev)
    if s.metric in ("quarantine_rate", "checks"):
        items += _check_symptom(ev)
    if s.kind == "order":
        flagged = [f for f in ev.order_facts if f["WHERE_FOUND"] != "core"]
        if flagged:
            items.append(
                Item(
                    "symptom",
                    f"order {s.value}: " + ", ".join(f"{f['WHERE_FOUND']} {f['DETAILS']}" for f in flagged),
                    1.0,
                    "sql/rootcause/select_order_facts.sql",
                    **_ids(ev, {f["BATCH_ID"] for f in flagged}),
                    rows=tuple(flagged),
                )
            )
        for pair in order_pairs(ev):
            other = pair["DUPLICATE_OF"] if int(pair["ORDER_ID"]) == int(s.value) else pair["ORDER_ID"]
            role = "duplicates" if other == pair["DUPLICATE_OF"] else "is duplicated by"
            items.append(
                Item(
                    "symptom",
                    f"order {s.value} {role} order {other} ({pair['RULE_ID']}, found by {pair['BATCH_ID']})",
                    1.0,
                    "sql/rootcause/select_duplicate_candidates_day.sql",
                    **_ids(ev, {pair["BATCH_ID"]}),
                    rows=(pair,),
                )
            )
    return Symptom(bool(items), tuple(items))


def _sla_symptom(ev: Evidence) -> list[Item]:
    """The metric's measurements outside the SLA, each with its value and threshold; a duplicate rate also names the
    day's candidate pairs and the orders batches that published them."""
    off = [r for r in ev.sla if r["WITHIN_SLA"] is False]
    if not off:
        return []
    unit = " minutes" if ev.subject.metric == "freshness" else ""
    values = "; ".join(
        f"{r['METRIC']} {float(r['VALUE']):.4g}{unit} against {float(r['THRESHOLD']):.4g}{unit} ({r['BATCH_ID']})"
        for r in off[-3:]
    )
    items = [
        Item(
            "symptom",
            f"{len(off)} {ev.subject.metric} measurement(s) of {ev.subject.day} outside the SLA: {values}",
            1.0,
            "sql/rootcause/select_sla_metrics_day.sql",
            **_ids(ev, {r["BATCH_ID"] for r in off}),
            rows=tuple(off[-3:]),
        )
    ]
    pairs = {(d["ORDER_ID"], d["DUPLICATE_OF"]): d for d in ev.duplicates}
    if pairs:
        batches = {b for d in pairs.values() for b in (d["ORDER_BATCH_ID"], d["DUPLICATE_OF_BATCH_ID"]) if b}
        items.append(
            Item(
                "symptom",
                f"{len(pairs)} duplicate order pair(s) of {ev.subject.day}: "
                + ", ".join(f"order {o} duplicates {f} ({d['RULE_ID']})" for (o, f), d in list(pairs.items())[:5]),
                1.0,
                "sql/rootcause/select_duplicate_candidates_day.sql",
                **_ids(ev, batches),
                rows=tuple(list(pairs.values())[:10]),
            )
        )
    return items


def _check_symptom(ev: Evidence) -> list[Item]:
    """Affected source batches that were held, or whose error checks failed beyond what the good days saw."""
    affected = {b["BATCH_ID"]: b for b in ev.affected_batches()}
    held = sorted(i for i, b in affected.items() if b["STATUS"] == "HELD")
    baseline = {b["BATCH_ID"] for b in ev.baseline_batches()}
    usual = {f["CHECK_ID"] for f in ev.failures if f["BATCH_ID"] in baseline and f["SEVERITY"] == "error"}
    new = [
        f
        for f in ev.failures
        if f["BATCH_ID"] in affected and f["SEVERITY"] == "error" and (f["CHECK_ID"] not in usual or not baseline)
    ]
    items = []
    if held:
        items.append(
            Item(
                "symptom",
                f"{len(held)} batch(es) held: " + "; ".join(f"{i} ({affected[i]['REASON']})" for i in held),
                1.0,
                "northstar batches",
                **_ids(ev, held),
            )
        )
    if new:
        checks = sorted({f"{f['CHECK_ID']} ({f['DATASET']})" for f in new})
        items.append(
            Item(
                "symptom",
                "error checks failing that the good days passed: " + ", ".join(checks),
                0.8,
                "sql/rootcause/select_check_failures_in_range.sql",
                **_ids(ev, {f["BATCH_ID"] for f in new}),
                rows=tuple(new[:10]),
            )
        )
    return items


def _mart_disagreement(ev: Evidence) -> list[Item]:
    """The live publication's revenue of the day against finance's figure (the latest comparison)."""
    finance = _finance_by_currency(ev)
    live = next((p for p in ev.publications if p["STATUS"] == "live"), None)
    if not live or not finance:
        return []
    values = {r["CURRENCY"]: int(r["NET_REVENUE_MINOR"]) for r in ev.mart_values.get(live["PUBLICATION_ID"], [])}
    off = {c: (values[c], finance[c]) for c in values if c in finance and values[c] != finance[c]}
    if not off:
        return []
    text = ", ".join(f"{c} mart {money(m, c)} vs finance {money(f, c)}" for c, (m, f) in sorted(off.items()))
    return [
        Item(
            "symptom",
            f"the live marts ({live['PUBLICATION_ID']}) disagree with finance on {ev.subject.day}: {text}",
            1.0,
            f"SELECT * FROM MARTS.FCT_DAILY_REVENUE WHERE BUSINESS_DATE = '{ev.subject.day}'",
            batch_ids=(live["GATE_BATCH_ID"],),
        )
    ]


def _finance_by_currency(ev: Evidence) -> dict[str, int]:
    latest: dict[str, dict[str, Any]] = {}
    for r in ev.reconciliation:
        if r["FINANCE_NET_MINOR"] is not None:
            latest[r["CURRENCY"]] = r
    return {c: int(r["FINANCE_NET_MINOR"]) for c, r in latest.items()}


NEW_VALUES_WEIGHT = 0.25  # with the value check that quarantined them (0.35): 0.6, a source change beyond doubt


def source_change(ev: Evidence) -> Finding:
    """The contract or the values changed in the affected batches, or a distribution shifted against the week."""
    items: list[Item] = []
    affected = {b["BATCH_ID"] for b in ev.affected_batches()}
    baseline = {b["BATCH_ID"] for b in ev.baseline_batches()}
    mine = [f for f in ev.failures if f["BATCH_ID"] in affected]
    for check_ids, weight, what in (
        (CONTRACT_CHECKS, 0.6, "the source's contract changed"),
        (VALUE_CHECKS, 0.35, "values the contract does not know"),
    ):
        hits = [f for f in mine if f["CHECK_ID"] in check_ids and f["ROWS_FAILED"]]
        if hits:
            claim = f"{what}: " + "; ".join(f"{f['CHECK_ID']} on {f['DATASET']}: {f['ACTUAL']}" for f in hits[:5])
            items.append(
                Item(
                    SOURCE_CHANGE,
                    claim,
                    weight,
                    "sql/rootcause/select_check_failures_in_range.sql",
                    **_ids(ev, {f["BATCH_ID"] for f in hits}),
                    rows=tuple(hits[:5]),
                )
            )
    items += _new_values(ev, affected, baseline)
    items += _stripe_shift(ev, affected, baseline) + _reason_shift(ev, affected, baseline) + _amount_shift(ev)
    items += _null_shift(ev, affected, baseline) + _status_mix_shift(ev) + source_duplicates(ev)
    return Finding(SOURCE_CHANGE, _score(items), tuple(items))


def _new_values(ev: Evidence, affected: set[str], baseline: set[str]) -> list[Item]:
    """The unknown status and currency values the affected batches quarantined that the trailing week never sent."""
    before = {(r["STATUS"], r["CURRENCY"]) for r in ev.unknown_values if r["BATCH_ID"] in baseline}
    counts: Counter[str] = Counter()
    batches = set()
    for r in ev.unknown_values:
        if r["BATCH_ID"] in affected and (r["STATUS"], r["CURRENCY"]) not in before:
            column = "status" if r["REASON"] == "schema.status_allowed" else "currency"
            counts[f"{column} {r[column.upper()]!r}"] += int(r["N"])
            batches.add(r["BATCH_ID"])
    if not counts:
        return []
    text = ", ".join(f"{value} ({n} rows)" for value, n in counts.most_common(5))
    return [
        Item(
            SOURCE_CHANGE,
            f"new values the source sends, unseen in the trailing week: {text}",
            NEW_VALUES_WEIGHT,
            "sql/rootcause/select_unknown_values_in_range.sql",
            **_ids(ev, batches),
        )
    ]


def _stripe_shift(ev: Evidence, affected: set[str], baseline: set[str]) -> list[Item]:
    before_versions = {r["API_VERSION"] for r in ev.stripe if r["BATCH_ID"] in baseline}
    before_types = {r["EVENT_TYPE"] for r in ev.stripe if r["BATCH_ID"] in baseline}
    if not before_versions:
        return []
    now = [r for r in ev.stripe if r["BATCH_ID"] in affected]
    items = []
    new_versions = sorted({r["API_VERSION"] for r in now} - before_versions, key=str)
    new_types = sorted({r["EVENT_TYPE"] for r in now} - before_types, key=str)
    for values, weight, what in ((new_versions, 0.4, "new Stripe api_version"), (new_types, 0.2, "new event type")):
        if values:
            batches = {r["BATCH_ID"] for r in now if r["API_VERSION"] in values or r["EVENT_TYPE"] in values}
            items.append(
                Item(
                    SOURCE_CHANGE,
                    f"{what} in the affected batches, unseen in the trailing week: " + ", ".join(map(str, values)),
                    weight,
                    "sql/rootcause/select_stripe_versions_in_range.sql",
                    **_ids(ev, batches),
                )
            )
    return items
