"""`northstar corrections verify ID`: rebuild an applied correction from its evidence in a scratch warehouse and
compare table hashes (README, "Corrections and audit").

Reproducible means: every recorded input still exists with its recorded sha256; the kind's step, run on those
inputs alone against an empty scratch warehouse (the same code path apply ran), gives every table it writes the
hash recorded after the apply; and the live warehouse still holds those rows unchanged (a hand edit shows here).
The code version is compared too: files that differ from the recorded commit's are named, the likely cause when
hashes differ. Locally the scratch warehouse is a new set of database files on the running warehouse server; on
Snowflake it is a scratch database (the role needs CREATE DATABASE), dropped afterwards.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flows.corrections_apply import PLANS
from northstar.corrections import CorrectionRefused, load_correction, record_event
from northstar.evidence import Bundle, code_differences, code_version, missing_or_changed, snapshot
from northstar.identity import current_user
from northstar.landing import landing_store
from northstar.settings import Settings
from northstar.warehouse import open_warehouse
from northstar.warehouse_server import ensure_server


@dataclass(frozen=True)
class VerifyResult:
    """The verdict: reproducible or not, why not (each problem named), and each table's three hashes."""

    correction_id: str
    reproducible: bool
    problems: list[str]
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    code_changed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The verdict for --json."""
        return asdict(self)


def verify_correction(settings: Settings, correction_id: str) -> VerifyResult:
    """Verify an applied correction; CorrectionRefused when it was never applied. Records VERIFIED or
    VERIFY_FAILED (and its audit entry) with the verdict."""
    with open_warehouse(settings) as wh:
        corr = load_correction(wh, correction_id)
    if not corr.status(settings.required_approvals).startswith("applied"):
        raise CorrectionRefused(f"cannot verify {correction_id}: it was never applied")
    store = landing_store(settings)
    bundle = Bundle(store, correction_id)
    recorded_tables, inputs = bundle.read("tables.json"), bundle.read("inputs.json")
    changed = code_differences(bundle.read("code.json"), code_version(settings.code_version))
    problems = missing_or_changed(store, inputs)
    tables: dict[str, dict[str, Any]] = {}
    if not problems:
        tables, problems = _compare(settings, corr, bundle, recorded_tables)
        if problems and changed:
            problems.append(
                f"the code differs from the recorded version in {len(changed)} files: {', '.join(changed[:5])}"
            )
    result = VerifyResult(correction_id, not problems, problems, tables, changed)
    with open_warehouse(settings) as wh:
        event = "VERIFIED" if result.reproducible else "VERIFY_FAILED"
        record_event(wh, correction_id, event, current_user(settings), {"problems": problems, "tables": tables})
    return result


def _compare(
    settings: Settings, corr: Any, bundle: Bundle, recorded: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Rebuild in scratch, then compare rebuilt and live hashes with the recorded ones, table by table."""
    kind = PLANS[corr.kind](settings, corr, bundle)
    with scratch_settings(settings) as scratch:
        (kind.rebuild or kind.run)(scratch, bundle.store)
        with open_warehouse(scratch) as swh:
            rebuilt = snapshot(swh, [s for s in kind.scopes if s.table in kind.rebuilt])
    with open_warehouse(settings) as wh:
        live = snapshot(wh, kind.scopes)
    tables, problems = {}, []
    for table, rec in recorded.items():
        want = rec["after"]["sha256"]
        row = {"recorded": want, "live": live[table]["sha256"], "rebuilt": rebuilt.get(table, {}).get("sha256")}
        tables[table] = row
        if rec.get("rebuilt") and row["rebuilt"] != want:
            problems.append(
                f"{table}: the rebuild from the evidence gives hash {row['rebuilt'][:16]}, "
                f"recorded {want[:16]} ({rebuilt[table]['count']} rows, recorded {rec['after']['count']})"
            )
        if rec.get("rebuilt") and row["live"] != want:
            problems.append(
                f"{table}: the live rows differ from those recorded after the apply (hash "
                f"{row['live'][:16]}, recorded {want[:16]}): changed since, by hand or by another load"
            )
    return tables, problems


@contextmanager
def scratch_settings(settings: Settings) -> Iterator[Settings]:
    """Settings whose warehouse is empty and private to this verification; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="northstar-verify-"))
    try:
        if settings.snowflake is not None:
            name = f"{settings.database}_VERIFY_{secrets.token_hex(4).upper()}"
            with open_warehouse(settings) as wh:
                wh.execute(f"CREATE DATABASE IF NOT EXISTS {name}")  # a name from code
            try:
                yield settings.model_copy(update={"home": folder, "database": name})
            finally:
                with open_warehouse(settings) as wh:
                    wh.execute(f"DROP DATABASE IF EXISTS {name}")
            return
        server = settings.warehouse_server
        if server is None:  # the home's own server serves the scratch files too
            info = ensure_server(settings.warehouse_dir)
            server = f"{info.host}:{info.port}"
        yield settings.model_copy(update={"home": folder, "warehouse_server": server})
    finally:
        shutil.rmtree(folder, ignore_errors=True)
