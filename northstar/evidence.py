"""A correction's evidence bundle: write-once objects under `raw/corrections/<id>/` in the landing store.

Locally the landing store's first-write-wins put refuses a second write of a key; in production the bucket also has
S3 Object Lock (infra/), so not even the pipeline's role can change or delete a bundle. The bundle holds, each as
its own JSON object: `request.json` (the request as recorded), `approvals.json` (who approved, when), `inputs.json`
(URI and sha256 of every landed raw object the correction used), `code.json` (the commit and sha256 of every SQL
file and check declaration), `tables.json` (before and after content hashes of every affected CORE and MARTS
table, each over the rows the correction could touch: its scope), `diff.json` (row-level differences: keys and
changed columns, a bounded sample and full counts), `checks.json` (the check results after) and `outcome.json`.

A table hash is the sha256 of the sorted canonical JSON of its scoped rows, without the system columns (`_BATCH_ID`,
`_LOADED_AT`, ...): they name the run that wrote a row, which a rebuild cannot share.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from northstar.audit import canonical_json, sha256_text
from northstar.landing import LandingStore
from northstar.sqlfiles import SQL_DIR
from northstar.warehouse import Warehouse, jsonable

PREFIX = "raw/corrections/"
SAMPLE_ROWS = 50  # row differences kept in full; the counts cover every row
CHECK_DECLARATIONS = SQL_DIR.parent / "validators"


class EvidenceExists(RuntimeError):
    """A bundle object was already written: evidence is write-once, never overwritten."""


class EvidenceMissing(KeyError):
    """A bundle object the command needs is not in the landing store."""


@dataclass(frozen=True)
class Scope:
    """The rows of a table a correction can touch: a WHERE clause from code with bound parameters; key columns."""

    table: str
    where: str
    params: dict[str, Any]
    keys: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The scope as recorded in the bundle."""
        return {"table": self.table, "where": self.where, "params": jsonable_params(self.params), "keys": self.keys}


def jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    """Bound parameters as JSON carries them."""
    return {k: ([jsonable(x) for x in v] if isinstance(v, list | tuple) else jsonable(v)) for k, v in params.items()}


class Bundle:
    """One correction's bundle in the landing store."""

    def __init__(self, store: LandingStore, correction_id: str) -> None:
        self.store = store
        self.correction_id = correction_id
        self.prefix = f"{PREFIX}{correction_id}/"

    def write(self, name: str, value: Any) -> dict[str, Any]:
        """Write `name` as canonical JSON, once; its reference (key, uri, sha256). EvidenceExists when written."""
        return self.write_bytes(name, (canonical_json(value) + "\n").encode())

    def write_bytes(self, name: str, data: bytes) -> dict[str, Any]:
        """Write raw bytes under `name`, once; EvidenceExists when the key already holds an object."""
        key = self.prefix + name
        if not self.store.put_if_absent(key, data):
            raise EvidenceExists(f"{self.store.uri(key)} is already written: evidence is write-once")
        return object_ref(self.store, key, data)

    def has(self, name: str) -> bool:
        """Whether the bundle holds `name`."""
        return self.store.exists(self.prefix + name)

    def read(self, name: str) -> Any:
        """The JSON object `name`; EvidenceMissing when absent."""
        try:
            return json.loads(self.store.get(self.prefix + name))
        except KeyError:
            raise EvidenceMissing(f"{self.store.uri(self.prefix + name)} is missing from the bundle") from None

    def names(self) -> list[str]:
        """Every object of the bundle, by name."""
        return [k.removeprefix(self.prefix) for k in self.store.keys(self.prefix)]


def object_ref(store: LandingStore, key: str, data: bytes | None = None) -> dict[str, Any]:
    """A landed object's reference for the evidence: key, URI, sha256 and size."""
    data = store.get(key) if data is None else data
    return {"key": key, "uri": store.uri(key), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def missing_or_changed(store: LandingStore, refs: list[dict[str, Any]]) -> list[str]:
    """The problems with recorded inputs: a key that no longer exists, or whose bytes changed (named)."""
    problems = []
    for ref in refs:
        try:
            data = store.get(ref["key"])
        except KeyError:
            problems.append(f"input {ref['uri']} no longer exists")
            continue
        if hashlib.sha256(data).hexdigest() != ref["sha256"]:
            problems.append(f"input {ref['uri']} changed since (sha256 differs from the recorded one)")
    return problems


def code_version(commit: str) -> dict[str, Any]:
    """The commit and the sha256 of every SQL file and check declaration (validators/), with one hash of each set."""
    sql = _file_hashes(SQL_DIR, "*.sql")
    checks = _file_hashes(CHECK_DECLARATIONS, "*.py")
    return {
        "commit": commit,
        "sql_sha256": sha256_text(canonical_json(sql)),
        "checks_sha256": sha256_text(canonical_json(checks)),
        "files": {f"sql/{k}": v for k, v in sql.items()} | {f"validators/{k}": v for k, v in checks.items()},
    }


def _file_hashes(root: Path, pattern: str) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob(pattern))
    }


def code_differences(recorded: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The files whose content differs between a recorded code version and the current one (named)."""
    old, new = recorded.get("files", {}), current.get("files", {})
    return sorted(f for f in set(old) | set(new) if old.get(f) != new.get(f))


def scoped_rows(wh: Warehouse, scope: Scope) -> list[dict[str, Any]]:
    """The scope's rows without system columns, as JSON values (table and clause come from code)."""
    rows = wh.query(f"SELECT * FROM {scope.table} WHERE {scope.where}", scope.params)
    return [{k: jsonable(v) for k, v in sorted(r.items()) if not k.startswith("_")} for r in rows]


def table_hash(rows: list[dict[str, Any]]) -> str:
    """The content hash of a table's scoped rows: sha256 of their sorted canonical JSON lines."""
    return sha256_text("\n".join(sorted(canonical_json(r) for r in rows)))


def snapshot(wh: Warehouse, scopes: list[Scope]) -> dict[str, dict[str, Any]]:
    """Each scope's rows and hash, by table."""
    out = {}
    for scope in scopes:
        rows = scoped_rows(wh, scope)
        out[scope.table] = {"scope": scope.as_dict(), "rows": rows, "count": len(rows), "sha256": table_hash(rows)}
    return out


def row_differences(before: list[dict[str, Any]], after: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, Any]:
    """Rows added, removed and changed (with the changed columns' before and after) between two snapshots of a
    scope, by key: full counts, and a sample of at most SAMPLE_ROWS differences."""
    old = {tuple(r.get(k) for k in keys): r for r in before}
    new = {tuple(r.get(k) for k in keys): r for r in after}
    diffs: list[dict[str, Any]] = []
    counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for key in sorted(set(old) | set(new), key=repr):
        a, b = old.get(key), new.get(key)
        if a == b:
            counts["unchanged"] += 1
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        counts[change] += 1
        cols = sorted(c for c in set(a or {}) | set(b or {}) if (a or {}).get(c) != (b or {}).get(c))
        diffs.append(
            {
                "change": change,
                "key": dict(zip(keys, key, strict=True)),
                "columns": {c: {"before": (a or {}).get(c), "after": (b or {}).get(c)} for c in cols},
            }
        )
    return {
        "keys": list(keys),
        "counts": counts,
        "sample": diffs[:SAMPLE_ROWS],
        "sampled": min(len(diffs), SAMPLE_ROWS),
    }
