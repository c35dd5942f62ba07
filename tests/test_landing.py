"""The landing store: write-once keys, the same behaviour on a local folder and on S3 (moto's server)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from northstar.landing import LandingStore, LocalLanding


def test_first_write_wins_and_landed_bytes_never_change(store: LandingStore) -> None:
    key = "raw/orders/dt=2026-11-20/batch=b1/manifest.json"
    assert store.put_if_absent(key, b"first") is True
    assert store.put_if_absent(key, b"second") is False
    assert store.get(key) == b"first" and store.exists(key)


def test_listing_and_local_copies(store: LandingStore, tmp_path: Path) -> None:
    for name in ("b.parquet", "a.parquet"):
        store.put_if_absent(f"raw/orders/dt=2026-11-20/batch=b1/{name}", name.encode())
    store.put_if_absent("raw/stripe/dt=2026-11-20/evt_1.json", b"{}")
    assert store.keys("raw/orders/") == [
        "raw/orders/dt=2026-11-20/batch=b1/a.parquet",
        "raw/orders/dt=2026-11-20/batch=b1/b.parquet",
    ]
    modified = dict(store.list_modified("raw/orders/"))
    assert sorted(modified) == store.keys("raw/orders/")
    assert all(abs((datetime.now(UTC) - at).total_seconds()) < 60 for at in modified.values())
    copy = store.local_copy("raw/orders/dt=2026-11-20/batch=b1/a.parquet", tmp_path / "work")
    assert copy.read_bytes() == b"a.parquet"
    assert store.uri("raw/x").endswith("raw/x")


def test_missing_keys_raise_key_error(store: LandingStore) -> None:
    assert not store.exists("raw/none")
    with pytest.raises(KeyError):
        store.get("raw/none")


def test_a_local_key_cannot_escape_the_store(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="escapes"):
        LocalLanding(tmp_path / "landing").put_if_absent("../outside", b"x")
