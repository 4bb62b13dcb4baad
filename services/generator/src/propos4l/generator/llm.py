"""What every model client shares: the answer, the kinds of failure, retries, and the client protocol."""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

from propos4l.generator.prompts import ChatMessage
from propos4l.shared.events import LlmUsage

__all__ = [
    "ChatAnswer",
    "ChatModel",
    "LlmAnswerCut",
    "LlmAnswerTooLong",
    "LlmRejected",
    "LlmUnavailable",
    "LlmUnsupported",
    "RetryListener",
    "RetryPolicy",
    "TextFeed",
    "TextListener",
    "call_with_retries",
    "notify",
    "server_message",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

TextListener = Callable[[str], Awaitable[None] | None]
"""Told the answer's text so far, each time more of it arrives (it restarts empty on a retry)."""

RetryListener = Callable[[str, float], Awaitable[None] | None]
"""Told, before each wait, why the model server did not answer and in how many seconds the call is tried again."""

_PATH: Final = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][\w.@+-]+){2,}")
_SPACE: Final = re.compile(r"\s+")
_SERVER_MESSAGE_MAX: Final = 300


class LlmUnavailable(RuntimeError):
    """The model server could not answer now (connection, timeout, 502/503/504, 429): worth trying again later."""


class LlmAnswerCut(LlmUnavailable):
    """The answer's stream ended before the server said it was finished (no finish reason): try it again."""


class LlmRejected(RuntimeError):
    """The model server refused the request (a 4xx, an unknown model): trying the same again cannot help."""


class LlmUnsupported(LlmRejected):
    """The server refused a request parameter it does not support (such as a structured-output kind)."""


class LlmAnswerTooLong(RuntimeError):
    """The answer reached the output token limit before it was finished (finish reason ``length``)."""

    def __init__(self, message: str, *, limit: int | None, text: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.text = text


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    """The assistant's full text and what it cost."""

    content: str
    usage: LlmUsage


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and equal jitter, within a time window.

    Equal jitter (half the delay fixed, half random) keeps a floor under every wait, so the attempts together
    outlast a model server that restarts, instead of being spent in the first seconds.
    """

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    window: float = float("inf")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt + 1`."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class ChatModel(Protocol):
    """A model server that answers a chat with JSON constrained to a schema, streaming its text."""

    base_url: str

    @property
    def busy(self) -> bool:
        """Whether a chat is under way (a probe now could disturb it on some servers)."""
        ...

    async def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        format_schema: dict[str, Any],
        options: dict[str, Any] | None = None,
        keep_alive: str | None = None,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
    ) -> ChatAnswer:
        """The whole answer; raise LlmUnavailable (retry later), LlmRejected (give up) or LlmAnswerTooLong."""
        ...

    async def models(self) -> list[str]:
        """The names of the models the server offers."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


async def notify(listener: Callable[..., Awaitable[None] | None] | None, *arguments: Any) -> None:
    """Tell `listener` something, whether it is a plain function or a coroutine function."""
    if listener is None:
        return
    result = listener(*arguments)
    if inspect.isawaitable(result):
        await result


TEXT_FEED_INTERVAL_SECONDS: Final = 0.25
"""How often a client hands its growing answer to its listener at most (and once more when the answer ends)."""


class TextFeed:
    """When a client hands its growing answer to its listener: at most every `interval` seconds, and at the end.

    A model streams about a token a piece; calling the listener at each one costs more than reading the text
    (issue #13, item 15), and live progress reports a section's text every half second anyway; a new section is
    reported at once, so pieces that may start one are handed over at once. The client keeps the text in a
    local variable (`text += piece` then grows it in place: an attribute would be copied at every piece).
    """

    __slots__ = ("_due", "_interval", "_listening", "_told")

    def __init__(self, listener: TextListener | None, interval: float = TEXT_FEED_INTERVAL_SECONDS) -> None:
        self._listening = listener is not None
        self._interval = interval
        self._due = 0.0
        self._told = 0

    def due(self, length: int, piece: str) -> bool:
        """Whether to hand the text, now `length` characters long after `piece`, to the listener (counted as told).

        A piece with a quote may open or close a field (a new section starts): the listener hears of it at once.
        """
        if not self._listening:
            return False
        now = time.monotonic()
        if now < self._due and '"' not in piece:
            return False
        self._due, self._told = now + self._interval, length
        return True

    def untold(self, length: int) -> bool:
        """Whether the listener has not seen the text's last `length` characters yet, once the answer has ended."""
        if not self._listening or self._told == length:
            return False
        self._told = length
        return True


def server_message(text: str) -> str:
    """A server's error message fit to show a person: one line, short, without file paths (tracebacks leak them)."""
    line = _SPACE.sub(" ", _PATH.sub("…", text)).strip()
    return line if len(line) <= _SERVER_MESSAGE_MAX else line[: _SERVER_MESSAGE_MAX - 1] + "…"


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    total_timeout: float,
    server: str,
    on_retry: RetryListener | None = None,
) -> T:
    """Run `attempt`, each try bounded by `total_timeout`, retrying LlmUnavailable as `policy` allows."""
    number = 1
    started = time.monotonic()
    while True:
        try:
            async with asyncio.timeout(total_timeout):
                return await attempt()
        except TimeoutError as error:
            failure = LlmUnavailable(f"{server} did not finish within {total_timeout:g} s")
            failure.__cause__ = error
        except LlmUnavailable as error:
            failure = error
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # Shutting down: a cancelled read can surface as a transport error; never retry past a cancellation.
            raise asyncio.CancelledError from failure
        delay = policy.delay(number)
        if number >= policy.attempts or time.monotonic() - started + delay > policy.window:
            raise type(failure)(f"{failure} (after {number} attempts)") from failure
        logger.warning(
            "model call failed, retrying",
            extra={"attempt": number, "retry_in_s": round(delay, 2), "error": str(failure)},
        )
        await notify(on_retry, str(failure), delay)
        await asyncio.sleep(delay)
        number += 1
