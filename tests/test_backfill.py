"""backfill: windows planned over a range, run N at a time on the engine, resumable, never one window twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

import flows.orders_microbatch as orders_flow
from flows.backfill import BackfillError, plan_windows
from northstar.batches import Window
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.helpers import T0
from tests.replay_helpers import northstar, seed_windows, span


def test_windows_cut_the_range_exactly_and_bad_ranges_are_refused() -> None:
    windows = plan_windows(T0, T0 + timedelta(hours=1), timedelta(minutes=15))
    assert [w.start for w in windows] == [T0 + timedelta(minutes=15 * i) for i in range(4)]
    assert windows[-1] == Window(T0 + timedelta(minutes=45), T0 + timedelta(hours=1))
    with pytest.raises(BackfillError, match="not after"):
        plan_windows(T0, T0, timedelta(minutes=15))
    with pytest.raises(BackfillError, match="does not divide"):
        plan_windows(T0, T0 + timedelta(minutes=20), timedelta(minutes=15))
    with pytest.raises(BackfillError, match="boundary"):
        plan_windows(T0 + timedelta(minutes=5), T0 + timedelta(minutes=20), timedelta(minutes=15))


def test_bad_cli_input_exits_2_with_one_line_before_anything_runs(pipeline_env: Callable[..., dict[str, str]]) -> None:
    pipeline_env()
    start, end = span(1)
    for args, message in (
        (("--source", "orders", "--start", end, "--end", start), "is not after"),
        (("--source", "orders", "--start", start, "--end", end, "--window", "1h"), "does not divide"),
        (("--source", "orders", "--start", start, "--end", end, "--workers", "0"), "--workers 0"),
        (("--source", "orders", "--start", "2026-11-01T00:00:00+00:00", "--end", "2099-01-01T00:00:00+00:00",
          "--window", "1d"), "has not ended and settled"),
    ):  # fmt: skip
        _, err, code = northstar("backfill", *args)
        assert (code, err.count("\n"), message in err) == (2, 1, True), err


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_two_backfills_of_one_range_at_once_commit_each_window_once_and_resume_skips(
    pipeline_env: Callable[..., dict[str, str]], source_db: str
) -> None:
    pipeline_env()
    seeded = seed_windows(source_db, 4)
    start, end = span(4)
    first = T0 + timedelta(minutes=15)
    assert orders_flow.orders_microbatch(T0.isoformat(), first.isoformat()).status == "COMMITTED"  # resumed past it
    args = ("backfill", "--source", "orders", "--start", start, "--end", end, "--workers", "2", "--json")
    procs = [northstar(*args, "--reason", f"test {i}", wait=False) for i in (1, 2)]
    results = [(*p.communicate(timeout=600), p.returncode) for p in procs]
    assert [code for _, _, code in results] == [0, 0], [err[-3000:] for _, err, _ in results]
    lines = [[json.loads(x) for x in out.splitlines()] for out, _, _ in results]
    windows = [[x for x in run if "summary" not in x] for run in lines]
    assert [len(w) for w in windows] == [4, 4]
    committed = sorted(x["window_start"] for run in windows for x in run if x["status"] == "COMMITTED")
    assert committed == sorted({x["window_start"] for x in windows[0]} - {T0.isoformat()})  # each once, by one
    summaries = [run[-1]["summary"] for run in lines]
    assert sum(s["committed"] for s in summaries) == 3 and sum(s["skipped"] for s in summaries) == 5
    with open_warehouse(load_settings()) as wh:
        ledger = wh.query("SELECT STATUS, ROWS_EXTRACTED, ROWS_PASSED, ROWS_QUARANTINED FROM OPS.LOAD_BATCHES")
        assert [r["STATUS"] for r in ledger] == ["COMMITTED"] * 4
        assert wh.query("SELECT COUNT(*) AS N FROM CORE.ORDERS") == [{"N": seeded // 3 * 2}]
        assert wh.query("SELECT COUNT(*) AS N FROM QUARANTINE.ORDERS") == [{"N": seeded // 3}]
        assert wh.query("SELECT COUNT(*) AS N FROM OPS.BATCH_LEASES") == [{"N": 0}]
        recorded = wh.query("SELECT STATUS, WINDOWS_TOTAL, REASON, REQUESTED_BY FROM OPS.BACKFILLS ORDER BY REASON")
    assert [(r["STATUS"], r["WINDOWS_TOTAL"], r["REASON"]) for r in recorded] == [
        ("COMPLETED", 4, "test 1"),
        ("COMPLETED", 4, "test 2"),
    ]
    assert all(r["REQUESTED_BY"] for r in recorded)


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_harness")
def test_ctrl_c_finishes_the_windows_in_progress_records_interrupted_and_a_rerun_resumes(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, tmp_path: Path
) -> None:
    """SIGINT to the command's process group, as Ctrl-C in a terminal sends it, once a window has committed."""
    pipeline_env()
    seed_windows(source_db, 6)
    start, end = span(6)
    args = ("backfill", "--source", "orders", "--start", start, "--end", end, "--workers", "1", "--json")
    env = dict(os.environ) | {"PREFECT_API_URL": str(PREFECT_API_URL.value())}
    with (tmp_path / "stderr.txt").open("w+") as err:
        command = [str(Path(sys.executable).parent / "northstar"), *args, "--reason", "interrupt"]
        proc = subprocess.Popen(  # Ctrl-C's default action, even where pytest runs with SIGINT ignored (in the
            command,  # background of a shell without job control, as CI may start it)
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # the first window's line: it has ended
        os.killpg(proc.pid, signal.SIGINT)
        remaining, _ = proc.communicate(timeout=600)
        rest = [json.loads(x) for x in remaining.splitlines()]
        assert proc.returncode == 130
        err.seek(0)
        printed = err.read()
    summary = rest[-1]["summary"]
    ended = [first, *rest[:-1]]  # one line per window that ran: the first, and those in progress at the Ctrl-C
    assert summary["status"] == "INTERRUPTED", printed[-2000:]
    assert [w["status"] for w in ended] == ["COMMITTED"] * len(ended)
    assert summary["committed"] == summary["windows"] == len(ended)
    assert len(ended) < 6  # the windows not yet started never started
    assert "northstar: interrupted" in printed and "Traceback" not in printed
    with open_warehouse(load_settings()) as wh:
        (row,) = wh.query("SELECT STATUS, WINDOWS_COMMITTED FROM OPS.BACKFILLS")
        assert row == {"STATUS": "INTERRUPTED", "WINDOWS_COMMITTED": len(ended)}
        batches = wh.query("SELECT STATUS, COUNT(*) AS N FROM OPS.LOAD_BATCHES GROUP BY STATUS")
        assert batches == [{"STATUS": "COMMITTED", "N": len(ended)}]

    out, _, code = northstar(*args, "--reason", "resume")
    resumed = json.loads(out.splitlines()[-1])["summary"]
    assert code == 0 and (resumed["skipped"], resumed["committed"]) == (summary["committed"], 6 - summary["committed"])
