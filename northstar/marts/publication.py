"""Publications of the marts: build apart, test, then make live in one step; keep the last K; roll back.

A publication builds every mart with dbt into its own schema MARTS_PUB_<id> (apart from the live one), and dbt's
tests run there (`dbt build`). Only when every model and test passed does it go live: the stable views in MARTS
(MARTS.FCT_ORDERS, MARTS.FCT_ORDERS_V1, ...) are re-pointed at the new schema, with the compatibility views
(dbt/compatibility.yml) and the ledger rows, in ONE transaction. A dashboard therefore reads either the whole
previous publication or the whole new one: never a half-built mart, never a mix (measured on fakesnow: inside
BEGIN ... COMMIT a CREATE OR REPLACE VIEW is invisible to other sessions until COMMIT; see README.md). On Snowflake,
where DDL commits on its own, the switch is a zero-copy clone swapped into MARTS_LIVE instead (`go_live_plan`).
A failed build or test leaves the live views untouched and records why.

The last K publications (NORTHSTAR_MARTS_KEEP, default 5) keep their schema, dbt manifest (landing store, key
marts/publications/<id>/manifest.json) and the CORE batch ids they were built from; `rollback` re-points the views
at one of them in the same one-transaction step, and the next publication rolls forward.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from northstar.audit import append_audit
from northstar.landing import landing_store
from northstar.marts.dbt_runner import DBT_PROJECT_DIR, DbtRun, dbt_vars, run_dbt
from northstar.settings import Settings
from northstar.warehouse import Warehouse, open_warehouse

LIVE_SCHEMA = "MARTS"
SCHEMA_PREFIX = "MARTS_PUB_"
LIVE, SUPERSEDED, ROLLED_BACK, FAILED, BUILDING = "live", "superseded", "rolled_back", "failed", "building"
_IDENT = re.compile(r"^[A-Z][A-Z0-9_]*$")


class PublicationError(RuntimeError):
    """A publication that cannot be made live (unknown, failed, or its schema already dropped)."""


@dataclass(frozen=True)
class Publication:
    """One publication: where it lives, what it was built from, what it holds, and whether it is live."""

    publication_id: str
    gate_batch_id: str
    schema_name: str
    status: str
    reason: str | None = None
    dbt_invocation_id: str | None = None
    sql_hash: str | None = None
    model_versions: dict[str, Any] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    core_batches: dict[str, str] = field(default_factory=dict)
    relations: tuple[str, ...] = ()  # the relation names in its schema the stable views point at
    dbt_seconds: float | None = None
    created_at: datetime | None = None  # UTC, naive


def keep_publications(env: dict[str, str] | None = None) -> int:
    """K: how many publications keep their schema (NORTHSTAR_MARTS_KEEP, at least 2 so a rollback has a target)."""
    value = int((env if env is not None else os.environ).get("NORTHSTAR_MARTS_KEEP", "5"))
    if value < 2:
        raise ValueError("NORTHSTAR_MARTS_KEEP must be at least 2")
    return value


def actor() -> str:
    """Who did it: NORTHSTAR_USER, else the OS user."""
    return os.environ.get("NORTHSTAR_USER") or getpass.getuser()


def ensure_objects(wh: Warehouse) -> None:
    """OPS.MART_PUBLICATIONS, OPS.MART_PUBLICATION_EVENTS and MARTS.REVENUE_ADJUSTMENTS, when missing."""
    wh.run_file("marts/create_marts_tables.sql")


def new_publication_id(now: datetime | None = None) -> str:
    """A sortable id: UTC time to the second and 4 random hex digits, e.g. 20261130T224512_9F3A."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}_{secrets.token_hex(2).upper()}"


def publish_marts(
    settings: Settings, gate_batch_id: str, project_dir: Path = DBT_PROJECT_DIR, keep: int | None = None
) -> Publication:
    """Build and test every mart apart from the live ones, then make them live in one step (or record why not).

    The one entry point for the consistency flow, called after its gate passed; returns the publication, live
    or failed (a failed one leaves the previous publication live). Money in the marts is in minor units.
    """
    keep = keep if keep is not None else keep_publications()
    pub_id = new_publication_id()
    schema = f"{SCHEMA_PREFIX}{pub_id}"
    created = datetime.now(UTC)
    with open_warehouse(settings) as wh:
        ensure_objects(wh)
        core = {r["SOURCE"]: r["BATCH_ID"] for r in wh.query(_sql("select_core_batches.sql"))}
        wh.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
        wh.execute(
            _sql("insert_publication.sql"),
            {"publication_id": pub_id, "gate_batch_id": gate_batch_id, "schema_name": schema,
             "core_batches": json.dumps(core), "created_at": _naive(created)},
        )  # fmt: skip
    work = _work_dir(settings, pub_id)
    try:
        run = run_dbt(settings, ["build"], schema, work, dbt_vars(settings, gate_batch_id, f"{_naive(created)}"),
                      project_dir)  # fmt: skip
    except Exception as exc:  # dbt itself broke: the ledger row must not stay 'building'
        with open_warehouse(settings) as wh:
            wh.execute(
                "UPDATE OPS.MART_PUBLICATIONS SET STATUS = %(s)s, REASON = %(r)s WHERE PUBLICATION_ID = %(id)s",
                {"s": FAILED, "r": f"dbt raised {type(exc).__name__}: {exc}"[:2000], "id": pub_id},
            )
        raise
    manifest = json.loads(run.manifest_path.read_text()) if run.manifest_path.exists() else {}
    versions, relations = model_versions(manifest)
    pub = Publication(pub_id, gate_batch_id, schema, FAILED if not run.success else BUILDING,
                      _failure_reason(run), run.invocation_id, sql_hash(manifest), versions, {}, core, relations,
                      run.seconds, _naive(created))  # fmt: skip
    manifest_key = _store_manifest(settings, pub_id, run) if manifest else None
    with open_warehouse(settings) as wh:
        counts = _row_counts(wh, schema, manifest) if run.success else {}
        pub = _replace(pub, row_counts=counts)
        wh.execute(
            _sql("update_publication_built.sql"),
            {"publication_id": pub_id, "invocation_id": pub.dbt_invocation_id,
             "model_versions": json.dumps(versions), "sql_hash": pub.sql_hash, "row_counts": json.dumps(counts),
             "manifest_key": manifest_key, "status": pub.status, "reason": pub.reason,
             "dbt_seconds": run.seconds},
        )  # fmt: skip
        if run.success:
            _make_live(wh, pub, event="published", who=actor(), reason=f"gate {gate_batch_id} passed",
                       swap=settings.snowflake is not None)  # fmt: skip
            pub = _replace(pub, status=LIVE)
        _drop_old(wh, settings, keep)
    return pub


def rollback(settings: Settings, to: str, reason: str, who: str | None = None) -> Publication:
    """Make an earlier, kept publication live again in one step, recorded with who and why."""
    if not reason.strip():
        raise ValueError("a rollback needs a reason")
    with open_warehouse(settings) as wh:
        ensure_objects(wh)
        target = _one(wh, to)
        if target.status == FAILED:
            raise PublicationError(f"publication {to} failed its build or tests: it was never live")
        if target.status == LIVE:
            raise PublicationError(f"publication {to} is already live")
        if _dropped(wh, to):
            raise PublicationError(f"publication {to} is older than the last kept ones: its schema was dropped")
        _make_live(
            wh, target, event="rolled_back", who=who or actor(), reason=reason, swap=settings.snowflake is not None
        )
        append_audit(wh, kind="marts.rollback", actor=who or actor(), subject=to, details={"reason": reason})
    return _replace(target, status=LIVE, reason=reason)


def publications(settings: Settings) -> list[dict[str, Any]]:
    """Every recorded publication, newest first, as the ledger holds it."""
    with open_warehouse(settings) as wh:
        ensure_objects(wh)
        return [_decoded(r) for r in wh.query(_sql("select_publications.sql"))]


def live_publication(wh: Warehouse) -> Publication | None:
    """The publication the stable views point at now, if any."""
    rows = wh.query("SELECT PUBLICATION_ID FROM OPS.MART_PUBLICATIONS WHERE STATUS = %(s)s", {"s": LIVE})
    return _one(wh, rows[0]["PUBLICATION_ID"]) if rows else None


def get_publication(wh: Warehouse, publication_id: str) -> Publication:
    """One recorded publication (PublicationError when unknown)."""
    return _one(wh, publication_id)


def model_versions(manifest: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Per model its built versions, latest and deprecation dates; and the relation names a publication holds
    (each version's table, and the unversioned view of the latest)."""
    versions: dict[str, Any] = {}
    relations: set[str] = set()
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model" or node.get("config", {}).get("materialized") == "ephemeral":
            continue
        name, version = node["name"], node.get("version")
        entry = versions.setdefault(
            name,
            {
                "versions": [],
                "latest": node.get("latest_version"),
                "deprecations": {},
                "grain": node.get("config", {}).get("meta", {}).get("grain", []),
            },
        )
        relations.add(str(node.get("alias") or name).upper())
        if version is not None:
            entry["versions"].append(version)
            if node.get("deprecation_date"):
                entry["deprecations"][str(version)] = str(node["deprecation_date"])[:10]
            if version == node.get("latest_version"):
                relations.add(name.upper())
    for entry in versions.values():
        entry["versions"].sort(key=str)
    return versions, tuple(sorted(relations))


def sql_hash(manifest: dict[str, Any]) -> str | None:
    """sha256 over the models' and tests' file checksums: equal hashes, equal SQL."""
    nodes = manifest.get("nodes", {})
    if not nodes:
        return None
    parts = sorted(f"{uid}:{n.get('checksum', {}).get('checksum')}" for uid, n in nodes.items())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def compatibility_views(project_dir: Path = DBT_PROJECT_DIR) -> tuple[str, dict[str, str]]:
    """The compatibility layer from dbt/compatibility.yml: its schema and {view name: SELECT}."""
    spec = yaml.safe_load((project_dir / "compatibility.yml").read_text())
    return _ident(spec["schema"]), {_ident(name): str(view["sql"]) for name, view in spec["views"].items()}


def go_live_plan(pub: Publication, swap: bool) -> list[str]:
    """The statements that switch what the stable views in MARTS read to pub's schema.

    swap False (the local emulator): one CREATE OR REPLACE VIEW per relation, run inside the go-live transaction.
    swap True (Snowflake, where DDL commits on its own): clone pub's schema and ALTER SCHEMA ... SWAP WITH into
    MARTS_LIVE (one atomic metadata operation, sql/marts/swap_marts_live.sql), then the views reading MARTS_LIVE.
    """
    relations = [_ident(r) for r in pub.relations]
    if not swap:
        schema = _ident(pub.schema_name)
        return [f"CREATE OR REPLACE VIEW {LIVE_SCHEMA}.{r} AS SELECT * FROM {schema}.{r}" for r in relations]
    from northstar.sqlfiles import statements

    swapped = [
        sql.replace("{publication_schema}", _ident(pub.schema_name)) for sql in statements("marts/swap_marts_live.sql")
    ]
    (view,) = statements("marts/create_marts_live_views.sql")
    return swapped + [view.replace("{relation}", r) for r in relations]


def _make_live(wh: Warehouse, pub: Publication, event: str, who: str, reason: str, swap: bool = False) -> None:
    """Switch the stable views to pub's schema, recreate the compatibility views and update the ledger, in ONE
    transaction (locally): other sessions see all of it at COMMIT or none of it. On Snowflake (swap) the switch is
    the schema swap before the transaction, itself atomic; the ledger follows it."""
    previous = live_publication(wh)
    stale = set(previous.relations if previous else ()) - set(pub.relations)
    now = _naive(datetime.now(UTC))
    compat_schema, compat = compatibility_views()
    wh.execute(f"CREATE SCHEMA IF NOT EXISTS {compat_schema}")  # DDL outside: on Snowflake it would commit
    plan = go_live_plan(pub, swap)
    if swap:
        for sql in plan:
            wh.execute(sql)
    with wh.transaction():
        for sql in [] if swap else plan:
            wh.execute(sql)
        for relation in sorted(stale):  # a version the new publication no longer has (past its deprecation)
            wh.execute(f"DROP VIEW IF EXISTS {LIVE_SCHEMA}.{_ident(relation)}")
        for name, select in compat.items():
            built = pub.created_at or now  # the publication's time: a rollback restores its views exactly
            wh.execute(f"CREATE OR REPLACE VIEW {compat_schema}.{name} AS {select.format(published_at=built)}")
        if previous is not None:
            new_status = ROLLED_BACK if event == "rolled_back" else SUPERSEDED
            wh.execute(
                "UPDATE OPS.MART_PUBLICATIONS SET STATUS = %(s)s WHERE PUBLICATION_ID = %(id)s",
                {"s": new_status, "id": previous.publication_id},
            )
        wh.execute(
            "UPDATE OPS.MART_PUBLICATIONS SET STATUS = %(s)s, LIVE_AT = %(at)s,"
            " REASON = CASE WHEN %(event)s = 'rolled_back' THEN %(reason)s ELSE REASON END"
            " WHERE PUBLICATION_ID = %(id)s",
            {"s": LIVE, "at": now, "id": pub.publication_id, "event": event, "reason": reason},
        )
        wh.execute(
            _sql("insert_publication_event.sql"),
            {"publication_id": pub.publication_id, "previous_id": previous.publication_id if previous else None,
             "event": event, "actor": who, "reason": reason, "at": now},
        )  # fmt: skip


def _drop_old(wh: Warehouse, settings: Settings, keep: int) -> None:
    """Drop the schemas (and local work folders) of every publication but the newest `keep` and the live one."""
    rows = wh.query(
        "SELECT PUBLICATION_ID, SCHEMA_NAME, STATUS FROM OPS.MART_PUBLICATIONS WHERE DROPPED_AT IS NULL"
        " ORDER BY CREATED_AT DESC, PUBLICATION_ID DESC"
    )
    for row in rows[keep:]:
        if row["STATUS"] == LIVE:
            continue
        wh.execute(f"DROP SCHEMA IF EXISTS {_ident(row['SCHEMA_NAME'])} CASCADE")
        wh.execute(
            "UPDATE OPS.MART_PUBLICATIONS SET DROPPED_AT = %(at)s WHERE PUBLICATION_ID = %(id)s",
            {"at": _naive(datetime.now(UTC)), "id": row["PUBLICATION_ID"]},
        )
        shutil.rmtree(_work_dir(settings, row["PUBLICATION_ID"]), ignore_errors=True)


def _one(wh: Warehouse, publication_id: str) -> Publication:
    rows = wh.query("SELECT * FROM OPS.MART_PUBLICATIONS WHERE PUBLICATION_ID = %(id)s", {"id": publication_id})
    if not rows:
        raise PublicationError(f"no publication {publication_id}")
    r = _decoded(rows[0])
    versions = r["MODEL_VERSIONS"] or {}
    relations = {name.upper() for name in versions}
    for name, entry in versions.items():
        relations |= {f"{name}_v{v}".upper() for v in entry.get("versions", [])}
    return Publication(
        publication_id=r["PUBLICATION_ID"], gate_batch_id=r["GATE_BATCH_ID"], schema_name=r["SCHEMA_NAME"],
        status=r["STATUS"], reason=r["REASON"], dbt_invocation_id=r["DBT_INVOCATION_ID"], sql_hash=r["SQL_HASH"],
        model_versions=versions, row_counts=r["ROW_COUNTS"] or {}, core_batches=r["CORE_BATCHES"] or {},
        relations=tuple(sorted(relations)), dbt_seconds=r["DBT_SECONDS"], created_at=r["CREATED_AT"],
    )  # fmt: skip


def _dropped(wh: Warehouse, publication_id: str) -> bool:
    # nullness asked in SQL: fakesnow hands a NULL TIMESTAMP_NTZ to the connector as 1970-01-01 (DEVELOPERS.md)
    rows = wh.query(
        "SELECT DROPPED_AT IS NOT NULL AS DROPPED FROM OPS.MART_PUBLICATIONS WHERE PUBLICATION_ID = %(id)s",
        {"id": publication_id},
    )
    return bool(rows and rows[0]["DROPPED"])


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """VARIANT columns come back as JSON text: parse them."""
    out = dict(row)
    for name in ("MODEL_VERSIONS", "ROW_COUNTS", "CORE_BATCHES"):
        if isinstance(out.get(name), str):
            out[name] = json.loads(out[name])
    return out


def _row_counts(wh: Warehouse, schema: str, manifest: dict[str, Any]) -> dict[str, int]:
    """Rows per built table (each model version) in the publication's schema."""
    counts: dict[str, int] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model" and node.get("config", {}).get("materialized") == "table":
            rel = _ident(str(node.get("alias") or node["name"]).upper())
            counts[rel] = int(wh.query(f"SELECT count(*) AS N FROM {_ident(schema)}.{rel}")[0]["N"])
    return dict(sorted(counts.items()))


def _failure_reason(run: DbtRun) -> str | None:
    if run.success:
        return None
    return "; ".join(run.failures) or "dbt build failed"


def _store_manifest(settings: Settings, pub_id: str, run: DbtRun) -> str:
    """dbt's manifest in the landing store (S3 in the aws profile), beside the raw data; its key."""
    key = f"marts/publications/{pub_id}/manifest.json"
    landing_store(settings).put_if_absent(key, run.manifest_path.read_bytes())
    return key


def _work_dir(settings: Settings, pub_id: str) -> Path:
    return settings.work_dir / "marts" / pub_id


def _ident(name: str) -> str:
    """An identifier built by code (publication schemas, relation names from dbt's manifest), checked anyway."""
    if not _IDENT.match(name):
        raise ValueError(f"unsafe identifier {name!r}")
    return name


def _sql(name: str) -> str:
    from northstar.sqlfiles import read_sql

    return read_sql(f"marts/{name}")


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _replace(pub: Publication, **changes: Any) -> Publication:
    from dataclasses import replace

    return replace(pub, **changes)


def publish_after_gate(settings: Settings, gate_batch_id: str) -> Publication | None:
    """The consistency flow's hook, after its gate passed and its batch committed: publish the marts.

    NORTHSTAR_MARTS_PUBLISH=false turns it off (tests of other flows). A failed publication never fails the
    committed consistency batch: the previous publication stays live, the ledger says why, and an alert is raised.
    """
    if os.environ.get("NORTHSTAR_MARTS_PUBLISH", "true").lower() in ("0", "false", "no", "off"):
        return None
    from northstar.alerts import alert

    try:
        pub = publish_marts(settings, gate_batch_id)
    except Exception as exc:  # the batch is committed: report, do not undo it
        alert("marts publication failed, the previous publication stays live", source="marts",
              batch_id=gate_batch_id, details=f"{type(exc).__name__}: {exc}")  # fmt: skip
        return None
    if pub.status != LIVE:
        alert("marts publication failed its tests, the previous publication stays live", source="marts",
              batch_id=gate_batch_id, details=pub.reason or "")  # fmt: skip
    return pub
