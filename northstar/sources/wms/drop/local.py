"""The local stand-in for the SFTP drop folder (local profile, no NORTHSTAR_SFTP_HOST): a plain folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from northstar.sources.wms.drop.sftp import DONE_SUFFIX, FileGoneError, RemoteFile, archived_name, utc_mtime


class LocalDrop:
    """A local folder standing in for the SFTP drop (local profile, no NORTHSTAR_SFTP_HOST)."""

    def __init__(self, root: Path, archive_dir: str | None) -> None:
        self.root = root
        self.archive_dir = root / archive_dir if archive_dir else None  # a relative archive is inside the drop
        root.mkdir(parents=True, exist_ok=True)

    def list_files(self) -> list[RemoteFile]:
        """The folder's regular files, by path."""
        with os.scandir(self.root) as entries:
            files = [(e.path, e.stat()) for e in entries if e.is_file(follow_symlinks=False)]
        return sorted((RemoteFile(p, s.st_size, utc_mtime(s.st_mtime)) for p, s in files), key=lambda f: f.path)

    def download(self, file: RemoteFile, target: Path) -> None:
        """Copy the file to target."""
        try:
            shutil.copyfile(file.path, target)
        except FileNotFoundError as exc:
            raise FileGoneError(f"{file.path} is gone") from exc

    def archive(self, file: RemoteFile) -> str | None:
        """Move the file (and its marker) into the archive folder if it is still the file processed."""
        now = os.stat(file.path) if self.archive_dir and os.path.exists(file.path) else None
        if self.archive_dir is None or now is None or (now.st_size, utc_mtime(now.st_mtime)) != (file.size, file.mtime):
            return None  # no archive, or gone or replaced since it was processed: leave it alone
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        clash = (self.archive_dir / file.name).exists()
        for source in (file.path + DONE_SUFFIX, file.path):
            if os.path.exists(source):
                os.rename(source, archived_name(str(self.archive_dir / Path(source).name), file, clash))
        return archived_name(str(self.archive_dir / file.name), file, clash)

    def close(self) -> None:
        """Nothing to release."""
