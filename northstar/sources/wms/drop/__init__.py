"""The WMS/3PL drop folder: the SFTP server (sftp.py) or its local stand-in folder (local.py), one interface."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from northstar.settings import SftpSettings
from northstar.sources.wms.drop.local import LocalDrop
from northstar.sources.wms.drop.sftp import DropFolder, SftpDrop


@contextmanager
def open_drop(cfg: SftpSettings) -> Iterator[DropFolder]:
    """The configured drop folder (SFTP when a host is set, else the local folder), closed afterwards."""
    drop: DropFolder = SftpDrop(cfg) if cfg.host else LocalDrop(Path(cfg.drop_dir), cfg.archive_dir)
    try:
        yield drop
    finally:
        drop.close()
