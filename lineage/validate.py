"""Offline validation of OpenLineage events against the spec copied in lineage/spec/.

The core schema checks only the base shape of each facet, so every standard facet present in the
event is also validated against its own facet schema. Facets the spec copy does not know (custom
facets) get the base-shape check only, as the spec allows them. All $refs resolve from local files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_DIR = Path(__file__).parent / "spec"
CORE_SCHEMA = SPEC_DIR / "OpenLineage.json"
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
# Base facet definitions in the core schema, named as in #/$defs/<name>.
FACET_KINDS = ("RunFacet", "JobFacet", "DatasetFacet", "InputDatasetFacet", "OutputDatasetFacet")

_NO_DATE_TIME_CHECKS = (
    "jsonschema cannot check the date-time format (install rfc3339-validator, e.g. jsonschema[format]); "
    "without it any eventTime would pass validation"
)

__all__ = ["require_date_time_checking", "validate_event"]


def require_date_time_checking(checker: FormatChecker = FORMAT_CHECKER) -> None:
    """Raise RuntimeError unless the checker really rejects a date-time without a UTC offset."""
    try:
        import rfc3339_validator  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(_NO_DATE_TIME_CHECKS) from exc
    if "date-time" not in checker.checkers or checker.conforms("2026-11-26T10:00:00", "date-time"):
        raise RuntimeError(_NO_DATE_TIME_CHECKS)


require_date_time_checking()


def validate_event(event: dict[str, Any]) -> None:
    """Validate a serialised event and each standard facet in it; raise jsonschema.ValidationError."""
    _core_validator().validate(event)
    for location, kind, key, facet in _facets(event):
        validator = _facet_validator(kind, key)
        if validator is None:
            continue
        try:
            validator.validate(facet)
        except ValidationError as error:
            error.relative_path.extendleft(reversed(location))
            raise


@cache
def _registry() -> Registry:
    """Index every local spec file by its $id so no $ref goes over the network."""
    resources = [
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)) for schema in _spec_schemas()
    ]
    return Registry().with_resources(resources)


@cache
def _spec_schemas() -> tuple[dict[str, Any], ...]:
    """Load the core schema and every facet schema."""
    paths = [CORE_SCHEMA, *sorted((SPEC_DIR / "facets").glob("*.json"))]
    return tuple(json.loads(path.read_text(encoding="utf-8")) for path in paths)


@cache
def _core_validator() -> Draft202012Validator:
    """Validator for the core event schema."""
    return _validator({"$ref": _spec_schemas()[0]["$id"]})


@cache
def _facet_refs() -> dict[tuple[str, str], str]:
    """Map (facet kind, facet key) to the $ref of the facet schema that declares that key."""
    refs: dict[tuple[str, str], str] = {}
    for schema in _spec_schemas()[1:]:
        for key, definition in schema.get("properties", {}).items():
            for kind in _kinds(schema, definition):
                refs[(kind, key)] = f"{schema['$id']}#/properties/{key}"
    return refs


def _kinds(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    """Base facet kinds a facet definition extends, following its local $refs and allOf/anyOf/oneOf."""
    ref = node.get("$ref", "")
    if "/OpenLineage.json#/$defs/" in ref:
        return {ref.rpartition("/")[2]} & set(FACET_KINDS)
    if ref.startswith("#/$defs/"):
        return _kinds(schema, schema["$defs"][ref.rpartition("/")[2]])
    parts = [*node.get("allOf", []), *node.get("anyOf", []), *node.get("oneOf", [])]
    return set().union(*(_kinds(schema, part) for part in parts))


@cache
def _facet_validator(kind: str, key: str) -> Draft202012Validator | None:
    """Validator for one standard facet, or None for a facet the spec copy does not define."""
    ref = _facet_refs().get((kind, key))
    return None if ref is None else _validator({"$ref": ref})


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A draft 2020-12 validator with local refs and format checking on."""
    return Draft202012Validator(schema, registry=_registry(), format_checker=FORMAT_CHECKER)


def _facets(event: dict[str, Any]) -> Iterator[tuple[list[str | int], str, str, Any]]:
    """Yield (path, kind, key, facet) for every facet in a run, job or dataset event."""
    yield from _facet_map(event.get("run"), ["run"], "facets", "RunFacet")
    yield from _facet_map(event.get("job"), ["job"], "facets", "JobFacet")
    yield from _facet_map(event.get("dataset"), ["dataset"], "facets", "DatasetFacet")
    for index, dataset in enumerate(event.get("inputs") or []):
        yield from _facet_map(dataset, ["inputs", index], "facets", "DatasetFacet")
        yield from _facet_map(dataset, ["inputs", index], "inputFacets", "InputDatasetFacet")
    for index, dataset in enumerate(event.get("outputs") or []):
        yield from _facet_map(dataset, ["outputs", index], "facets", "DatasetFacet")
        yield from _facet_map(dataset, ["outputs", index], "outputFacets", "OutputDatasetFacet")


def _facet_map(
    owner: Any, path: list[str | int], field: str, kind: str
) -> Iterator[tuple[list[str | int], str, str, Any]]:
    """Yield the facets held under owner[field]."""
    facets = owner.get(field) if isinstance(owner, dict) else None
    for key, facet in (facets or {}).items():
        yield [*path, field, key], kind, key, facet
