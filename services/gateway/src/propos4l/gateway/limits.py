"""A request body size limit, enforced before the body is parsed, whether or not Content-Length is sent."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Sequence
from typing import Final

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from propos4l.gateway.asgi import WatchedSend

__all__ = ["BodySizeLimit"]

_PROBLEM_HEADERS: Final = [(b"content-type", b"application/problem+json")]


class _TooLarge(HTTPException):
    """An HTTPException so that FastAPI re-raises it while reading the body (it turns other errors into a 400)."""


class BodySizeLimit:
    """ASGI middleware answering 413 problem+json to bodies larger than `max_bytes`.

    `larger` gives some routes another limit: (path prefix, limit), the first prefix that matches wins (the template
    uploads carry whole templates, fonts and images included, as JSON).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Sequence[tuple[str, int]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = tuple(larger)

    def limit_for(self, path: str) -> int:
        """The body limit of a request to `path`."""
        return next((limit for prefix, limit in self.larger if _matches(path, prefix)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse oversize bodies; pass everything else through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0
        watched = WatchedSend(send)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(413, f"The request body is larger than the limit of {limit} bytes.")
            return message

        try:
            await self.app(scope, counting_receive, watched)
        except _TooLarge:
            if not watched.response_started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Content Too Large",
                "status": 413,
                "detail": f"The request body is larger than the limit of {limit} bytes.",
                "instance": scope.get("path", ""),
            }
        ).encode()
        await send({"type": "http.response.start", "status": 413, "headers": _PROBLEM_HEADERS})
        await send({"type": "http.response.body", "body": body})


def _matches(path: str, prefix: str) -> bool:
    """Whether `path` starts with `prefix`, where a `*` in the prefix stands for one path segment."""
    if "*" not in prefix:
        return path.startswith(prefix)
    return fnmatch.fnmatchcase(path, prefix + "*") and path.count("/") >= prefix.count("/")
