"""What every model client shares: the answer, the two kinds of failure, retries, and the client protocol."""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from propos4l.generator.prompts import ChatMessage
from propos4l.shared.events import LlmUsage

__all__ = [
    "ChatAnswer",
    "ChatModel",
    "LlmRejected",
    "LlmUnavailable",
    "RetryPolicy",
    "TextListener",
    "call_with_retries",
    "notify",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

TextListener = Callable[[str], Awaitable[None] | None]
"""Told the answer's text so far, each time more of it arrives (it restarts empty on a retry)."""


class LlmUnavailable(RuntimeError):
    """The model server could not answer now (connection, timeout, 5xx, 429): worth trying again later."""


class LlmRejected(RuntimeError):
    """The model server refused the request (400, 401, 404 unknown model): trying again cannot help."""


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    """The assistant's full text and what it cost."""

    content: str
    usage: LlmUsage


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter."""

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt + 1`."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class ChatModel(Protocol):
    """A model server that answers a chat with JSON constrained to a schema, streaming its text."""

    base_url: str

    async def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        format_schema: dict[str, Any],
        options: dict[str, Any] | None = None,
        keep_alive: str | None = None,
        on_text: TextListener | None = None,
    ) -> ChatAnswer:
        """The whole answer; raise LlmUnavailable (retry later) or LlmRejected (give up)."""
        ...

    async def models(self) -> list[str]:
        """The names of the models the server offers."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


async def notify(listener: TextListener | None, text: str) -> None:
    """Tell `listener` the text so far, whether it is a plain function or a coroutine function."""
    if listener is None:
        return
    result = listener(text)
    if inspect.isawaitable(result):
        await result


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]], *, policy: RetryPolicy, total_timeout: float, server: str
) -> T:
    """Run `attempt`, each try bounded by `total_timeout`, retrying LlmUnavailable as `policy` allows."""
    number = 1
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
        if number >= policy.attempts:
            raise LlmUnavailable(f"{failure} (after {number} attempts)") from failure
        delay = policy.delay(number)
        logger.warning(
            "model call failed, retrying",
            extra={"attempt": number, "retry_in_s": round(delay, 2), "error": str(failure)},
        )
        await asyncio.sleep(delay)
        number += 1
