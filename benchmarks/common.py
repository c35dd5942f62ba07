"""Plumbing shared by every benchmark: RSS sampling, timing, machine facts, Markdown, BENCHMARKS.md sections.

A benchmark measures with `RssSampler` + `measure`, renders its numbers with `markdown_table`, lists
`machine_facts()` and writes its own block of BENCHMARKS.md with `write_section(name, markdown)`; other
sections are left as they are.
"""

from __future__ import annotations

import atexit
import os
import platform
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

from northstar.warehouse_server import stop_server

T = TypeVar("T")

REPORT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
HEADER = (
    "# Benchmarks\n\n"
    "Every section below is written by its script from a real run (rerunning a script replaces only its own "
    "section); the command to reproduce each is in its section, and `make bench` runs them all. Timings on "
    "this shared 2-core machine vary by ±30% from run to run.\n"
)
NOT_LOCAL_ENV = ("SNOWFLAKE_ACCOUNT", "NORTHSTAR_LANDING_BUCKET", "NORTHSTAR_S3_ENDPOINT_URL", "NORTHSTAR_MARQUEZ_URL")
_SECTION = re.compile(r"<!-- section:([\w-]+) -->\n.*?<!-- /section:\1 -->", re.DOTALL)
_NUMERIC = re.compile(r"^\**[-+]?\d[\d,.]*\s*(s|x|%|MB|GiB)?\**$")


def vm_rss_kb() -> int:
    """The process's resident set size now, in KiB (Linux /proc/self/status)."""
    return int(_proc_field("/proc/self/status", "VmRSS:", ":").split()[0])


class RssSampler:
    """A daemon thread reading VmRSS every `interval` seconds; peak_mb() is the highest value since reset().

    Native allocations (DuckDB, Arrow, database drivers) count too, unlike tracemalloc. Use as a context
    manager around a whole benchmark and call `measure(sampler, ...)` per stage.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self._interval = interval
        self._peak_kb = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self.reset()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        """Start a new peak from the current RSS."""
        with self._lock:
            self._peak_kb = vm_rss_kb()

    def peak_mb(self) -> float:
        """The highest RSS sampled since reset(), in MiB."""
        self._sample()
        with self._lock:
            return self._peak_kb / 1024

    def _sample(self) -> None:
        rss = vm_rss_kb()
        with self._lock:
            self._peak_kb = max(self._peak_kb, rss)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()


@dataclass(frozen=True)
class Timing:
    """One measured run: wall seconds and the peak RSS (MiB) sampled while it ran."""

    seconds: float
    peak_rss_mb: float


def measure(sampler: RssSampler, action: Callable[[], T]) -> tuple[T, Timing]:
    """Run action once; its result and its Timing (wall clock, peak RSS since the start of the run)."""
    sampler.reset()
    t0 = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - t0
    return result, Timing(seconds, sampler.peak_mb())


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as "a / b / c"."""
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine_facts(packages: Iterable[str] = (), extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """CPU, nproc, memory, OS, Python, the versions of `packages`, `extra` facts, and the load average now."""
    facts = {
        "CPU": _proc_field("/proc/cpuinfo", "model name", ":") or platform.processor() or "unknown",
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": f"{int(_proc_field('/proc/meminfo', 'MemTotal', ':').split()[0]) / 1024**2:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
    }
    for name in packages:
        try:
            facts[name] = version(name)
        except PackageNotFoundError:
            facts[name] = "not installed"
    facts.update(extra or {})
    facts["load average (1/5/15 min)"] = load_average()
    return facts


def _proc_field(path: str, key: str, sep: str) -> str:
    """The value of the first `key<sep>value` line of a /proc file, or ""."""
    with open(path) as lines:
        for line in lines:
            if line.startswith(key):
                return line.split(sep, 1)[1].strip()
    return ""


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table; cells are str()-ed as given, and columns holding only numbers are right-aligned."""
    body = [[str(cell) for cell in row] for row in rows]
    numeric = [
        all(_NUMERIC.match(row[i]) or row[i] in ("", "-") for row in body) and any(row[i] for row in body)
        for i in range(len(headers))
    ]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if right else "---" for right in numeric) + "|",
        *("| " + " | ".join(row) + " |" for row in body),
    ]
    return "\n".join(lines)


def write_section(name: str, markdown: str, path: Path = REPORT) -> None:
    """Replace (or append) the block `<!-- section:NAME -->` ... `<!-- /section:NAME -->` of path.

    The file is rewritten as the fixed HEADER followed by its sections in their order; other sections are
    kept byte for byte, and text outside any section is dropped. Writing the same markdown twice changes
    nothing. The new file replaces the old one atomically.
    """
    if not re.fullmatch(r"[\w-]+", name):
        raise ValueError(f"section name must be letters, digits, '_' or '-': {name!r}")
    block = f"<!-- section:{name} -->\n{markdown.strip()}\n<!-- /section:{name} -->"
    old = path.read_text() if path.exists() else ""
    sections = {m.group(1): m.group(0) for m in _SECTION.finditer(old)}
    sections[name] = block
    text = HEADER + "".join(f"\n{section}\n" for section in sections.values())
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def progress(message: str, prefix: str = "bench") -> None:
    """A progress line on stderr."""
    print(f"[{prefix}] {message}", file=sys.stderr, flush=True)


def scratch_home(prefix: str) -> Path:
    """A temporary NORTHSTAR_HOME for the local profile, removed at exit with fakesnow's stage folder.

    Call it before the embedded warehouse starts: its exit hooks then run after the server has stopped.
    """
    home = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, home, True)
    atexit.register(stop_server, home / "warehouse")  # runs first (atexit is last in, first out)
    atexit.register(_remove_fakesnow_bucket)
    os.environ.update(NORTHSTAR_HOME=str(home), NORTHSTAR_PROFILE="local", PREFECT_HOME=str(home / "prefect"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    for name in NOT_LOCAL_ENV:
        os.environ.pop(name, None)
    return home


def _remove_fakesnow_bucket() -> None:
    """Remove the stage folder fakesnow makes in the temp dir on import (it never removes it itself)."""
    stage = sys.modules.get("fakesnow.transforms.stage")
    if stage is not None:
        shutil.rmtree(stage.LOCAL_BUCKET_PATH, ignore_errors=True)
