"""A local HTTP server standing in for Slack's incoming webhook (loopback only): records every POST and answers
from a script of responses (status, headers, body), then 200 "ok"."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SlackStandIn:
    """The server's state: the requests it received and the responses still scripted."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)  # every POSTed JSON body, in order
    accepted: list[dict[str, Any]] = field(default_factory=list)  # the bodies it answered 200
    script: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    down: bool = False  # answer 503 to everything
    stall: int = 0  # this many next requests are answered only after stall_seconds (a client timeout)
    stall_seconds: float = 3.0

    def respond(self, *responses: tuple[int, dict[str, str], str]) -> None:
        """Answer the next requests with these responses, in order."""
        self.script.extend(responses)


@contextmanager
def slack_standin(path: str = "/services/T000/B000/XXXX") -> Iterator[SlackStandIn]:
    """Serve the stand-in on 127.0.0.1 (a free port) for the block's duration."""
    state = SlackStandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            if state.stall > 0:
                state.stall -= 1
                time.sleep(state.stall_seconds)  # the client has timed out and gone: its message is not taken
                return
            status, headers, text = (
                (503, {}, "service unavailable")
                if state.down
                else (state.script.pop(0) if state.script else (200, {}, "ok"))
            )
            if status == 200:
                state.accepted.append(body)
            api = self.path.startswith("/api/")  # the Web API (a bot token) answers JSON
            if api:
                text = json.dumps({"ok": status == 200, "error": None if status == 200 else text})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json" if api else "text/plain")
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
