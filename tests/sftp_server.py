"""A real SFTP server (asyncssh) on 127.0.0.1, port 0, in a background thread: key auth, a generated host key.

Fixture-friendly: `with SftpTestServer(tmp_path) as server:` (or start()/stop()) serves tmp_path/"root"
(chrooted) to one client key; `env()` gives the NORTHSTAR_SFTP_* settings that reach it; `drop()` writes a
file with a chosen mtime. Two hooks make the awkward cases reproducible: `on_list` runs after every directory
listing (a file that grows between two listings), and `cut_after[name] = n` drops the connection after n
bytes of the first download of that file (`cut_opens[name]` cuts that many downloads): a connection lost
mid-download.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncssh


class _HookedSFTPServer(asyncssh.SFTPServer):
    """asyncssh's file-system SFTP server, chrooted, with the test hooks of its owner."""

    def __init__(self, chan: asyncssh.SSHServerChannel, owner: SftpTestServer) -> None:
        super().__init__(chan, chroot=str(owner.root).encode())
        self._owner = owner
        self._opened: dict[int, tuple[str, int]] = {}  # id(file object) -> (name, attempt number)

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        """Open as usual, counting the opens of each name (the download attempts)."""
        file_obj = super().open(path, pflags, attrs)
        name = os.path.basename(path.decode())
        self._owner.opens[name] += 1
        self._opened[id(file_obj)] = (name, self._owner.opens[name])
        return file_obj

    def read(self, file_obj: object, offset: int, size: int) -> Any:
        """Read as usual, unless this download is to be cut: then drop the connection."""
        name, attempt = self._opened.get(id(file_obj), ("", 0))
        limit = self._owner.cut_after.get(name)
        if limit is not None and attempt <= self._owner.cut_opens.get(name, 1) and offset + size > limit:
            self._owner.cuts[name] += 1
            self.connection.abort()  # the TCP connection drops, as when a network path fails mid-transfer
            return b""
        return super().read(file_obj, offset, size)

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        """List as usual, then run the on_list hook with the number of listings so far."""
        async for name in super().scandir(path):
            yield name
        self._owner.listings += 1
        if self._owner.on_list is not None:
            self._owner.on_list(self._owner.listings)


class SftpTestServer:
    """One SFTP server for a test; start() binds a free loopback port, stop() closes it."""

    def __init__(self, base: Path, user: str = "wms") -> None:
        self.root = base / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.user = user
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.key_path = base / "client_key"
        self.client_key.write_private_key(str(self.key_path))
        self.key_path.chmod(0o600)
        self.known_hosts = base / "known_hosts"
        self.port = 0
        self.on_list: Callable[[int], None] | None = None
        self.cut_after: dict[str, int] = {}
        self.cut_opens: dict[str, int] = {}
        self.opens: Counter[str] = Counter()
        self.cuts: Counter[str] = Counter()
        self.listings = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sftp-test-server", daemon=True)
        self._server: Any = None

    def start(self) -> SftpTestServer:
        """Listen on 127.0.0.1:0 and write the known_hosts file trusting this server's host key."""
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(30)
        self.port = int(self._server.sockets[0].getsockname()[1])
        self.known_hosts.write_text(self.known_hosts_line(self.host_key))
        return self

    async def _listen(self) -> Any:
        """Listen with the host key, the one authorised client key and the hooked SFTP server."""
        authorized = asyncssh.import_authorized_keys(self.client_key.export_public_key().decode())
        return await asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[self.host_key],
            authorized_client_keys=authorized,
            sftp_factory=lambda chan: _HookedSFTPServer(chan, self),
            allow_scp=False,
            config=None,
        )

    def stop(self) -> None:
        """Close the server and its loop thread."""

        async def close() -> None:
            """Close the listener."""
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop.close()

    def __enter__(self) -> SftpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def known_hosts_line(self, key: asyncssh.SSHKey) -> str:
        """A known_hosts line trusting key for this server's address."""
        return f"[127.0.0.1]:{self.port} {key.export_public_key().decode().strip()}\n"

    def env(self, drop_dir: str = "outbound", **extra: str) -> dict[str, str]:
        """NORTHSTAR_SFTP_* settings reaching this server as its one authorised user."""
        (self.root / drop_dir).mkdir(parents=True, exist_ok=True)
        return {
            "NORTHSTAR_SFTP_HOST": "127.0.0.1",
            "NORTHSTAR_SFTP_PORT": str(self.port),
            "NORTHSTAR_SFTP_USER": self.user,
            "NORTHSTAR_SFTP_KEY_PATH": str(self.key_path),
            "NORTHSTAR_SFTP_KNOWN_HOSTS": str(self.known_hosts),
            "NORTHSTAR_SFTP_DIR": f"/{drop_dir}",
            "NORTHSTAR_SFTP_STABLE_SECONDS": "0.2",
        } | extra

    def drop(self, name: str, data: bytes, mtime: datetime | None = None, drop_dir: str = "outbound") -> Path:
        """Write a file into the drop folder (as the sender would), with the given mtime."""
        path = self.root / drop_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime.timestamp(), mtime.timestamp()))
        return path
