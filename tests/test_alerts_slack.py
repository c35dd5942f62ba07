"""The monitor run against the real warehouse (fakesnow server) and a local HTTP server standing in for Slack's
incoming webhook: exact messages, no storms, resolution, retries, outages, mutes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from northstar.monitoring.ledger import read_alerts
from northstar.monitoring.service import monitor_once, mute_alert
from northstar.settings import Settings, load_settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse, open_warehouse
from tests.monitor_seed import add_batch, land_arrival, now_quarter
from tests.slack_standin import SlackStandIn, slack_standin

pytestmark = pytest.mark.integration
NOW = now_quarter()
DAY = NOW.date().isoformat()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with slack_standin() as standin:
        yield standin


@pytest.fixture
def settings(tmp_path: Path, warehouse_server: str, slack: SlackStandIn) -> Settings:
    return load_settings({
        "NORTHSTAR_HOME": str(tmp_path / "home"),
        "NORTHSTAR_WAREHOUSE_SERVER": warehouse_server,
        "NORTHSTAR_SLACK_WEBHOOK_URL": slack.url,
        "NORTHSTAR_SLACK_TIMEOUT_SECONDS": "2",
    })  # fmt: skip


@pytest.fixture
def wh(settings: Settings) -> Iterator[Warehouse]:
    with open_warehouse(settings) as warehouse:
        yield warehouse


def seed(wh: Warehouse, settings: Settings, *, orders_end: datetime = NOW, gate: str = "COMMITTED",
         payments_rows: int = 100) -> dict[str, str]:  # fmt: skip
    """A pipeline where only what the arguments change fires; the batch ids by source."""
    ids = {"orders": add_batch(wh, "orders", orders_end, 100)}
    ids["payments"] = add_batch(wh, "payments", NOW, payments_rows)
    ids["fulfillment"] = add_batch(wh, "fulfillment", NOW, 100)
    add_batch(wh, "consistency", NOW - timedelta(minutes=30), 300)
    ids["consistency"] = add_batch(wh, "consistency", NOW - timedelta(minutes=15), 300, status=gate,
                                   finished=NOW - timedelta(minutes=12))  # fmt: skip
    land_arrival(settings, NOW)
    return ids


def fields(message: dict[str, Any]) -> dict[str, str]:
    """The message's blocks as {label: text}: header, What is wrong, Impact, Seen, Batch, Day, Investigate, runbook."""
    out = {"header": message["blocks"][0]["text"]["text"]}
    for block in message["blocks"][1:]:
        texts = [f["text"] for f in block.get("fields", [])] or [block.get("text", {}).get("text")]
        texts += [e["text"] for e in block.get("elements", [])]
        for text in filter(None, texts):
            label, _, body = text.partition("\n")
            out[label.strip("*")] = body if body else label
    return out


def test_a_held_gate_sends_one_exact_message(settings: Settings, wh: Warehouse, slack: SlackStandIn) -> None:
    ids = seed(wh, settings, gate="HELD")
    run = monitor_once(settings, NOW)
    assert run.as_dict()["firing"] == ["gate_held:consistency"] and run.sent == 1
    (message,) = slack.accepted
    what = f"the consistency gate has held the marts for 12 min (since batch {ids['consistency']})"
    assert message["text"] == f"WARN: Consistency gate held: consistency: {what}"
    assert fields(message) == {
        "header": "WARN: Consistency gate held: consistency",
        "What is wrong": what,
        "Impact": "the marts' freshness: they keep their previous state; "
                  "marts HELD (the consistency gate keeps their previous state)",
        "Seen": f"first {NOW:%Y-%m-%d %H:%M} UTC, 1 run",
        "Batch": ids["consistency"],
        "Day": (NOW - timedelta(minutes=15)).date().isoformat(),
        "Investigate": f"`northstar checks --date {(NOW - timedelta(minutes=15)).date().isoformat()}`",
        "Runbook: `docs/runbooks/gate_held.md` · key `gate_held:consistency` · "
        "`northstar alerts mute gate_held:consistency --for 2h --reason ...`":
        "Runbook: `docs/runbooks/gate_held.md` · key `gate_held:consistency` · "
        "`northstar alerts mute gate_held:consistency --for 2h --reason ...`",
    }  # fmt: skip


def test_a_freshness_breach_pages_with_the_sla_and_the_command(
    settings: Settings, wh: Warehouse, slack: SlackStandIn
) -> None:
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25))
    monitor_once(settings, NOW)
    (message,) = slack.accepted
    got = fields(message)
    assert got["header"] == "PAGE: Freshness: orders"
    assert got["What is wrong"] == (
        f"orders data is 25 min old (last committed window ended "
        f"{NOW - timedelta(minutes=25):%Y-%m-%d %H:%M} UTC; SLA 20 min)"
    )
    assert got["Impact"] == "freshness SLA (orders and payments 20 min, fulfillment 80 min); marts current"
    assert (got["Batch"], got["Day"], got["Investigate"]) == ("-", DAY, "`northstar batches --source orders`")


def test_a_volume_anomaly_names_the_batch_and_its_band(settings: Settings, wh: Warehouse, slack: SlackStandIn) -> None:
    low = seed(wh, settings, payments_rows=10)["payments"]
    for k, rows in enumerate([100, 104, 98, 101], start=1):
        add_batch(wh, "payments", NOW - timedelta(weeks=k), rows)
    monitor_once(settings, NOW)
    (message,) = slack.accepted
    got = fields(message)
    assert got["header"] == "WARN: Volume drop: payments"
    assert got["What is wrong"] == "10 rows, expected 65-136 (median 100.5, robust score -9.03)"
    assert (got["Batch"], got["Investigate"]) == (low, "`northstar batches --source payments`")
    readings = wh.query("SELECT MONITOR, VALUE, EXPECTED, BAND_LOW, BAND_HIGH, STATUS FROM OPS.MONITOR_READINGS "
                        "WHERE MONITOR = 'volume' AND SUBJECT = 'payments'")  # fmt: skip
    assert readings == [{"MONITOR": "volume", "VALUE": 10.0, "EXPECTED": 100.5, "BAND_LOW": 65.41,
                         "BAND_HIGH": 135.59, "STATUS": "warn"}]  # fmt: skip


def test_five_runs_one_message_then_one_resolved_message(
    settings: Settings, wh: Warehouse, slack: SlackStandIn
) -> None:
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25))
    for minute in range(5):
        monitor_once(settings, NOW + timedelta(minutes=minute))
    assert [fields(m)["header"] for m in slack.accepted] == ["PAGE: Freshness: orders"]
    alert = read_alerts(wh)["freshness:orders"]
    assert (alert.state, alert.occurrences, alert.pending) == ("firing", 5, None)
    add_batch(wh, "orders", NOW + timedelta(minutes=15), 100)  # the source caught up
    add_batch(wh, "payments", NOW + timedelta(minutes=15), 100)
    land_arrival(settings, NOW + timedelta(minutes=15))
    monitor_once(settings, NOW + timedelta(minutes=16))
    monitor_once(settings, NOW + timedelta(minutes=17))
    assert [fields(m)["header"] for m in slack.accepted] == ["PAGE: Freshness: orders", "RESOLVED: Freshness: orders"]
    assert fields(slack.accepted[1])["What is wrong"].startswith("Cleared. It fired 5 times since")
    assert read_alerts(wh)["freshness:orders"].state == "resolved"


def test_a_429_then_success_sends_exactly_one_message(
    settings: Settings, wh: Warehouse, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25))
    slack.respond((429, {"Retry-After": "1"}, "rate_limited"))
    run = monitor_once(settings, NOW)
    assert (len(slack.requests), len(slack.accepted), run.sent, run.pending) == (2, 1, 1, 0)
    assert slack.requests[0] == slack.requests[1]  # the same message, retried after Retry-After
    assert slack.url.split("/services/")[1] not in caplog.text  # the webhook URL is a secret, even when retried
    assert read_alerts(wh)["freshness:orders"].pending is None


def test_slack_down_leaves_the_alert_pending_and_a_later_run_delivers_it(
    settings: Settings, wh: Warehouse, slack: SlackStandIn
) -> None:
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25))
    slack.down = True
    run = monitor_once(settings, NOW)  # does not raise
    assert (run.sent, run.pending, len(slack.accepted)) == (0, 1, 0)
    assert len(slack.requests) == 3  # the first attempt and slack-sdk's two retries of a 503
    alert = read_alerts(wh)["freshness:orders"]
    assert (alert.pending, alert.delivery_attempts) == ("firing", 1)
    assert "HTTP 503" in (alert.last_error or "") and slack.url not in (alert.last_error or "")  # the URL is secret
    slack.down = False
    monitor_once(settings, NOW + timedelta(minutes=5))
    assert [fields(m)["header"] for m in slack.accepted] == ["PAGE: Freshness: orders"]
    assert read_alerts(wh)["freshness:orders"].pending is None


def test_slack_unreachable_is_a_pending_alert_not_a_failed_run(
    settings: Settings, wh: Warehouse, slack: SlackStandIn
) -> None:
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25))
    closed = settings.model_copy(update={"alerts": settings.alerts.model_copy(update={
        "webhook_url": type(settings.alerts.webhook_url)("http://127.0.0.1:9/services/x")})})  # fmt: skip
    run = monitor_once(closed, NOW)
    assert (run.sent, run.pending) == (0, 1)
    assert "Connection refused" in (read_alerts(wh)["freshness:orders"].last_error or "")


def test_a_muted_key_sends_nothing_and_the_mute_is_recorded(
    settings: Settings, wh: Warehouse, slack: SlackStandIn
) -> None:
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25))
    mute_alert(settings, "freshness:orders", timedelta(hours=2), "source DB maintenance until 14:00", "alice")
    for minute in range(3):
        monitor_once(settings, NOW + timedelta(minutes=minute))
    assert slack.requests == []
    alert = read_alerts(wh)["freshness:orders"]
    assert (alert.state, alert.muted_state, alert.occurrences, alert.pending) == ("muted", "firing", 3, None)
    events = wh.query(read_sql("snowflake/select_ops_alert_events.sql"))
    assert [(e["ALERT_KEY"], e["EVENT"], e["ACTOR"], e["REASON"]) for e in events] == [
        ("freshness:orders", "muted", "alice", "source DB maintenance until 14:00")
    ]
    audit = wh.query("SELECT KIND, ACTOR, SUBJECT FROM OPS.AUDIT_LOG WHERE KIND = 'alert.muted'")
    assert [(a["KIND"], a["ACTOR"], a["SUBJECT"]) for a in audit] == [("alert.muted", "alice", "freshness:orders")]


def test_many_alerts_in_one_run_are_one_summary_message(settings: Settings, wh: Warehouse, slack: SlackStandIn) -> None:
    run = monitor_once(settings, NOW)  # an empty ledger: every source stale, the gate never ran, no webhooks
    assert len(run.as_dict()["firing"]) == 5
    (message,) = slack.accepted
    assert message["text"] == "5 alerts firing, 0 resolved"
    listed = message["blocks"][2]["text"]["text"].splitlines()
    assert [line.split("`")[1] for line in listed] == [
        "freshness:fulfillment", "freshness:orders", "freshness:payments", "gate_not_run:consistency",
        "webhook_silence:payments",
    ]  # fmt: skip
    assert json.dumps(message).count("PAGE") == 5


def test_a_timeout_is_retried_and_the_message_sent_once(settings: Settings, wh: Warehouse, slack: SlackStandIn) -> None:
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25))
    slack.stall = 1  # the first request outlives the client's 2-second timeout
    run = monitor_once(settings, NOW)
    assert (run.sent, run.pending, len(slack.requests), len(slack.accepted)) == (1, 0, 2, 1)
    assert read_alerts(wh)["freshness:orders"].pending is None


def test_severity_routes_to_its_channel_with_a_bot_token(
    settings: Settings, wh: Warehouse, slack: SlackStandIn
) -> None:
    api = slack.url.split("/services/")[0] + "/api/"
    bot = settings.model_copy(update={"alerts": load_settings({
        "NORTHSTAR_HOME": str(settings.home), "NORTHSTAR_SLACK_BOT_TOKEN": "xoxb-test",
        "NORTHSTAR_SLACK_CHANNEL": "#data-warn", "NORTHSTAR_SLACK_PAGE_CHANNEL": "#data-page",
        "NORTHSTAR_SLACK_API_URL": api,
    }).alerts})  # fmt: skip
    seed(wh, settings, orders_end=NOW - timedelta(minutes=25), gate="HELD")  # a page and a warn
    run = monitor_once(bot, NOW)
    assert run.sent == 2
    routed = sorted((m["channel"], fields(m)["header"]) for m in slack.accepted)
    assert routed == [
        ("#data-page", "PAGE: Freshness: orders"),
        ("#data-warn", "WARN: Consistency gate held: consistency"),
    ]
