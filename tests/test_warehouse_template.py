"""A new local home's warehouse: the DDL applied from nothing, or a copy of the session's warehouse template
(NORTHSTAR_WAREHOUSE_TEMPLATE); both hold the same objects and record the same DDL digest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from northstar import warehouse
from northstar.settings import load_settings
from northstar.warehouse import WarehouseError, open_warehouse

OBJECTS = (
    "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS "
    "WHERE TABLE_SCHEMA IN ('RAW', 'CORE', 'QUARANTINE', 'OPS', 'MARTS') "
    "ORDER BY TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME"
)


def objects_and_digest() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    with open_warehouse(load_settings()) as wh:
        return wh.query(OBJECTS), wh.query("SELECT DIGEST FROM OPS.SCHEMA_VERSIONS")


def test_a_home_started_from_the_template_equals_one_whose_ddl_was_applied(
    pipeline_env: Callable[..., dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline_env(NORTHSTAR_HOME=str(tmp_path / "copied"))
    copied, copied_digest = objects_and_digest()
    assert (tmp_path / "copied" / "warehouse" / "NORTHSTAR.db").is_file()

    monkeypatch.delenv("NORTHSTAR_WAREHOUSE_TEMPLATE")
    pipeline_env(NORTHSTAR_HOME=str(tmp_path / "applied"))
    applied, applied_digest = objects_and_digest()

    assert len(applied) > 200 and copied == applied
    assert copied_digest == applied_digest == [{"DIGEST": warehouse.ddl_digest()}]


def test_the_template_is_never_copied_over_an_existing_warehouse(warehouse_template: Path, tmp_path: Path) -> None:
    target = tmp_path / "warehouse"
    target.mkdir()
    (target / "NORTHSTAR.db").write_bytes(b"kept")
    assert warehouse.start_from_template(warehouse_template, target, "NORTHSTAR") is False
    assert (target / "NORTHSTAR.db").read_bytes() == b"kept"
    assert [p.name for p in target.iterdir()] == ["NORTHSTAR.db"]  # no partial copy left behind


def test_a_template_folder_without_the_database_says_what_to_set(tmp_path: Path) -> None:
    target = tmp_path / "warehouse"
    target.mkdir()
    with pytest.raises(WarehouseError) as raised:
        warehouse.start_from_template(tmp_path / "empty", target, "NORTHSTAR")
    assert str(raised.value).splitlines() == [
        f"NORTHSTAR_WAREHOUSE_TEMPLATE={tmp_path / 'empty'} holds no NORTHSTAR.db",
        "point it at a folder with a closed local warehouse, or unset it to apply the DDL",
    ]
    assert list(target.iterdir()) == []
