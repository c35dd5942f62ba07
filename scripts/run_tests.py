"""`make test`'s pytest run: the test files split into N groups of about equal size, each group one pytest process.

Why not pytest-xdist: its workers run under execnet, which leaves SIGINT ignored in the processes they start (the
Ctrl-C test of `northstar backfill` needs the terminal's default), and three CLI output tests failed under it; plain
pytest processes are what the suite is written for. Each process has its own session (Prefect test harness,
warehouse server, scratch PostgreSQL databases). The suite waits on servers more than it computes, so four
processes on two cores take a fraction of one process's time.

Usage: python scripts/run_tests.py [N]; exit code 0 when every group passed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path


def groups(files: list[Path], n: int) -> list[list[Path]]:
    """Files dealt, largest first, to the group with the fewest bytes so far."""
    out: list[list[Path]] = [[] for _ in range(n)]
    sizes = [0] * n
    for f in sorted(files, key=lambda p: (-p.stat().st_size, p.name)):
        i = sizes.index(min(sizes))
        out[i].append(f)
        sizes[i] += f.stat().st_size
    return [g for g in out if g]


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 4
    files = [p for p in sorted(Path("tests").glob("test_*.py")) if p.name != "test_infra.py"]
    logs, procs = [], []
    for group in groups(files, n):
        log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - read after every group has ended
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *map(str, group)]
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
        logs.append(log)
    codes = [p.wait() for p in procs]
    for i, (log, code) in enumerate(zip(logs, codes, strict=True), start=1):
        log.seek(0)
        print(f"===== group {i} of {len(procs)}: exit {code} =====\n{log.read()}", flush=True)
    return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
