"""The audit log (OPS.AUDIT_LOG): every auditable event as one entry of a hash chain.

Who calls it: the corrections (every request, approval, rejection, application and verification), and any
command that changes published numbers by hand: a reprocess, a marts rollback, a manual gate override, an alert
mute, an incident note. The interface is one function to write and one to check:

    append_audit(wh, kind="marts.rollback", actor=current_user(settings), subject=publication_id,
                 details={"from": "...", "to": "...", "reason": "..."})
    verify_audit_chain(wh)  # AuditVerdict: ok, or the first bad entry and what is wrong with it

An entry's HASH is the sha256 (hex) of the canonical JSON (`canonical_json`: keys sorted, no spaces, UTF-8) of
`{"entry_id", "recorded_at", "kind", "actor", "subject", "details", "prev_hash"}`, where `prev_hash` is the HASH
of the entry before it in SEQ order (64 zeros for the first). Editing an entry breaks its own hash; deleting one
breaks the next entry's `prev_hash` (and leaves a gap in SEQ); swapping two entries' places breaks the chain
while each entry's own hash still holds, which is how `verify_audit_chain` tells the three apart. Deleting the
newest entries leaves a shorter valid chain: the evidence bundles record the head they saw (`audit_head`), and
production keeps a copy of the log's head outside the warehouse (S3 Object Lock), against which that is checked.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse, WarehouseConflict, jsonable

GENESIS = "0" * 64
LOCK = "audit"
LOCK_ATTEMPTS = 30
LOCK_WAIT_SECONDS = 0.5


def canonical_json(value: Any) -> str:
    """The one text of a JSON value that gets hashed: keys sorted, no spaces, non-ASCII kept, dates as ISO text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    plain = jsonable(value)
    return plain if plain is not value else str(value)


def sha256_text(text: str) -> str:
    """sha256 (hex) of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One entry of OPS.AUDIT_LOG; `details` is the canonical JSON text exactly as hashed."""

    seq: int
    entry_id: str
    recorded_at: str  # UTC, ISO-8601 with milliseconds and Z
    kind: str
    actor: str
    subject: str
    details: str
    prev_hash: str
    hash: str

    def content_hash(self) -> str:
        """The hash this entry's content and prev_hash call for (equal to `hash` when untouched)."""
        body = {k: v for k, v in asdict(self).items() if k not in ("seq", "hash")}
        return sha256_text(canonical_json(body))

    def as_dict(self) -> dict[str, Any]:
        """The entry with its details parsed back into JSON, for the CLI and the evidence bundles."""
        return asdict(self) | {"details": json.loads(self.details)}


@dataclass(frozen=True)
class AuditVerdict:
    """What `verify_audit_chain` found: ok, or the first bad entry (by SEQ) and what is wrong with it.

    problem is one of `edited` (its content no longer matches its hash), `deleted` (the entry before it is gone),
    `reordered` (it no longer follows the entry it was appended after).
    """

    ok: bool
    entries: int
    head: str  # the HASH of the last entry (64 zeros for an empty log)
    first_bad_seq: int | None = None
    first_bad_entry_id: str | None = None
    problem: str | None = None
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The verdict's fields, for --json."""
        return asdict(self)


def append_audit(wh: Warehouse, *, kind: str, actor: str, subject: str, details: dict[str, Any]) -> AuditEntry:
    """Append one entry at the chain's head and return it.

    kind names the event (`correction.approved`, `reprocess`, `marts.rollback`, `gate.override`, ...), actor the
    acting user (northstar.identity.current_user), subject what it is about (a correction id, a batch id, a
    publication), details anything JSON can carry (dates become ISO text). Runs its own transaction under the
    `audit` lock (OPS.LOAD_LOCKS), so call it outside an open transaction; two appenders never fork the chain.
    Raises WarehouseConflict when the lock stayed taken for LOCK_ATTEMPTS waits.
    """
    text = canonical_json(details)
    wh.run_file("snowflake/insert_into_ops_load_locks.sql", {"name": LOCK})
    for attempt in range(LOCK_ATTEMPTS):
        try:
            with wh.transaction():
                wh.run_file("snowflake/update_ops_load_locks.sql", {"name": LOCK, "owner": actor, "now": _now()})
                return _append(wh, kind, actor, subject, text)
        except WarehouseConflict:
            if attempt == LOCK_ATTEMPTS - 1:
                raise
            time.sleep(LOCK_WAIT_SECONDS)
    raise AssertionError("unreachable")


def _append(wh: Warehouse, kind: str, actor: str, subject: str, details: str) -> AuditEntry:
    head = wh.query(read_sql("snowflake/select_ops_audit_log_head.sql"))
    seq = int(head[0]["SEQ"]) + 1 if head else 1
    prev = str(head[0]["HASH"]) if head else GENESIS
    recorded = _now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    draft = AuditEntry(seq, secrets.token_hex(8), recorded, kind, actor, subject, details, prev, "")
    entry = AuditEntry(**(asdict(draft) | {"hash": draft.content_hash()}))
    wh.run_file("snowflake/insert_into_ops_audit_log.sql", asdict(entry))
    return entry


def read_audit_log(wh: Warehouse) -> list[AuditEntry]:
    """Every entry in SEQ order."""
    rows = wh.query(read_sql("snowflake/select_ops_audit_log.sql"))
    return [_entry(row) for row in rows]


def _entry(row: dict[str, Any]) -> AuditEntry:
    fields = {k.lower(): str(v) for k, v in row.items() if k != "SEQ"}
    return AuditEntry(seq=int(row["SEQ"]), **fields)


def verify_audit_chain(wh: Warehouse) -> AuditVerdict:
    """Recompute every entry's hash and link; the first entry (by SEQ) that breaks the chain is named.

    Edited: the entry's content no longer gives its HASH. Deleted: the SEQ before it is missing, or its PREV_HASH
    names no entry present. Reordered: its PREV_HASH names an entry that is present but not just before it.
    """
    entries = read_audit_log(wh)
    hashes = {e.hash for e in entries}
    prev, expected_seq = GENESIS, 1
    for entry in entries:
        problem = None
        if entry.content_hash() != entry.hash:
            problem = "edited", "its content no longer matches its hash"
        elif entry.seq != expected_seq or (entry.prev_hash != prev and entry.prev_hash not in hashes):
            problem = "deleted", "the entry before it is missing"
        elif entry.prev_hash != prev:
            problem = "reordered", "it no longer follows the entry it was appended after"
        if problem:
            return AuditVerdict(
                False, len(entries), entries[-1].hash, entry.seq, entry.entry_id, problem[0],
                f"audit log broken at entry {entry.seq} ({entry.entry_id}, {entry.kind} on {entry.subject}): "
                f"{problem[0]}: {problem[1]}",
            )  # fmt: skip
        prev, expected_seq = entry.hash, entry.seq + 1
    head = entries[-1].hash if entries else GENESIS
    return AuditVerdict(True, len(entries), head, message=f"audit log intact: {len(entries)} entries, head {head[:16]}")


def _now() -> datetime:
    return datetime.now(UTC)
