"""Secrets as ECS injects them (values in the environment, infra/stacks.py), not only as files: the SFTP private key
(encrypted, with its passphrase) and the pinned host key line reach the real asyncssh server; the Snowflake PEM key
(encrypted, with its passphrase) reaches the real connector's key-pair login. No secret appears in a repr or an
error message (docs/security.md, section 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncssh
import pytest
import snowflake.connector
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from northstar.settings import SnowflakeSettings, load_settings
from northstar.sources.wms.drop.sftp import DropFolderError, SftpDrop
from tests.sftp_server import SftpTestServer

pytestmark = pytest.mark.integration
PASSPHRASE = "correct horse battery staple 42"


def injected_env(server: SftpTestServer, home: Path, passphrase: str = PASSPHRASE) -> dict[str, str]:
    """The server's settings with the key and known_hosts as values, and no file paths."""
    env = server.env() | {"NORTHSTAR_HOME": str(home)}
    del env["NORTHSTAR_SFTP_KEY_PATH"], env["NORTHSTAR_SFTP_KNOWN_HOSTS"]
    pem = server.client_key.export_private_key("pkcs8-pem", PASSPHRASE).decode()
    return env | {
        "NORTHSTAR_SFTP_PRIVATE_KEY": pem,
        "NORTHSTAR_SFTP_KNOWN_HOSTS_LINE": server.known_hosts_line(server.host_key),
        "NORTHSTAR_SFTP_KEY_PASSPHRASE": passphrase,
    }


def test_sftp_key_and_host_key_injected_as_values_open_the_drop(tmp_path: Path) -> None:
    with SftpTestServer(tmp_path / "sftp") as server:
        server.drop("asn_1.csv", b"shipment_id,order_id\n")
        cfg = load_settings(injected_env(server, tmp_path / "home")).fulfillment.sftp
        assert cfg.key_path is None and cfg.known_hosts is None
        drop = SftpDrop(cfg)
        try:
            assert [f.name for f in drop.list_files()] == ["asn_1.csv"]
        finally:
            drop.close()
        assert PASSPHRASE not in repr(cfg) and "PRIVATE KEY" not in repr(cfg)


def test_a_wrong_sftp_passphrase_fails_clearly_without_the_key(tmp_path: Path) -> None:
    with SftpTestServer(tmp_path / "sftp") as server:
        env = injected_env(server, tmp_path / "home", passphrase="not-the-passphrase")
        drop = SftpDrop(load_settings(env).fulfillment.sftp)
        try:
            with pytest.raises(DropFolderError) as failure:
                drop.list_files()
        finally:
            drop.close()
    message = str(failure.value)
    assert "NORTHSTAR_SFTP_PRIVATE_KEY" in message
    assert "not-the-passphrase" not in message and "PRIVATE KEY" not in message


def test_an_injected_host_key_line_that_does_not_match_is_refused(tmp_path: Path) -> None:
    with SftpTestServer(tmp_path / "sftp") as server:
        other = asyncssh.generate_private_key("ssh-ed25519")
        env = injected_env(server, tmp_path / "home") | {
            "NORTHSTAR_SFTP_KNOWN_HOSTS_LINE": server.known_hosts_line(other)
        }
        drop = SftpDrop(load_settings(env).fulfillment.sftp)
        try:
            with pytest.raises(DropFolderError, match="not trusted"):
                drop.list_files()
        finally:
            drop.close()


def _pem(passphrase: str) -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(passphrase.encode()))  # fmt: skip
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode(), der


def test_snowflake_pem_key_injected_as_a_value_logs_in_with_key_pair(
    tmp_path: Path, fakesnow_server: dict[str, Any]
) -> None:
    pem, der = _pem(PASSPHRASE)
    env = {"NORTHSTAR_HOME": str(tmp_path), "SNOWFLAKE_ACCOUNT": "acme", "SNOWFLAKE_USER": "loader",
           "SNOWFLAKE_PRIVATE_KEY": pem, "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": PASSPHRASE}  # fmt: skip
    cfg = load_settings(env).snowflake
    assert cfg is not None and cfg.connect_args()["private_key"] == der and "password" not in cfg.connect_args()
    assert PASSPHRASE not in repr(cfg) and "PRIVATE KEY" not in repr(cfg)
    # the real connector's key-pair authenticator, against the local fakesnow server
    server = {k: v for k, v in fakesnow_server.items() if k not in ("password", "account", "user")}
    local = SnowflakeSettings(account="fakesnow", user="fake", private_key=SecretStr(pem),
                              private_key_passphrase=SecretStr(PASSPHRASE), connector_args=server)  # fmt: skip
    with snowflake.connector.connect(**local.connect_args()) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
        assert conn.auth_class is not None and type(conn.auth_class).__name__ == "AuthByKeyPair"


def test_a_wrong_snowflake_passphrase_fails_without_the_key() -> None:
    pem, _ = _pem(PASSPHRASE)
    cfg = SnowflakeSettings(account="acme", user="loader", private_key=SecretStr(pem),
                            private_key_passphrase=SecretStr("wrong-passphrase"))  # fmt: skip
    with pytest.raises(ValueError, match="SNOWFLAKE_PRIVATE_KEY: not a PEM private key") as failure:
        cfg.connect_args()
    assert "wrong-passphrase" not in str(failure.value) and "PRIVATE KEY-" not in str(failure.value)
