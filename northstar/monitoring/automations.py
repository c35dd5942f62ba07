"""Prefect automations from prefect-automations.yaml: crashed and failed flow runs reach the alerts' Slack route.

Prefect's own notification block (`prefect.blocks.notifications.SlackWebhook`) posts them; it is saved from the
settings (the page webhook when set, else the warn webhook) under BLOCK_NAME, and each declared automation is
replaced by name (applying twice leaves one of each).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import yaml
from prefect.blocks.notifications import SlackWebhook
from prefect.client.orchestration import get_client
from prefect.events.schemas.automations import AutomationCore

from northstar.settings import AlertSettings

AUTOMATIONS_FILE = Path(__file__).resolve().parents[2] / "prefect-automations.yaml"
BLOCK_NAME = "northstar-alerts"


def declared(block_id: UUID, path: Path = AUTOMATIONS_FILE) -> list[AutomationCore]:
    """The automations the file declares, validated against Prefect's schema, the block's name replaced by its id."""
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    automations = []
    for item in config["automations"]:
        for action in item.get("actions", []):
            if action.get("block_document_id") == BLOCK_NAME:
                action["block_document_id"] = str(block_id)
        automations.append(AutomationCore.model_validate(item))
    return automations


def apply_automations(cfg: AlertSettings) -> dict[str, UUID]:
    """Save the Slack block and create (or replace) every declared automation; their ids by name.

    ValueError when no webhook URL is set (Prefect's Slack block posts to an incoming webhook).
    """
    secret = cfg.page_webhook_url or cfg.webhook_url
    if secret is None:
        raise ValueError("NORTHSTAR_SLACK_WEBHOOK_URL: not set: Prefect's automations post to a Slack incoming webhook")
    block_id = SlackWebhook(url=secret).save(BLOCK_NAME, overwrite=True)
    assert isinstance(block_id, UUID)  # called synchronously: the id, not a coroutine
    created: dict[str, UUID] = {}
    with get_client(sync_client=True) as client:
        for automation in declared(block_id):
            for old in client.read_automations_by_name(automation.name):
                client.delete_automation(old.id)
            created[automation.name] = client.create_automation(automation)
    return created
