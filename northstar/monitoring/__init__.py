"""Monitoring: monitors over the ledger (pure), alert state without storms, Slack delivery, the status page."""
