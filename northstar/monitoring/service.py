"""One monitor run (read the ledger, record readings, update alerts, deliver what is owed), mutes and tests."""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from northstar.audit import append_audit
from northstar.landing import landing_store
from northstar.monitoring import slack
from northstar.monitoring.alerting import Alert, delivered, evaluate, mute, undelivered
from northstar.monitoring.ledger import read_alerts, read_snapshot, record_event, write_alerts, write_readings
from northstar.monitoring.messages import alert_message, route_test_message, summary_message
from northstar.monitoring.monitors import MONITORS, Reading, marts_held, run_monitors
from northstar.monitoring.report import render
from northstar.monitoring.report_data import collect
from northstar.settings import AlertSettings, Settings
from northstar.warehouse import Warehouse, open_warehouse

log = logging.getLogger("northstar.alerts")


@dataclass(frozen=True)
class MonitorRun:
    """What one monitor run did: its readings, the alerts it changed, and the messages sent or left pending."""

    run_id: str
    readings: list[Reading]
    changed: list[Alert]
    sent: int
    pending: int

    def as_dict(self) -> dict[str, Any]:
        """A summary for the command line and the flow's result."""
        statuses: dict[str, int] = defaultdict(int)
        for r in self.readings:
            statuses[r.status] += 1
        return {
            "run_id": self.run_id,
            "readings": dict(sorted(statuses.items())),
            "firing": sorted(a.key for a in self.changed if a.state == "firing"),
            "resolved": sorted(a.key for a in self.changed if a.state == "resolved"),
            "messages_sent": self.sent,
            "messages_pending": self.pending,
        }


def monitor_once(settings: Settings, now: datetime | None = None) -> MonitorRun:
    """Run every monitor once and deliver what the alerts owe; Slack failing never fails the run (the messages
    stay pending in OPS.ALERTS for the next run)."""
    now = now or datetime.now(UTC)
    run_id = f"monitor-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    with open_warehouse(settings) as wh:
        snap = read_snapshot(wh, landing_store(settings), settings, now)
        readings = run_monitors(snap, settings.monitor)
        write_readings(wh, run_id, readings, now)
        alerts = read_alerts(wh)
        changed = evaluate(alerts, readings, MONITORS, now, settings.alerts.reminder)
        write_alerts(wh, list(changed.values()))
        sent, pending = deliver(wh, alerts | changed, settings.alerts, marts_held(snap), now)
    return MonitorRun(run_id, readings, list(changed.values()), sent, pending)


def deliver(wh: Warehouse, alerts: dict[str, Alert], cfg: AlertSettings, held: bool, now: datetime) -> tuple[int, int]:
    """Send every owed message, grouped per route when more than NORTHSTAR_ALERT_GROUP_OVER are owed at once;
    (messages sent, alerts still pending)."""
    routes = slack.routes(cfg)
    owed = sorted((a for a in alerts.values() if a.pending and a.state != "muted"), key=lambda a: a.key)
    by_route: dict[str, list[Alert]] = defaultdict(list)
    for a in owed:
        by_route[routes.route_of(a.severity)].append(a)
    sent = still_pending = 0
    today, base = now.date().isoformat(), cfg.runbook_base
    for route, group in by_route.items():
        if len(group) > cfg.group_over and route != "log":  # a log line per alert: no storm to spare
            messages = [(group, summary_message(group, marts_held=held, today=today, runbook_base=base))]
        else:
            messages = [([a], alert_message(a, marts_held=held, today=today, runbook_base=base)) for a in group]
        for covered, message in messages:
            try:
                routes.senders[route](message)
            except Exception as exc:  # whatever Slack or the network did, the run goes on
                log.warning("alert delivery failed, left pending for the next run: %s", exc)
                write_alerts(wh, [undelivered(a, str(exc)) for a in covered])
                for a in covered:
                    record_event(wh, a.key, "send_failed", "monitor", now, detail=str(exc)[:500])
                still_pending += len(covered)
                continue
            write_alerts(wh, [delivered(a, now) for a in covered])
            for a in covered:
                record_event(wh, a.key, "sent", "monitor", now, detail=f"{route}: {a.pending}")
            sent += 1
    return sent, still_pending


def mute_alert(settings: Settings, key: str, duration: timedelta, reason: str, actor: str) -> Alert:
    """Mute `key` for `duration`, recording who and why in OPS.ALERT_EVENTS. ValueError for an unknown kind or
    a blank reason."""
    kind = key.split(":", 1)[0]
    if ":" not in key or kind not in MONITORS:
        raise ValueError(
            f"alert key {key!r} is not <kind>:<subject> with a known kind; `northstar alerts list` shows the keys"
        )
    if not reason.strip():
        raise ValueError("--reason must say why the alert is muted (it is audited)")
    now = datetime.now(UTC)
    with open_warehouse(settings) as wh:
        muted = mute(read_alerts(wh).get(key), key, now + duration, now)
        write_alerts(wh, [muted])
        until = f"until {now + duration:%Y-%m-%dT%H:%M:%SZ}"
        record_event(wh, key, "muted", actor, now, reason=reason, detail=until)
        append_audit(wh, kind="alert.muted", actor=actor, subject=key, details={"reason": reason, "until": until})
    return muted


def list_alerts(settings: Settings, state: str | None = None) -> list[dict[str, Any]]:
    """The alerts as rows for the command line, optionally of one state."""
    with open_warehouse(settings) as wh:
        alerts = read_alerts(wh).values()
    return [
        {
            "key": a.key,
            "severity": a.severity,
            "state": a.state,
            "occurrences": a.occurrences,
            "first_seen": a.first_seen,
            "last_seen": a.last_seen,
            "pending": a.pending,
            "muted_until": a.muted_until,
            "summary": a.summary,
        }
        for a in alerts
        if state is None or a.state == state
    ]


def send_test(settings: Settings, actor: str) -> dict[str, str]:
    """Send one test message on every configured route; the outcome per route ('sent' or the error)."""
    routes = slack.routes(settings.alerts)
    outcome: dict[str, str] = {}
    now = datetime.now(UTC)
    for name, sender in routes.senders.items():
        try:
            sender(route_test_message(actor))
            outcome[name] = "sent"
        except slack.DeliveryFailed as exc:
            outcome[name] = str(exc)
    with open_warehouse(settings) as wh:
        record_event(wh, "test", "test", actor, now, detail=repr(outcome))
    return outcome


REPORTS = "reports/status/"


def build_report(settings: Settings, days: int, now: datetime | None = None) -> str:
    """The status page's HTML over the `days` days ending now (ValueError for days < 1)."""
    if days < 1:
        raise ValueError(f"--days must be at least 1, not {days}")
    now = now or datetime.now(UTC)
    with open_warehouse(settings) as wh:
        return render(collect(wh, now, days))


def publish_report(settings: Settings, days: int, now: datetime | None = None) -> str:
    """Write the status page to the landing store (write-once, one object per run); its URI."""
    now = now or datetime.now(UTC)
    key = f"{REPORTS}dt={now:%Y-%m-%d}/status-{now:%H%M%S}.html"
    store = landing_store(settings)
    store.put_if_absent(key, build_report(settings, days, now).encode("utf-8"))
    return store.uri(key)
