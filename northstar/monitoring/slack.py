"""Slack delivery through slack-sdk: an incoming webhook per severity, or a bot token and a channel per severity.

Retries are slack-sdk's retry handlers: 429 waits for its Retry-After, 500 and 503 and connection errors
(refused, reset, timed out) back off exponentially; what still fails raises `DeliveryFailed`, and the
caller leaves the alert pending for the next run. The webhook URLs and the token are secrets: they are
handed to the client and never logged (an error names the route, not its URL).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from northstar.settings import AlertSettings

log = logging.getLogger("northstar.alerts")
# slack-sdk logs the request's full URL at INFO when it retries: for a webhook that URL is the secret, so the
# clients get a logger that keeps warnings and errors only (their messages name no URL).
sdk_log = logging.getLogger("northstar.alerts.slack_sdk")
sdk_log.setLevel(logging.WARNING)
RETRIES = 2  # per failure kind, after the first attempt
BACKOFF_FACTOR = 0.5  # seconds: 0.5, 1, 2 ...


class DeliveryFailed(RuntimeError):
    """Slack did not take a message after the retries (down, refused, rate-limited throughout, timed out)."""


Sender = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Routes:
    """Where each severity goes: a sender per route name; `route_of` maps a severity to its route name."""

    senders: dict[str, Sender]
    by_severity: dict[str, str]

    def route_of(self, severity: str) -> str:
        """The route name of a severity (page falls back to warn's route when it has none of its own)."""
        return self.by_severity.get(severity, self.by_severity.get("warn", "log"))


def retry_handlers() -> list[RetryHandler]:
    """slack-sdk's handlers: rate limits (Retry-After), 500/503, and connection errors including timeouts."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=BACKOFF_FACTOR)
    errors: list[type[Exception]] = [URLError, ConnectionError, TimeoutError, socket.timeout]
    return [
        RateLimitErrorRetryHandler(max_retry_count=RETRIES),
        ServerErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=backoff),
        ConnectionErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=backoff, error_types=errors),
    ]


def webhook_sender(url: str, route: str, timeout: int) -> Sender:
    """A sender posting to an incoming webhook."""
    client = WebhookClient(url, timeout=timeout, retry_handlers=retry_handlers(), logger=sdk_log)

    def send(message: dict[str, Any]) -> None:
        try:
            response = client.send(text=message["text"], blocks=message.get("blocks"))
        except (SlackRequestError, OSError) as exc:  # URLError and timeouts are OSErrors
            raise DeliveryFailed(f"Slack route {route}: {type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise DeliveryFailed(f"Slack route {route}: HTTP {response.status_code} {str(response.body)[:200]}")

    return send


def bot_sender(client: WebClient, channel: str, route: str) -> Sender:
    """A sender posting with chat.postMessage to a channel."""

    def send(message: dict[str, Any]) -> None:
        try:
            client.chat_postMessage(channel=channel, text=message["text"], blocks=message.get("blocks"))
        except SlackApiError as exc:
            raise DeliveryFailed(f"Slack route {route}: {exc.response.get('error')}") from None
        except (SlackRequestError, OSError) as exc:
            raise DeliveryFailed(f"Slack route {route}: {type(exc).__name__}: {exc}") from None

    return send


def log_sender(message: dict[str, Any]) -> None:
    """No Slack configured: the alert is one log line, as before."""
    log.error("ALERT %s", message["text"])


def routes(cfg: AlertSettings) -> Routes:
    """The routes the settings configure: webhooks first, then the bot; none configured: the log."""
    timeout = int(cfg.timeout.total_seconds())
    if cfg.webhook_url is not None:
        senders = {"warn": webhook_sender(cfg.webhook_url.get_secret_value(), "warn", timeout)}
        if cfg.page_webhook_url is not None:
            senders["page"] = webhook_sender(cfg.page_webhook_url.get_secret_value(), "page", timeout)
        return Routes(senders, {"warn": "warn", "page": "page" if "page" in senders else "warn"})
    if cfg.bot_token is not None and cfg.channel:
        base_url = cfg.api_url.rstrip("/") + "/" if cfg.api_url else WebClient.BASE_URL
        token = cfg.bot_token.get_secret_value()
        client = WebClient(
            token=token, base_url=base_url, timeout=timeout, retry_handlers=retry_handlers(), logger=sdk_log
        )
        senders = {"warn": bot_sender(client, cfg.channel, "warn")}
        if cfg.page_channel:
            senders["page"] = bot_sender(client, cfg.page_channel, "page")
        return Routes(senders, {"warn": "warn", "page": "page" if "page" in senders else "warn"})
    return Routes({"log": log_sender}, {"warn": "log", "page": "log"})
