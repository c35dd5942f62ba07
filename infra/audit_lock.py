"""`make lint`'s dependency audit: pip-audit over the lock files, tolerant of an unreachable vulnerability database.

    .venv/bin/python -m infra.audit_lock requirements.lock infra/tools.lock

Exit 1 when pip-audit reports a known vulnerability in a pinned package. When the vulnerability service
cannot be reached (no network, or a registry mirror that does not serve PyPI's JSON API, as on the
project's build machines) pip-audit audits nothing: this prints a notice saying so, with how many packages
went unaudited, and exits 0. It never reports "no known vulnerabilities" for packages it could not check.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


@dataclass(frozen=True)
class Verdict:
    """What one lock file's audit found: vulnerable packages, and packages that could not be audited."""

    lock: str
    audited: int
    vulnerable: list[str]
    unaudited: list[str]

    @property
    def failed(self) -> bool:
        return bool(self.vulnerable)


def judge(lock: str, report: dict[str, Any]) -> Verdict:
    """Read pip-audit's JSON report (`-f json`): each dependency has `vulns`, or a `skip_reason`."""
    vulnerable, unaudited, audited = [], [], 0
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            unaudited.append(dep["name"])
            continue
        audited += 1
        ids = [v["id"] for v in dep.get("vulns", [])]
        if ids:
            vulnerable.append(f"{dep['name']} {dep['version']}: {', '.join(ids)}")
    return Verdict(lock, audited, vulnerable, unaudited)


def audit(lock: str) -> Verdict | None:
    """Run pip-audit on one fully pinned lock file; None when it produced no report (it could not run)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        args = ["-r", lock, "--no-deps", "--disable-pip", "--progress-spinner", "off", "--timeout", "10"]
        proc = subprocess.run(
            [str(PIP_AUDIT), *args, "-f", "json", "-o", str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if not out.exists() or not out.read_text().strip():
            tail = " | ".join(proc.stderr.strip().splitlines()[-2:])
            print(f"audit_lock: NOTICE: pip-audit could not audit {lock} (exit {proc.returncode}: {tail})")
            return None
        return judge(lock, json.loads(out.read_text()))


def main(argv: list[str] | None = None) -> int:
    """Audit each lock file named; 1 if any pinned package has a known vulnerability, else 0."""
    locks = argv if argv is not None else sys.argv[1:]
    failed = False
    for lock in locks:
        verdict = audit(lock)
        if verdict is None:
            continue
        for line in verdict.vulnerable:
            print(f"audit_lock: VULNERABLE ({lock}): {line}")
        if verdict.unaudited:
            print(
                f"audit_lock: NOTICE: {len(verdict.unaudited)} of {verdict.audited + len(verdict.unaudited)} packages "
                f"in {lock} were not audited: the vulnerability service could not be reached or does not know them "
                f"(first: {', '.join(verdict.unaudited[:3])})"
            )
        if not verdict.vulnerable and verdict.audited:
            print(f"audit_lock: {lock}: no known vulnerabilities in the {verdict.audited} packages audited")
        failed = failed or verdict.failed
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
