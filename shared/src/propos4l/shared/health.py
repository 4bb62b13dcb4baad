"""A tiny HTTP health endpoint for the workers (generator, renderer, backup), for container health checks.

`GET /health` answers 200 while the process runs; `GET /ready` answers 200 when the service can do its work, else
503 with the reason as JSON. Served with asyncio streams: no framework, no threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field

__all__ = ["HealthServer", "Readiness"]

logger = logging.getLogger(__name__)


@dataclass
class Readiness:
    """Whether the service can do its work now, and if not, why (a sentence for the operator)."""

    ready: bool = False
    reason: str = "starting"
    details: dict[str, str] = field(default_factory=dict)

    def set_ready(self, **details: str) -> None:
        """The service works."""
        self.ready, self.reason, self.details = True, "ready", dict(details)

    def set_not_ready(self, reason: str) -> None:
        """The service cannot work now, because of `reason`."""
        if (self.ready, self.reason) != (False, reason):
            logger.warning("not ready", extra={"reason": reason})
        self.ready, self.reason = False, reason


class HealthServer:
    """Serves /health and /ready on `port` (all interfaces, as a container check needs)."""

    def __init__(self, readiness: Readiness, port: int, host: str = "0.0.0.0") -> None:  # noqa: S104 - container
        self._readiness = readiness
        self._port = port
        self._host = host
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._answer, self._host, self._port)

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                request_line = await reader.readline()
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
            parts = request_line.decode("latin-1").split()
            path = parts[1] if len(parts) >= 2 else ""
            status, body = self._route(parts[0] if parts else "", path)
            payload = json.dumps(body).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _route(self, method: str, path: str) -> tuple[str, dict[str, object]]:
        if method != "GET":
            return "405 Method Not Allowed", {"detail": "only GET"}
        if path == "/health":
            return "200 OK", {"status": "ok"}
        if path == "/ready":
            state = self._readiness
            body: dict[str, object] = {"ready": state.ready, "reason": state.reason, **state.details}
            return ("200 OK" if state.ready else "503 Service Unavailable"), body
        return "404 Not Found", {"detail": f"no resource at {path}"}
