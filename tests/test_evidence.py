"""Evidence bundles (northstar/evidence.py): write-once in both landing stores, S3 Object Lock in compliance mode,
row differences with exact counts."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from northstar.evidence import RETENTION, Bundle, EvidenceExists, missing_or_changed, row_differences, table_hash
from northstar.landing import LocalLanding, S3Landing


@pytest.mark.integration
def test_an_evidence_object_on_s3_is_locked_in_compliance_mode_and_never_overwritten(moto_s3: str) -> None:
    client = boto3.client("s3", endpoint_url=moto_s3)
    bucket = f"northstar-evidence-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    bundle = Bundle(S3Landing(bucket, client), "cor-1")
    ref = bundle.write("request.json", {"b": 1, "a": "x"})
    assert ref["key"] == "raw/corrections/cor-1/request.json" and ref["uri"] == f"s3://{bucket}/{ref['key']}"
    head = client.head_object(Bucket=bucket, Key=ref["key"])  # moto's GetObjectRetention answers 500
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + RETENTION - timedelta(days=1)
    with pytest.raises(EvidenceExists, match="already written: evidence is write-once"):
        bundle.write("request.json", {"a": "y"})
    assert bundle.read("request.json") == {"a": "x", "b": 1}


def test_a_local_bundle_is_write_once_and_a_lost_or_changed_input_is_named(tmp_path: Path) -> None:
    store = LocalLanding(tmp_path)
    bundle = Bundle(store, "cor-2")
    ref = bundle.write("inputs/a.json", [1])
    with pytest.raises(EvidenceExists):
        bundle.write_bytes("inputs/a.json", b"[2]")
    assert bundle.names() == ["inputs/a.json"] and missing_or_changed(store, [ref]) == []
    (tmp_path / ref["key"]).chmod(0o644)
    (tmp_path / ref["key"]).write_bytes(b"[3]\n")
    gone = dict(ref, key="raw/corrections/cor-2/inputs/b.json", uri="file:///b.json")
    assert missing_or_changed(store, [ref, gone]) == [
        f"input {ref['uri']} changed since (sha256 differs from the recorded one)",
        "input file:///b.json no longer exists",
    ]


def test_row_differences_count_every_row_and_name_the_changed_columns() -> None:
    before = [{"ID": i, "A": i, "B": "x"} for i in range(1, 61)]
    after = [{"ID": i, "A": i + (i > 55), "B": "x"} for i in range(2, 63)]
    diff = row_differences(before, after, ("ID",))
    assert diff["counts"] == {"added": 2, "removed": 1, "changed": 5, "unchanged": 54}
    removed = {c: {"before": v, "after": None} for c, v in (("A", 1), ("B", "x"), ("ID", 1))}
    assert diff["sample"][0] == {"change": "removed", "key": {"ID": 1}, "columns": removed}
    assert {"change": "changed", "key": {"ID": 56}, "columns": {"A": {"before": 56, "after": 57}}} in diff["sample"]
    assert table_hash(before) == table_hash(list(reversed(before))) != table_hash(after)
