"""dbt, in this process, through dbt's programmatic runner (dbtRunner), with a profile written from the settings.

Why in-process and not the `dbt` CLI in a subprocess: the embedded warehouse is a fakesnow server in a thread of
*this* process, so a subprocess would have to reach it over HTTP anyway and pay dbt's 3-4 s of imports on every
invocation; in-process the imports are paid once per worker, the result objects (node statuses, failures) come back
as Python objects, and against Snowflake nothing changes (the same connector, the same profile). dbt keeps global
state (flags, adapters, logging), so invocations are serialised by a lock.

The profile is generated, never hand-kept: locally it points the real connector at the local warehouse server
(northstar/warehouse_server.py) of the settings' warehouse, whose default database path is that warehouse (a login
without FAKESNOW_DB_PATH gets it: dbt-snowflake cannot send the parameter); in the aws profile at Snowflake with
the settings' account, user, role and warehouse.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from northstar.settings import Settings
from northstar.warehouse_server import WarehouseServerError, ensure_server

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt"
PROFILE = "northstar"
_lock = threading.Lock()

os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"  # no network here, and no telemetry anywhere


@dataclass(frozen=True)
class DbtRun:
    """One dbt invocation's outcome: success, dbt's invocation id, failures as 'node: message', timings."""

    success: bool
    invocation_id: str | None
    failures: tuple[str, ...]
    seconds: float
    target_dir: Path
    statuses: dict[str, str] = field(default_factory=dict)  # unique_id -> status

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"


def profile_output(settings: Settings, schema: str, threads: int = 2) -> dict[str, Any]:
    """The dbt target for the configured warehouse, building into `schema`."""
    base: dict[str, Any] = {"type": "snowflake", "database": settings.database, "schema": schema, "threads": threads}
    if settings.snowflake is None:
        server = local_server_args(settings)
        return base | {
            "account": server["account"],
            "user": server["user"],
            "password": server["password"],
            "host": server["host"],
            "port": server["port"],
            "protocol": server["protocol"],
            # fakesnow answers an error it does not translate with HTTP 500, which the connector would retry for
            # about a minute: fail at once instead.
            "connect_retries": 0,
            "connect_timeout": 30,
        }
    sf = settings.snowflake.connect_args()
    out = base | {"account": sf["account"], "user": sf["user"], "role": sf.get("role")}
    out["warehouse"] = sf.get("warehouse")
    if "private_key_file" in sf:
        out["private_key_path"] = sf["private_key_file"]
    else:
        out["password"] = sf["password"]
    return out


def local_server_args(settings: Settings) -> dict[str, Any]:
    """The connector's arguments for the local server whose default database path is the settings' warehouse.

    dbt cannot name a path, so a server shared by many homes (NORTHSTAR_WAREHOUSE_SERVER, the tests) cannot serve
    it: the warehouse's own server is used, and it must be the one the flows use (one process owns the files).
    """
    if settings.warehouse_server:
        raise RuntimeError(
            "dbt reaches the local warehouse only through its own server (its default database path): "
            "unset NORTHSTAR_WAREHOUSE_SERVER for the marts"
        )
    try:
        info = ensure_server(settings.warehouse_dir, announce=False)
    except WarehouseServerError as exc:
        raise RuntimeError(str(exc)) from exc
    if Path(info.db_path).resolve() != settings.warehouse_dir.resolve():
        raise RuntimeError(f"the local server at {info.host}:{info.port} serves {info.db_path}, not this warehouse")
    args = info.connect_args(settings.warehouse_dir)
    args.pop("session_parameters")
    return args


def write_profiles(settings: Settings, schema: str, folder: Path) -> Path:
    """profiles.yml (JSON is valid YAML) for one invocation in folder; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    profiles = {PROFILE: {"target": "publication", "outputs": {"publication": profile_output(settings, schema)}}}
    path = folder / "profiles.yml"
    path.write_text(json.dumps(profiles, indent=2))
    path.chmod(0o600)  # it may hold the Snowflake password
    return folder


def dbt_vars(settings: Settings, gate_batch_id: str, as_of: str) -> dict[str, Any]:
    """The project's vars from the settings: the certified timezone and late threshold come from one place."""
    return {
        "business_tz": settings.consistency.business_tz,
        "late_after_days": settings.consistency.unshipped_days,
        "gate_batch_id": gate_batch_id,
        "as_of": as_of,
    }


def run_dbt(
    settings: Settings,
    command: list[str],
    schema: str,
    work_dir: Path,
    variables: dict[str, Any] | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> DbtRun:
    """Invoke dbt `command` (e.g. ["build"]) on the project, building into schema; artefacts in work_dir/target."""
    from dbt.cli.main import dbtRunner

    profiles_dir = write_profiles(settings, schema, work_dir / "profiles")
    target_dir = work_dir / "target"
    args = [
        *command,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(profiles_dir),
        "--target-path", str(target_dir),
        "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(variables or {}),
        "--quiet",
    ]  # fmt: skip
    started = time.perf_counter()
    with _lock:
        result = dbtRunner().invoke(args)
    seconds = time.perf_counter() - started
    failures: list[str] = []
    statuses: dict[str, str] = {}
    invocation_id = None
    for node_result in getattr(result.result, "results", None) or ():
        status = str(getattr(node_result.status, "value", node_result.status))
        statuses[node_result.node.unique_id] = status
        if status in ("error", "fail", "runtime error"):
            failures.append(f"{node_result.node.unique_id}: {(node_result.message or status).strip()[:500]}")
    args_obj = getattr(result.result, "args", None)
    if isinstance(args_obj, dict):
        invocation_id = args_obj.get("invocation_id")
    if invocation_id is None:
        invocation_id = _invocation_id(target_dir)
    if result.exception is not None:
        failures.append(f"dbt: {result.exception}")
    return DbtRun(bool(result.success), invocation_id, tuple(failures), seconds, target_dir, statuses)


def _invocation_id(target_dir: Path) -> str | None:
    """dbt's invocation id as its run_results.json (or manifest.json) records it."""
    for name in ("run_results.json", "manifest.json"):
        path = target_dir / name
        if path.exists():
            value = json.loads(path.read_text()).get("metadata", {}).get("invocation_id")
            if value:
                return str(value)
    return None
