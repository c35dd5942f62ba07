"""`northstar run monitor`, `northstar monitor`, `northstar alerts list|mute|test` against a seeded home and the
Slack stand-in; bad input is one line and exit 2; the monitors' readings on a seeded ledger, exactly."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cli.alerts import parse_duration
from cli.main import main
from northstar.landing import landing_store
from northstar.monitoring.ledger import read_snapshot
from northstar.monitoring.monitors import Reading, volume
from northstar.settings import load_settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import open_warehouse
from tests.monitor_seed import add_batch, land_arrival, now_minute, now_quarter
from tests.slack_standin import SlackStandIn, slack_standin

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
NOW = now_quarter()


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with slack_standin() as standin:
        yield standin


@pytest.fixture
def home(tmp_path: Path, warehouse_server: str, slack: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in {
        "NORTHSTAR_HOME": str(tmp_path / "home"),
        "NORTHSTAR_WAREHOUSE_SERVER": warehouse_server,
        "NORTHSTAR_SLACK_WEBHOOK_URL": slack.url,
        "NORTHSTAR_USER": "bob",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "home"


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_run_monitor_then_list_mute_and_test(home: Path, slack: SlackStandIn) -> None:
    settings, now = load_settings(), now_minute()  # the CLI's monitor runs on the real clock
    with open_warehouse(settings) as wh:  # everything fresh but fulfillment, whose last hour ended 2 hours ago
        for source in ("orders", "payments"):
            add_batch(wh, source, now, 10)
        add_batch(wh, "fulfillment", now - timedelta(hours=2), 10)
        add_batch(wh, "consistency", now, 30)
        land_arrival(settings, now)
    code, out = run_cli("run", "monitor")
    summary = json.loads(out)
    assert code == 0 and summary["firing"] == ["freshness:fulfillment"] and summary["messages_sent"] == 1
    code, out = run_cli("alerts", "list", "--state", "firing", "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["key"], row["severity"], row["occurrences"], row["pending"]) == (
        "freshness:fulfillment",
        "page",
        1,
        None,
    )
    code, out = run_cli("alerts", "mute", "freshness:fulfillment", "--for", "2h", "--reason", "3PL outage, ticket 42")
    assert code == 0 and out.startswith("muted freshness:fulfillment until ") and "by bob: 3PL outage" in out
    code, out = run_cli("monitor")
    assert code == 0 and json.loads(out)["messages_sent"] == 0 and len(slack.accepted) == 1
    code, out = run_cli("alerts", "list", "--state", "muted")
    assert code == 0 and "freshness:fulfillment" in out and "(1 row)" in out
    code, out = run_cli("alerts", "test")
    assert (code, out) == (0, "warn: sent\n")
    assert slack.accepted[-1]["text"] == "Northstar alert test from bob: this route works."
    with open_warehouse(settings) as wh:
        events = wh.query(read_sql("snowflake/select_ops_alert_events.sql"))
    muted = [e for e in events if e["EVENT"] == "muted"]
    assert [(e["ALERT_KEY"], e["ACTOR"], e["REASON"]) for e in muted] == [
        ("freshness:fulfillment", "bob", "3PL outage, ticket 42")
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["alerts", "mute", "freshness:orders", "--for", "soon", "--reason", "x"], "--for: 'soon' is not a duration"),
        (
            ["alerts", "mute", "nonsense", "--for", "2h", "--reason", "x"],
            "alert key 'nonsense' is not <kind>:<subject>",
        ),
        (["alerts", "mute", "freshness:orders", "--for", "2h", "--reason", " "], "--reason must say why"),
        (["report", "--days", "0", "--out", "x.html"], "--days must be at least 1, not 0"),
        (
            ["run", "monitor", "--start", "2026-11-20T12:00:00+00:00", "--end", "2026-11-20T12:15:00+00:00"],
            "--start/--end do not apply to monitor",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    home: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(*argv)[0] == 2
    err = capsys.readouterr().err
    assert err.startswith(f"northstar: {message}") and err.count("\n") == 1 and "Traceback" not in err


def test_slack_down_is_exit_1_for_the_test_and_exit_0_for_the_monitor(home: Path, slack: SlackStandIn) -> None:
    slack.down = True
    code, out = run_cli("alerts", "test")
    assert code == 1 and out.startswith("warn: Slack route warn: HTTP 503") and slack.url not in out
    code, out = run_cli("run", "monitor")  # an empty ledger: five alerts, one summary, Slack down
    assert code == 0 and json.loads(out)["messages_pending"] == 5


def test_durations() -> None:
    assert [parse_duration(t) for t in ("30m", "2h", "1d", "1h30m")] == [
        timedelta(minutes=30), timedelta(hours=2), timedelta(days=1), timedelta(minutes=90),
    ]  # fmt: skip


def test_volume_readings_on_a_seeded_ledger_holiday_spike_and_zero_rows(home: Path) -> None:
    settings = load_settings()
    with open_warehouse(settings) as wh:
        for k, (orders, payments) in enumerate([(950, 40), (1010, 38), (990, 41), (1000, 39)], start=1):
            add_batch(wh, "orders", NOW - timedelta(weeks=k), orders)  # the same weekly peak every week
            add_batch(wh, "payments", NOW - timedelta(weeks=k), payments)
        orders_id = add_batch(wh, "orders", NOW, 1020)
        payments_id = add_batch(wh, "payments", NOW, 0)
        snap = read_snapshot(wh, landing_store(settings), settings, NOW)
    assert volume(snap, settings.monitor) == [
        Reading("volume", "orders", 1020.0, 884.6, None, "ok", "1020 rows within the band (median 995, score 0.79)",
                orders_id, (NOW - timedelta(minutes=15)).date(), 995.0, 884.6, 1105.4),
        Reading("volume_zero", "payments", 0.0, None, 0.0, "page",
                "0 rows where the same window of the last 4 weeks had a median of 39.5",
                payments_id, (NOW - timedelta(minutes=15)).date(), 39.5, 17.5, 61.5),
    ]  # fmt: skip
