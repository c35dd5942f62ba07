"""The landing store: raw data exactly as received, under deterministic keys, never modified.

S3 in the aws profile (boto3), a local folder with the same key layout otherwise.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from northstar.settings import Settings


class LandingCorrupt(RuntimeError):
    """A landed object no longer matches the sha256 recorded when it was landed (check id `landing.corrupt`).

    Landed raw is write-once, so this means damage after landing: the batch fails FAILED, naming the object, and
    is not retried (a retry reads the same bytes). Recovery (README, "Landed raw is verified when read"): orders,
    move the batch's landed folder aside and rerun the window (it re-extracts and lands a new version); Stripe
    events, re-land them from the Events API within 30 days; a WMS file, ask the sender to send it again.
    """

    check_id = "landing.corrupt"

    def __init__(self, location: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{self.check_id}: {location} has sha256 {actual[:16]}…, landed as {expected[:16]}…; see the README's "
            "'Landed raw is verified when read' for how to recover"
        )
        self.location = location


def _location(store: LandingStore, key: str) -> str:
    """Where a person finds the object: a plain path for a local store (ready for mv), else its URI."""
    uri = store.uri(key)
    return unquote(urlsplit(uri).path) if uri.startswith("file:") else uri


def verified_bytes(store: LandingStore, key: str, sha256: str) -> bytes:
    """The object's bytes after checking them against the sha256 recorded when it was landed; LandingCorrupt
    when they differ."""
    data = store.get(key)
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise LandingCorrupt(_location(store, key), sha256, actual)
    return data


def verified_copy(store: LandingStore, key: str, sha256: str, directory: Path) -> Path:
    """A local file with the object's bytes (as local_copy), checked against its recorded sha256 first."""
    path = store.local_copy(key, directory)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise LandingCorrupt(_location(store, key), sha256, digest.hexdigest())
    return path


class LandingStore(Protocol):
    """Write-once object storage keyed like raw/<source>/dt=YYYY-MM-DD/..."""

    def put_if_absent(self, key: str, data: bytes, retain_until: datetime | None = None) -> bool:
        """Store data under key unless the key exists; True when this call wrote it. retain_until: lock the object
        until then (S3 Object Lock in compliance mode; a local store's objects are write-once anyway)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under key; KeyError when absent."""
        ...

    def exists(self, key: str) -> bool:
        """Whether key holds an object."""
        ...

    def keys(self, prefix: str) -> list[str]:
        """Keys under prefix, sorted."""
        ...

    def list_modified(self, prefix: str) -> list[tuple[str, datetime]]:
        """Keys under prefix with the time each was written (UTC), sorted by key."""
        ...

    def local_copy(self, key: str, directory: Path) -> Path:
        """A local file with the object's bytes (for DuckDB to read), placed in directory."""
        ...

    def uri(self, key: str) -> str:
        """Where a person finds the object."""
        ...


class LocalLanding:
    """A folder laid out like the S3 bucket; writes are atomic renames so no half file is ever seen."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"landing key escapes the store: {key!r}")
        return path

    def put_if_absent(self, key: str, data: bytes, retain_until: datetime | None = None) -> bool:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:  # the temporary file goes whatever happens: a failed write leaves nothing behind
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)  # fails if the key exists: first write wins
        except FileExistsError:
            return False
        finally:
            os.unlink(tmp)
        return True

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise KeyError(key) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def keys(self, prefix: str) -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if not base.exists():
            return []
        files = base.rglob("*") if base.is_dir() else [base]
        return sorted(
            p.relative_to(self.root).as_posix() for p in files if p.is_file() and not p.name.startswith(".tmp-")
        )

    def list_modified(self, prefix: str) -> list[tuple[str, datetime]]:
        return [(key, datetime.fromtimestamp(self._path(key).stat().st_mtime, UTC)) for key in self.keys(prefix)]

    def local_copy(self, key: str, directory: Path) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise KeyError(key)
        return path  # already local; landed files are never modified, so reading in place is safe

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()


class S3Landing:
    """An S3 bucket; conditional puts (If-None-Match) make the first write win."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def put_if_absent(self, key: str, data: bytes, retain_until: datetime | None = None) -> bool:
        lock: dict[str, Any] = {}
        if retain_until is not None:  # the bucket policy refuses evidence (raw/corrections/) put without it
            lock = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": retain_until}
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*", **lock)
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
            ):
                return False
            raise
        return True

    def get(self, key: str) -> bytes:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from exc
            raise
        return bytes(body.read())

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def list_modified(self, prefix: str) -> list[tuple[str, datetime]]:
        found: list[tuple[str, datetime]] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend((obj["Key"], obj["LastModified"].astimezone(UTC)) for obj in page.get("Contents", []))
        return sorted(found)

    def local_copy(self, key: str, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / key.replace("/", "__")
        self.client.download_file(self.bucket, key, str(target))
        return target

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def landing_store(settings: Settings) -> LandingStore:
    """The landing store for the configured profile."""
    if settings.landing.bucket is None:
        return LocalLanding(settings.landing_dir)
    import boto3  # only the aws profile's store needs it (about 0.5 CPU-s to import)

    client = boto3.client("s3", endpoint_url=settings.landing.s3_endpoint_url)
    return S3Landing(settings.landing.bucket, client)


def supersede(store: LandingStore, prefix: str, into: str) -> list[str]:
    """Move every object under prefix to into + its key (an explicit, recorded operator action: a held batch's raw
    is set aside so that its window can be extracted again). The old objects stay readable under their new keys;
    on S3 the bucket's versioning also keeps them under the old ones. Returns the new keys. Landed data is never
    modified: each object moves whole."""
    moved = []
    for key in store.keys(prefix):
        target = into + key
        if isinstance(store, LocalLanding):
            destination = store._path(target)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.rename(store._path(key), destination)
        elif isinstance(store, S3Landing):
            store.client.copy_object(Bucket=store.bucket, Key=target, CopySource={"Bucket": store.bucket, "Key": key})
            store.client.delete_object(Bucket=store.bucket, Key=key)
        else:
            raise TypeError(f"cannot move objects in {type(store).__name__}")
        moved.append(target)
    return moved
