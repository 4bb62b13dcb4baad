"""A webhook receiver for tests: an HTTP server on loopback that answers every POST with 204 and keeps what came.

The gateway reaches it when its settings allow loopback (`webhook_allowed_networks="127.0.0.1/32"`); tests verify
what it got with the `standardwebhooks` package, a receiver nobody here wrote.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["WebhookReceiver", "webhook_receiver"]


@dataclass
class WebhookReceiver:
    """Where to send (`url`), and each request received: its headers (names in lower case) and body."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A running receiver at http://127.0.0.1:<free port>/hook, stopped on exit."""
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            receiver.received.append(({key.lower(): value for key, value in self.headers.items()}, body))
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
