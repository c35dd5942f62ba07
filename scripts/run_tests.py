"""`make test`'s pytest run: the test files in N groups of about equal measured time, each group one pytest process.

Why not pytest-xdist: its workers run under execnet, which leaves SIGINT ignored in the processes they start (the
Ctrl-C test of `northstar backfill` needs the terminal's default), and three CLI output tests failed under it; plain
pytest processes are what the suite is written for. Each process has its own session (Prefect test harness and
Prefect home, warehouse server and template, scratch PostgreSQL databases). The suite waits on servers more than
it computes, so four processes on two cores take a fraction of one process's time.

Groups are dealt longest first from tests/durations.json (seconds per test file, from a run of this script with
--record; a file not in it counts as DEFAULT_SECONDS). Every group writes its own log; a line every
PROGRESS_SECONDS says where each group is, so a slow or stuck test is visible while it runs. A group still running
at the deadline (NORTHSTAR_TEST_DEADLINE_MINUTES, default 75: CI stops everything at 90) gets SIGABRT, which
pytest's faulthandler answers with every thread's stack, and fails.

Usage: python scripts/run_tests.py [N] [--record]; exit code 0 when every group passed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DURATIONS = Path("tests/durations.json")
DEFAULT_SECONDS = 5.0
PROGRESS_SECONDS = 120
_RESULT = re.compile(r"^(tests/\S+?)::.*? (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
_TIMING = re.compile(r"^([\d.]+)s (?:call|setup|teardown)\s+tests/(\S+?)::")


def groups(files: list[Path], n: int, seconds: dict[str, float]) -> list[list[Path]]:
    """Files dealt, longest first, to the group with the least time so far."""
    out: list[list[Path]] = [[] for _ in range(n)]
    load = [0.0] * n
    for f in sorted(files, key=lambda p: (-seconds.get(p.name, DEFAULT_SECONDS), p.name)):
        i = load.index(min(load))
        out[i].append(f)
        load[i] += seconds.get(f.name, DEFAULT_SECONDS)
    return [g for g in out if g]


def _progress(log: Path) -> str:
    """A group's state from its verbose log: tests finished, failed so far, and the test it is at."""
    done, failed, last = 0, 0, ""
    for line in log.read_text(errors="replace").splitlines():
        if m := _RESULT.match(line):
            done += 1
            failed += m.group(2) in ("FAILED", "ERROR")
        if line.startswith("tests/"):
            last = line.split(" ")[0]
    return f"{done} done" + (f", {failed} FAILED" if failed else "") + f", at {last}"


def _totals(texts: list[str]) -> str:
    """The groups' closing lines added up: '738 passed, 1 failed'."""
    counts: dict[str, int] = {}
    for text in texts:
        closing = next((line for line in reversed(text.splitlines()) if re.search(r" in [\d.]+s", line)), "")
        for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", closing):
            counts[word] = counts.get(word, 0) + int(number)
    return ", ".join(f"{n} {word}" for word, n in counts.items()) or "no results"


def _summary(text: str) -> str:
    """What of a finished group's log is printed: its failures and errors, ten slowest steps and closing lines."""
    parts = []
    closers = ("= FAILURES =", "= warnings summary", "slowest durations", "short test summary")
    for start in ("= ERRORS =", "= FAILURES ="):
        at = text.find(start)
        if at != -1:
            ends = [e for e in (text.find(m, at + 1) for m in closers) if e != -1]
            parts.append(text[text.rfind("\n", 0, at) + 1 : text.rfind("\n", 0, min(ends)) if ends else None])
    timings = [line for line in text.splitlines() if _TIMING.match(line)][:10]
    if timings:
        parts.append("slowest:\n" + "\n".join(timings))
    at = text.find("short test summary info")
    parts.append(text[text.rfind("\n", 0, at) + 1 :] if at != -1 else "\n".join(text.splitlines()[-1:]))
    return "\n".join(p.rstrip() for p in parts)


def _record(logs: list[Path]) -> None:
    seconds: dict[str, float] = {}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if m := _TIMING.match(line):
                seconds[m.group(2)] = seconds.get(m.group(2), 0.0) + float(m.group(1))
    DURATIONS.write_text(json.dumps({k: round(v) for k, v in sorted(seconds.items())}, indent=1) + "\n")
    print(f"wrote {DURATIONS} ({len(seconds)} files)")


def main(argv: list[str]) -> int:
    record = "--record" in argv
    numbers = [a for a in argv if a.isdigit()]
    n = int(numbers[0]) if numbers else 4
    deadline = time.monotonic() + 60 * float(os.environ.get("NORTHSTAR_TEST_DEADLINE_MINUTES", "75"))
    seconds = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    files = [p for p in sorted(Path("tests").glob("test_*.py")) if p.name != "test_infra.py"]
    folder = Path(tempfile.mkdtemp(prefix="northstar-tests-"))
    logs, procs = [], []
    started = time.monotonic()
    for i, group in enumerate(groups(files, n, seconds), start=1):
        log = folder / f"group-{i}.log"
        cmd = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--durations=0", *map(str, group)]
        with log.open("w") as out:
            procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT))
        logs.append(log)
        print(f"group {i}: {len(group)} files, about {sum(seconds.get(f.name, DEFAULT_SECONDS) for f in group):.0f} s"
              f" measured; log {log}", flush=True)  # fmt: skip
    next_report = time.monotonic() + PROGRESS_SECONDS
    while any(p.poll() is None for p in procs):
        time.sleep(1)
        now = time.monotonic()
        if now >= deadline:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack into the log
            time.sleep(5)
            for p in procs:
                if p.poll() is None:
                    p.kill()
            print("the deadline passed: the groups still running were stopped", flush=True)
            break
        if now >= next_report:
            next_report = now + PROGRESS_SECONDS
            states = [f"g{i}: " + ("done" if p.poll() is not None else _progress(log))
                      for i, (p, log) in enumerate(zip(procs, logs, strict=True), start=1)]  # fmt: skip
            print(f"[{(now - started) / 60:.0f} min] " + " | ".join(states), flush=True)
    codes = [p.wait() for p in procs]
    texts = [log.read_text(errors="replace") for log in logs]
    for i, (text, code) in enumerate(zip(texts, codes, strict=True), start=1):
        body = text[-20000:] if code not in (0, 1) else _summary(text)  # stopped: its end, stacks included
        print(f"===== group {i} of {len(procs)}: exit {code} =====\n{body}", flush=True)
    if record:
        _record(logs)
    verdict = "PASSED" if all(c == 0 for c in codes) else "FAILED"
    print(f"{verdict}: {_totals(texts)} in {(time.monotonic() - started) / 60:.1f} min; logs in {folder}", flush=True)
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
