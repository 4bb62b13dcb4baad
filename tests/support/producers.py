"""Producers' Redis users for tests: made with `apply_producer` (as `propos4l intake producer NAME --apply`), each
with a client connected as that user, and deleted afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

from redis.asyncio import Redis

from propos4l.shared.producer_access import apply_producer, new_password, producer_user

ProducerFactory = Callable[[str], Awaitable[Redis]]
"""Makes producer NAME's user and returns a client connected as it."""


@contextlib.asynccontextmanager
async def producers(admin: Redis, redis_url: str) -> AsyncIterator[ProducerFactory]:
    """A factory of producers on the Redis at `redis_url` (`admin` may set users); every user made is deleted."""
    made: list[tuple[str, Redis]] = []

    async def connect(source: str) -> Redis:
        password = new_password()
        await apply_producer(admin, source, password)
        where = urlsplit(redis_url)
        client = Redis(
            host=where.hostname or "127.0.0.1",
            port=where.port or 6379,
            username=producer_user(source),
            password=password,
            decode_responses=True,
        )
        made.append((source, client))
        return client

    try:
        yield connect
    finally:
        for source, client in made:
            await client.aclose()
            await admin.execute_command("ACL", "DELUSER", producer_user(source))
