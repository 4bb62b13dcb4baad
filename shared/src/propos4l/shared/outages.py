"""Dependency outages: failures that are not the message's fault, told apart from those that are.

A handler that cannot reach PostgreSQL or Redis, or cannot write because its storage is full, would fail the same
way for any message. Counting such failures toward the delivery limit turns a long outage into dead letters of work
that was fine (issue 13: a ten-minute database outage failed 29 of 30 rendered proposals). So the consumer holds a
message whose handler failed for an outage and retries it in place, without a new delivery, until the dependency is
back; see `propos4l.shared.delivery`.

A handler says so by raising `DependencyUnavailable` (with the dependency's name and a reason a person can act on);
`dependency_outage` also recognises the connection errors of asyncpg, redis-py and the operating system, so a handler
that lets them through is covered too. A bare `TimeoutError` is not recognised: a handler's own time limits (a render,
a model call) are about the message. A handler that knows a timeout means a frozen dependency raises
`DependencyUnavailable` from it.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Final

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from propos4l.shared.aio import wait_event

__all__ = ["DependencyUnavailable", "OutageWait", "dependency_outage"]

_OUTAGE_FIRST_PAUSE_SECONDS: Final = 0.5  # a held message is retried after this, then twice as long each time...
_OUTAGE_LAST_PAUSE_SECONDS: Final = 15.0  # ...up to this: a dependency that is back is noticed within it

_STORAGE_FULL: Final = frozenset({errno.ENOSPC, errno.EDQUOT})
_POSTGRES_DOWN: Final[tuple[type[Exception], ...]] = (
    asyncpg.PostgresConnectionError,  # refused, reset, the connection went away mid-statement
    asyncpg.exceptions.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InsufficientResourcesError,  # its disk or memory full, or too many connections
)


class DependencyUnavailable(Exception):
    """A dependency (database, Redis, storage) cannot be used right now: not the message's fault.

    `dependency` is a short machine name (`postgresql`, `redis`, `pdf_storage`...) for logs and metrics, `reason` what
    a person reads if the outage outlasts `DELIVERY_OUTAGE_GIVE_UP_SECONDS`, `location` where (a folder, a host) for
    the operator's log line only: it is not shown to API clients.
    """

    def __init__(self, dependency: str, reason: str, *, location: str | None = None) -> None:
        super().__init__(reason)
        self.dependency = dependency
        self.reason = reason
        self.location = location


def dependency_outage(error: BaseException) -> DependencyUnavailable | None:
    """The outage `error` stands for, or None when it is a failure of the message itself.

    Only the error itself is looked at, not what it was raised from: a library that wraps a connection error in its
    own (httpx for the model server) has its own retry policy, which the handler applies. The exception is asyncpg,
    which reports a connection lost mid-transaction as an InterfaceError ("the underlying connection is closed")
    raised while handling the connection error.
    """
    outage = _outage_of(error)
    context = error.__cause__ or error.__context__
    if outage is None and isinstance(error, asyncpg.InterfaceError | asyncpg.InternalClientError) and context:
        outage = _outage_of(context)
    return outage


def _outage_of(error: BaseException) -> DependencyUnavailable | None:
    if isinstance(error, DependencyUnavailable):
        return error
    if isinstance(error, RedisConnectionError | RedisTimeoutError):
        return DependencyUnavailable("redis", f"Redis is not answering: {error}")
    if isinstance(error, _POSTGRES_DOWN):
        return DependencyUnavailable("postgresql", f"PostgreSQL is not answering: {error}")
    if isinstance(error, OSError) and error.errno in _STORAGE_FULL:
        folder = str(error.filename) if error.filename else None
        return DependencyUnavailable("storage", "no space left on the storage", location=folder)
    if isinstance(error, ConnectionError | socket.gaierror):
        # Refused, reset or unresolvable: a server that is down or restarting; which one, the handler did not say.
        return DependencyUnavailable("network", f"a dependency is not answering: {error}")
    return None


class OutageWait:
    """How long one message has been held through an outage, and the growing pause before its next retry."""

    def __init__(self, give_up_after: float) -> None:
        self._give_up_after = give_up_after
        self._since: float | None = None
        self._pause = _OUTAGE_FIRST_PAUSE_SECONDS

    def outlasted(self) -> bool:
        """True once the outage has lasted `give_up_after` seconds for this message (never when it is 0)."""
        now = asyncio.get_running_loop().time()
        self._since = now if self._since is None else self._since
        return bool(self._give_up_after) and now - self._since >= self._give_up_after

    async def pause(self, stopping: asyncio.Event) -> bool:
        """Wait before the next retry; False when the consumer is stopping instead."""
        if await wait_event(stopping, self._pause):
            return False
        self._pause = min(self._pause * 2, _OUTAGE_LAST_PAUSE_SECONDS)
        return True
