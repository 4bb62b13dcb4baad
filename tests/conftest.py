"""Test fixtures: throwaway Redis and PostgreSQL servers started by the test run itself, on free ports."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from propos4l.shared.db import apply_migrations
from propos4l.shared.localrun.binaries import find_pgvector_bindir
from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis
from propos4l.shared.runtime import connect_redis

# The session's servers are throwaway: PostgreSQL need not force its writes to the disk (a server killed by a test
# still keeps what it wrote, as the kernel does; only a crash of the machine would lose it). Creating and dropping a
# database per test costs a fraction of the time this way.
_THROWAWAY_POSTGRES = {"fsync": "off", "full_page_writes": "off"}


def _migrated_template(server: LocalPostgres) -> str:
    """A database with every migration applied, to copy for each test (`CREATE DATABASE ... TEMPLATE`): applying them
    all again for every test cost about a second each."""
    name = f"t_template_{uuid.uuid4().hex[:8]}"
    asyncio.run(apply_migrations(server.create_database(name)))
    return name


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedis]:
    """One Redis for the session; tests that need a clean one flush it (see `redis_url`)."""
    server = LocalRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """One PostgreSQL for the session; every test that needs a database gets a fresh one.

    Its folder is outside pytest's temporary root, which another pytest run on the machine may make unreadable to
    the unprivileged account PostgreSQL runs as.
    """
    folder = Path(tempfile.mkdtemp(prefix="propos4l-test-pg-"))
    server = LocalPostgres(folder / "data", settings=_THROWAWAY_POSTGRES)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[LocalPostgres]:
    """A PostgreSQL that has pgvector (the system's if it has it, else the pgserver wheel's PostgreSQL 16).

    `postgres_server` stays the system's PostgreSQL, which may lack pgvector: tests of what needs vectors use this one.
    """
    bindir = find_pgvector_bindir()
    if bindir is None:
        pytest.skip(
            "no PostgreSQL with pgvector here: neither the system's nor the pgserver wheel's has vector.control"
        )
    folder = Path(tempfile.mkdtemp(prefix="propos4l-test-pgvector-"))
    server = LocalPostgres(folder / "data", bindir=bindir, settings=_THROWAWAY_POSTGRES)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pgvector_template(pgvector_server: LocalPostgres) -> str:
    """The migrated database that `pgvector_database_url` copies."""
    return _migrated_template(pgvector_server)


@pytest.fixture
def pgvector_database_url(pgvector_server: LocalPostgres, pgvector_template: str) -> Iterator[str]:
    """A fresh database with every migration applied (and so the `vector` extension), on `pgvector_server`."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield pgvector_server.create_database(name, template=pgvector_template)
    pgvector_server.drop_database(name)


@pytest.fixture
async def redis_url(redis_server: LocalRedis) -> str:
    """The URL of an empty Redis."""
    client = connect_redis(redis_server.url)
    try:
        await client.flushall()
    finally:
        await client.aclose()
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of an empty Redis."""
    client = connect_redis(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def empty_database_url(postgres_server: LocalPostgres) -> Iterator[str]:
    """A fresh, empty database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def migrated_template(postgres_server: LocalPostgres) -> str:
    """The migrated database that `database_url` copies."""
    return _migrated_template(postgres_server)


@pytest.fixture
def database_url(postgres_server: LocalPostgres, migrated_template: str) -> Iterator[str]:
    """A fresh database with every migration applied."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield postgres_server.create_database(name, template=migrated_template)
    postgres_server.drop_database(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty folder for PDFs, templates and backups."""
    return tmp_path


@pytest.fixture
def run_dir() -> Iterator[Path]:
    """A data folder for a local run (`propos4l run`), outside pytest's temporary root.

    The run's PostgreSQL works there as an unprivileged user when the tests run as root, which needs every folder above
    it traversable; pytest resets its root to mode 0700 whenever a pytest session starts, so a second session on the
    machine would lock the server out of a folder under it.
    """
    path = Path(tempfile.mkdtemp(prefix="propos4l-run-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
