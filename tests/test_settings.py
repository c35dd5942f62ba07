"""Settings: every variable read once, typed, and a bad value named at start-up (northstar/settings.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from cli.main import main
from northstar.settings import (
    DEFAULT_PG_DSN,
    Settings,
    SettingsError,
    SnowflakeSettings,
    checkout_home,
    load_settings,
)

REPOSITORY = Path(__file__).resolve().parents[1]


def problems(env: dict[str, str]) -> list[str]:
    """The lines of the SettingsError that loading `env` raises."""
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_defaults_are_the_documented_ones(tmp_path: Path) -> None:
    s = load_settings({"NORTHSTAR_HOME": str(tmp_path)})
    assert (s.home, s.profile, s.database, s.lease_ttl) == (tmp_path, "local", "NORTHSTAR", timedelta(seconds=900))
    assert s.orders.pg_dsn.get_secret_value() == DEFAULT_PG_DSN
    assert (s.orders.overlap, s.orders.settle) == (timedelta(minutes=5), timedelta(seconds=60))
    assert s.payments.settle == timedelta(seconds=60) and s.fulfillment.settle == timedelta(seconds=300)
    assert (s.consistency.settle, s.warehouse_server) == (timedelta(0), None)
    assert (s.payments.webhook_secrets, s.payments.api_key, s.payments.api_base) == ((), None, None)
    sftp = s.fulfillment.sftp
    assert (sftp.host, sftp.drop_dir, sftp.stable_seconds, sftp.download_attempts) == (
        None,
        str(tmp_path / "sftp-drop"),
        5.0,
        3,
    )
    assert sftp.namespace == "file"  # one lineage namespace for every local file (the landing store's is `file` too)
    c = s.consistency
    assert (c.business_tz, c.reference_grace, c.duplicate_window, c.reconcile_days, c.unshipped_days) == (
        "UTC",
        timedelta(hours=24),
        timedelta(minutes=10),
        3,
        3,
    )
    assert (s.landing.bucket, s.snowflake, s.lineage.marquez_url) == (None, None, None)
    assert (s.approvers, s.requesters, s.required_approvals) == ((), None, 1) and s.user
    assert (s.landing_dir, s.warehouse_dir, s.lineage_dir, s.work_dir) == tuple(
        tmp_path / name for name in ("landing", "warehouse", "lineage", "work")
    )


def test_every_documented_variable_reaches_its_setting(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    s = load_settings(
        {
            "NORTHSTAR_HOME": str(tmp_path / "home"),
            "NORTHSTAR_PROFILE": "aws",
            "NORTHSTAR_SOURCE_PG_DSN": "postgresql://loader:pw@db:5432/shop",
            "NORTHSTAR_ORDERS_OVERLAP_MINUTES": "7",
            "NORTHSTAR_ORDERS_SETTLE_SECONDS": "30",
            "NORTHSTAR_PAYMENTS_SETTLE_SECONDS": "90",
            "NORTHSTAR_FULFILLMENT_SETTLE_SECONDS": "600",
            "NORTHSTAR_CONSISTENCY_SETTLE_SECONDS": "5",
            "NORTHSTAR_LEASE_SECONDS": "120",
            "NORTHSTAR_WAREHOUSE_SERVER": "127.0.0.1:7000",
            "NORTHSTAR_LANDING_BUCKET": "landing",
            "NORTHSTAR_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "SNOWFLAKE_ACCOUNT": "acme-eu",
            "SNOWFLAKE_USER": "loader",
            "SNOWFLAKE_PRIVATE_KEY_FILE": str(key),
            "SNOWFLAKE_WAREHOUSE": "WH",
            "SNOWFLAKE_ROLE": "ROLE",
            "NORTHSTAR_SNOWFLAKE_DATABASE": "PROD",
            "NORTHSTAR_MARQUEZ_URL": "http://marquez:5000",
            "NORTHSTAR_CODE_VERSION": "abc123",
            "NORTHSTAR_SFTP_HOST": "sftp.3pl.example",
            "NORTHSTAR_SFTP_PORT": "2222",
            "NORTHSTAR_SFTP_USER": "northstar",
            "NORTHSTAR_SFTP_KEY_PATH": str(key),
            "NORTHSTAR_SFTP_KNOWN_HOSTS": str(tmp_path / "known_hosts"),
            "NORTHSTAR_SFTP_ARCHIVE_DIR": "/archive",
            "NORTHSTAR_SFTP_DONE_MARKERS": "yes",
            "NORTHSTAR_SFTP_STABLE_SECONDS": "0.5",
            "NORTHSTAR_SFTP_DOWNLOAD_ATTEMPTS": "5",
            "NORTHSTAR_SFTP_PRIVATE_KEY": "-----BEGIN OPENSSH PRIVATE KEY-----",
            "NORTHSTAR_SFTP_KNOWN_HOSTS_LINE": "sftp.3pl.example ssh-ed25519 AAAA",
            "NORTHSTAR_SFTP_KEY_PASSPHRASE": "sftp-pass",
            "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "key-pass",
            "NORTHSTAR_BUSINESS_TZ": "America/New_York",
            "NORTHSTAR_REFERENCE_GRACE_HOURS": "2",
            "NORTHSTAR_DUPLICATE_WINDOW_MINUTES": "15",
            "NORTHSTAR_RECONCILE_DAYS": "4",
            "NORTHSTAR_UNSHIPPED_DAYS": "5",
            "STRIPE_WEBHOOK_SECRET": " whsec_new , whsec_old ",
            "STRIPE_API_KEY": "rk_live_x",
            "STRIPE_API_BASE": "http://127.0.0.1:12111",
            "NORTHSTAR_USER": "alice",
            "NORTHSTAR_APPROVERS": "bob, carol",
            "NORTHSTAR_REQUESTERS": "alice,dave",
            "NORTHSTAR_REQUIRED_APPROVALS": "2",
            "UNRELATED": "ignored",
        }
    )
    assert (s.user, s.approvers, s.requesters, s.required_approvals) == (
        "alice",
        ("bob", "carol"),
        ("alice", "dave"),
        2,
    )
    assert (s.profile, s.database, s.code_version, s.lease_ttl) == ("aws", "PROD", "abc123", timedelta(seconds=120))
    assert s.orders.pg_dsn.get_secret_value() == "postgresql://loader:pw@db:5432/shop"
    assert (s.orders.overlap, s.orders.settle) == (timedelta(minutes=7), timedelta(seconds=30))
    assert (s.payments.settle, s.fulfillment.settle) == (timedelta(seconds=90), timedelta(seconds=600))
    assert s.settle == {
        "orders": timedelta(seconds=30),
        "payments": timedelta(seconds=90),
        "fulfillment": timedelta(seconds=600),
        "consistency": timedelta(seconds=5),
    }
    assert s.warehouse_server == "127.0.0.1:7000"
    assert s.payments.require_webhook_secrets() == ["whsec_new", "whsec_old"]
    assert (s.payments.require_api_key(), s.payments.api_base) == ("rk_live_x", "http://127.0.0.1:12111")
    sftp = s.fulfillment.sftp
    assert (sftp.host, sftp.port, sftp.user, sftp.key_path, sftp.drop_dir, sftp.archive_dir) == (
        "sftp.3pl.example",
        2222,
        "northstar",
        key,
        ".",  # the login folder when NORTHSTAR_SFTP_DIR is unset
        "/archive",
    )
    assert (sftp.done_markers, sftp.stable_seconds, sftp.download_attempts) == (True, 0.5, 5)
    assert sftp.private_key is not None and sftp.key_passphrase is not None
    assert (sftp.private_key.get_secret_value(), sftp.key_passphrase.get_secret_value()) == (
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "sftp-pass",
    )
    assert sftp.known_hosts_line == "sftp.3pl.example ssh-ed25519 AAAA"
    assert sftp.namespace == "sftp://sftp.3pl.example:2222"
    assert (s.landing.bucket, s.landing.s3_endpoint_url, s.lineage.marquez_url) == (
        "landing",
        "http://127.0.0.1:9000",
        "http://marquez:5000",
    )
    assert s.snowflake is not None
    assert s.snowflake.connect_args() == {
        "account": "acme-eu",
        "user": "loader",
        "warehouse": "WH",
        "role": "ROLE",
        "private_key_file": str(key),
        "private_key_file_pwd": "key-pass",  # the PEM as a value: tests/test_injected_secrets.py
    }
    c = s.consistency
    assert (c.business_tz, c.reference_grace, c.duplicate_window, c.reconcile_days, c.unshipped_days) == (
        "America/New_York",
        timedelta(hours=2),
        timedelta(minutes=15),
        4,
        5,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NORTHSTAR_PROFILE", "prod", "must be 'local' or 'aws', not 'prod'"),
        ("NORTHSTAR_BUSINESS_TZ", "Europe/Atlantis", "is not an IANA timezone: 'Europe/Atlantis'"),
        ("NORTHSTAR_REFERENCE_GRACE_HOURS", "1.5", "must be a whole number of hours >= 0, not '1.5'"),
        ("NORTHSTAR_REFERENCE_GRACE_HOURS", "a day", "must be a whole number of hours >= 0, not 'a day'"),
        ("NORTHSTAR_ORDERS_OVERLAP_MINUTES", "-5", "must be a whole number of minutes >= 0, not '-5'"),
        ("NORTHSTAR_DUPLICATE_WINDOW_MINUTES", "ten", "must be a whole number of minutes >= 0, not 'ten'"),
        ("NORTHSTAR_RECONCILE_DAYS", "0", "must be a whole number >= 1, not '0'"),
        ("NORTHSTAR_UNSHIPPED_DAYS", "3d", "must be a whole number >= 0, not '3d'"),
        ("NORTHSTAR_LEASE_SECONDS", "0", "must be a whole number of seconds >= 1, not '0'"),
        ("NORTHSTAR_ORDERS_SETTLE_SECONDS", "1m", "must be a whole number of seconds >= 0, not '1m'"),
        ("NORTHSTAR_PAYMENTS_SETTLE_SECONDS", "-1", "must be a whole number of seconds >= 0, not '-1'"),
        ("NORTHSTAR_FULFILLMENT_SETTLE_SECONDS", "5.5", "must be a whole number of seconds >= 0, not '5.5'"),
        ("NORTHSTAR_CONSISTENCY_SETTLE_SECONDS", "soon", "must be a whole number of seconds >= 0, not 'soon'"),
        ("NORTHSTAR_WAREHOUSE_SERVER", "localhost", "must be host:port, not 'localhost'"),
        ("NORTHSTAR_SFTP_PORT", "ssh", "must be a whole number >= 1, not 'ssh'"),
        ("NORTHSTAR_SFTP_STABLE_SECONDS", "-0.1", "must be at least 0 seconds, not -0.1"),
        ("NORTHSTAR_SFTP_DOWNLOAD_ATTEMPTS", "0", "must be a whole number >= 1, not '0'"),
        ("NORTHSTAR_SFTP_DONE_MARKERS", "maybe", "must be true or false, not 'maybe'"),
        ("NORTHSTAR_QUARANTINE_WARN_RATE", "1%", "must be a fraction between 0 and 1 (0.01 is 1%), not '1%'"),
        ("NORTHSTAR_QUARANTINE_PAGE_RATE", "5", "must be a fraction between 0 and 1 (0.01 is 1%), not 5"),
        ("NORTHSTAR_VOLUME_ANOMALY_SCORE", "0", "must be a number > 0, not 0"),
        ("NORTHSTAR_GATE_HELD_MINUTES", "0", "must be a whole number of minutes >= 1, not '0'"),
        ("NORTHSTAR_ALERT_REMINDER_MINUTES", "4h", "must be a whole number of minutes >= 1, not '4h'"),
        ("NORTHSTAR_ALERT_GROUP_OVER", "0", "must be a whole number >= 1, not '0'"),
        ("NORTHSTAR_REQUIRED_APPROVALS", "0", "must be a whole number >= 1, not '0'"),
    ],
)
def test_a_bad_value_is_one_line_naming_its_variable(tmp_path: Path, variable: str, value: str, message: str) -> None:
    assert problems({"NORTHSTAR_HOME": str(tmp_path), variable: value}) == [f"{variable}: {message}"]


def test_every_bad_variable_is_reported_at_once(tmp_path: Path) -> None:
    env = {
        "NORTHSTAR_HOME": str(tmp_path),
        "NORTHSTAR_PROFILE": "staging",
        "NORTHSTAR_REFERENCE_GRACE_HOURS": "x",
        "NORTHSTAR_BUSINESS_TZ": "Mars/Olympus_Mons",
        "NORTHSTAR_ORDERS_OVERLAP_MINUTES": "-1",
    }
    assert sorted(line.split(":")[0] for line in problems(env)) == sorted(k for k in env if k != "NORTHSTAR_HOME")


def test_missing_companions_and_the_aws_profile_name_each_variable(tmp_path: Path) -> None:
    home = {"NORTHSTAR_HOME": str(tmp_path)}
    assert problems(home | {"NORTHSTAR_SFTP_HOST": "sftp.example", "NORTHSTAR_SFTP_USER": "u"}) == [
        "NORTHSTAR_SFTP_KEY_PATH: must be set with NORTHSTAR_SFTP_HOST (or NORTHSTAR_SFTP_PRIVATE_KEY)",
        "NORTHSTAR_SFTP_KNOWN_HOSTS: must be set with NORTHSTAR_SFTP_HOST (or NORTHSTAR_SFTP_KNOWN_HOSTS_LINE)",
    ]
    assert problems(home | {"SNOWFLAKE_ACCOUNT": "acme"}) == [
        "SNOWFLAKE_USER: must be set with SNOWFLAKE_ACCOUNT",
        "SNOWFLAKE_PASSWORD: must be set with SNOWFLAKE_ACCOUNT (or SNOWFLAKE_PRIVATE_KEY_FILE, SNOWFLAKE_PRIVATE_KEY)",
    ]
    assert problems(home | {"NORTHSTAR_PROFILE": "aws"}) == [
        "NORTHSTAR_LANDING_BUCKET: must be set in the aws profile",
        "SNOWFLAKE_ACCOUNT: must be set in the aws profile",
        "NORTHSTAR_MARQUEZ_URL: must be set in the aws profile",
        "NORTHSTAR_SFTP_HOST: must be set in the aws profile",
    ]
    settings = load_settings(home)
    with pytest.raises(SettingsError, match=r"^STRIPE_WEBHOOK_SECRET: not set"):
        settings.payments.require_webhook_secrets()
    with pytest.raises(SettingsError, match=r"^STRIPE_API_KEY: not set"):
        settings.payments.require_api_key()


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    s = load_settings({"NORTHSTAR_HOME": str(tmp_path), "NORTHSTAR_PROFILE": "", "NORTHSTAR_LANDING_BUCKET": " "})
    assert (s.profile, s.landing.bucket) == ("local", None)


def test_secrets_never_show_in_a_repr_or_an_error(tmp_path: Path) -> None:
    secrets = ["whsec_topsecret1", "rk_live_topsecret2", "sf-topsecret3", "pg-topsecret4"]
    s = load_settings(
        {
            "NORTHSTAR_HOME": str(tmp_path),
            "STRIPE_WEBHOOK_SECRET": secrets[0],
            "STRIPE_API_KEY": secrets[1],
            "SNOWFLAKE_ACCOUNT": "acme",
            "SNOWFLAKE_USER": "loader",
            "SNOWFLAKE_PASSWORD": secrets[2],
            "NORTHSTAR_SOURCE_PG_DSN": f"postgresql://loader:{secrets[3]}@db/shop",
        }
    )
    shown = repr(s) + str(s) + s.model_dump_json()
    assert not [secret for secret in secrets if secret in shown]
    assert s.snowflake is not None and s.snowflake.connect_args()["password"] == secrets[2]  # given to the connector
    bad = problems({"NORTHSTAR_HOME": str(tmp_path), "STRIPE_API_KEY": secrets[1], "NORTHSTAR_LEASE_SECONDS": "x"})
    assert bad == ["NORTHSTAR_LEASE_SECONDS: must be a whole number of seconds >= 1, not 'x'"]


def test_a_mapping_is_the_whole_environment_and_code_may_build_settings_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHSTAR_PROFILE", "aws")  # would fail if os.environ leaked into either
    monkeypatch.setenv("NORTHSTAR_ORDERS_OVERLAP_MINUTES", "-1")
    assert load_settings({"NORTHSTAR_HOME": str(tmp_path)}).profile == "local"
    args = {"account": "a", "user": "u", "password": "p"}
    direct = Settings(home=tmp_path, snowflake=SnowflakeSettings.from_connector_args(args))
    assert (direct.profile, direct.orders.overlap) == ("local", timedelta(minutes=5))
    assert direct.snowflake is not None and direct.snowflake.connect_args() == args  # no warehouse or role added
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    with pytest.raises(SettingsError, match="NORTHSTAR_ORDERS_OVERLAP_MINUTES"):
        load_settings()  # without a mapping: os.environ


def test_home_defaults_to_the_checkout_never_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).home == REPOSITORY / ".northstar" == checkout_home()
    assert load_settings({"NORTHSTAR_HOME": "relative"}).home == tmp_path / "relative"  # explicit: as given
    assert not (tmp_path / ".northstar").exists()


def test_a_home_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    assert problems({"NORTHSTAR_HOME": str(tmp_path / "file")}) == [
        f"NORTHSTAR_HOME: {str(tmp_path / 'file')!r} exists and is not a folder"
    ]


def test_outside_a_checkout_home_must_be_set(tmp_path: Path) -> None:
    """A copy of the package outside any checkout (as installed) refuses to guess a home."""
    package = tmp_path / "site" / "northstar"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text((REPOSITORY / "northstar" / "settings.py").read_text())
    code = (
        "from northstar.settings import SettingsError, load_settings\n"
        "try:\n    load_settings({})\nexcept SettingsError as e:\n    print(e)\n"
        "print(load_settings({'NORTHSTAR_HOME': 'h'}).home.name)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")},
                          capture_output=True, text=True, check=True)  # fmt: skip
    first, second = done.stdout.splitlines()
    assert first.startswith("NORTHSTAR_HOME: not set, and the package is not in a checkout of northstar-pipeline")
    assert second == "h"


def test_the_command_prints_bad_settings_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NORTHSTAR_HOME", str(tmp_path))
    monkeypatch.setenv("NORTHSTAR_PROFILE", "production")
    monkeypatch.setenv("NORTHSTAR_REFERENCE_GRACE_HOURS", "1.5")
    assert main(["batches"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "northstar: NORTHSTAR_PROFILE: must be 'local' or 'aws', not 'production'",
        "northstar: NORTHSTAR_REFERENCE_GRACE_HOURS: must be a whole number of hours >= 0, not '1.5'",
    ]
    assert not (tmp_path / "warehouse").exists()  # nothing ran


def test_the_installed_command_exits_2_with_the_message(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "NORTHSTAR_HOME": str(tmp_path), "NORTHSTAR_BUSINESS_TZ": "Nowhere/Special"}
    done = subprocess.run([str(Path(sys.executable).parent / "northstar"), "checks"], env=env, capture_output=True,
                          text=True)  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "northstar: NORTHSTAR_BUSINESS_TZ: is not an IANA timezone: 'Nowhere/Special'\n"


def test_monitoring_and_alert_settings_defaults_variables_and_secrets(tmp_path: Path) -> None:
    d = load_settings({"NORTHSTAR_HOME": str(tmp_path)})
    assert (d.monitor.quarantine_warn, d.monitor.quarantine_page, d.monitor.volume_score) == (0.01, 0.05, 3.5)
    assert (d.monitor.gate_held, d.monitor.webhook_silence, d.monitor.lookback, d.monitor.new_reason) == (
        timedelta(minutes=60), timedelta(minutes=20), timedelta(minutes=60), timedelta(hours=24),
    )  # fmt: skip
    assert (d.alerts.configured, d.alerts.reminder, d.alerts.group_over, d.alerts.timeout) == (
        False, timedelta(minutes=240), 3, timedelta(seconds=10),
    )  # fmt: skip
    hook, page_hook, token = "https://hooks.slack.com/services/T/B/warnsecret", "https://hooks/pagesecret", "xoxb-9"
    s = load_settings({
        "NORTHSTAR_HOME": str(tmp_path), "NORTHSTAR_QUARANTINE_WARN_RATE": "0.02",
        "NORTHSTAR_QUARANTINE_PAGE_RATE": "0.1", "NORTHSTAR_VOLUME_ANOMALY_SCORE": "4.5",
        "NORTHSTAR_GATE_HELD_MINUTES": "90", "NORTHSTAR_WEBHOOK_SILENCE_MINUTES": "30",
        "NORTHSTAR_MONITOR_LOOKBACK_MINUTES": "120", "NORTHSTAR_NEW_REASON_HOURS": "48",
        "NORTHSTAR_SLACK_WEBHOOK_URL": hook, "NORTHSTAR_SLACK_PAGE_WEBHOOK_URL": page_hook,
        "NORTHSTAR_SLACK_BOT_TOKEN": token, "NORTHSTAR_SLACK_CHANNEL": "#data-alerts",
        "NORTHSTAR_SLACK_PAGE_CHANNEL": "#data-page", "NORTHSTAR_SLACK_API_URL": "http://127.0.0.1:1/api",
        "NORTHSTAR_SLACK_TIMEOUT_SECONDS": "5", "NORTHSTAR_ALERT_REMINDER_MINUTES": "60",
        "NORTHSTAR_ALERT_GROUP_OVER": "5", "NORTHSTAR_RUNBOOK_BASE_URL": "https://git.example/runbooks",
    })  # fmt: skip
    m, a = s.monitor, s.alerts
    assert (m.quarantine_warn, m.quarantine_page, m.volume_score, m.gate_held) == (0.02, 0.1, 4.5, timedelta(hours=1.5))
    assert (m.webhook_silence, m.lookback, m.new_reason) == (
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(days=2),
    )
    assert a.webhook_url is not None and a.webhook_url.get_secret_value() == hook
    assert a.page_webhook_url is not None and a.page_webhook_url.get_secret_value() == page_hook
    assert a.bot_token is not None and a.bot_token.get_secret_value() == token
    assert (a.channel, a.page_channel, a.api_url, a.timeout) == (
        "#data-alerts", "#data-page", "http://127.0.0.1:1/api", timedelta(seconds=5),
    )  # fmt: skip
    assert (a.reminder, a.group_over, a.runbook_base) == (timedelta(hours=1), 5, "https://git.example/runbooks")
    shown = repr(s) + str(s) + s.model_dump_json()
    assert not [secret for secret in ("warnsecret", "pagesecret", token) if secret in shown]
    bot_alone = problems({"NORTHSTAR_HOME": str(tmp_path), "NORTHSTAR_SLACK_BOT_TOKEN": token})
    assert bot_alone == ["NORTHSTAR_SLACK_CHANNEL: must be set with NORTHSTAR_SLACK_BOT_TOKEN"]
