"""Nothing goes stale: our packages are what import, every flow imports, every entrypoint resolves."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", ["northstar", "flows", "validators", "lineage", "cli"])
def test_top_level_packages_are_the_projects_own(package: str) -> None:
    module = importlib.import_module(package)
    assert Path(module.__file__ or "").resolve().parent == ROOT / package  # not a PyPI namesake


@pytest.mark.parametrize("path", sorted((ROOT / "flows").glob("*.py")), ids=lambda p: p.name)
def test_every_flow_module_imports(path: Path) -> None:
    importlib.import_module(f"flows.{path.stem}")


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


# Imports run one way, downward: cli -> flows -> validators, lineage -> northstar (the plumbing).
FORBIDDEN_IMPORTS = {
    "northstar": {"cli", "flows", "validators", "lineage"},
    "validators": {"cli", "flows", "lineage"},
    "lineage": {"cli", "flows", "validators"},
    "flows": {"cli"},
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN_IMPORTS))
def test_imports_run_one_way_downward(package: str) -> None:
    import ast

    upward = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            upward += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in FORBIDDEN_IMPORTS[package]]
    assert upward == []
