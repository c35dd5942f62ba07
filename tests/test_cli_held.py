"""A batch held for a source schema change, resolved through `northstar held`, each action recorded."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest

from cli.main import main
from northstar.settings import load_settings
from northstar.warehouse import open_warehouse
from tests.helpers import T0, source_row

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_a_held_batch_is_reextracted_after_the_source_is_fixed_and_each_step_is_recorded(
    pipeline_env: Callable[..., dict[str, str]], source_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pipeline_env(NORTHSTAR_USER="on-call")
    with psycopg.connect(source_db) as conn:
        conn.execute("INSERT INTO orders VALUES (%s, %s, %s, %s, %s, %s, %s)", source_row(1, 1))
        conn.execute("ALTER TABLE orders RENAME COLUMN currency TO currency_code")
    start, end = T0.isoformat(), (T0 + timedelta(minutes=15)).isoformat()
    code, out = run_cli("run", "orders", "--start", start, "--end", end)
    held = json.loads(out)
    assert code == 1 and held["status"] == "HELD"
    batch = held["batch_id"]

    # the contract was not changed: accepting runs the window again on the same raw, and it stays held
    code, out = run_cli("held", "accept", batch, "--reason", "currency_code is the new name")
    assert code == 1 and json.loads(out)["batch"]["status"] == "HELD"
    assert f"northstar: {batch} is still held: schema." in capsys.readouterr().err

    with psycopg.connect(source_db) as conn:  # the source team reverts the rename
        conn.execute("ALTER TABLE orders RENAME COLUMN currency_code TO currency")
    code, out = run_cli("held", "reextract", batch, "--reason", "source reverted the rename (INC-42)")
    report = json.loads(out)
    assert code == 0 and report["batch"]["status"] == "COMMITTED" and report["batch"]["rows_published"] == 1
    moved_to = report["resolution"]["superseded_to"]
    assert moved_to.startswith("raw/superseded/") and moved_to.endswith(f"/batch={batch}/")

    settings = load_settings()
    old = sorted(p.name for p in (settings.landing_dir / moved_to).iterdir())
    new = sorted(p.name for p in (settings.landing_dir / moved_to.split("/", 3)[3]).iterdir())
    assert "manifest.json" in old and "manifest.json" in new and len(old) == len(new) == 3  # orders, lines, manifest
    with open_warehouse(settings) as wh:
        resolutions = wh.query(
            "SELECT ACTION, RESOLVED_BY, REASON, SUPERSEDED_TO FROM OPS.BATCH_RESOLUTIONS WHERE BATCH_ID = %(b)s"
            " ORDER BY RESOLVED_AT",
            {"b": batch},
        )
    assert resolutions == [
        {"ACTION": "accept_contract", "RESOLVED_BY": "on-call", "REASON": "currency_code is the new name",
         "SUPERSEDED_TO": None},
        {"ACTION": "reextract", "RESOLVED_BY": "on-call", "REASON": "source reverted the rename (INC-42)",
         "SUPERSEDED_TO": moved_to},
    ]  # fmt: skip
    with open_warehouse(settings) as wh:
        audit = wh.query("SELECT KIND, ACTOR, SUBJECT FROM OPS.AUDIT_LOG WHERE KIND LIKE 'held.%' ORDER BY SEQ")
    assert [tuple(r.values()) for r in audit] == [
        ("held.accept_contract", "on-call", batch),
        ("held.reextract", "on-call", batch),
    ]  # each manual override of a hold is an audit entry
    code, _ = run_cli("held", "reextract", batch, "--reason", "again")
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [f"northstar: {batch} is COMMITTED, not HELD: nothing to resolve"]
