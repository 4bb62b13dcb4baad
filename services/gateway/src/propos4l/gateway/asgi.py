"""What the gateway's ASGI middlewares share."""

from __future__ import annotations

from starlette.types import Message, Send

__all__ = ["WatchedSend"]


class WatchedSend:
    """An ASGI `send` that remembers whether the response has started (after that, no other reply can be sent)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.response_started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)
