"""The status page: one self-contained HTML file (plotly.js inlined, the data embedded; no network to view it).

Charts (each a `<div class="chart" id=...>`): freshness within SLA per day, duplicate rate and reconciliation
variance per day against their thresholds, the gate's history, quarantine by reason over time, volume per
source against its expected band, pending references by age; then the open incidents (when OPS.INCIDENTS
exists) and the alerts as tables.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from northstar.monitoring.monitors import SOURCES
from northstar.monitoring.report_data import AGE_BUCKETS, ReportData

CHARTS = (
    "sla-freshness",
    "sla-duplicate-rate",
    "sla-variance",
    "gate-history",
    "quarantine-reasons",
    *(f"volume-{s}" for s in SOURCES),
    "pending-age",
)
CSS = """body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}h1{margin:0 0 .2rem}
.chart{height:340px;margin:0 0 1rem}table{border-collapse:collapse;font-size:.85rem;margin:0 0 1rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}.muted{color:#777}"""


def _figure(title: str, traces: Iterable[Any], ytitle: str, **layout: Any) -> go.Figure:
    fig = go.Figure(list(traces))
    fig.update_layout(title=title, yaxis_title=ytitle, margin={"t": 40, "b": 40, "l": 60, "r": 20}, **layout)
    if not fig.data:
        fig.add_annotation(text="no data in this period", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def _threshold_chart(data: ReportData, metric: str, title: str) -> go.Figure:
    rows = [r for r in data.sla if r["METRIC"] == metric]
    days = [str(r["BUSINESS_DATE"]) for r in rows]
    traces = []
    if rows:
        traces = [
            go.Scatter(x=days, y=[r["VALUE"] for r in rows], mode="lines+markers", name=metric),
            go.Scatter(x=days, y=[r["THRESHOLD"] for r in rows], mode="lines", name="SLA", line={"dash": "dash"}),
            go.Scatter(
                x=days, y=[r["THRESHOLD"] * 0.5 for r in rows], mode="lines", name="warn (50%)", line={"dash": "dot"}
            ),
        ]
    return _figure(title, traces, metric, yaxis_tickformat=".2%", xaxis_type="category")


def figures(data: ReportData) -> dict[str, go.Figure]:
    """Every chart of the page by its element id (CHARTS)."""
    figs: dict[str, go.Figure] = {}
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in data.freshness:
        by_source[r["SOURCE"]].append(r)
    figs["sla-freshness"] = _figure(
        "Freshness: share of monitor readings within the SLA, per day",
        (
            go.Scatter(
                x=[str(r["DAY"]) for r in rows], y=[r["WITHIN_SLA"] for r in rows], mode="lines+markers", name=source
            )
            for source, rows in sorted(by_source.items())
        ),
        "within SLA",
        yaxis_tickformat=".0%",
        yaxis_range=[0, 1.05],
    )
    figs["sla-duplicate-rate"] = _threshold_chart(data, "duplicate_rate", "Duplicate rate per business day")
    figs["sla-variance"] = _threshold_chart(data, "reconciliation_variance", "Reconciliation variance per day")
    figs["gate-history"] = _figure(
        "Consistency gate: each run's outcome",
        [
            go.Scatter(
                x=[str(r["WINDOW_END"]) for r in data.gate],
                y=[r["STATUS"] for r in data.gate],
                mode="markers",
                text=[r["REASON"] or r["BATCH_ID"] for r in data.gate],
                name="gate",
            )
        ]
        if data.gate
        else [],
        "outcome",
        yaxis={"categoryorder": "array", "categoryarray": ["FAILED", "HELD", "COMMITTED"]},
    )
    reasons: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in data.quarantine:
        reasons[f"{r['QUARANTINE_TABLE'].removeprefix('QUARANTINE.')}: {r['REASON']}"].append(r)
    figs["quarantine-reasons"] = _figure(
        "Quarantined rows by reason per day",
        (
            go.Bar(x=[str(r["DAY"]) for r in rows], y=[r["N"] for r in rows], name=name)
            for name, rows in sorted(reasons.items())
        ),
        "rows",
        barmode="stack",
    )
    for source in SOURCES:
        figs[f"volume-{source}"] = _volume(data, source)
    figs["pending-age"] = _figure(
        "Pending references by age",
        (
            go.Bar(x=[b for _, b in AGE_BUCKETS], y=[_count(data, kind, b) for _, b in AGE_BUCKETS], name=kind)
            for kind in sorted({r["kind"] for r in data.pending_ages})
        ),
        "references",
        barmode="group",
    )
    return figs


def _count(data: ReportData, kind: str, bucket: str) -> int:
    return sum(r["n"] for r in data.pending_ages if r["kind"] == kind and r["bucket"] == bucket)


def _volume(data: ReportData, source: str) -> go.Figure:
    rows = [r for r in data.volume if r["SOURCE"] == source]
    x = [str(r["WINDOW_START"]) for r in rows]
    judged = [r for r in rows if r["EXPECTED"] is not None]
    jx = [str(r["WINDOW_START"]) for r in judged]
    traces = []
    if judged:
        traces += [
            go.Scatter(
                x=jx,
                y=[r["BAND_HIGH"] for r in judged],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                name="band high",
            ),
            go.Scatter(
                x=jx,
                y=[r["BAND_LOW"] for r in judged],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                name="expected band",
            ),
        ]
    if rows:
        colors = ["#c00" if r["STATUS"] != "ok" else "#1f77b4" for r in rows]
        traces.append(
            go.Scatter(
                x=x, y=[r["ROWS_READ"] for r in rows], mode="lines+markers", name="rows", marker={"color": colors}
            )
        )
    return _figure(f"Volume: {source} rows per batch against the expected band", traces, "rows")


def _cell(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(rows: list[dict[str, Any]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{html.escape(empty)}</p>'
    columns = list(rows[0])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(data: ReportData) -> str:
    """The page as one HTML string, plotly.js and every chart's data inside it."""
    charts = "\n".join(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=chart_id,
            config={"displaylogo": False},
            default_height="340px",
        )
        for chart_id, fig in figures(data).items()
    )
    incidents = (
        '<p class="muted">OPS.INCIDENTS does not exist yet.</p>'
        if data.incidents is None
        else _table(data.incidents, "No open incidents.")
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Northstar status</title>
<style>{CSS}</style><script type="text/javascript">{get_plotlyjs()}</script></head>
<body><h1>Northstar status</h1>
<p class="muted">Generated {data.now:%Y-%m-%d %H:%M} UTC, the last {data.days} days.</p>
<h2>SLA compliance, gate, quarantine, volume, pending references</h2>
{charts}
<h2>Open incidents</h2>
<div id="incidents">{incidents}</div>
<h2>Alerts</h2>
<div id="alerts">{_table(data.alerts, "No alerts in this period.")}</div>
</body></html>
"""
