"""Slack messages (Block Kit) for alerts: what is wrong, the impact, the batch and day, one command, a runbook.

Block Kit reference: https://api.slack.com/reference/block-kit/blocks (header, section with `fields`,
context). Every message also carries `text`, the plain fallback Slack shows in notifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from northstar.monitoring.alerting import Alert

MAX_SUMMARY_LINES = 20  # a grouped message lists this many alerts, then points at `northstar alerts list`


@dataclass(frozen=True)
class Kind:
    """How an alert kind reads: its title, the SLA or promise it threatens, and the command to look closer."""

    title: str
    sla: str
    command: str  # formatted with subject, batch_id, day, source


KINDS: dict[str, Kind] = {
    "freshness": Kind(
        "Freshness",
        "freshness SLA (orders and payments 20 min, fulfillment 80 min)",
        "northstar batches --source {subject}",
    ),
    "webhook_silence": Kind(
        "Stripe webhooks silent", "payments freshness SLA (20 min)", "northstar batches --source payments"
    ),
    "gate_held": Kind(
        "Consistency gate held", "the marts' freshness: they keep their previous state", "northstar checks --date {day}"
    ),
    "gate_not_run": Kind(
        "Consistency check not running",
        "the marts' freshness: nothing checks or publishes them",
        "northstar batches --source consistency",
    ),
    "volume": Kind(
        "Volume drop", "completeness: a batch far below its usual rows", "northstar batches --source {subject}"
    ),
    "volume_zero": Kind(
        "Zero rows",
        "completeness: a batch with no rows where rows are expected",
        "northstar batches --source {subject}",
    ),
    "quarantine_rate": Kind(
        "Quarantine rate (batch)",
        "quality: rows held back from the warehouse",
        "northstar quarantine --source {subject} --batch {batch_id}",
    ),
    "quarantine_rate_day": Kind(
        "Quarantine rate (day)", "quality: rows held back from the warehouse", "northstar quarantine --source {subject}"
    ),
    "new_quarantine_reason": Kind(
        "New quarantine reason", "quality: a fault never seen before", "northstar quarantine --source {source}"
    ),
    "pending_references": Kind(
        "References waiting for their order", "referential integrity (grace period)", "northstar checks --date {day}"
    ),
    "duplicate_rate": Kind(
        "Duplicate rate", "duplicate-rate SLA (README, Cross-system consistency)", "northstar checks --date {day}"
    ),
    "reconciliation_variance": Kind(
        "Reconciliation variance", "revenue-variance SLA against finance", "northstar checks --date {day}"
    ),
}
QUARANTINE_SOURCES = {
    "QUARANTINE.ORDERS": "orders",
    "QUARANTINE.ORDER_LINES": "order_lines",
    "QUARANTINE.STRIPE_EVENTS": "payments",
    "QUARANTINE.WMS_LINES": "fulfillment",
    "QUARANTINE.WMS_FILES": "fulfillment",
}


def command(a: Alert, today: str) -> str:
    """The one command that shows more about the alert."""
    r = a.reading()
    subject = str(r.get("subject") or a.key.split(":", 1)[-1])
    kind = KINDS.get(a.kind)
    if kind is None:
        return "northstar alerts list"
    return kind.command.format(
        subject=subject,
        batch_id=r.get("batch_id") or "",
        day=r.get("day") or today,
        source=QUARANTINE_SOURCES.get(subject.split("/", 1)[0], "orders"),
    ).strip()


def runbook(kind: str, base: str) -> str:
    """The runbook of a kind as Slack mrkdwn: a link when base is a URL, else the repository path."""
    path = f"docs/runbooks/{kind}.md"
    if base.startswith(("http://", "https://")):
        return f"<{base.rstrip('/')}/{kind}.md|{path}>"
    return f"`{base.rstrip('/')}/{kind}.md`" if base != "docs/runbooks/" else f"`{path}`"


def _title(a: Alert) -> str:
    kind = KINDS.get(a.kind)
    subject = a.key.split(":", 1)[-1]
    return f"{kind.title if kind else a.kind}: {subject}"


def impact(a: Alert, marts_held: bool) -> str:
    """Which SLA it threatens and whether the marts are held."""
    kind = KINDS.get(a.kind)
    marts = "marts HELD (the consistency gate keeps their previous state)" if marts_held else "marts current"
    return f"{kind.sla if kind else a.kind}; {marts}"


def alert_message(a: Alert, *, marts_held: bool, today: str, runbook_base: str) -> dict[str, Any]:
    """The Block Kit message for an alert's pending message (firing, reminder or resolved)."""
    r = a.reading()
    label = {"firing": a.severity.upper(), "reminder": f"STILL FIRING ({a.severity.upper()})", "resolved": "RESOLVED"}[
        a.pending or "firing"
    ]
    title = f"{label}: {_title(a)}"
    what = a.summary
    if a.pending == "resolved":
        what = f"Cleared. It fired {a.occurrences} times since {a.first_seen:%Y-%m-%d %H:%M} UTC; last: {a.summary}"
    seen = f"first {a.first_seen:%Y-%m-%d %H:%M} UTC, {a.occurrences} run{'s' if a.occurrences != 1 else ''}"
    fields = [
        {"type": "mrkdwn", "text": f"*Impact*\n{impact(a, marts_held)}"},
        {"type": "mrkdwn", "text": f"*Seen*\n{seen}"},
        {"type": "mrkdwn", "text": f"*Batch*\n{r.get('batch_id') or '-'}"},
        {"type": "mrkdwn", "text": f"*Day*\n{r.get('day') or today}"},
    ]
    return {
        "text": f"{title}: {what}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*What is wrong*\n{what}"}},
            {"type": "section", "fields": fields},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Investigate*\n`{command(a, today)}`"}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Runbook: {runbook(a.kind, runbook_base)} · key `{a.key}` · "
                        f"`northstar alerts mute {a.key} --for 2h --reason ...`",
                    }
                ],
            },
        ],
    }


def summary_message(alerts: list[Alert], *, marts_held: bool, today: str, runbook_base: str) -> dict[str, Any]:
    """One message for many alerts of one route in one run (grouping: no storm)."""
    firing = [a for a in alerts if a.pending != "resolved"]
    resolved = [a for a in alerts if a.pending == "resolved"]
    title = f"{len(firing)} alerts firing, {len(resolved)} resolved"
    lines = [
        f"• *{('RESOLVED' if a.pending == 'resolved' else a.severity.upper())}* `{a.key}`: {a.summary} "
        f"(`{command(a, today)}`, runbook {runbook(a.kind, runbook_base)})"
        for a in alerts[:MAX_SUMMARY_LINES]
    ]
    if len(alerts) > MAX_SUMMARY_LINES:
        lines.append(f"…and {len(alerts) - MAX_SUMMARY_LINES} more: `northstar alerts list`")
    text = "\n".join(lines)
    marts = "marts HELD" if marts_held else "marts current"
    return {
        "text": title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Impact*\n{marts}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "All alerts: `northstar alerts list`"}]},
        ],
    }


def route_test_message(sent_by: str) -> dict[str, Any]:
    """The message `northstar alerts test` sends."""
    text = f"Northstar alert test from {sent_by}: this route works."
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
