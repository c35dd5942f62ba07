"""Tests for lineage.events, lineage.emitter and lineage.validate."""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Literal

import pytest
from jsonschema import FormatChecker, ValidationError
from openlineage.client.event_v2 import RunEvent
from openlineage.client.serde import Serde
from openlineage.client.transport import Transport

from lineage.emitter import LineageEmitter
from lineage.events import DatasetRef, new_run_id, run_event
from lineage.validate import require_date_time_checking, validate_event
from validators.result import CheckResult, Severity

FLOW_RUN_ID = "0190d2a4-5b6c-7d8e-9f01-23456789abcd"
WINDOW_START = datetime(2026, 11, 26, tzinfo=UTC)

ORDERS_IN = DatasetRef(
    namespace="s3://northstar-raw",
    name="raw.orders",
    fields=(("order_id", "VARCHAR"), ("status", "VARCHAR"), ("amount", "DECIMAL(12,2)")),
    row_count=1200,
)
CUSTOMERS_IN = DatasetRef(namespace="s3://northstar-raw", name="raw.customers", row_count=300)
ORDERS_OUT = DatasetRef(
    namespace="snowflake://northstar.eu-west-1",
    name="ANALYTICS.PUBLIC.ORDERS",
    fields=(("ORDER_ID", "VARCHAR"), ("STATUS", "VARCHAR")),
    row_count=1197,
)
CHECKS = [
    CheckResult("nulls.order_id", "orders", Severity.ERROR, 1200, 0, "no null order_id", "0 nulls", "order_id"),
    CheckResult("domain.status", "ORDERS", Severity.WARN, 1200, 3, "status in allowed", "3 unknown", "status"),
    CheckResult("duplicates.version", "raw.orders", Severity.ERROR, 1200, 2, "one version", "2 conflicts"),
    CheckResult("freshness.loaded_at", "customers", Severity.INFO, 300, 0, "< 24h old", "2h old"),
    CheckResult("nulls.sku", "orders_archive", Severity.ERROR, 10, 1, "no null sku", "1 null", "sku"),
]


@pytest.fixture(autouse=True)
def no_openlineage_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep OPENLINEAGE_* settings of the machine (disabled, config file, env facets) out of the tests."""
    for name in [name for name in os.environ if name.startswith("OPENLINEAGE")]:
        monkeypatch.delenv(name)


def build(event_type: Literal["START", "COMPLETE", "FAIL"], **overrides: Any) -> RunEvent:
    """A load_orders event with two inputs, one output and the checks above."""
    arguments: dict[str, Any] = {
        "job_name": "load_orders",
        "run_id": overrides.pop("run_id", new_run_id()),
        "parent_run_id": FLOW_RUN_ID,
        "parent_job_name": "daily_orders",
        "inputs": [ORDERS_IN, CUSTOMERS_IN],
        "outputs": [ORDERS_OUT],
        "checks": CHECKS,
        "nominal_start": WINDOW_START,
        "nominal_end": WINDOW_START + timedelta(days=1),
        "error": "snowflake: COPY INTO failed" if event_type == "FAIL" else None,
    }
    return run_event(event_type, **(arguments | overrides))


def as_dict(event: RunEvent) -> dict[str, Any]:
    """The event exactly as it goes over the wire."""
    payload: dict[str, Any] = json.loads(Serde.to_json(event))
    return payload


def input_facets(event: dict[str, Any], name: str) -> dict[str, Any]:
    """The inputFacets of the named input dataset."""
    [dataset] = [d for d in event["inputs"] if d["name"] == name]
    facets: dict[str, Any] = dataset.get("inputFacets", {})
    return facets


@pytest.mark.parametrize("event_type", ["START", "COMPLETE", "FAIL"])
def test_events_validate_against_the_spec(event_type: Literal["START", "COMPLETE", "FAIL"]) -> None:
    event = as_dict(build(event_type))
    validate_event(event)
    assert event["eventType"] == event_type
    assert event["eventTime"].endswith("+00:00")
    assert event["producer"] == "https://github.com/northstar-retail/pipeline"


def test_event_time_without_utc_offset_is_rejected() -> None:
    event = as_dict(build("COMPLETE"))
    event["eventTime"] = "2026-11-26T10:00:00"
    with pytest.raises(ValidationError, match="date-time"):
        validate_event(event)


def test_facets_are_checked_against_their_own_schemas() -> None:
    event = as_dict(build("COMPLETE"))
    event["run"]["facets"]["nominalTime"]["nominalStartTime"] = "2026-11-26T00:00:00"
    with pytest.raises(ValidationError) as caught:
        validate_event(event)
    assert list(caught.value.absolute_path) == ["run", "facets", "nominalTime", "nominalStartTime"]


def test_malformed_assertion_is_rejected() -> None:
    event = as_dict(build("COMPLETE"))
    input_facets(event, "raw.orders")["dataQualityAssertions"]["assertions"][0]["success"] = "yes"
    with pytest.raises(ValidationError, match="boolean"):
        validate_event(event)


def test_custom_facets_get_the_base_shape_check_only() -> None:
    event = as_dict(build("COMPLETE"))
    custom = {"_producer": "https://example.com", "_schemaURL": "https://example.com/x.json", "x": 1}
    event["job"]["facets"]["northstar_custom"] = custom
    validate_event(event)
    del custom["_schemaURL"]
    with pytest.raises(ValidationError, match="_schemaURL"):
        validate_event(event)


def test_format_checker_without_date_time_support_is_refused() -> None:
    with pytest.raises(RuntimeError, match="rfc3339-validator"):
        require_date_time_checking(FormatChecker(formats=()))


def test_assertions_match_the_check_results_field_for_field() -> None:
    event = as_dict(build("COMPLETE"))
    assertions = input_facets(event, "raw.orders")["dataQualityAssertions"]["assertions"]
    expected = [check for check in CHECKS if check.dataset.lower() in ("orders", "raw.orders")]
    assert len(assertions) == len(expected) == 3
    for assertion, check in zip(assertions, expected, strict=True):
        assert assertion == {
            "assertion": check.check_id,
            "success": check.success,
            "severity": check.severity.value,
            "expected": check.expected,
            "actual": check.actual,
        } | ({"column": check.column} if check.column else {})
    assert [a["success"] for a in assertions] == [True, True, False]  # a failing WARN is still a success


def test_checks_attach_only_to_the_dataset_they_name() -> None:
    event = as_dict(build("COMPLETE"))
    customers = input_facets(event, "raw.customers")["dataQualityAssertions"]["assertions"]
    assert [a["assertion"] for a in customers] == ["freshness.loaded_at"]
    assert "orders_archive" not in json.dumps(event)
    assert "dataQualityAssertions" not in as_dict(build("COMPLETE", checks=[]))["inputs"][0]["inputFacets"]


def test_schema_and_statistics_facets() -> None:
    event = as_dict(build("COMPLETE"))
    orders_in, customers_in = event["inputs"]
    assert orders_in["facets"]["schema"]["fields"][2] == {
        "name": "amount",
        "type": "DECIMAL(12,2)",
        "ordinal_position": 3,
    }
    assert "schema" not in customers_in["facets"]
    assert orders_in["inputFacets"]["inputStatistics"]["rowCount"] == 1200
    assert event["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 1197
    assert [f["name"] for f in event["outputs"][0]["facets"]["schema"]["fields"]] == ["ORDER_ID", "STATUS"]


def test_fail_carries_the_error_message() -> None:
    failed = as_dict(build("FAIL"))["run"]["facets"]["errorMessage"]
    assert failed["message"] == "snowflake: COPY INTO failed"
    assert failed["programmingLanguage"] == "python"
    assert "errorMessage" not in as_dict(build("COMPLETE"))["run"]["facets"]


def test_parent_facet_points_at_the_prefect_flow_run() -> None:
    parent = as_dict(build("START"))["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == FLOW_RUN_ID
    assert parent["job"] == {"namespace": "prefect", "name": "daily_orders", "facets": {}}
    orphan = as_dict(build("START", parent_run_id=None, parent_job_name=None))
    assert "parent" not in orphan["run"]["facets"]
    validate_event(orphan)


def test_nominal_time_window() -> None:
    nominal = as_dict(build("START"))["run"]["facets"]["nominalTime"]
    assert nominal == {
        "_producer": "https://github.com/northstar-retail/pipeline",
        "_schemaURL": nominal["_schemaURL"],
        "nominalStartTime": "2026-11-26T00:00:00+00:00",
        "nominalEndTime": "2026-11-27T00:00:00+00:00",
    }


def test_event_time_is_converted_to_utc_and_must_be_aware() -> None:
    paris = timezone(timedelta(hours=1))
    event = build("START", event_time=datetime(2026, 11, 26, 11, 0, tzinfo=paris))
    assert event.eventTime == "2026-11-26T10:00:00+00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        build("START", event_time=datetime(2026, 11, 26, 10, 0))


def test_run_ids_must_be_uuids() -> None:
    assert uuid.UUID(new_run_id()).version in (4, 7)
    with pytest.raises(ValueError, match="run_id"):
        build("START", run_id="flow-run-42")
    with pytest.raises(ValueError, match="parent_run_id"):
        build("START", parent_run_id="not-a-uuid")


def test_file_emitter_writes_one_json_line_per_event(tmp_path: Path) -> None:
    emitter = LineageEmitter.to_file(tmp_path / "lineage")
    run_id = new_run_id()
    for event_type in ("START", "COMPLETE"):
        emitter.emit(build(event_type, run_id=run_id))
    LineageEmitter.to_file(tmp_path / "lineage").emit(build("FAIL"))
    lines = (tmp_path / "lineage" / "events.jsonl").read_text().splitlines()
    assert len(lines) == 3
    events = [json.loads(line) for line in lines]
    for event in events:
        validate_event(event)
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "FAIL"]
    assert events[0]["run"]["runId"] == events[1]["run"]["runId"] == run_id != events[2]["run"]["runId"]


class FailingTransport(Transport):
    """A transport whose backend is down."""

    kind = "failing"

    def emit(self, event: Any) -> None:
        """Always fail."""
        raise ConnectionError("lineage backend unreachable")


def test_emit_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    event = build("COMPLETE")
    with caplog.at_level(logging.ERROR, logger="lineage.emitter"):
        LineageEmitter(FailingTransport()).emit(event)
    [record] = [r for r in caplog.records if r.name == "lineage.emitter"]
    assert record.levelno == logging.ERROR
    assert "COMPLETE" in record.getMessage()
    assert "northstar.load_orders" in record.getMessage()
    assert event.run.runId in record.getMessage()
    assert record.exc_info is not None


class RecordingHandler(BaseHTTPRequestHandler):
    """Answers every POST with 200 and records its path, headers and body on the server."""

    def do_POST(self) -> None:
        """Record the request."""
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def lineage_server() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 that records POSTs."""
    server = HTTPServer(("127.0.0.1", 0), RecordingHandler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_http_emitter_posts_to_the_lineage_endpoint(lineage_server: HTTPServer) -> None:
    event = build("COMPLETE")
    LineageEmitter.to_http(f"http://127.0.0.1:{lineage_server.server_port}", api_key="s3cret").emit(event)
    [(path, headers, body)] = lineage_server.requests  # type: ignore[attr-defined]
    assert path == "/api/v1/lineage"
    assert headers["Authorization"] == "Bearer s3cret"
    received = json.loads(body)
    assert received["run"]["runId"] == event.run.runId
    validate_event(received)
