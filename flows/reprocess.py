"""reprocess: replay committed (or held) batches from their landed raw with the current code and checks.

Each replayed batch becomes a new *version* of its window's batch (`<original id>-v<n>`, its own ledger row naming
the version it SUPERSEDES; the superseded row stays). The new version is published in one transaction under the
source's load lock: the superseded version's rows (and the older rows the new version displaces) are copied to the
`_HISTORY` tables, removed, and replaced by what the new version produces (rows it now rejects go to QUARANTINE);
a later batch's newer version of a row is never touched. A per-table difference summary is computed inside that
transaction: with `dry_run` (or when nothing differs) the transaction rolls back, so a dry run and a replay with
unchanged code change nothing at all. The source is never read again: a batch whose landed raw is gone (past the
90-day raw retention) cannot be replayed. The marts follow through the consistency gate: its next run checks the
new COMMITTED versions (as any unchecked source batch) and refreshes the marts only if its gate passes.
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from flows.engine import LineageRun, Stopwatch, Validated, lineage_emitter, new_record
from lineage.events import DatasetRef
from northstar.audit import append_audit
from northstar.batches import Window, batch_id, parse_utc
from northstar.faults import fault_point
from northstar.identity import current_user
from northstar.loads import (
    AlreadyCommitted,
    BatchRecord,
    BatchStatus,
    LeaseHeld,
    LoadPlan,
    acquire_lease,
    copy_staged,
    empty_staging,
    load_params,
    new_owner,
    reap_expired_leases,
    record_batch,
    record_held,
    release_lease,
    stage_files,
    with_load_lock,
)
from northstar.marts.publication import actor
from northstar.settings import Settings
from northstar.sqlfiles import read_sql
from northstar.warehouse import Warehouse, open_warehouse

SAMPLE = 10  # keys kept per kind of difference (sql/snowflake/reprocess/select_diff_*.sql)
UNCHANGED = "UNCHANGED"  # a replay that differs in nothing: rolled back, no new version
DRY_RUN = "DRY_RUN"


class ReprocessError(ValueError):
    """Bad input to reprocess (unknown source or batch, a bad range, raw landing gone): nothing was changed."""


@dataclass(frozen=True)
class TableDiff:
    """What a new version changed in one table: rows added, changed and removed, and up to 10 keys of each."""

    table: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    sample: dict[str, list[str]] = field(default_factory=dict)  # "added" | "changed" | "removed" -> keys

    @property
    def total(self) -> int:
        """Every differing row."""
        return self.added + self.changed + self.removed


@dataclass(frozen=True)
class BatchReplay:
    """One replayed batch: the version it superseded, the new version's id, and what happened.

    status: COMMITTED (published), HELD (the new checks hold it: the superseded version stays published),
    UNCHANGED (nothing differs: rolled back, no version written), DRY_RUN (computed, rolled back),
    SKIPPED (another run holds this version's lease, or committed it meanwhile).
    """

    superseded: str
    batch_id: str
    window: Window
    status: str
    message: str
    diffs: tuple[TableDiff, ...] = ()

    @property
    def written(self) -> bool:
        """Whether the new version's ledger row exists (published or held); UNCHANGED, DRY_RUN, SKIPPED write none."""
        return self.status in (BatchStatus.COMMITTED, BatchStatus.HELD)


@dataclass(frozen=True)
class ReprocessReport:
    """What a reprocess did, batch by batch; `new_batch_ids` are the versions it published."""

    reprocess_id: str
    source: str
    reason: str
    dry_run: bool
    batches: tuple[BatchReplay, ...]

    @property
    def new_batch_ids(self) -> list[str]:
        """The ids of the versions this reprocess published (COMMITTED)."""
        return [b.batch_id for b in self.batches if b.status == BatchStatus.COMMITTED]

    @property
    def held(self) -> list[BatchReplay]:
        """The batches whose new checks held them (their previous version stays published)."""
        return [b for b in self.batches if b.status == BatchStatus.HELD]

    def totals(self) -> dict[str, TableDiff]:
        """The differences summed per table over every batch (samples concatenated, still bounded per batch)."""
        out: dict[str, TableDiff] = {}
        for diff in (d for b in self.batches for d in b.diffs):
            t = out.get(diff.table, TableDiff(diff.table))
            sample = {k: t.sample.get(k, []) + v for k, v in diff.sample.items()}
            out[diff.table] = TableDiff(
                diff.table, t.added + diff.added, t.changed + diff.changed, t.removed + diff.removed, sample
            )
        return out


@dataclass(frozen=True)
class Target:
    """One window to replay: its original batch id (where its raw landed), the version published now, the new one."""

    window: Window
    base: str
    current: str
    version: str


class Replay(Protocol):
    """What reprocess needs of a source: where its raw landed, how to check it again, and what to compare."""

    @property
    def source(self) -> str:
        """The source's name (ledger, CLI)."""
        ...

    @property
    def job(self) -> str:
        """The source's flow and lineage job name."""
        ...

    @property
    def diff_queries(self) -> tuple[tuple[str, str, dict[str, Any]], ...]:
        """(table, SQL file, extra parameters) per table compared."""
        ...

    def raw_exists(self, settings: Settings, target: Target) -> bool:
        """Whether the batch's landed raw (its manifest) is still in the landing store."""
        ...

    def lineage_inputs(self, settings: Settings) -> list[DatasetRef]:
        """The datasets the replay reads (the source's, read from its landed copy)."""
        ...

    def validate(self, settings: Settings, target: Target) -> Validated:
        """Check the landed raw again with the current code; the load files in settings.work_dir/version."""
        ...

    def plan(self, validated: Validated) -> LoadPlan:
        """The version's load: the supersede step, then the source's ordinary load files."""
        ...


def replays() -> dict[str, Replay]:
    """The sources reprocess supports, by name."""
    from flows.reprocess_sources import REPLAYS

    return dict(REPLAYS)


def reprocess(
    settings: Settings,
    source: str,
    *,
    batch_ids: list[str] | None = None,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    reason: str,
    dry_run: bool = False,
) -> ReprocessReport:
    """Replay batches of source from their landed raw with the current code; a new version of each that differs.

    Give batch_ids (any version of a window's batch: the window's published version is replayed) or a range
    [start, end) (ISO-8601 with offset, or aware datetimes; every window of the source with a COMMITTED or HELD
    batch inside it). reason is required (recorded with the differences in OPS.REPROCESS_DIFFS).
    dry_run computes every difference in the publish transaction and rolls it back: nothing is written.
    Returns the report: per batch the new version id, status, message and per-table TableDiff (CORE.ORDERS,
    CORE.ORDER_LINES, QUARANTINE.ORDERS, QUARANTINE.ORDER_LINES for orders).
    Raises ReprocessError (a ValueError) before changing anything for: an unknown source, both or neither of
    batch_ids and a range, end not after start, an unknown batch id or one of another source, a range with no
    batch, a batch whose landed raw is gone. A failure while publishing one batch rolls that batch back and
    raises; the batches before it stay published (each is its own transaction; a rerun skips nothing and replays
    them again with zero differences).
    """
    if not reason or not reason.strip():
        raise ReprocessError("give a --reason: why these batches are replayed is recorded with their differences")
    replay = _replay_of(source)
    with open_warehouse(settings) as wh:
        targets = resolve_targets(wh, source, batch_ids, start, end)
    gone = [t for t in targets if not replay.raw_exists(settings, t)]
    if gone:
        raise ReprocessError(
            f"the landed raw of {', '.join(t.current for t in gone)} is gone (past the raw retention?): it cannot be "
            "replayed without re-extracting the source; nothing was changed"
        )
    rid = f"rp-{datetime.now(UTC):%Y%m%dt%H%M%S}-{secrets.token_hex(3)}"
    done = tuple(_replay_one(settings, replay, t, rid, reason, dry_run) for t in targets)
    report = ReprocessReport(rid, source, reason, dry_run, done)
    if not dry_run:
        _audit(settings, report)
    return report


def _audit(settings: Settings, report: ReprocessReport) -> None:
    """One audit log entry per reprocess that could change published data (SOX: who replayed what, and why)."""
    details = {
        "source": report.source,
        "reason": report.reason,
        "code_version": settings.code_version,
        "batches": [
            {
                "superseded": b.superseded,
                "batch_id": b.batch_id if b.written else None,
                "status": str(b.status),
                "message": b.message,
            }
            for b in report.batches
        ],
    }
    with open_warehouse(settings) as wh:
        append_audit(wh, kind="reprocess", actor=current_user(settings), subject=report.reprocess_id, details=details)


def _replay_of(source: str) -> Replay:
    known = replays()
    if source not in known:
        raise ReprocessError(
            f"unknown source {source!r} for reprocess: it replays {', '.join(sorted(known))}, and "
            "--source consistency runs the consistency checks again"
        )
    return known[source]


def resolve_targets(
    wh: Warehouse,
    source: str,
    batch_ids: list[str] | None,
    start: str | datetime | None,
    end: str | datetime | None,
) -> list[Target]:
    """The windows to replay, each with the version published now and the new version's id (ReprocessError)."""
    if bool(batch_ids) == (start is not None or end is not None):
        raise ReprocessError("give either --batch ID ... or --start and --end, not both and not neither")
    windows: list[Window] = []
    if batch_ids:
        for bid in batch_ids:
            rows = wh.query(read_sql("snowflake/reprocess/select_batch.sql"), {"batch_id": bid})
            if not rows:
                raise ReprocessError(f"unknown batch {bid!r}: `northstar batches --source {source}` lists them")
            if rows[0]["SOURCE"] != source:
                raise ReprocessError(f"batch {bid!r} belongs to the {rows[0]['SOURCE']} source, not {source}")
            windows.append(_window(rows[0]))
    else:
        if start is None or end is None:
            raise ReprocessError("give both --start and --end")
        lo, hi = (v if isinstance(v, datetime) else parse_utc(v) for v in (start, end))
        if hi <= lo:
            raise ReprocessError(f"--end {hi.isoformat()} is not after --start {lo.isoformat()}")
        rows = wh.query(
            read_sql("snowflake/reprocess/select_windows_in_range.sql"),
            {"source": source, "range_start": _naive(lo), "range_end": _naive(hi)},
        )
        windows = [_window(r) for r in rows]
        if not windows:
            raise ReprocessError(f"no committed or held {source} batch in [{lo.isoformat()}, {hi.isoformat()})")
    unique = sorted(set(windows), key=lambda w: w.start)
    return [_target(wh, source, w) for w in unique]


def _target(wh: Warehouse, source: str, window: Window) -> Target:
    """The window's published version (the COMMITTED one no COMMITTED version supersedes; else its held batch)."""
    rows = wh.query(
        read_sql("snowflake/reprocess/select_window_versions.sql"),
        {"source": source, "window_start": _naive(window.start), "window_end": _naive(window.end)},
    )
    committed = [r for r in rows if r["STATUS"] == BatchStatus.COMMITTED]
    replaced = {r["SUPERSEDES"] for r in committed if r["SUPERSEDES"]}
    heads = [r["BATCH_ID"] for r in committed if r["BATCH_ID"] not in replaced]
    base = batch_id(source, window)
    current = heads[-1] if heads else base
    n = 2 + sum(1 for r in committed if r["SUPERSEDES"])
    return Target(window, base, current, f"{base}-v{n}")


def _replay_one(
    settings: Settings, replay: Replay, target: Target, rid: str, reason: str, dry_run: bool
) -> BatchReplay:
    """Replay one window under the new version's lease: validate its landed raw, then publish or hold it."""
    run = LineageRun(lineage_emitter(settings), replay.job, target.window, None, replay.lineage_inputs(settings))
    with open_warehouse(settings) as wh:
        if not dry_run:  # a reprocess killed after committing the version published now left its lease
            run.close_committed(reap_expired_leases(wh, target.current))
        try:
            lease = acquire_lease(
                wh, target.version, replay.source, new_owner(), settings.lease_ttl, None if dry_run else run.run_id
            )
        except LeaseHeld as held:
            return BatchReplay(target.current, target.version, target.window, BatchStatus.SKIPPED, str(held))
    if not dry_run:
        if lease.previous and lease.previous.get("LINEAGE_RUN_ID"):
            run.close_abandoned(lease.previous["LINEAGE_RUN_ID"])
        run.start()
    fault_point("after_lease")
    try:
        return _validate_and_publish(settings, replay, target, run, rid, reason, dry_run)
    except Exception as exc:
        if not dry_run:
            run.fail(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        with open_warehouse(settings) as wh:
            release_lease(wh, lease)
        shutil.rmtree(settings.work_dir / target.version, ignore_errors=True)


def _validate_and_publish(
    settings: Settings, replay: Replay, target: Target, run: LineageRun, rid: str, reason: str, dry_run: bool
) -> BatchReplay:
    watch = Stopwatch()
    with watch.stage("validate"):
        validated = replay.validate(settings, target)
    fault_point("after_validate")
    record = new_record(settings, replay.source, target.window, target.version, validated, run.run_id, watch)
    record = replace(record, supersedes=target.current)
    if validated.held_reason:
        message = f"held by the current checks ({validated.held_reason}): {target.current} stays published"
        if not dry_run:
            with open_warehouse(settings) as wh:
                record_held(wh, record, validated.results)
            run.fail(f"batch held: {validated.held_reason}", validated.results)
        return BatchReplay(target.current, target.version, target.window, BatchStatus.HELD, message)
    with open_warehouse(settings) as wh:
        done, diffs = publish_version(wh, replay, replay.plan(validated), record, validated, rid, reason, dry_run)
    status = done.status if done else (DRY_RUN if dry_run else UNCHANGED)
    if done is not None and done.status == BatchStatus.COMMITTED:
        fault_point("after_commit")
        run.complete([], validated.results)
        message = f"published {target.version}, superseding {target.current}"
    elif dry_run and not any(d.total for d in diffs):
        message = f"dry run: no difference: {target.current} would stay published, no new version; nothing written"
    elif dry_run:
        message = f"dry run: {target.version} would supersede {target.current}; nothing written"
    elif done is None and not diffs:
        message = f"{target.version} was committed meanwhile by another run"
        status = BatchStatus.SKIPPED
    else:
        message = f"no difference: {target.current} stays published, no new version written"
        run.complete([], validated.results)
    return BatchReplay(target.current, target.version, target.window, status, message, diffs)


class _RolledBack(Exception):
    """Raised inside the publish transaction to roll it back, carrying the differences it computed."""

    def __init__(self, diffs: tuple[TableDiff, ...]) -> None:
        super().__init__("rolled back")
        self.diffs = diffs


def publish_version(
    wh: Warehouse,
    replay: Replay,
    plan: LoadPlan,
    record: BatchRecord,
    validated: Validated,
    rid: str,
    reason: str,
    dry_run: bool,
) -> tuple[BatchRecord | None, tuple[TableDiff, ...]]:
    """Publish a version in one transaction under the source's load lock, with its differences; (None, diffs)
    when rolled back (a dry run, or no difference), (None, ()) when the version was committed meanwhile."""
    stage_files(wh, plan, record)

    def body() -> tuple[BatchRecord, tuple[TableDiff, ...]]:
        copy_staged(wh, plan, record)
        params = load_params(record)
        for relative in plan.load_files:
            wh.run_file(relative, params)
        diffs = tuple(_diff(wh, table, sql, params | extra) for table, sql, extra in replay.diff_queries)
        if dry_run or not any(d.total for d in diffs):
            raise _RolledBack(diffs)
        counts = wh.query(read_sql(plan.count_published), params)[0]
        done = replace(
            record,
            rows_published=int(counts["N"]),
            rows_already_current=_count(counts, "ALREADY_CURRENT"),
            rows_requarantined=_count(counts, "REQUARANTINED"),
            status=BatchStatus.COMMITTED,
            finished_at=datetime.now(UTC),
        )
        record_batch(wh, done, validated.results)
        for diff in diffs:
            _record_diff(wh, rid, done, diff, reason)
        empty_staging(wh, plan)
        fault_point("publish_before_commit")
        return done, diffs

    try:
        return with_load_lock(wh, record.source, record.batch_id, body)
    except _RolledBack as rolled:
        return None, rolled.diffs
    except AlreadyCommitted:
        return None, ()


def _diff(wh: Warehouse, table: str, relative: str, params: dict[str, Any]) -> TableDiff:
    """One table's difference summary from its select_diff query (one row per sampled key, with its kind's N)."""
    counts: dict[str, int] = {}
    sample: dict[str, list[str]] = {}
    for row in wh.query(read_sql(relative), params):
        counts[row["CHANGE"]] = int(row["N"])
        sample.setdefault(row["CHANGE"], []).append(str(row["KEY"]))
    return TableDiff(table, counts.get("added", 0), counts.get("changed", 0), counts.get("removed", 0), sample)


def _record_diff(wh: Warehouse, rid: str, record: BatchRecord, diff: TableDiff, reason: str) -> None:
    wh.run_file(
        "snowflake/reprocess/insert_into_ops_reprocess_diffs.sql",
        {"reprocess_id": rid, "source": record.source, "batch_id": record.batch_id, "supersedes": record.supersedes,
         "table_name": diff.table, "added": diff.added, "changed": diff.changed, "removed": diff.removed,
         "sample_keys": json.dumps(diff.sample, sort_keys=True), "reason": reason, "requested_by": actor(),
         "code_version": record.code_version, "created_at": record.started_at},
    )  # fmt: skip


def _count(counts: dict[str, Any], name: str) -> int | None:
    value = counts.get(name)
    return None if value is None else int(value)


def _window(row: dict[str, Any]) -> Window:
    return Window(row["WINDOW_START"].replace(tzinfo=UTC), row["WINDOW_END"].replace(tzinfo=UTC))


def _naive(moment: datetime) -> datetime:
    """A UTC moment as the ledger's TIMESTAMP_NTZ holds it."""
    return moment.astimezone(UTC).replace(tzinfo=None)
