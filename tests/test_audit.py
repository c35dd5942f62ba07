"""The audit log's hash chain (northstar/audit.py) against the warehouse: appended, verified, tampered with."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from northstar.audit import GENESIS, append_audit, read_audit_log, sha256_text, verify_audit_chain
from northstar.settings import Settings, SnowflakeSettings
from northstar.warehouse import Warehouse, open_warehouse

pytestmark = pytest.mark.integration


@pytest.fixture
def wh(tmp_path: Path, fakesnow_server: dict[str, Any]) -> Iterator[Warehouse]:
    settings = Settings(
        home=tmp_path,
        snowflake=SnowflakeSettings.from_connector_args(fakesnow_server),
        database=f"TEST_{secrets.token_hex(4).upper()}",
    )
    with open_warehouse(settings) as warehouse:
        yield warehouse


def three_entries(wh: Warehouse) -> list[str]:
    """Append three entries; their entry ids in order."""
    return [
        append_audit(wh, kind=kind, actor="alice", subject=f"c-{n}", details={"n": n, "note": "für"}).entry_id
        for n, kind in enumerate(("correction.requested", "correction.approved", "marts.rollback"), start=1)
    ]


def test_entries_chain_each_hash_to_the_previous_one(wh: Warehouse) -> None:
    three_entries(wh)
    entries = read_audit_log(wh)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.prev_hash for e in entries] == [GENESIS, entries[0].hash, entries[1].hash]
    body = {
        "entry_id": entries[1].entry_id, "recorded_at": entries[1].recorded_at, "kind": "correction.approved",
        "actor": "alice", "subject": "c-2", "details": '{"n":2,"note":"für"}', "prev_hash": entries[0].hash,
    }  # fmt: skip
    assert entries[1].hash == sha256_text(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    verdict = verify_audit_chain(wh)
    assert (verdict.ok, verdict.entries, verdict.head, verdict.problem) == (True, 3, entries[2].hash, None)


def test_an_edited_entry_is_named(wh: Warehouse) -> None:
    ids = three_entries(wh)
    wh.execute("UPDATE OPS.AUDIT_LOG SET ACTOR = 'mallory' WHERE SEQ = 2")
    verdict = verify_audit_chain(wh)
    assert (verdict.ok, verdict.first_bad_seq, verdict.first_bad_entry_id, verdict.problem) == (
        False, 2, ids[1], "edited",
    )  # fmt: skip
    assert "entry 2" in verdict.message and "edited" in verdict.message


def test_a_deleted_entry_is_found_at_the_entry_after_it(wh: Warehouse) -> None:
    ids = three_entries(wh)
    wh.execute("DELETE FROM OPS.AUDIT_LOG WHERE SEQ = 2")
    verdict = verify_audit_chain(wh)
    assert (verdict.ok, verdict.first_bad_seq, verdict.first_bad_entry_id, verdict.problem) == (
        False, 3, ids[2], "deleted",
    )  # fmt: skip


def test_a_deleted_and_renumbered_entry_is_still_found(wh: Warehouse) -> None:
    ids = three_entries(wh)
    wh.execute("DELETE FROM OPS.AUDIT_LOG WHERE SEQ = 1")
    wh.execute("UPDATE OPS.AUDIT_LOG SET SEQ = SEQ - 1")
    verdict = verify_audit_chain(wh)
    assert (verdict.first_bad_seq, verdict.first_bad_entry_id, verdict.problem) == (1, ids[1], "deleted")


def test_reordered_entries_are_found(wh: Warehouse) -> None:
    ids = three_entries(wh)
    wh.execute("UPDATE OPS.AUDIT_LOG SET SEQ = CASE SEQ WHEN 2 THEN 3 WHEN 3 THEN 2 ELSE SEQ END")
    verdict = verify_audit_chain(wh)
    assert (verdict.ok, verdict.first_bad_seq, verdict.first_bad_entry_id, verdict.problem) == (
        False, 2, ids[2], "reordered",
    )  # fmt: skip


def test_an_empty_log_is_intact(wh: Warehouse) -> None:
    verdict = verify_audit_chain(wh)
    assert (verdict.ok, verdict.entries, verdict.head) == (True, 0, GENESIS)
