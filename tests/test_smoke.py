"""Nothing goes stale: our packages are what import, every flow imports, every entrypoint resolves."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", ["northstar", "flows", "validators", "lineage", "cli", "demo"])
def test_top_level_packages_are_the_projects_own(package: str) -> None:
    module = importlib.import_module(package)
    assert Path(module.__file__ or "").resolve().parent == ROOT / package  # not a PyPI namesake


# The batch flows: every module of flows/ that declares a @flow and runs a batch on the engine (engine.py is the
# engine). monitor.py and status_report.py are flows that publish nothing (they read the ledger); completeness.py and
# orders_repair.py declare the inventory's and the source reconciliation's flows, check runs that are not batches.
NOT_BATCHES = {"monitor", "status_report"}
CHECK_FLOW_MODULES = ("completeness", "orders_repair", "backfill")  # backfill runs the others' windows
FLOW_MODULES = sorted(
    p
    for p in (ROOT / "flows").glob("*.py")
    if "@flow(" in p.read_text() and p.stem not in NOT_BATCHES and p.stem not in CHECK_FLOW_MODULES
)


@pytest.mark.parametrize("stem", sorted(NOT_BATCHES))
def test_the_flows_that_are_not_batches_declare_one_kebab_case_flow(stem: str) -> None:
    module = importlib.import_module(f"flows.{stem}")
    flows = [v for v in vars(module).values() if isinstance(v, Flow)]
    assert len(flows) == 1 and flows[0].name == module.JOB == stem.replace("_", "-")


def test_the_batch_flows_are_the_four_sources() -> None:
    assert [p.stem for p in FLOW_MODULES] == [
        "consistency",
        "fulfillment_hourly",
        "orders_microbatch",
        "payments_microbatch",
    ]


@pytest.mark.parametrize("stem", CHECK_FLOW_MODULES)
def test_the_check_runs_declare_one_flow_each(stem: str) -> None:
    module = importlib.import_module(f"flows.{stem}")
    flows = [v for v in vars(module).values() if isinstance(v, Flow) and v.__module__ == module.__name__]
    assert len(flows) == 1 and flows[0].name == flows[0].name.lower() and "_" not in flows[0].name


@pytest.mark.parametrize("path", FLOW_MODULES, ids=lambda p: p.name)
def test_every_flow_module_declares_one_flow_that_runs_on_the_engine(path: Path) -> None:
    module = importlib.import_module(f"flows.{path.stem}")
    flows = [v for v in vars(module).values() if isinstance(v, Flow)]
    assert len(flows) == 1, f"{path.name} declares {len(flows)} flows"
    assert flows[0].name == flows[0].name.lower() and "_" not in flows[0].name  # kebab-case
    sources = [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == module.__name__
               and hasattr(v, "extract") and hasattr(v, "validate")]  # fmt: skip
    assert len(sources) == 1, f"{path.name} declares no BatchSource"
    source = sources[0]
    assert {"name", "job", "cadence", "batch_id", "lineage_inputs", "lineage_outputs", "after_commit"} <= set(
        dir(source)
    )
    assert source.job == flows[0].name  # one name for the flow and its lineage job
    assert "run_batch(" in path.read_text()  # the flow body hands its source to the shared engine


def test_every_prefect_yaml_entrypoint_resolves_to_a_flow() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    assert config["deployments"], "prefect.yaml declares no deployments"
    for deployment in config["deployments"]:
        file, _, name = deployment["entrypoint"].partition(":")
        assert (ROOT / file).is_file(), deployment["entrypoint"]
        module = importlib.import_module(file.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        assert isinstance(flow, Flow)
        assert deployment["name"].startswith(flow.name)
        assert set(deployment.get("parameters", {})) <= set(flow.parameters.properties)


def test_every_sql_file_named_in_code_exists() -> None:
    import re

    sources = [p for d in ("northstar", "flows", "validators", "cli") for p in (ROOT / d).rglob("*.py")]
    named = {
        m
        for p in sources
        for m in re.findall(r'"((?:snowflake|postgres|checks|consistency)/[\w./]+\.sql)"', p.read_text())
    }
    assert named, "no SQL file names found"
    missing = sorted(n for n in named if not (ROOT / "sql" / n).is_file())
    assert missing == []


def test_imports_run_one_way_as_the_import_linter_contracts_say() -> None:
    """The contracts in pyproject.toml: demo, cli, flows, validators | lineage, northstar; sources independent."""
    import subprocess
    import sys

    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout and "3 kept" in result.stdout
