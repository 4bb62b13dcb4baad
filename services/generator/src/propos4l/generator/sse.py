"""Server-Sent Events as OpenAI-compatible servers stream them: lines in, events out."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

__all__ = ["SseEvent", "SseParser", "sse_events"]


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched Server-Sent Event: its type (``message`` unless named) and its data lines joined."""

    event: str
    data: str


class SseParser:
    """Turns the lines of a text/event-stream into events, as the WHATWG event-stream rules say."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._first = True

    def feed(self, line: str) -> SseEvent | None:
        """Take one line (without its line ending); return the event a blank line completes, if any."""
        if self._first:
            self._first = False
            line = line.removeprefix("\ufeff")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "error":
            # llama.cpp's server reports a failure mid-stream as an `error:` field rather than `data:`.
            self._event = "error"
            self._data.append(value)
        return None

    def finish(self) -> SseEvent | None:
        """The event left pending when the stream ended without a blank line (servers are not all strict)."""
        return self._dispatch()

    def _dispatch(self) -> SseEvent | None:
        data, event = self._data, self._event or "message"
        self._data, self._event = [], ""
        if not data:
            return None
        return SseEvent(event=event, data="\n".join(data))


async def sse_events(lines: AsyncIterable[str]) -> AsyncIterator[SseEvent]:
    """The events of a stream of lines, the last one included even without its closing blank line."""
    parser = SseParser()
    async for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event
    last = parser.finish()
    if last is not None:
        yield last
