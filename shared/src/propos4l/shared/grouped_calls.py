"""Calls that arrive while one is under way go together in the next one: a group commit, a group read.

Intake messages are handled many at a time, and each would otherwise pay a round trip to PostgreSQL (and a commit)
of its own for work that one statement can do for all of them; the same holds for a consumer's acknowledgements
(one XACK for many ids). Each call still gets its own outcome, and the work
for a call always starts after the call arrived, so nothing read before a caller asked is handed to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupedCalls"]

In = TypeVar("In")
Out = TypeVar("Out")


class GroupedCalls(Generic[In, Out]):
    """Runs `work` on every item waiting, one group at a time; `work` returns one outcome per item, in order."""

    def __init__(self, work: Callable[[list[In]], Awaitable[Sequence[Out]]], *, let_others_join: bool = False) -> None:
        self._work = work
        self._waiting: list[tuple[In, asyncio.Future[Out]]] = []
        self._running = asyncio.Lock()
        self._let_others_join = let_others_join
        """Yield once before taking a group, so that calls made in the same pass of the event loop (the other
        deliveries of one read) join it even when no group is under way."""

    async def call(self, item: In) -> Out:
        """`item`'s outcome, worked out with whatever else waits (an exception of the group's work is each one's)."""
        done: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        async with self._running:
            if done.done():  # worked out with an earlier group
                return done.result()
            if self._let_others_join:
                await asyncio.sleep(0)
            group, self._waiting = self._waiting, []
            try:
                outcomes = await self._work([waiting for waiting, _ in group])
            except BaseException as error:
                for _, other in group:
                    if other is not done and not other.done():
                        if isinstance(error, asyncio.CancelledError):
                            other.cancel()
                        else:
                            other.set_exception(error)
                raise
            for (_, other), outcome in zip(group, outcomes, strict=True):
                if other is not done and not other.done():
                    other.set_result(outcome)
            return outcomes[[other for _, other in group].index(done)]
