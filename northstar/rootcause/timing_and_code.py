"""Three hypotheses about the pipeline rather than the source's shape: data that arrived late, a bug in the code that
loaded the affected batches, and the marts' transformation logic. Pure functions of the fetched Evidence."""

from __future__ import annotations

from collections import Counter
from typing import Any

from northstar.batches import utc_text
from northstar.money import money, money_by_currency
from northstar.rootcause.duplicates import taken_twice
from northstar.rootcause.evidence import Evidence, gates_before_report
from northstar.rootcause.items import ETL_BUG, LATE, TRANSFORMATION, Finding, Item, _ids, _score


def late_arriving_data(ev: Evidence) -> Finding:
    """Rows of the day published after the day was reconciled or far after their event time; references that
    waited for their order; finance's report missing at a comparison and present at a later one."""
    items: list[Item] = []
    after = ev.published_after
    if after:
        totals: dict[str | None, int] = {}
        for r in after:
            totals[r["CURRENCY"]] = totals.get(r["CURRENCY"], 0) + int(r["AMOUNT"] or 0)
        items.append(
            Item(
                LATE,
                f"{_counted(after)} payment/refund row(s) of {ev.subject.day} (amount {money_by_currency(totals)}"
                f"{'' if _total(after) == len(after) else ' for those listed'}) "
                "were published after a comparison of the day with finance that should have counted them (the one "
                f"up to {utc_text(after[0]['RECONCILED_AT'])}): "
                + ", ".join(
                    f"{r['KIND']} {r['KEY']} created {utc_text(r['CREATED_AT'])} in batch {r['BATCH_ID']}"
                    for r in after[:5]
                ),
                0.65,
                "sql/rootcause/select_published_after_reconciled.sql",
                **_ids(ev, {r["BATCH_ID"] for r in after}),
                rows=tuple(after[:10]),
            )
        )
    if ev.late_rows:
        worst = ev.late_rows[0]
        items.append(
            Item(
                LATE,
                f"{_counted(ev.late_rows)} row(s) of the day reached a batch whose window began more than "
                f"the {ev.overlap_minutes}-minute overlap after their event time (worst: {worst['KIND']} "
                f"{worst['KEY']}, {worst['MINUTES_LATE']} minutes)",
                0.3,
                "sql/rootcause/select_late_event_rows.sql",
                **_ids(ev, {r["BATCH_ID"] for r in ev.late_rows}),
                rows=tuple(ev.late_rows[:10]),
            )
        )
    waited = [r for r in ev.references if r["STATE"] in ("pending", "released", "orphaned")]
    if waited:
        states = Counter(r["STATE"] for r in waited)
        items.append(
            Item(
                LATE,
                f"{len({r['REF_KEY'] for r in waited})} reference(s) arrived before their order of "
                f"the day and waited ({dict(states)}): "
                + ", ".join(
                    f"{r['REF_KIND']} {r['REF_KEY']} -> order {r['ORDER_ID']} {r['STATE']}" for r in waited[:5]
                ),
                0.35,
                "sql/rootcause/select_reference_transitions_day.sql",
                **_ids(ev, {r["SOURCE_BATCH_ID"] for r in waited} | {r["ORDER_BATCH_ID"] for r in waited}),
                rows=tuple(waited[:10]),
            )
        )
    items += _finance_late(ev) + _finance_after_gate(ev) + _stale_sources(ev)
    return Finding(LATE, _score(items), tuple(items))


def _total(rows: list[dict[str, Any]]) -> int:
    """The query's count of all its rows (TOTAL_ROWS, before its LIMIT), or the rows fetched."""
    return int(rows[0].get("TOTAL_ROWS") or len(rows)) if rows else 0


def _counted(rows: list[dict[str, Any]]) -> str:
    """The count as a claim says it: "3" when all were fetched, "527 (first 100 listed)" when the LIMIT cut them."""
    total = _total(rows)
    return str(total) if total == len(rows) else f"{total} (first {len(rows)} listed)"


def _finance_after_gate(ev: Evidence) -> list[Item]:
    """Finance's report of the day landed after gate runs that covered the day: they could not compare it."""
    gates, report = gates_before_report(ev)
    if not gates or report is None:
        return []
    compared = ev.reconciliation[0]["BATCH_ID"] if ev.reconciliation else None
    since = f"first compared by {compared}" if compared else "no gate has compared the day with finance since"
    return [
        Item(
            LATE,
            f"finance's report for {ev.subject.day} ({report[0]}) landed at {report[1]:%Y-%m-%d %H:%M:%S} UTC, after "
            f"{len(gates)} gate run(s) covering the day had run without it (last: {gates[-1]['BATCH_ID']}, started "
            f"{gates[-1]['STARTED_AT']:%Y-%m-%d %H:%M:%S}); {since}",
            0.4,
            f"sql/rootcause/select_batches_in_range.sql; landing: {report[0]}",
            **_ids(ev, {g["BATCH_ID"] for g in gates} | ({compared} if compared else set())),
        )
    ]


def _stale_sources(ev: Evidence) -> list[Item]:
    """For a freshness breach: each late source's newest committed window and what its batches did after it."""
    if ev.subject.metric != "freshness":
        return []
    items = []
    for r in ev.sla:
        if r["WITHIN_SLA"] is not False or not str(r["METRIC"]).startswith("freshness_minutes_"):
            continue
        source = str(r["METRIC"]).removeprefix("freshness_minutes_")
        mine = [b for b in ev.batches if b["SOURCE"] == source]
        done = [b for b in mine if b["STATUS"] == "COMMITTED" and b["WINDOW_END"] <= r["MEASURED_AT"]]
        newest = max(done, key=lambda b: b["WINDOW_END"]) if done else None
        after = [b for b in mine if newest is None or b["WINDOW_START"] >= newest["WINDOW_END"]]
        since = (
            "no batch of it ran since"
            if not after
            else "since then: " + ", ".join(f"{b['BATCH_ID']} {b['STATUS']}" for b in after[:5])
        )
        last = (
            f"its newest committed window then ended {utc_text(newest['WINDOW_END'])}"
            if newest
            else "no committed window"
        )
        items.append(
            Item(
                LATE,
                f"{source} was {float(r['VALUE']):.4g} minutes behind at {r['BATCH_ID']} (SLA "
                f"{float(r['THRESHOLD']):.4g}): {last}, {since}",
                0.3,
                "sql/rootcause/select_batches_in_range.sql",
                **_ids(ev, {b["BATCH_ID"] for b in ([newest] if newest else []) + after[:5]}),
            )
        )
    return items


def _finance_late(ev: Evidence) -> list[Item]:
    """A comparison that found no finance figure (or another file) followed by one that did: the report came late."""
    by_currency: dict[str, list[dict[str, Any]]] = {}
    for r in ev.reconciliation:
        by_currency.setdefault(r["CURRENCY"], []).append(r)
    items = []
    for currency, rows in sorted(by_currency.items()):
        missing = [r for r in rows if r["FINANCE_NET_MINOR"] is None]
        later = [
            r
            for r in rows
            if r["FINANCE_NET_MINOR"] is not None and missing and r["CHECKED_AT"] > missing[0]["CHECKED_AT"]
        ]
        if missing and later:
            items.append(
                Item(
                    LATE,
                    f"finance's {currency} report for {ev.subject.day} was missing when "
                    f"{missing[0]['BATCH_ID']} ran the gate and present at {later[0]['BATCH_ID']} "
                    f"({later[0]['FINANCE_FILE']})",
                    0.4,
                    "sql/rootcause/select_daily_reconciliation_day.sql",
                    **_ids(ev, {missing[0]["BATCH_ID"], later[0]["BATCH_ID"]}),
                )
            )
    return items


def etl_bug(ev: Evidence) -> Finding:
    """The affected batches ran another code version than the good ones; the same raw gave different results under two
    versions; a dry-run reprocess of their raw with the current code gives different rows."""
    items: list[Item] = []
    affected = [b for b in ev.affected_batches() if b["SOURCE"] != "consistency"]
    for source in sorted({b["SOURCE"] for b in affected}):
        mine = {b["CODE_VERSION"] for b in affected if b["SOURCE"] == source}
        good = {b["CODE_VERSION"] for b in ev.baseline_batches((source,))}
        odd = sorted(v for v in mine - good if v) if good else []
        if odd:
            ids = {b["BATCH_ID"] for b in affected if b["SOURCE"] == source and b["CODE_VERSION"] in odd}
            items.append(
                Item(
                    ETL_BUG,
                    f"{len(ids)} affected {source} batch(es) ran code version {', '.join(odd)}; "
                    f"the trailing week's good batches ran {', '.join(sorted(good))}",
                    0.4,
                    "sql/rootcause/select_batches_in_range.sql",
                    **_ids(ev, ids),
                )
            )
    items += _same_raw_two_versions(ev)
    items += _replay(ev) + taken_twice(ev)
    return Finding(ETL_BUG, _score(items), tuple(items))


def _same_raw_two_versions(ev: Evidence) -> list[Item]:
    """Batches that read the same raw under different code versions and published different counts."""
    by_raw: dict[str, list[dict[str, Any]]] = {}
    for b in ev.batches:
        if b["RAW_URI"] and b["SOURCE"] != "consistency":
            by_raw.setdefault(b["RAW_URI"], []).append(b)
    items = []
    for raw, rows in sorted(by_raw.items()):
        versions = {(b["CODE_VERSION"], b["ROWS_PASSED"], b["ROWS_QUARANTINED"]) for b in rows}
        if len({v for v, _, _ in versions}) > 1 and len({(p, q) for _, p, q in versions}) > 1:
            items.append(
                Item(
                    ETL_BUG,
                    f"the same raw {raw} gave different results under code versions "
                    + "; ".join(
                        f"{b['CODE_VERSION']}: {b['ROWS_PASSED']} passed, {b['ROWS_QUARANTINED']} "
                        f"quarantined ({b['BATCH_ID']})"
                        for b in rows
                    ),
                    0.45,
                    "sql/rootcause/select_batches_in_range.sql",
                    **_ids(ev, {b["BATCH_ID"] for b in rows}),
                )
            )
    return items


def _replay(ev: Evidence) -> list[Item]:
    """A dry-run reprocess of the affected raw with the current code: a difference is the evidence; none at all
    speaks against a bug (the current code would load the same rows)."""
    if not ev.replay:
        return []
    changed = [d for d in ev.replay if any(int(d.get(k) or 0) for k in ("added", "removed", "changed"))]
    ids = _ids(ev, {str(d.get("batch_id")) for d in (changed or ev.replay)})
    if not changed:
        return [
            Item(
                ETL_BUG,
                "a dry-run reprocess of the affected raw with the current code gives identical rows",
                -0.3,
                "flows.reprocess.reprocess(dry_run=True)",
                **ids,
            )
        ]
    text = "; ".join(
        f"{d['table']}: +{d.get('added', 0)} -{d.get('removed', 0)} ~{d.get('changed', 0)} {d.get('sample') or ''}"
        for d in changed
    )
    return [
        Item(
            ETL_BUG,
            f"a dry-run reprocess of the affected raw with the current code gives different rows: {text}",
            0.55,
            "flows.reprocess.reprocess(dry_run=True)",
            **ids,
            rows=tuple(changed[:10]),
        )
    ]


def transformation_logic(ev: Evidence) -> Finding:
    """CORE agrees with finance (the latest comparison is within the SLA) but a publication's revenue does not; the
    marts' definition (model versions, SQL hash) changed between the last good and the bad publication."""
    items: list[Item] = []
    latest = _latest_comparisons(ev)
    agreeing = {c: r for c, r in latest.items() if r["WITHIN_SLA"] and r["FINANCE_NET_MINOR"] is not None}
    bad: list[tuple[dict[str, Any], dict[str, int]]] = []
    good: list[tuple[dict[str, Any], dict[str, int]]] = []
    for pub in ev.publications:
        values = {r["CURRENCY"]: int(r["NET_REVENUE_MINOR"]) for r in ev.mart_values.get(pub["PUBLICATION_ID"], [])}
        wrong = {c: v for c, v in values.items() if c in agreeing and v != int(agreeing[c]["NET_MINOR"])}
        if wrong:
            bad.append((pub, wrong))
        elif values:
            good.append((pub, wrong))
    if bad:
        pub, wrong = bad[0]
        text = ", ".join(
            f"{c}: mart {money(v, c)}, CORE {money(agreeing[c]['NET_MINOR'], c)}, "
            f"finance {money(agreeing[c]['FINANCE_NET_MINOR'], c)}"
            for c, v in sorted(wrong.items())
        )
        items.append(
            Item(
                TRANSFORMATION,
                f"CORE agrees with finance on {ev.subject.day} but publication "
                f"{pub['PUBLICATION_ID']} does not ({text})",
                0.6,
                "sql/rootcause/select_mart_daily_revenue.sql",
                **_ids(ev, {pub["GATE_BATCH_ID"], *(r["BATCH_ID"] for r in agreeing.values())}),
                rows=tuple({"CURRENCY": c, "MART_MINOR": v} for c, v in sorted(wrong.items())),
            )
        )
        before = [p for p, _ in good if p["CREATED_AT"] < pub["CREATED_AT"]]
        if before and _definition(before[0]) != _definition(pub):
            items.append(_definition_change(ev, before[0], pub))
    return Finding(TRANSFORMATION, _score(items), tuple(items))


def _definition_change(ev: Evidence, good: dict[str, Any], bad: dict[str, Any]) -> Item:
    """What changed in the marts' definition between the good and the bad publication: the models whose versions
    changed (the ledger's MODEL_VERSIONS) and the model files added, removed or edited (their dbt manifests)."""
    changes = []
    was, now = good.get("MODEL_VERSIONS") or {}, bad.get("MODEL_VERSIONS") or {}
    for model in sorted(set(was) | set(now)):
        a, b = was.get(model) or {}, now.get(model) or {}
        if (a.get("versions"), a.get("latest")) != (b.get("versions"), b.get("latest")):
            changes.append(
                f"{model} versions {a.get('versions')} latest {a.get('latest')} -> "
                f"versions {b.get('versions')} latest {b.get('latest')}"
            )
    files_a, files_b = ev.model_files.get(good["PUBLICATION_ID"]), ev.model_files.get(bad["PUBLICATION_ID"])
    if files_a is not None and files_b is not None:
        for uid in sorted(set(files_a) | set(files_b)):
            if uid not in files_a:
                changes.append(f"{files_b[uid][1]} added")
            elif uid not in files_b:
                changes.append(f"{files_a[uid][1]} removed")
            elif files_a[uid][0] != files_b[uid][0]:
                changes.append(f"{files_b[uid][1]} edited")
    what = "; ".join(changes) if changes else "the models' tests or macros (same model files and versions)"
    return Item(
        TRANSFORMATION,
        f"the marts' definition changed between the good publication {good['PUBLICATION_ID']} (sql hash "
        f"{str(good['SQL_HASH'])[:12]}) and {bad['PUBLICATION_ID']} (sql hash {str(bad['SQL_HASH'])[:12]}): {what}",
        0.35,
        "northstar marts publications; dbt manifests "
        + ", ".join(str(p.get("MANIFEST_KEY")) for p in (good, bad) if p.get("MANIFEST_KEY")),
        batch_ids=tuple(dict.fromkeys((good["GATE_BATCH_ID"], bad["GATE_BATCH_ID"]))),
    )


def _latest_comparisons(ev: Evidence) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for r in ev.reconciliation:
        latest[r["CURRENCY"]] = r
    return latest


def _definition(pub: dict[str, Any]) -> tuple[str, str]:
    return str(pub.get("SQL_HASH")), repr(pub.get("MODEL_VERSIONS"))
