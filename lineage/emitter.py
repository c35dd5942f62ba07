"""Send RunEvents through an OpenLineageClient to a JSON-lines file or an HTTP backend (Marquez)."""

from __future__ import annotations

import logging
from pathlib import Path

from openlineage.client.client import OpenLineageClient
from openlineage.client.event_v2 import RunEvent
from openlineage.client.transport import Transport
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport

log = logging.getLogger(__name__)

EVENTS_FILE = "events.jsonl"
HTTP_ENDPOINT = "api/v1/lineage"


class LineageEmitter:
    """Emit lineage events; a lineage outage is logged as an error and never fails the data load.

    emit() catches every exception raised while sending, logs it at ERROR level with the event type,
    job and run id (and the traceback), and returns normally, so a broken lineage backend cannot stop
    a load. The client still honours OPENLINEAGE_DISABLED=true (events are then dropped).
    """

    def __init__(self, transport: Transport) -> None:
        """Wrap an OpenLineageClient that sends through the given transport."""
        self._client = OpenLineageClient(transport=transport)

    @classmethod
    def to_file(cls, directory: Path) -> LineageEmitter:
        """Append events, one JSON object per line, to directory / "events.jsonl"."""
        directory.mkdir(parents=True, exist_ok=True)
        config = FileConfig(log_file_path=str(directory / EVENTS_FILE), append=True)
        return cls(FileTransport(config))

    @classmethod
    def to_http(cls, url: str, api_key: str | None = None) -> LineageEmitter:
        """POST events to <url>/api/v1/lineage (Marquez), with a Bearer api key when given."""
        params: dict[str, object] = {"url": url, "endpoint": HTTP_ENDPOINT}
        if api_key:
            params["auth"] = {"type": "api_key", "apiKey": api_key}
        return cls(HttpTransport(HttpConfig.from_dict(params)))

    def emit(self, event: RunEvent) -> None:
        """Send one event; on failure log an error and carry on (see the class docstring)."""
        try:
            self._client.emit(event)
        except Exception:
            log.error(
                "failed to emit OpenLineage %s event for job %s.%s run %s",
                event.eventType.value if event.eventType else "?",
                event.job.namespace,
                event.job.name,
                event.run.runId,
                exc_info=True,
            )
