"""Settings: one typed model, read once from the environment, every variable checked at start-up.

Every setting is an environment variable with a flat name (the README's Settings table); in production ECS
injects the secrets from AWS Secrets Manager as variables. `load_settings()` is the one entry point: it
reads `os.environ` (or a mapping given to it, which then is the whole environment) and returns a frozen
`Settings` whose groups follow the sources (`orders`, `payments`, `fulfillment`) and the shared plumbing
(`consistency`, `landing`, `snowflake`, `lineage`). A bad value fails here, before any run starts, with a
`SettingsError` naming each bad variable on its own line. Secrets are `SecretStr`: a repr or a log line
shows `**********`, and only the code that hands them to a client calls `get_secret_value()`.

The groups are pydantic models whose fields carry their variable's name as `validation_alias`;
`FlatEnvironment`, a pydantic-settings source, lays the flat environment out as the model's nested shape
(each group is given the variables and picks its own), so one validation pass reports every bad variable.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/northstar_demo"
PROJECT_NAME = "northstar-pipeline"  # the name in this repository's pyproject.toml
VARIABLE_PREFIXES = ("NORTHSTAR_", "SNOWFLAKE_", "STRIPE_")


class SettingsError(ValueError):
    """One or more settings are bad or missing; the message has one line per variable: `NAME: what is wrong`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- value types: each parses a variable's text and says what is wrong in a sentence ---------------------


def _whole(unit: str, minimum: int) -> Callable[[Any], Any]:
    """A parser of a whole number of `unit` (at least `minimum`) into a timedelta; a timedelta passes as is."""

    def parse(value: Any) -> Any:
        number: float | None
        if isinstance(value, timedelta):
            number = value / timedelta(**{unit: 1})
        else:
            text = str(value).strip()
            number = int(text) if re.fullmatch(r"[+-]?\d+", text) else None
        if number is None or number < minimum:
            raise ValueError(f"must be a whole number of {unit} >= {minimum}, not {str(value)!r}")
        return timedelta(**{unit: number})

    return parse


def _integer(minimum: int) -> Callable[[Any], Any]:
    """A parser of a whole number (at least `minimum`)."""

    def parse(value: Any) -> Any:
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", text) or int(text) < minimum:
            raise ValueError(f"must be a whole number >= {minimum}, not {str(value)!r}")
        return int(text)

    return parse


def _seconds(value: Any) -> Any:
    """A number of seconds >= 0, decimals allowed."""
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"must be a number of seconds, not {str(value)!r}") from None
    if not number >= 0:  # also refuses nan
        raise ValueError(f"must be at least 0 seconds, not {value}")
    return number


def _flag(value: Any) -> Any:
    """true/false, yes/no, 1/0 (any case)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise ValueError(f"must be true or false, not {str(value)!r}")


def _timezone(value: Any) -> Any:
    """An IANA timezone name that exists (zoneinfo)."""
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"is not an IANA timezone: {str(value)!r}") from None
    return str(value)


def _profile(value: Any) -> Any:
    """local or aws."""
    if value not in ("local", "aws"):
        raise ValueError(f"must be 'local' or 'aws', not {str(value)!r}")
    return value


def _host_port(value: Any) -> Any:
    """host:port, the port a whole number; None stays None."""
    if value is None:
        return None
    host, _, port = str(value).strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"must be host:port, not {str(value)!r}")
    return f"{host}:{int(port)}"


def _secrets(value: Any) -> Any:
    """Comma-separated secrets (a rotation configures two), blanks dropped."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _rate(value: Any) -> Any:
    """A fraction between 0 and 1 (0.01 is 1%)."""
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"must be a fraction between 0 and 1 (0.01 is 1%), not {str(value)!r}") from None
    if not 0 <= number <= 1:
        raise ValueError(f"must be a fraction between 0 and 1 (0.01 is 1%), not {value}")
    return number


def _positive(value: Any) -> Any:
    """A number > 0, decimals allowed."""
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError(f"must be a number > 0, not {str(value)!r}") from None
    if not number > 0:
        raise ValueError(f"must be a number > 0, not {value}")
    return number


def _users(value: Any) -> Any:
    """Comma-separated user names (blanks dropped); a tuple passes through, None stays None."""
    if value is None or isinstance(value, tuple | list):
        return value if value is None else tuple(value)
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _os_user() -> str:
    """The operating system's user name (the acting user when NORTHSTAR_USER is unset)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


Minutes = Annotated[timedelta, BeforeValidator(_whole("minutes", 0))]
PositiveMinutes = Annotated[timedelta, BeforeValidator(_whole("minutes", 1))]
Hours = Annotated[timedelta, BeforeValidator(_whole("hours", 0))]
Seconds = Annotated[timedelta, BeforeValidator(_whole("seconds", 0))]
PositiveSeconds = Annotated[timedelta, BeforeValidator(_whole("seconds", 1))]
Flag = Annotated[bool, BeforeValidator(_flag)]


def _var(name: str, default: Any = None, **kwargs: Any) -> Any:
    """A field read from the variable `name`."""
    return Field(default, validation_alias=name, **kwargs)


class _Group(BaseModel):
    """A group of settings: frozen, built by field name in code or by variable name from the environment."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True)


# --- the groups -------------------------------------------------------------------------------------------


class OrdersSettings(_Group):
    """The orders source (PostgreSQL)."""

    pg_dsn: SecretStr = _var("NORTHSTAR_SOURCE_PG_DSN", SecretStr(DEFAULT_PG_DSN))  # may carry a password
    overlap: Minutes = _var("NORTHSTAR_ORDERS_OVERLAP_MINUTES", timedelta(minutes=5))  # re-read before the watermark
    settle: Seconds = _var("NORTHSTAR_ORDERS_SETTLE_SECONDS", timedelta(seconds=60))  # after a window's end
    # the source reconciliation holds (marks nothing, repairs nothing) when the deletes it finds exceed both: a wrong
    # connection or a truncated table must not wipe CORE
    max_deletes: Annotated[int, BeforeValidator(_integer(0))] = _var("NORTHSTAR_RECONCILE_MAX_DELETES", 100)
    max_delete_percent: Annotated[int, BeforeValidator(_integer(0))] = _var(
        "NORTHSTAR_RECONCILE_MAX_DELETE_PERCENT", 1
    )  # of CORE's orders in the reconciled range


class PaymentsSettings(_Group):
    """The payments source (Stripe): the receiver's signing secrets, the Events API for recovery."""

    webhook_secrets: Annotated[tuple[SecretStr, ...], BeforeValidator(_secrets)] = _var("STRIPE_WEBHOOK_SECRET", ())
    api_key: SecretStr | None = _var("STRIPE_API_KEY")  # a restricted key that can read events
    api_base: str | None = _var("STRIPE_API_BASE")  # only for a Stripe-shaped stand-in
    settle: Seconds = _var("NORTHSTAR_PAYMENTS_SETTLE_SECONDS", timedelta(seconds=60))

    def require_webhook_secrets(self) -> list[str]:
        """The signing secrets' values, for the receiver; SettingsError when none is set."""
        if not self.webhook_secrets:
            raise SettingsError(["STRIPE_WEBHOOK_SECRET: not set: the receiver never accepts unverifiable webhooks"])
        return [s.get_secret_value() for s in self.webhook_secrets]

    def require_api_key(self) -> str:
        """The Events API key's value, for recovery; SettingsError when it is not set."""
        key = self.api_key.get_secret_value().strip() if self.api_key else ""
        if not key:
            raise SettingsError(["STRIPE_API_KEY: not set: recovery lists events through Stripe's Events API"])
        return key


DEFAULT_TEMP_PATTERNS = ("*.filepart", "*.part", "*.tmp", "*.partial", ".*", "~*")  # WinSCP, curl, editors...


def _patterns(value: Any) -> tuple[str, ...]:
    """Comma-separated shell patterns (a tuple passes through); blank means the defaults."""
    if isinstance(value, tuple | list):
        return tuple(value)
    patterns = tuple(p.strip() for p in str(value or "").split(",") if p.strip())
    return patterns or DEFAULT_TEMP_PATTERNS


class SftpSettings(_Group):
    """Where the WMS/3PL drop folder is and how to read it; host None means the local stand-in folder."""

    host: str | None = _var("NORTHSTAR_SFTP_HOST")
    port: Annotated[int, BeforeValidator(_integer(1))] = _var("NORTHSTAR_SFTP_PORT", 22)
    user: str | None = _var("NORTHSTAR_SFTP_USER")
    key_path: Path | None = _var("NORTHSTAR_SFTP_KEY_PATH")
    known_hosts: Path | None = _var("NORTHSTAR_SFTP_KNOWN_HOSTS")
    # The same two as values, as ECS injects secrets (infra/stacks.py): a value wins over its file.
    private_key: SecretStr | None = _var("NORTHSTAR_SFTP_PRIVATE_KEY")
    known_hosts_line: str | None = _var("NORTHSTAR_SFTP_KNOWN_HOSTS_LINE")
    key_passphrase: SecretStr | None = _var("NORTHSTAR_SFTP_KEY_PASSPHRASE")  # when the private key is encrypted
    drop_dir: str = _var("NORTHSTAR_SFTP_DIR", "")  # unset: the login folder "." on a server, else the local folder
    archive_dir: str | None = _var("NORTHSTAR_SFTP_ARCHIVE_DIR")
    done_markers: Flag = _var("NORTHSTAR_SFTP_DONE_MARKERS", False)
    stable_seconds: Annotated[float, BeforeValidator(_seconds)] = _var("NORTHSTAR_SFTP_STABLE_SECONDS", 5.0)
    # Downloads are retried here, per file, and nowhere else (the landing task does not retry a failed download).
    download_attempts: Annotated[int, BeforeValidator(_integer(1))] = _var("NORTHSTAR_SFTP_DOWNLOAD_ATTEMPTS", 3)
    # Names of uploads in progress, never taken (shell patterns, any case); setting the variable replaces the list.
    temp_patterns: Annotated[tuple[str, ...], BeforeValidator(_patterns)] = _var(
        "NORTHSTAR_SFTP_TEMP_PATTERNS", DEFAULT_TEMP_PATTERNS
    )

    @model_validator(mode="after")
    def _server_needs_credentials(self) -> SftpSettings:
        if self.host is not None:
            given = {"user": self.user, "key_path": self.key_path or self.private_key,
                     "known_hosts": self.known_hosts or self.known_hosts_line}  # fmt: skip
            alternative = {"key_path": "NORTHSTAR_SFTP_PRIVATE_KEY", "known_hosts": "NORTHSTAR_SFTP_KNOWN_HOSTS_LINE"}
            lines = [
                f"NORTHSTAR_SFTP_{n.upper()}: must be set with NORTHSTAR_SFTP_HOST"
                + (f" (or {alternative[n]})" if n in alternative else "")
                for n, value in given.items()
                if value is None
            ]
            if lines:
                raise ValueError("\n".join(lines))
        return self

    @property
    def namespace(self) -> str:
        """The OpenLineage namespace of the drop folder's files: the SFTP server's, or locally `file` (names are
        absolute paths), the one namespace of every local file the lineage store names (the landing store's too)."""
        return f"sftp://{self.host}:{self.port}" if self.host else "file"


class FulfillmentSettings(_Group):
    """The fulfillment source: the WMS/3PL SFTP drop and its settle margin."""

    sftp: SftpSettings = Field(default_factory=SftpSettings)
    settle: Seconds = _var("NORTHSTAR_FULFILLMENT_SETTLE_SECONDS", timedelta(seconds=300))


class ConsistencySettings(_Group):
    """The cross-system checks' tunables (README.md, "Cross-system consistency")."""

    # revenue is counted by business day in this IANA timezone
    business_tz: Annotated[str, BeforeValidator(_timezone)] = _var("NORTHSTAR_BUSINESS_TZ", "UTC")
    reference_grace: Hours = _var("NORTHSTAR_REFERENCE_GRACE_HOURS", timedelta(hours=24))  # wait for the order
    duplicate_window: Minutes = _var("NORTHSTAR_DUPLICATE_WINDOW_MINUTES", timedelta(minutes=10))
    # business days (ending today) reconciled and refreshed in the marts each run
    reconcile_days: Annotated[int, BeforeValidator(_integer(1))] = _var("NORTHSTAR_RECONCILE_DAYS", 3)
    # a paid order not shipped after this many days breaks a status rule
    unshipped_days: Annotated[int, BeforeValidator(_integer(0))] = _var("NORTHSTAR_UNSHIPPED_DAYS", 3)
    settle: Seconds = _var("NORTHSTAR_CONSISTENCY_SETTLE_SECONDS", timedelta(0))  # after a window's end


class LandingSettings(_Group):
    """The landing store: a local folder, or an S3 bucket."""

    bucket: str | None = _var("NORTHSTAR_LANDING_BUCKET")
    s3_endpoint_url: str | None = _var("NORTHSTAR_S3_ENDPOINT_URL")  # only for S3-compatible stand-ins


class SnowflakeSettings(_Group):
    """The Snowflake connection; the password or key comes from the environment only, never from code."""

    account: str = _var("SNOWFLAKE_ACCOUNT")
    user: str | None = _var("SNOWFLAKE_USER")
    password: SecretStr | None = _var("SNOWFLAKE_PASSWORD")
    private_key_file: Path | None = _var("SNOWFLAKE_PRIVATE_KEY_FILE")
    private_key: SecretStr | None = _var("SNOWFLAKE_PRIVATE_KEY")  # the PEM, as ECS injects it; wins over the file
    private_key_passphrase: SecretStr | None = _var("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")  # for an encrypted key
    warehouse: str | None = _var("SNOWFLAKE_WAREHOUSE", "NORTHSTAR_LOAD_WH")
    role: str | None = _var("SNOWFLAKE_ROLE", "NORTHSTAR_LOADER")
    # More snowflake.connector.connect arguments, from code only (tests point the connector at fakesnow's server).
    connector_args: dict[str, Any] = Field(default_factory=dict, repr=False)

    @model_validator(mode="after")
    def _needs_user_and_credential(self) -> SnowflakeSettings:
        lines = []
        if not self.user:
            lines.append("SNOWFLAKE_USER: must be set with SNOWFLAKE_ACCOUNT")
        if self.password is None and self.private_key_file is None and self.private_key is None:
            lines.append(
                "SNOWFLAKE_PASSWORD: must be set with SNOWFLAKE_ACCOUNT"
                " (or SNOWFLAKE_PRIVATE_KEY_FILE, SNOWFLAKE_PRIVATE_KEY)"
            )
        if lines:
            raise ValueError("\n".join(lines))
        return self

    @classmethod
    def from_connector_args(cls, args: Mapping[str, Any]) -> SnowflakeSettings:
        """Settings from snowflake.connector.connect arguments as given (what fakesnow's server hands out)."""
        names = ("account", "user", "password", "private_key_file", "warehouse", "role")
        known = {"warehouse": None, "role": None} | {k: args[k] for k in names if k in args}
        return cls(**known, connector_args={k: v for k, v in args.items() if k not in names})

    def connect_args(self) -> dict[str, Any]:
        """Keyword arguments for snowflake.connector.connect, the secret included: hand them to it, never log."""
        args: dict[str, Any] = {"account": self.account, "user": self.user}
        args |= {k: v for k, v in (("warehouse", self.warehouse), ("role", self.role)) if v is not None}
        passphrase = self.private_key_passphrase.get_secret_value() if self.private_key_passphrase else None
        if self.private_key is not None:
            args["private_key"] = _der_private_key(self.private_key.get_secret_value(), passphrase)
        elif self.private_key_file is not None:
            args["private_key_file"] = str(self.private_key_file)
            if passphrase is not None:
                args["private_key_file_pwd"] = passphrase
        elif self.password is not None:
            args["password"] = self.password.get_secret_value()
        return args | self.connector_args


def _der_private_key(pem: str, passphrase: str | None) -> bytes:
    """A PEM private key (PKCS#8, encrypted or not) as the unencrypted DER bytes the connector's `private_key` takes.
    ValueError (no key material in the message) when it does not load."""
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(pem.encode(), passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"SNOWFLAKE_PRIVATE_KEY: not a PEM private key this passphrase opens ({type(exc).__name__})"
        ) from None
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class LineageSettings(_Group):
    """Where lineage goes: Marquez over HTTP, else a JSON-lines file under the home."""

    marquez_url: str | None = _var("NORTHSTAR_MARQUEZ_URL")


class MonitorSettings(_Group):
    """The monitors' thresholds (README, "Monitoring and alerts"); the freshness SLAs are the README's."""

    quarantine_warn: Annotated[float, BeforeValidator(_rate)] = _var("NORTHSTAR_QUARANTINE_WARN_RATE", 0.01)
    quarantine_page: Annotated[float, BeforeValidator(_rate)] = _var("NORTHSTAR_QUARANTINE_PAGE_RATE", 0.05)
    # a batch's robust score (median and MAD of the same window over 4 weeks) below minus this is an anomaly
    volume_score: Annotated[float, BeforeValidator(_positive)] = _var("NORTHSTAR_VOLUME_ANOMALY_SCORE", 3.5)
    gate_held: PositiveMinutes = _var("NORTHSTAR_GATE_HELD_MINUTES", timedelta(minutes=60))  # held or not run
    webhook_silence: PositiveMinutes = _var("NORTHSTAR_WEBHOOK_SILENCE_MINUTES", timedelta(minutes=20))
    lookback: PositiveMinutes = _var("NORTHSTAR_MONITOR_LOOKBACK_MINUTES", timedelta(minutes=60))  # batches judged
    new_reason: Hours = _var("NORTHSTAR_NEW_REASON_HOURS", timedelta(hours=24))  # a reason first seen within is new


class AlertSettings(_Group):
    """Where alerts go (Slack: an incoming webhook per severity, or a bot token and a channel per severity) and
    how often; the webhook URLs and the token are secrets."""

    webhook_url: SecretStr | None = _var("NORTHSTAR_SLACK_WEBHOOK_URL")  # warn, and page unless set below
    page_webhook_url: SecretStr | None = _var("NORTHSTAR_SLACK_PAGE_WEBHOOK_URL")
    bot_token: SecretStr | None = _var("NORTHSTAR_SLACK_BOT_TOKEN")
    channel: str | None = _var("NORTHSTAR_SLACK_CHANNEL")  # with the bot token: warn, and page unless set below
    page_channel: str | None = _var("NORTHSTAR_SLACK_PAGE_CHANNEL")
    api_url: str | None = _var("NORTHSTAR_SLACK_API_URL")  # only for a Slack-shaped stand-in
    timeout: PositiveSeconds = _var("NORTHSTAR_SLACK_TIMEOUT_SECONDS", timedelta(seconds=10))
    reminder: PositiveMinutes = _var("NORTHSTAR_ALERT_REMINDER_MINUTES", timedelta(minutes=240))
    group_over: Annotated[int, BeforeValidator(_integer(1))] = _var("NORTHSTAR_ALERT_GROUP_OVER", 3)
    runbook_base: str = _var("NORTHSTAR_RUNBOOK_BASE_URL", "docs/runbooks/")

    @model_validator(mode="after")
    def _bot_needs_channel(self) -> AlertSettings:
        if self.bot_token is not None and self.webhook_url is None and not self.channel:
            raise ValueError("NORTHSTAR_SLACK_CHANNEL: must be set with NORTHSTAR_SLACK_BOT_TOKEN")
        return self

    @property
    def configured(self) -> bool:
        """Whether any Slack route is set."""
        return self.webhook_url is not None or self.bot_token is not None


# --- the model --------------------------------------------------------------------------------------------


class FlatEnvironment(PydanticBaseSettingsSource):
    """The flat environment laid out as the model's nested shape.

    The root's own fields find their variables by name; each group is given every NORTHSTAR_*, SNOWFLAKE_*
    and STRIPE_* variable and picks its own; `snowflake` is None unless SNOWFLAKE_ACCOUNT is set. An empty
    variable counts as unset.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: __call__ lays out the whole environment at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = {k: v for k, v in self.environ.items() if k.startswith(VARIABLE_PREFIXES) and v.strip() != ""}
        return env | {
            "orders": env,
            "payments": env,
            "fulfillment": {"sftp": env} | env,
            "consistency": env,
            "landing": env,
            "snowflake": env if "SNOWFLAKE_ACCOUNT" in env else None,
            "lineage": env,
            "monitor": env,
            "alerts": env,
        }


class Settings(BaseSettings):
    """Where the landing store, warehouse and lineage live, each source's settings, and the pipeline's tunables.

    Built by `load_settings()` from the environment; code (tests, benchmarks) may construct one directly by
    field name, and then the environment is not read at all.
    """

    model_config = SettingsConfigDict(frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True)

    home: Path = _var("NORTHSTAR_HOME", validate_default=True)  # default: the checkout's .northstar
    # local: embedded defaults for what is not configured; aws: S3, Snowflake, Marquez and SFTP are required
    profile: Annotated[Literal["local", "aws"], BeforeValidator(_profile)] = _var("NORTHSTAR_PROFILE", "local")
    database: str = _var("NORTHSTAR_SNOWFLAKE_DATABASE", "NORTHSTAR")
    code_version: str = Field(default_factory=lambda: git_code_version(), validation_alias="NORTHSTAR_CODE_VERSION")
    lease_ttl: PositiveSeconds = _var("NORTHSTAR_LEASE_SECONDS", timedelta(seconds=900))  # a lease without heartbeat
    # a landed object no batch has taken after this many minutes is a completeness.landed_unprocessed error
    completeness_grace_minutes: Annotated[int, BeforeValidator(_integer(0))] = _var(
        "NORTHSTAR_COMPLETENESS_GRACE_MINUTES", 60
    )
    # host:port of a running local warehouse server shared by many homes (the tests'); None: the home's own
    warehouse_server: Annotated[str | None, BeforeValidator(_host_port)] = _var("NORTHSTAR_WAREHOUSE_SERVER")
    # a folder holding a local warehouse with the DDL applied (its <database>.db): a new home's warehouse starts as a
    # copy of it instead of running the DDL (~7 s); the tests build one per session. None: apply the DDL
    warehouse_template: Path | None = _var("NORTHSTAR_WAREHOUSE_TEMPLATE")
    # who acts (recorded with every audit entry), and who may request and approve corrections (README,
    # "Corrections and audit"); requesters unset: anyone may request
    user: str = Field(default_factory=_os_user, validation_alias="NORTHSTAR_USER")
    approvers: Annotated[tuple[str, ...], BeforeValidator(_users)] = _var("NORTHSTAR_APPROVERS", ())
    requesters: Annotated[tuple[str, ...] | None, BeforeValidator(_users)] = _var("NORTHSTAR_REQUESTERS")
    required_approvals: Annotated[int, BeforeValidator(_integer(1))] = _var("NORTHSTAR_REQUIRED_APPROVALS", 1)
    orders: OrdersSettings = Field(default_factory=OrdersSettings)
    payments: PaymentsSettings = Field(default_factory=PaymentsSettings)
    fulfillment: FulfillmentSettings = Field(default_factory=FulfillmentSettings)
    consistency: ConsistencySettings = Field(default_factory=ConsistencySettings)
    landing: LandingSettings = Field(default_factory=LandingSettings)
    snowflake: SnowflakeSettings | None = None  # None: the embedded fakesnow warehouse
    lineage: LineageSettings = Field(default_factory=LineageSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Values given to the constructor are the whole configuration; with none, the flat environment."""
        if getattr(init_settings, "init_kwargs", None):
            return (init_settings,)
        return (FlatEnvironment(settings_cls, os.environ),)

    @field_validator("home", mode="before")
    @classmethod
    def _resolve_home(cls, value: Any) -> Path:
        home = Path(value).expanduser() if value is not None else checkout_home()
        if home.exists() and not home.is_dir():
            raise ValueError(f"{str(home)!r} exists and is not a folder")
        return home.resolve()

    @field_validator("fulfillment", mode="after")
    @classmethod
    def _default_drop_folder(cls, value: FulfillmentSettings, info: ValidationInfo) -> FulfillmentSettings:
        """NORTHSTAR_SFTP_DIR unset: the server's login folder, or locally $NORTHSTAR_HOME/sftp-drop."""
        sftp = value.sftp
        if sftp.drop_dir == "" and (sftp.host is not None or "home" in info.data):
            folder = "." if sftp.host is not None else str(info.data["home"] / "sftp-drop")
            return value.model_copy(update={"sftp": sftp.model_copy(update={"drop_dir": folder})})
        return value

    @model_validator(mode="after")
    def _aws_needs_real_services(self) -> Settings:
        if self.profile == "aws":
            required = {
                "NORTHSTAR_LANDING_BUCKET": self.landing.bucket,
                "SNOWFLAKE_ACCOUNT": self.snowflake,
                "NORTHSTAR_MARQUEZ_URL": self.lineage.marquez_url,
                "NORTHSTAR_SFTP_HOST": self.fulfillment.sftp.host,
            }
            missing = [f"{name}: must be set in the aws profile" for name, value in required.items() if value is None]
            if missing:
                raise ValueError("\n".join(missing))
        return self

    @property
    def settle(self) -> dict[str, timedelta]:
        """Each source's settle margin by source name (orders, payments, fulfillment, consistency)."""
        return {
            "orders": self.orders.settle,
            "payments": self.payments.settle,
            "fulfillment": self.fulfillment.settle,
            "consistency": self.consistency.settle,
        }

    @property
    def landing_dir(self) -> Path:
        """The local landing store (local profile)."""
        return self.home / "landing"

    @property
    def warehouse_dir(self) -> Path:
        """The embedded warehouse's files (local profile)."""
        return self.home / "warehouse"

    @property
    def lineage_dir(self) -> Path:
        """Lineage events as JSON lines when no Marquez is configured."""
        return self.home / "lineage"

    @property
    def work_dir(self) -> Path:
        """Each batch's derived files, removed when its run ends."""
        return self.home / "work"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from os.environ, or from `env` (then the whole environment); SettingsError when bad.

    Every bad or missing variable is reported at once, one line each: `NAME: what is wrong`.
    """
    try:
        if env is None:
            return Settings()
        return Settings(**FlatEnvironment(Settings, env)())
    except ValidationError as exc:
        raise SettingsError(_problems(exc)) from None


def _problems(exc: ValidationError) -> list[str]:
    """One line per bad variable from pydantic's errors (a secret's value is never repeated)."""
    lines: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        name = _variable(error["loc"])
        if name is not None:
            lines.append(f"{name}: {message}")
        else:  # a group's own check: its message already names its variables, one per line
            lines.extend(message.splitlines())
    return lines


def _variable(loc: tuple[int | str, ...]) -> str | None:
    """The variable an error's location points at (a location holds the alias, or the name for a default)."""
    model: Any = Settings
    name = None
    for part in loc:
        fields = getattr(model, "model_fields", {})
        field = fields.get(part) or next((f for f in fields.values() if f.validation_alias == part), None)
        if field is None:
            return name
        name = field.validation_alias if isinstance(field.validation_alias, str) else None
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):  # SnowflakeSettings | None: the model
            model = next(
                (a for a in getattr(model, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)), None
            )
    return name


def checkout_home() -> Path:
    """The default NORTHSTAR_HOME: `.northstar` in the checkout holding this package (its pyproject.toml).

    Never the current folder: a command run from elsewhere must not start a new, empty warehouse there.
    ValueError when the package is not in a checkout of this project (set NORTHSTAR_HOME then).
    """
    root = Path(__file__).resolve().parents[1]
    try:
        name = tomllib.loads((root / "pyproject.toml").read_text())["project"]["name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        name = None
    if name != PROJECT_NAME:
        raise ValueError(f"not set, and the package is not in a checkout of {PROJECT_NAME} ({root}): set it")
    return root / ".northstar"


def git_code_version() -> str:
    """The checkout's git commit (12 characters) when known, else the package version."""
    head = Path(__file__).resolve().parents[1] / ".git"
    try:
        if head.is_file():  # a worktree: ".git" names the real git directory
            head = Path(head.read_text().split(":", 1)[1].strip())
        ref = (head / "HEAD").read_text().strip()
        if ref.startswith("ref: "):
            ref = _resolve_ref(head, ref[5:])
        return ref[:12]
    except (OSError, IndexError):
        return "0.1.0"


def _resolve_ref(git_dir: Path, ref: str) -> str:
    """A ref's commit, from its file or packed-refs (a worktree shares the main repository's refs)."""
    common = git_dir / "commondir"
    roots = [git_dir] + ([(git_dir / common.read_text().strip()).resolve()] if common.is_file() else [])
    for root in roots:
        if (root / ref).is_file():
            return (root / ref).read_text().strip()
        packed = root / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
    raise OSError(f"ref {ref} not found")
