"""The database pool hands a connection back without asyncpg's reset round trip, and still without an open
transaction (`shared/db.py`)."""

from __future__ import annotations

import pytest

from propos4l.shared.db import PoolTimeouts, create_pool

pytestmark = pytest.mark.integration

TIMEOUTS = PoolTimeouts(connect_seconds=10, acquire_seconds=10, statement_seconds=10)


@pytest.mark.parametrize("timeouts", [None, TIMEOUTS], ids=["plain", "timed"])
async def test_a_release_sends_no_statement(database_url: str, timeouts: PoolTimeouts | None) -> None:
    pool = await create_pool(database_url, max_size=1, timeouts=timeouts)
    try:
        async with pool.acquire() as connection:
            await connection.fetchval("SELECT 1")
            sent = connection._con._protocol.queries_count  # asyncpg's count of statements sent on the connection
        async with pool.acquire() as again:  # the same connection (a pool of one)
            assert again._con._protocol.queries_count == sent
    finally:
        await pool.close()


async def test_a_transaction_left_open_is_rolled_back_on_release(database_url: str) -> None:
    pool = await create_pool(database_url, max_size=1, timeouts=TIMEOUTS)
    try:
        async with pool.acquire() as connection:
            await connection.execute("CREATE TEMPORARY TABLE IF NOT EXISTS released (n int)")
        async with pool.acquire() as connection:
            transaction = connection.transaction()
            await transaction.start()
            await connection.execute("INSERT INTO released VALUES (1)")
            # Released without commit or rollback (as a cancelled task may): asyncpg rolls it back.
        async with pool.acquire() as connection:
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SELECT count(*) FROM released") == 0
    finally:
        await pool.close()
