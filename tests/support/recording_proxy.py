"""A loopback HTTP reverse proxy that records each request it forwards (method, path with query, form body), for
tests that must see what a client sent to a real server that does not check it itself (PKCE at oidc-provider-mock).

The Host header is passed on unchanged, so a server that builds its URLs from it (the OIDC mock's issuer and
endpoints) names the proxy, and every later request goes through it too.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["RecordedRequest", "RecordingProxy"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the proxy forwarded."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]


class RecordingProxy:
    """Forwards to `127.0.0.1:target_port` and keeps what it forwarded in `requests`."""

    def __init__(self, target_port: int) -> None:
        self.requests: list[RecordedRequest] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                form = (
                    parse_qs(body.decode("latin-1"))
                    if "form-urlencoded" in self.headers.get("Content-Type", "")
                    else {}
                )
                proxy.requests.append(
                    RecordedRequest(self.command, url.path, parse_qs(url.query), form, dict(self.headers.items()))
                )
                upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=10)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    content = answer.read()
                    self.send_response(answer.status)
                    for name, value in answer.getheaders():
                        if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                finally:
                    upstream.close()

            do_GET = do_POST = _forward

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads `requests`."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="recording proxy", daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def to(self, path: str) -> list[RecordedRequest]:
        """The requests to `path`, in order."""
        return [request for request in self.requests if request.path == path]
