"""The lock-file audit fails on a known vulnerability and only notices an unreachable vulnerability database."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.audit_lock import judge, main

REPORT = {
    "dependencies": [
        {"name": "requests", "version": "2.19.0", "vulns": [{"id": "PYSEC-2018-28", "fix_versions": ["2.20.0"]}]},
        {"name": "six", "version": "1.17.0", "vulns": []},
        {"name": "duckdb", "skip_reason": "Dependency not found on PyPI and could not be audited: duckdb (2.0.0)"},
    ]
}


def test_a_vulnerability_fails_and_a_skipped_package_is_counted_not_passed() -> None:
    verdict = judge("requirements.lock", REPORT)
    assert verdict.failed
    assert verdict.vulnerable == ["requests 2.19.0: PYSEC-2018-28"]
    assert verdict.unaudited == ["duckdb"] and verdict.audited == 2


def test_nothing_audited_is_not_a_failure() -> None:
    verdict = judge("requirements.lock", {"dependencies": [REPORT["dependencies"][2]]})
    assert not verdict.failed and verdict.audited == 0 and verdict.unaudited == ["duckdb"]


def test_real_pip_audit_on_a_clean_pin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Runs pip-audit itself: offline it prints the notice, online it audits; either way a clean pin passes."""
    lock = tmp_path / "clean.lock"
    lock.write_text("six==1.17.0\n")
    assert main([str(lock)]) == 0
    out = capsys.readouterr().out
    assert "NOTICE" in out or "no known vulnerabilities in the 1 packages audited" in out
