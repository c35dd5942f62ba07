"""The investigation as text for a terminal and as one self-contained HTML page (no script, no external asset)."""

from __future__ import annotations

import html
from typing import Any, TextIO

from northstar.batches import utc_text
from northstar.rootcause.evidence import Evidence
from northstar.rootcause.verdict import Verdict, marquez_link, report_batches


def write_text(out: TextIO, verdict: Verdict, ev: Evidence, marquez_url: str | None = None) -> None:
    """The classification, the evidence (each with its query and ids), the ranking, the next step."""
    s = ev.subject
    out.write(
        f"Investigation of {s.kind} {s.value} ({s.metric}, business day {s.day}"
        f"{', ' + s.currency if s.currency else ''}{', source ' + s.source if s.source else ''})\n"
    )
    out.write(f"Classification: {verdict.classification} (confidence {verdict.confidence:.2f})\n")
    out.write("Hypotheses: " + ", ".join(f"{f.hypothesis} {f.score:.2f}" for f in verdict.ranked) + "\n\nEvidence:\n")
    for item in verdict.evidence:
        out.write(f"  [{item.hypothesis}] {item.claim}\n      shown by: {item.query}\n")
        if item.batch_ids:
            out.write(f"      batches: {', '.join(item.batch_ids)}\n")
        if item.raw_uris:
            out.write(f"      raw: {', '.join(item.raw_uris[:5])}\n")
        for run in item.lineage_run_ids[:5]:
            out.write(f"      lineage run: {marquez_link(marquez_url, run) if marquez_url else run}\n")
    if not verdict.evidence:
        out.write("  (nothing inconsistent found and no hypothesis has support)\n")
    batches = [b["BATCH_ID"] for b in report_batches(verdict, ev)]
    listed = f": {', '.join(batches[:10])}{', ...' if len(batches) > 10 else ''}" if batches else ""
    out.write(f"\nAffected batches: {len(batches)}{listed}\nNext step: {verdict.next_step}\n")


def write_html(path: str, verdict: Verdict, ev: Evidence, marquez_url: str | None = None) -> None:
    """A self-contained page: the verdict, the evidence and a timeline of the affected batches."""
    e = html.escape
    s = ev.subject
    rows = "".join(_evidence_row(i, marquez_url) for i in verdict.evidence) or "<tr><td colspan=3>none</td></tr>"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Northstar investigation {e(s.value)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}td,th{{border:1px solid #ccc;padding:.3em;
vertical-align:top;text-align:left}}table{{border-collapse:collapse;width:100%}}.bar{{height:1em;background:#4a7;
position:absolute}}.held{{background:#c44}}.failed{{background:#888}}.lane{{position:relative;height:1.2em;
border-bottom:1px dotted #ddd}}code{{font-size:90%}}</style></head><body>
<h1>{e(verdict.classification)} <small>confidence {verdict.confidence:.2f}</small></h1>
<p>{e(s.kind)} <b>{e(s.value)}</b>: {e(s.metric)} on business day {s.day} {e(s.currency or "")}</p>
<p>Next step: <code>{e(verdict.next_step)}</code></p>
<p>Hypotheses: {e(", ".join(f"{f.hypothesis} {f.score:.2f}" for f in verdict.ranked))}</p>
<h2>Evidence</h2><table><tr><th>hypothesis</th><th>claim</th><th>shown by / ids</th></tr>{rows}</table>
<h2>Timeline of the affected batches</h2>{_timeline(report_batches(verdict, ev))}</body></html>
"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


def _evidence_row(item: Any, marquez_url: str | None) -> str:
    e = html.escape
    ids = [f"<code>{e(item.query)}</code>"] + [f"batch {e(b)}" for b in item.batch_ids[:10]]
    ids += [f"raw {e(u)}" for u in item.raw_uris[:5]]
    for run in item.lineage_run_ids[:5]:
        ids.append(
            f'<a href="{e(marquez_link(marquez_url, run))}">run {e(run)}</a>' if marquez_url else f"run {e(run)}"
        )
    return f"<tr><td>{e(item.hypothesis)}</td><td>{e(item.claim)}</td><td>{'<br>'.join(ids)}</td></tr>"


def _timeline(batches: list[dict[str, Any]]) -> str:
    """One lane per batch of the report (verdict.report_batches: the same list the text counts): a bar over its
    window (held in red, failed in grey), in window order; when it ran, its code version and raw in its title."""
    if not batches:
        return "<p>(no affected batch)</p>"
    t0 = min(b["WINDOW_START"] for b in batches)
    t1 = max(b["WINDOW_END"] for b in batches)
    span = max((t1 - t0).total_seconds(), 1.0)
    lanes = []
    for b in sorted(batches, key=lambda b: (b["WINDOW_START"], b["BATCH_ID"])):
        left = (b["WINDOW_START"] - t0).total_seconds() / span * 100
        width = max((b["WINDOW_END"] - b["WINDOW_START"]).total_seconds() / span * 100, 0.5)
        css = {"HELD": " held", "FAILED": " failed"}.get(b["STATUS"], "")
        title = html.escape(
            f"{b['BATCH_ID']} {b['STATUS']} window {utc_text(b['WINDOW_START'])} - {utc_text(b['WINDOW_END'])}, "
            f"ran {_moment(b['STARTED_AT'])} - {_moment(b['FINISHED_AT'])}, "
            f"code {b['CODE_VERSION']}, raw {b['RAW_URI']}"
        )
        lanes.append(
            f"<tr><td>{html.escape(b['BATCH_ID'])}<br><small>{b['SOURCE']} · {b['STATUS']} · "
            f'{html.escape(str(b["CODE_VERSION"]))}</small></td><td style="width:60%"><div class="lane">'
            f'<div class="bar{css}" title="{title}" style="left:{left:.2f}%;width:{width:.2f}%"></div></div></td></tr>'
        )
    head = f"<p>{len(batches)} batch(es), windows from {t0:%Y-%m-%d %H:%M} to {t1:%Y-%m-%d %H:%M} UTC</p>"
    return f"{head}<table>{''.join(lanes)}</table>"


def _moment(value: Any) -> str:
    """A time as every command prints one (utc_text); an unset one (a batch still running) as `-`."""
    return "-" if value is None else utc_text(value)
