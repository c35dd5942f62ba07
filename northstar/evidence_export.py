"""`northstar corrections export ID --out DIR`: a correction's evidence as a folder an auditor reads without the
system: `SUMMARY.md` (who asked, who approved, what changed, from which inputs and code, the gate and checks, how
to reproduce), one CSV of row differences per affected table, and the bundle's JSON objects as written."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from northstar.evidence import Bundle

INPUTS_SHOWN = 20  # a summary an auditor reads: the rest of the inputs are in inputs.csv


def export_bundle(bundle: Bundle, correction: dict[str, Any], out: Path) -> Path:
    """Write the folder `out/<correction id>/` (refused when it exists: an export is never overwritten); its path."""
    folder = out / bundle.correction_id
    if folder.exists():
        raise FileExistsError(f"{folder} already exists: export to another --out, an export is never overwritten")
    (folder / "evidence").mkdir(parents=True)
    objects: dict[str, Any] = {}
    for name in bundle.names():
        objects[name] = bundle.read(name) if name.endswith(".json") else None
        target = folder / "evidence" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bundle.store.get(bundle.prefix + name))
    csvs = [_write_diff_csv(folder, table, diff) for table, diff in (objects.get("diff.json") or {}).items()]
    with open(folder / "inputs.csv", "w", newline="") as f:  # every input: a summary lists the first ones only
        writer = csv.writer(f)
        writer.writerow(["uri", "sha256", "bytes"])
        writer.writerows([i["uri"], i["sha256"], i["bytes"]] for i in objects.get("inputs.json") or [])
    (folder / "SUMMARY.md").write_text(_summary(correction, objects, csvs))
    return folder


def _write_diff_csv(folder: Path, table: str, diff: dict[str, Any]) -> str:
    """One row per changed column of each sampled difference (a removed or added row: every column)."""
    name = f"differences_{table.replace('.', '_').lower()}.csv"
    with open(folder / name, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["change", *diff["keys"], "column", "before", "after"])
        for d in diff["sample"]:
            keys = [d["key"].get(k) for k in diff["keys"]]
            for column, values in d["columns"].items():
                writer.writerow([d["change"], *keys, column, values["before"], values["after"]])
    return name


def _summary(corr: dict[str, Any], objects: dict[str, Any], csvs: list[str]) -> str:
    outcome, code = objects.get("outcome.json") or {}, objects.get("code.json") or {}
    lines = [
        f"# Correction {corr['correction_id']}: {corr['kind']}",
        "",
        f"- Status: **{corr['status']}**",
        f"- Requested by **{corr['requested_by']}** at {corr['requested_at']}, ticket {corr['ticket']}",
        f"- Reason: {corr['reason']}",
        f"- Arguments: `{json.dumps(corr['args'])[:500]}`",
        f"- Approved by: {', '.join(corr['approved_by']) or 'nobody'}",
        f"- Applied by: {outcome.get('applied_by', '-')} at {outcome.get('applied_at', '-')}",
        f"- Code: commit `{code.get('commit', '-')}`, SQL sha256 `{code.get('sql_sha256', '-')}`, "
        f"checks sha256 `{code.get('checks_sha256', '-')}`",
        f"- Gate: {json.dumps(outcome.get('gate'))}",
        "",
        "## Events",
        "",
        "| at | event | actor | details |",
        "|---|---|---|---|",
    ]
    lines += [f"| {e['at']} | {e['event']} | {e['actor']} | {_cell(e['details'])} |" for e in corr["events"]]
    inputs = objects.get("inputs.json") or []
    lines += ["", "## Inputs (landed raw objects)", ""]
    lines += [
        f"{len(inputs)} objects, {sum(int(i['bytes']) for i in inputs):,} bytes; every one with its sha256 in "
        f"`inputs.csv`" + (f" (the first {INPUTS_SHOWN} here)" if len(inputs) > INPUTS_SHOWN else "") + ".",
        "",
    ]
    lines += ["| uri | sha256 | bytes |", "|---|---|---|"]
    lines += [f"| {i['uri']} | `{i['sha256']}` | {i['bytes']} |" for i in inputs[:INPUTS_SHOWN]]
    lines += [
        "",
        "## Tables (content hashes of the affected rows)",
        "",
        "| table | rows before | sha256 before | rows after | sha256 after | added | removed | changed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    diffs = objects.get("diff.json") or {}
    for table, t in (objects.get("tables.json") or {}).items():
        n = diffs.get(table, {}).get("counts", {})
        lines.append(
            f"| {table} | {t['before']['count']} | `{t['before']['sha256'][:16]}` | {t['after']['count']} | "
            f"`{t['after']['sha256'][:16]}` | {n.get('added')} | {n.get('removed')} | {n.get('changed')} |"
        )
    lines += ["", "Row differences (keys and changed columns, at most 50 per table): " + ", ".join(csvs), ""]
    lines += ["## Checks after", "", "| check | dataset | outcome | rows failed | actual |", "|---|---|---|---|---|"]
    checks = objects.get("checks.json") or {}
    for c in checks.get("correction", []) + checks.get("gate", []):
        lines.append(
            f"| {c.get('check_id')} | {c.get('dataset')} | {c.get('outcome')} | {c.get('rows_failed')} | "
            f"{_cell(c.get('actual'))} |"
        )
    lines += [
        "",
        "## Reproduce",
        "",
        f"`northstar corrections verify {corr['correction_id']}` rebuilds the corrected "
        "tables from the inputs above in a scratch warehouse and compares their hashes with those recorded.",
        "",
        "The bundle's objects as written (write-once) are in `evidence/`.",
        "",
    ]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("|", "\\|").replace("\n", " ")[:200]
