"""Alerts for the on-call engineer. Logged for now; Slack comes later through the same call."""

from __future__ import annotations

import logging

log = logging.getLogger("northstar.alerts")


def alert(summary: str, *, source: str, batch_id: str, details: str) -> None:
    """Raise an alert: one line a person can act on at 3 a.m., with where to look next."""
    log.error("ALERT [%s] %s (batch %s): %s", source, summary, batch_id, details)
