"""The WMS/3PL drop folder: an SFTP server (asyncssh, key auth, known_hosts enforced) or a local folder.

Both sit behind one small interface, `DropFolder` (list_files, download, archive, close); a local folder
($NORTHSTAR_HOME/sftp-drop, see local.py) stands in when the local profile has no NORTHSTAR_SFTP_HOST,
so the demo runs fulfillment without a server. A file is taken only when complete: its size and mtime
unchanged across two listings NORTHSTAR_SFTP_STABLE_SECONDS apart, or, with NORTHSTAR_SFTP_DONE_MARKERS,
when the sender has written `<name>.done`. A temporary upload name is never taken, whatever its age: the
name a client writes under before renaming the finished file (WinSCP `<name>.filepart`, FileZilla and
others `.part`/`.tmp`/`.partial`, hidden `.<name>` files, Office-style `~<name>` lock and temp files).
The patterns (shell-style, matched case-insensitively against the file name) are NORTHSTAR_SFTP_TEMP_PATTERNS,
comma-separated, default DEFAULT_TEMP_PATTERNS; setting it replaces the list.
"""

from __future__ import annotations

import asyncio
import fnmatch
import stat
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol, TypeVar

import asyncssh

from northstar.settings import SftpSettings

T = TypeVar("T")
DONE_SUFFIX = ".done"


class DropFolderError(RuntimeError):
    """The drop folder could not be reached, listed or read."""


class FileGoneError(DropFolderError):
    """The file left the drop folder between its listing and its download: there is nothing to take."""


class DownloadFailed(DropFolderError):
    """A download failed NORTHSTAR_SFTP_DOWNLOAD_ATTEMPTS times: the one retry layer for downloads is spent."""


class HostKeyRefused(DropFolderError):
    """The server's host key is unknown or changed (not in NORTHSTAR_SFTP_KNOWN_HOSTS): never retried."""


@dataclass(frozen=True)
class RemoteFile:
    """A regular file in the drop folder as listed: its path there, size and mtime (UTC, whole seconds)."""

    path: str
    size: int
    mtime: datetime

    @property
    def name(self) -> str:
        """The file name without its folder."""
        return PurePosixPath(self.path).name


class DropFolder(Protocol):
    """What the fulfillment flow needs from a drop folder."""

    def list_files(self) -> list[RemoteFile]:
        """Regular files in the drop folder, sorted by name."""

    def download(self, file: RemoteFile, target: Path) -> None:
        """Copy a file to a local path, retrying a dropped connection; DropFolderError when it cannot."""

    def archive(self, file: RemoteFile) -> str | None:
        """Move a processed file (and its .done marker) to the archive folder, if still unchanged; new path."""

    def close(self) -> None:
        """Release the connection."""


def is_temporary(name: str, patterns: tuple[str, ...]) -> bool:
    """Whether a file name is an upload in progress: it matches a pattern (shell-style, any case)."""
    return any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for pattern in patterns)


def complete_files(drop: DropFolder, cfg: SftpSettings) -> list[RemoteFile]:
    """Files safe to take: marked done (with markers) or unchanged in size and mtime across two listings.

    A temporary upload name (cfg.temp_patterns) is never taken, marked or stable: the sender renames it when
    the upload is finished, and the file is taken under its final name.
    """
    first = [f for f in drop.list_files() if not is_temporary(f.name, cfg.temp_patterns)]
    if cfg.done_markers:
        names = {f.name for f in first}
        return [f for f in first if not f.name.endswith(DONE_SUFFIX) and f.name + DONE_SUFFIX in names]
    time.sleep(cfg.stable_seconds)
    before = {f.path: f for f in first}
    return [f for f in drop.list_files() if before.get(f.path) == f and not f.name.endswith(DONE_SUFFIX)]


class SftpDrop:
    """The SFTP drop folder; asyncssh runs on a private event loop thread behind a synchronous facade."""

    def __init__(self, cfg: SftpSettings) -> None:
        self.cfg = cfg
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sftp-client", daemon=True)
        self._thread.start()
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the client loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def list_files(self) -> list[RemoteFile]:
        """The drop folder's regular files, by path."""
        return self._run(self._list())

    def download(self, file: RemoteFile, target: Path) -> None:
        """Copy the file to target, reconnecting and retrying after a dropped connection."""
        self._run(self._download(file, target))

    def archive(self, file: RemoteFile) -> str | None:
        """Move the file into the archive folder when one is configured; its new path."""
        return self._run(self._archive(file)) if self.cfg.archive_dir else None

    def close(self) -> None:
        """Disconnect and stop the client loop."""
        self._run(self._disconnect())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    async def _client(self) -> asyncssh.SFTPClient:
        """The SFTP session, connecting first when there is none; the host key must be in known_hosts."""
        if self._sftp is not None:
            return self._sftp
        cfg = self.cfg
        known_hosts = _known_hosts(cfg)
        try:
            self._conn = await asyncssh.connect(
                cfg.host or "",
                cfg.port,
                username=cfg.user,
                client_keys=[_client_key(cfg)],
                known_hosts=known_hosts,  # never None: None would switch host key checking off
                agent_path=None,
                config=None,  # ignore ~/.ssh/config: every setting comes from NORTHSTAR_SFTP_*
                connect_timeout=30,
            )
            self._sftp = await self._conn.start_sftp_client()
        except asyncssh.HostKeyNotVerifiable as exc:
            raise HostKeyRefused(f"host key of {cfg.host}:{cfg.port} not trusted by {cfg.known_hosts}: {exc}") from exc
        except (OSError, asyncssh.Error) as exc:
            await self._disconnect()
            raise DropFolderError(f"cannot open SFTP session to {cfg.user}@{cfg.host}:{cfg.port}: {exc}") from exc
        return self._sftp

    async def _disconnect(self) -> None:
        """Close the connection (if any); the next call reconnects."""
        if self._conn is not None:
            self._conn.close()
            await self._conn.wait_closed()
        self._conn, self._sftp = None, None

    async def _list(self) -> list[RemoteFile]:
        """The drop folder's regular files, by path."""
        sftp = await self._client()
        try:
            names = await sftp.readdir(self.cfg.drop_dir)
        except (OSError, asyncssh.Error) as exc:
            await self._disconnect()
            raise DropFolderError(f"cannot list {self.cfg.drop_dir}: {exc}") from exc
        base, files = PurePosixPath(self.cfg.drop_dir), [n for n in names if stat.S_ISREG(n.attrs.permissions or 0)]
        found = (
            RemoteFile(str(base / str(n.filename)), n.attrs.size or 0, utc_mtime(n.attrs.mtime or 0)) for n in files
        )
        return sorted(found, key=lambda f: f.path)

    async def _download(self, file: RemoteFile, target: Path) -> None:
        """Copy to target, reconnecting after a dropped connection, up to download_attempts times.

        This loop is the only retry of a download: it retries the one file that failed, on a new connection,
        after a short backoff, without listing the folder, waiting for stability or fetching the hour's other
        files again, which is what a retry of the whole landing task would do (flows/fulfillment_hourly.py
        does not retry a DownloadFailed). The partial file is removed before each retry.
        """
        for attempt in range(1, self.cfg.download_attempts + 1):
            try:
                sftp = await self._client()
                await sftp.get(file.path, str(target))
                return
            except HostKeyRefused:
                raise
            except asyncssh.SFTPNoSuchFile as exc:
                target.unlink(missing_ok=True)
                raise FileGoneError(f"{file.path} is gone") from exc
            except (OSError, asyncssh.Error, DropFolderError) as exc:  # a refused host key was re-raised above
                await self._disconnect()
                target.unlink(missing_ok=True)
                if attempt == self.cfg.download_attempts:
                    raise DownloadFailed(f"download of {file.path} failed {attempt} times: {exc}") from exc
                await asyncio.sleep(min(2.0**attempt / 4, 5.0))

    async def _archive(self, file: RemoteFile) -> str | None:
        """Rename the file (and its marker) into the archive folder if it is still the file processed."""
        sftp = await self._client()
        try:
            now = await sftp.stat(file.path)
        except asyncssh.SFTPNoSuchFile:
            return None
        if (now.size, utc_mtime(now.mtime or 0)) != (file.size, file.mtime):
            return None  # replaced since it was processed: leave the new content for the next run
        archive = PurePosixPath(str(self.cfg.archive_dir))
        await sftp.makedirs(str(archive), exist_ok=True)
        clash = await sftp.exists(str(archive / file.name))
        moved = []
        for source in (file.path, file.path + DONE_SUFFIX):
            if await sftp.exists(source):
                moved.append(archived_name(str(archive / PurePosixPath(source).name), file, clash))
                await sftp.rename(source, moved[-1])
        return moved[0] if moved else None


def _known_hosts(cfg: SftpSettings) -> str | asyncssh.SSHKnownHosts:
    """The pinned host keys: the injected line (NORTHSTAR_SFTP_KNOWN_HOSTS_LINE) or the file; HostKeyRefused when
    neither is there, so host key checking can never be off."""
    if cfg.known_hosts_line:
        return asyncssh.import_known_hosts(cfg.known_hosts_line.replace("\\n", "\n"))
    if cfg.known_hosts is None or not cfg.known_hosts.is_file():
        raise HostKeyRefused(f"known_hosts file {cfg.known_hosts} not found: refusing to connect")
    return str(cfg.known_hosts)


def _client_key(cfg: SftpSettings) -> asyncssh.SSHKey:
    """The client's private key: the injected value (NORTHSTAR_SFTP_PRIVATE_KEY) or the key file, opened with
    NORTHSTAR_SFTP_KEY_PASSPHRASE when set. DropFolderError (no key material in it) when it cannot be read."""
    passphrase = cfg.key_passphrase.get_secret_value() if cfg.key_passphrase else None
    try:
        if cfg.private_key is not None:
            return asyncssh.import_private_key(cfg.private_key.get_secret_value(), passphrase)
        return asyncssh.read_private_key(str(cfg.key_path), passphrase)
    except (OSError, asyncssh.KeyImportError, asyncssh.KeyEncryptionError) as exc:
        source = "NORTHSTAR_SFTP_PRIVATE_KEY" if cfg.private_key is not None else f"key file {cfg.key_path}"
        raise DropFolderError(f"cannot read the SFTP private key ({source}): {type(exc).__name__}") from None


def archived_name(target: str, file: RemoteFile, clash: bool) -> str:
    """Where an archived file goes: its name, or with the file's mtime appended when the name is taken."""
    return f"{target}.{file.mtime:%Y%m%dT%H%M%SZ}" if clash else target


def utc_mtime(epoch: float) -> datetime:
    """An mtime as UTC, truncated to whole seconds (SFTP v3 carries whole seconds)."""
    return datetime.fromtimestamp(int(epoch), UTC)
