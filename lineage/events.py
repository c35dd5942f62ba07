"""Pure builders of OpenLineage RunEvents for pipeline runs, their datasets and their checks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    OutputDatasetFacet,
    RunFacet,
    data_quality_assertions_dataset,
    error_message_run,
    input_statistics_input_dataset,
    nominal_time_run,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)

EventType = Literal["START", "COMPLETE", "FAIL"]
PRODUCER = "https://github.com/northstar-retail/pipeline"
PARENT_JOB_NAMESPACE = "prefect"


class CheckResult(Protocol):
    """What an assertion carries of a check result (validators.result.CheckResult is one, field for field)."""

    @property
    def check_id(self) -> str: ...
    @property
    def dataset(self) -> str: ...
    @property
    def column(self) -> str | None: ...
    @property
    def severity(self) -> str: ...
    @property
    def expected(self) -> str: ...
    @property
    def actual(self) -> str: ...
    @property
    def success(self) -> bool: ...


@dataclass(frozen=True)
class DatasetRef:
    """A dataset read or written by a job, with its optional schema and row count."""

    namespace: str
    name: str
    fields: tuple[tuple[str, str], ...] = ()  # (column name, column type)
    row_count: int | None = None


def new_run_id() -> str:
    """Return a fresh run id: a time-ordered UUIDv7 from the client, else a random UUIDv4."""
    try:
        from openlineage.client.uuid import generate_new_uuid
    except ImportError:  # pragma: no cover - openlineage-python before 1.15
        return str(uuid.uuid4())
    return str(generate_new_uuid())


def run_event(
    event_type: EventType,
    *,
    job_name: str,
    run_id: str,
    job_namespace: str = "northstar",
    parent_run_id: str | None,
    parent_job_name: str | None,
    inputs: Sequence[DatasetRef],
    outputs: Sequence[DatasetRef],
    checks: Sequence[CheckResult] = (),
    error: str | None = None,
    nominal_start: datetime | None = None,
    nominal_end: datetime | None = None,
    producer: str = PRODUCER,
    event_time: datetime | None = None,
) -> RunEvent:
    """Build one RunEvent; checks become dataQualityAssertions on the inputs they name."""
    run_facets = _run_facets(event_type, parent_run_id, parent_job_name, error, nominal_start, nominal_end, producer)
    return RunEvent(
        eventType=RunState(event_type),
        eventTime=_iso_utc(event_time or datetime.now(UTC), "event_time"),
        run=Run(runId=_uuid(run_id, "run_id"), facets=run_facets),
        job=Job(namespace=job_namespace, name=job_name),
        inputs=[_input(ref, checks, producer) for ref in inputs],
        outputs=[_output(ref, producer) for ref in outputs],
        producer=producer,
    )


def _run_facets(
    event_type: EventType,
    parent_run_id: str | None,
    parent_job_name: str | None,
    error: str | None,
    nominal_start: datetime | None,
    nominal_end: datetime | None,
    producer: str,
) -> dict[str, RunFacet]:
    """Collect the parent, nominalTime and errorMessage run facets that apply."""
    facets: dict[str, RunFacet] = {}
    if parent_run_id is not None:
        facets["parent"] = _parent_facet(parent_run_id, parent_job_name, producer)
    if nominal_start is not None or nominal_end is not None:
        facets["nominalTime"] = _nominal_time_facet(nominal_start, nominal_end, producer)
    if event_type == "FAIL":
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error or "run failed (no error message given)",
            programmingLanguage="python",
            producer=producer,
        )
    return facets


def _parent_facet(parent_run_id: str, parent_job_name: str | None, producer: str) -> parent_run.ParentRunFacet:
    """Point at the Prefect flow run that spawned this run."""
    if not parent_job_name:
        raise ValueError("parent_job_name is required when parent_run_id is given")
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=_uuid(parent_run_id, "parent_run_id")),
        job=parent_run.Job(namespace=PARENT_JOB_NAMESPACE, name=parent_job_name),
        producer=producer,
    )


def _nominal_time_facet(
    start: datetime | None, end: datetime | None, producer: str
) -> nominal_time_run.NominalTimeRunFacet:
    """Describe the scheduled window [start, end) of the run."""
    if start is None:
        raise ValueError("nominal_end requires nominal_start")
    return nominal_time_run.NominalTimeRunFacet(
        nominalStartTime=_iso_utc(start, "nominal_start"),
        nominalEndTime=_iso_utc(end, "nominal_end") if end is not None else None,
        producer=producer,
    )


def _input(ref: DatasetRef, checks: Sequence[CheckResult], producer: str) -> InputDataset:
    """Build an input dataset with its schema, statistics and quality assertions."""
    input_facets: dict[str, InputDatasetFacet] = {}
    assertions = [_assertion(check) for check in checks if _matches(check, ref)]
    if assertions:
        input_facets["dataQualityAssertions"] = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=assertions, producer=producer
        )
    if ref.row_count is not None:
        input_facets["inputStatistics"] = input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
            rowCount=ref.row_count, producer=producer
        )
    return InputDataset(
        namespace=ref.namespace,
        name=ref.name,
        facets=_dataset_facets(ref, producer),
        inputFacets=input_facets,
    )


def _output(ref: DatasetRef, producer: str) -> OutputDataset:
    """Build an output dataset with its schema and statistics."""
    output_facets: dict[str, OutputDatasetFacet] = {}
    if ref.row_count is not None:
        output_facets["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=ref.row_count, producer=producer
        )
    return OutputDataset(
        namespace=ref.namespace,
        name=ref.name,
        facets=_dataset_facets(ref, producer),
        outputFacets=output_facets,
    )


def _dataset_facets(ref: DatasetRef, producer: str) -> dict[str, DatasetFacet]:
    """Return the schema facet when the dataset's columns are known."""
    if not ref.fields:
        return {}
    fields = [
        schema_dataset.SchemaDatasetFacetFields(name=name, type=type_, ordinal_position=position, fields=None)
        for position, (name, type_) in enumerate(ref.fields, start=1)
    ]
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=fields, producer=producer)}


def _matches(check: CheckResult, ref: DatasetRef) -> bool:
    """Tell whether a check was run on this dataset: full name or last dotted part, case-insensitive."""
    checked = check.dataset.lower()
    return checked in (ref.name.lower(), ref.name.rsplit(".", 1)[-1].lower())


def _assertion(check: CheckResult) -> data_quality_assertions_dataset.Assertion:
    """Map one CheckResult onto an OpenLineage assertion."""
    return data_quality_assertions_dataset.Assertion(
        assertion=check.check_id,
        success=check.success,
        column=check.column,
        severity=str(check.severity),
        expected=check.expected,
        actual=check.actual,
        params=None,
    )


def _iso_utc(moment: datetime, what: str) -> str:
    """Render an aware datetime in UTC as ISO-8601 with an explicit +00:00 offset."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(UTC).isoformat()


def _uuid(value: str, what: str) -> str:
    """Return the canonical form of a UUID string, or raise ValueError."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError) as exc:
        raise ValueError(f"{what} must be a UUID string, got {value!r}") from exc
