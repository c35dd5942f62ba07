"""Settings from the environment: one place decides the profile and where everything lives."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_PG_DSN = "postgresql://postgres@127.0.0.1:5432/northstar_demo"


@dataclass(frozen=True)
class ConsistencySettings:
    """The cross-system checks' tunables (README.md, "Cross-system consistency")."""

    business_tz: str = "UTC"  # revenue is counted by business day in this IANA timezone
    reference_grace: timedelta = timedelta(hours=24)  # a payment or line may wait this long for its order
    duplicate_window: timedelta = timedelta(minutes=10)  # same customer, amount, currency within this
    reconcile_days: int = 3  # business days (ending today) reconciled and refreshed in the marts each run
    unshipped_days: int = 3  # a paid order not shipped after this many days breaks a status rule

    def __post_init__(self) -> None:
        ZoneInfo(self.business_tz)  # an unknown zone fails at start, not in the middle of a run
        if self.reconcile_days < 1:
            raise ValueError("NORTHSTAR_RECONCILE_DAYS must be at least 1")


@dataclass(frozen=True)
class Settings:
    """Where the landing store, warehouse and lineage live, and the pipeline's tunables."""

    home: Path
    profile: str  # "local" (embedded defaults) or "aws" (S3, Snowflake, Marquez)
    source_pg_dsn: str
    landing_bucket: str | None = None  # S3 bucket in the aws profile
    s3_endpoint_url: str | None = None  # only for S3-compatible stand-ins (moto in tests)
    # Connection arguments for snowflake.connector.connect; None means the embedded fakesnow warehouse.
    snowflake: dict[str, Any] | None = None
    database: str = "NORTHSTAR"
    marquez_url: str | None = None
    orders_overlap: timedelta = timedelta(minutes=5)
    completeness_grace_minutes: int = 60  # a landed object not taken by a batch after this is an error
    consistency: ConsistencySettings = field(default_factory=lambda: ConsistencySettings())
    code_version: str = field(default_factory=lambda: code_version())

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def lineage_dir(self) -> Path:
        return self.home / "lineage"

    @property
    def work_dir(self) -> Path:
        return self.home / "work"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (ECS injects secrets from AWS Secrets Manager as env vars).

    The aws profile requires S3, Snowflake and Marquez; the local profile uses the embedded default for
    each one that is not configured (a folder, fakesnow, a JSON-lines file).
    """
    env = dict(os.environ if env is None else env)
    profile = env.get("NORTHSTAR_PROFILE", "local")
    if profile not in ("local", "aws"):
        raise ValueError(f"NORTHSTAR_PROFILE must be 'local' or 'aws', not {profile!r}")
    if profile == "aws":
        for name in ("NORTHSTAR_LANDING_BUCKET", "SNOWFLAKE_ACCOUNT", "NORTHSTAR_MARQUEZ_URL"):
            _required(env, name)
    return Settings(
        home=Path(env.get("NORTHSTAR_HOME", ".northstar")).resolve(),
        profile=profile,
        source_pg_dsn=env.get("NORTHSTAR_SOURCE_PG_DSN", DEFAULT_PG_DSN),
        landing_bucket=env.get("NORTHSTAR_LANDING_BUCKET") or None,
        s3_endpoint_url=env.get("NORTHSTAR_S3_ENDPOINT_URL") or None,
        snowflake=_snowflake_from_env(env) if env.get("SNOWFLAKE_ACCOUNT") else None,
        database=env.get("NORTHSTAR_SNOWFLAKE_DATABASE", "NORTHSTAR"),
        marquez_url=env.get("NORTHSTAR_MARQUEZ_URL") or None,
        orders_overlap=timedelta(minutes=int(env.get("NORTHSTAR_ORDERS_OVERLAP_MINUTES", "5"))),
        completeness_grace_minutes=int(env.get("NORTHSTAR_COMPLETENESS_GRACE_MINUTES", "60")),
        consistency=ConsistencySettings(
            business_tz=env.get("NORTHSTAR_BUSINESS_TZ", "UTC"),
            reference_grace=timedelta(hours=float(env.get("NORTHSTAR_REFERENCE_GRACE_HOURS", "24"))),
            duplicate_window=timedelta(minutes=float(env.get("NORTHSTAR_DUPLICATE_WINDOW_MINUTES", "10"))),
            reconcile_days=int(env.get("NORTHSTAR_RECONCILE_DAYS", "3")),
            unshipped_days=int(env.get("NORTHSTAR_UNSHIPPED_DAYS", "3")),
        ),
    )


def _snowflake_from_env(env: dict[str, str]) -> dict[str, Any]:
    """Connector arguments; the password or key comes from the environment only, never from code."""
    args: dict[str, Any] = {
        "account": _required(env, "SNOWFLAKE_ACCOUNT"),
        "user": _required(env, "SNOWFLAKE_USER"),
        "warehouse": env.get("SNOWFLAKE_WAREHOUSE", "NORTHSTAR_LOAD_WH"),
        "role": env.get("SNOWFLAKE_ROLE", "NORTHSTAR_LOADER"),
    }
    if "SNOWFLAKE_PRIVATE_KEY_FILE" in env:
        args["private_key_file"] = env["SNOWFLAKE_PRIVATE_KEY_FILE"]
    else:
        args["password"] = _required(env, "SNOWFLAKE_PASSWORD")
    return args


def _required(env: dict[str, str], name: str) -> str:
    if not env.get(name):
        raise ValueError(f"{name} must be set in the aws profile")
    return env[name]


def code_version() -> str:
    """The deployed code's version: the git commit when known, else the package version."""
    if sha := os.environ.get("NORTHSTAR_CODE_VERSION"):
        return sha
    head = Path(__file__).resolve().parents[1] / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref = (head.parent / ref[5:]).read_text().strip()
        return ref[:12]
    except OSError:
        return "0.1.0"
