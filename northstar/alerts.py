"""Alerts raised inline by a run (a held batch, a whole file quarantined): one log line at the moment.

Slack is the monitor's job (northstar/monitoring/, the `monitor` flow every 5 minutes): it reads the same state
from the ledger (a held gate, a stale source, a quarantine rate), so an alert reaches Slack once per key,
with its runbook, whether or not the run that caused it is still alive to send it.
"""

from __future__ import annotations

import logging

log = logging.getLogger("northstar.alerts")


def alert(summary: str, *, source: str, batch_id: str, details: str) -> None:
    """Raise an alert: one line a person can act on at 3 a.m., with where to look next."""
    log.error("ALERT [%s] %s (batch %s): %s", source, summary, batch_id, details)
