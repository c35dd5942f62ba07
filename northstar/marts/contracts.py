"""The marts' contracts against the previous release's: a breaking change must be a new version.

A contract is what a model version promises its readers: its columns with their types (dbt's enforced contract,
from the manifest), its grain and its deprecation date. The previous release's contracts are committed in
dbt/contracts/released.json. Against them a change is breaking when a released version disappears before its
deprecation date, or loses, renames or retypes a column, or changes its grain; adding a column, a new version or
a new model is not. A breaking change is *declared* by making it a new version: the released one then stays as
it was, and no difference is found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from northstar.marts.dbt_runner import DBT_PROJECT_DIR

SNAPSHOT = DBT_PROJECT_DIR / "contracts" / "released.json"


@dataclass(frozen=True)
class Breaking:
    """One undeclared breaking change to a released model version."""

    relation: str
    change: str

    def __str__(self) -> str:
        return f"{self.relation}: {self.change}"


def contracts_from_manifest(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{relation (e.g. fct_orders_v1): {columns: {name: type}, grain: [...], deprecation_date, enforced}}."""
    out: dict[str, dict[str, Any]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model" or node.get("config", {}).get("materialized") == "ephemeral":
            continue
        relation = str(node.get("alias") or node["name"]).lower()
        out[relation] = {
            "model": node["name"],
            "version": node.get("version"),
            "enforced": bool(node.get("config", {}).get("contract", {}).get("enforced")),
            "columns": {
                name.lower(): _normal_type(col.get("data_type")) for name, col in node.get("columns", {}).items()
            },
            "grain": [str(c).lower() for c in node.get("config", {}).get("meta", {}).get("grain", [])],
            "deprecation_date": str(node["deprecation_date"])[:10] if node.get("deprecation_date") else None,
        }
    return dict(sorted(out.items()))


def breaking_changes(
    released: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]], today: date | None = None
) -> list[Breaking]:
    """Every undeclared breaking change from the released contracts to the current ones."""
    today = today or date.today()
    found: list[Breaking] = []
    for relation, old in released.items():
        new = current.get(relation)
        if new is None:
            deprecation = old.get("deprecation_date")
            if deprecation is None or date.fromisoformat(deprecation) > today:
                found.append(Breaking(relation, f"removed before its deprecation date ({deprecation or 'none set'})"))
            continue
        if old.get("enforced") and not new.get("enforced"):
            found.append(Breaking(relation, "contract no longer enforced"))
        for column, old_type in old["columns"].items():
            if column not in new["columns"]:
                found.append(Breaking(relation, f"column {column} removed or renamed"))
            elif new["columns"][column] != old_type:
                found.append(Breaking(relation, f"column {column} retyped {old_type} -> {new['columns'][column]}"))
        if old.get("grain") != new.get("grain"):
            found.append(Breaking(relation, f"grain changed {old.get('grain')} -> {new.get('grain')}"))
    return found


def load_snapshot(path: Path = SNAPSHOT) -> dict[str, dict[str, Any]]:
    """The previous release's contracts (empty before the first release)."""
    return json.loads(path.read_text()) if path.exists() else {}


def write_snapshot(contracts: dict[str, dict[str, Any]], path: Path = SNAPSHOT) -> None:
    """Record the current contracts as the release's (at release time, committed with it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(contracts, indent=2, sort_keys=True) + "\n")


def _normal_type(data_type: str | None) -> str | None:
    """number(38, 0) and NUMBER(38,0) are one type."""
    return data_type.lower().replace(" ", "") if data_type else None


def current_contracts(settings: Any, project_dir: Path = DBT_PROJECT_DIR) -> dict[str, dict[str, Any]]:
    """The project's contracts now, from the manifest of `dbt parse` (no warehouse query needed)."""
    from northstar.marts.dbt_runner import run_dbt

    work = settings.work_dir / "marts" / "contracts"
    run = run_dbt(settings, ["parse"], "MARTS_DEV", work, project_dir=project_dir)
    if not run.success:
        raise RuntimeError("dbt parse failed: " + "; ".join(run.failures))
    return contracts_from_manifest(json.loads(run.manifest_path.read_text()))


def check(settings: Any, project_dir: Path = DBT_PROJECT_DIR, snapshot: Path = SNAPSHOT) -> list[Breaking]:
    """The CI check: the project's contracts against the previous release's snapshot."""
    return breaking_changes(load_snapshot(snapshot), current_contracts(settings, project_dir))


def main() -> int:
    """`python -m northstar.marts.contracts`: exit 1 and list them when there is an undeclared breaking change."""
    from northstar.settings import load_settings

    found = check(load_settings())
    for item in found:
        print(f"breaking: {item}")
    print(f"{len(found)} undeclared breaking changes against {SNAPSHOT.relative_to(DBT_PROJECT_DIR.parent)}")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
