"""Prefect automations declared in prefect-automations.yaml: valid against Prefect's schema, created on a real
Prefect server (the test harness) with the Slack block, and applying twice leaves one of each."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from prefect.blocks.notifications import SlackWebhook
from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification

from northstar.monitoring.automations import AUTOMATIONS_FILE, BLOCK_NAME, apply_automations, declared
from northstar.settings import load_settings

pytestmark = pytest.mark.integration


def test_the_file_declares_crashed_and_failed_flow_runs_to_the_slack_block() -> None:
    block_id = uuid4()
    automations = declared(block_id)
    assert [(a.name, sorted(a.trigger.expect)) for a in automations] == [  # type: ignore[union-attr]
        ("northstar-flow-run-crashed", ["prefect.flow-run.Crashed"]),
        ("northstar-flow-run-failed", ["prefect.flow-run.Failed"]),
    ]
    for automation in automations:
        (action,) = automation.actions
        assert isinstance(action, SendNotification) and action.block_document_id == block_id
        assert "{{ flow_run.name }}" in action.body and "docs/runbooks/flow_run_failed.md" in action.body
    assert (AUTOMATIONS_FILE.parent / "docs/runbooks/flow_run_failed.md").is_file()


def test_applying_creates_them_on_a_prefect_server_once(prefect_harness: None, tmp_path: Path) -> None:
    settings = load_settings({"NORTHSTAR_HOME": str(tmp_path), "NORTHSTAR_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/x"})
    first = apply_automations(settings.alerts)
    second = apply_automations(settings.alerts)
    assert set(first) == set(second) == {"northstar-flow-run-crashed", "northstar-flow-run-failed"}
    block = SlackWebhook.load(BLOCK_NAME)
    assert block.url.get_secret_value() == "http://127.0.0.1:9/x"  # type: ignore[union-attr]
    with get_client(sync_client=True) as client:
        for name, automation_id in second.items():
            (stored,) = client.read_automations_by_name(name)
            assert stored.id == automation_id and stored.enabled
            (action,) = stored.actions
            assert isinstance(action, SendNotification) and action.block_document_id == block._block_document_id


def test_without_a_webhook_url_applying_says_which_variable(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NORTHSTAR_SLACK_WEBHOOK_URL: not set"):
        apply_automations(load_settings({"NORTHSTAR_HOME": str(tmp_path)}).alerts)
