"""Shared fixtures: real PostgreSQL databases, fakesnow's server, moto's S3 server, Prefect's harness."""

from __future__ import annotations

import atexit
import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from psycopg import sql

from cli.main import main
from demo import seed
from northstar import warehouse
from northstar import warehouse_server as warehouse_server_module
from northstar.landing import LandingStore, LocalLanding, S3Landing
from tests.helpers import Cli

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The session's own Prefect home: the `northstar` subprocesses of a test never start, use or stop (`northstar down`)
# a Prefect server of the developer's home, nor of another pytest process of `make test` (scripts/run_tests.py).
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="northstar-test-prefect-")
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)
os.environ.setdefault("NORTHSTAR_MARTS_PUBLISH", "false")  # dbt only where a test turns it on (tests/test_marts.py)
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def source_db() -> Iterator[str]:
    """A fresh PostgreSQL database holding an empty orders table; dropped afterwards."""
    name = f"northstar_test_{secrets.token_hex(4)}"
    dsn = seed.ensure_database(ADMIN_DSN, name, recreate=True)
    seed.create_schema(dsn)
    try:
        yield dsn
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def fakesnow_server() -> Iterator[dict[str, Any]]:
    """fakesnow's HTTP server (shared in-memory database): the real connector's target in tests."""
    with warehouse.fakesnow_server() as kwargs:
        yield kwargs


@pytest.fixture(scope="session")
def warehouse_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local warehouse with the DDL applied once for the session, closed, named by NORTHSTAR_WAREHOUSE_TEMPLATE
    (inherited by the `northstar` subprocesses): each new home's warehouse starts as a copy of it instead of
    applying the DDL again (~7 s a home). tests/test_warehouse_template.py applies the DDL to a home without it."""
    import duckdb

    folder = tmp_path_factory.mktemp("warehouse-template")
    info = warehouse_server_module.ensure_server(folder, announce=False)
    try:
        conn = warehouse._connector().connect(**info.connect_args(folder), database="NORTHSTAR")
        try:
            warehouse.Warehouse(conn, "NORTHSTAR").ensure_objects()
        finally:
            conn.close()
    finally:
        warehouse_server_module.stop_server(folder)
    duckdb.connect(str(folder / "NORTHSTAR.db")).execute("CHECKPOINT").close()  # the server's last writes, in the file
    os.environ["NORTHSTAR_WAREHOUSE_TEMPLATE"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def warehouse_server(tmp_path_factory: pytest.TempPathFactory, warehouse_template: Path) -> Iterator[str]:
    """One local warehouse server process for the session (northstar/warehouse_server.py); each test's home
    keeps its own database files on it, started from the session's warehouse template. Yields host:port for
    NORTHSTAR_WAREHOUSE_SERVER."""
    folder = tmp_path_factory.mktemp("warehouse-server")
    info = warehouse_server_module.ensure_server(folder, announce=False)
    try:
        yield f"{info.host}:{info.port}"
    finally:
        warehouse_server_module.stop_server(folder)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """moto's S3 server on loopback; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_s3: str) -> str:
    """A new, empty bucket on the moto server."""
    name = f"northstar-landing-{secrets.token_hex(4)}"
    boto3.client("s3", endpoint_url=moto_s3).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> LandingStore:
    """Each landing store in turn: a local folder, and a bucket on moto's S3 server."""
    if request.param == "local":
        return LocalLanding(tmp_path / "landing")
    endpoint = request.getfixturevalue("moto_s3")
    return S3Landing(request.getfixturevalue("s3_bucket"), boto3.client("s3", endpoint_url=endpoint))


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One ephemeral Prefect server for the whole session (it takes ~20 s to start on 2 cores)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def pipeline_env(
    tmp_path: Path, source_db: str, warehouse_server: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., dict[str, str]]:
    """Point the pipeline at a fresh home and source; returns a setter for extra settings."""
    env = {
        "NORTHSTAR_HOME": str(tmp_path / "home"),
        "NORTHSTAR_SOURCE_PG_DSN": source_db,
        "NORTHSTAR_WAREHOUSE_SERVER": warehouse_server,
        # the tests' fixed windows ended long ago; a test of the settle margin sets its own
        "NORTHSTAR_ORDERS_SETTLE_SECONDS": "0",
        "NORTHSTAR_PAYMENTS_SETTLE_SECONDS": "0",
        "NORTHSTAR_FULFILLMENT_SETTLE_SECONDS": "0",
    }
    for key in ("NORTHSTAR_PROFILE", "NORTHSTAR_LANDING_BUCKET", "SNOWFLAKE_ACCOUNT", "NORTHSTAR_MARQUEZ_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def extra(**values: str) -> dict[str, str]:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        return env | values

    return extra


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `northstar ...` in-process as a user (NORTHSTAR_USER): (exit code, stdout, stderr)."""

    def run(user: str, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("NORTHSTAR_USER", user)
        capsys.readouterr()
        out = io.StringIO()
        code = main(list(argv), out=out)
        return code, out.getvalue(), capsys.readouterr().err

    return run
