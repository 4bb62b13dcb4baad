"""Wiring of the library service: settings, PostgreSQL, Redis, the extraction workers, and its consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Final

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.library.client_documents import ClientDocumentReader
from propos4l.library.embedding import embed_pending
from propos4l.library.extraction import ExtractionLimits, ExtractionPool
from propos4l.library.handlers import EmbedPending, LibraryHandlers
from propos4l.library.indexing import DocumentIndexer
from propos4l.library.settings import LibrarySettings
from propos4l.shared.aio import wait_event
from propos4l.shared.db import create_pool
from propos4l.shared.delivery import Publisher, default_consumer_name
from propos4l.shared.embeddings import EmbeddingClient, client_from_settings
from propos4l.shared.health import HealthServer, Readiness
from propos4l.shared.library_files import client_documents_store
from propos4l.shared.object_store import LocalFolderStore, ObjectStore, open_store
from propos4l.shared.runtime import connect_redis, consumer_options, group_consumers, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream

__all__ = ["check_ready", "embedding_hook", "extraction_limits", "serve"]

logger = logging.getLogger(__name__)

_READINESS_CHECK_INTERVAL_SECONDS: Final = 15.0
_DEPENDENCY_RETRY_SECONDS: Final = 2.0


def extraction_limits(settings: LibrarySettings) -> ExtractionLimits:
    """The limits each extraction runs under, from the settings."""
    memory = settings.library_extract_max_memory_mb
    return ExtractionLimits(
        timeout_seconds=settings.library_extract_timeout_seconds,
        max_memory_bytes=memory * 1024 * 1024 if memory else None,
        max_pages=settings.library_max_pages,
        cpu_seconds=settings.library_extract_cpu_seconds,
    )


def embedding_hook(
    client: EmbeddingClient | None, settings: LibrarySettings, pool: asyncpg.Pool
) -> EmbedPending | None:
    """What embeds the passages lacking a vector after a document is indexed or an entry changes (None without an
    embedding provider: search is full-text only)."""
    if client is None:
        return None

    async def embed() -> int:
        return await embed_pending(pool, client, settings.embedding_model, batch_size=settings.embedding_batch_size)

    return embed


async def check_ready(pool: asyncpg.Pool, redis: Redis, files: ObjectStore) -> str | None:
    """None when the service can do its work (PostgreSQL and Redis answer, the library folder is readable), else
    why not."""
    try:
        await pool.fetchval("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL does not answer: {error}"
    try:
        await redis.ping()
    except (RedisError, OSError) as error:
        return f"Redis does not answer: {error}"
    if isinstance(files, LocalFolderStore):  # the service only reads the folder (a read-only mount is fine)
        if not os.access(files.root, os.R_OK | os.X_OK):
            return f"LIBRARY_DIR {files.root} is not readable by this process"
    else:
        problem = await asyncio.to_thread(files.problem)
        if problem is not None:
            return f"the library's storage: {problem}"
    return None


async def _watch_readiness(
    pool: asyncpg.Pool, redis: Redis, files: ObjectStore, readiness: Readiness, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        reason = await check_ready(pool, redis, files)
        if reason is None:
            readiness.set_ready()
        else:
            readiness.set_not_ready(reason)
        await wait_event(stop, _READINESS_CHECK_INTERVAL_SECONDS)


async def _embed_periodically(embed: EmbedPending, interval: float, stop: asyncio.Event) -> None:
    """Embed what lacks a vector every `interval` seconds until `stop` (failures are logged, then tried again)."""
    while not stop.is_set():
        try:
            await embed()
        except Exception as error:
            logger.warning("embedding pending passages failed", extra={"error": str(error)})
        await wait_event(stop, interval)


async def _connect(settings: LibrarySettings, readiness: Readiness, stop: asyncio.Event) -> asyncpg.Pool | None:
    """The database pool, once PostgreSQL answers (None when stopped before)."""
    while not stop.is_set():
        try:
            return await create_pool(str(settings.database_url), max_size=settings.database_pool_max_size)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            readiness.set_not_ready(f"waiting for PostgreSQL: {error}")
            await wait_event(stop, _DEPENDENCY_RETRY_SECONDS)
    return None


async def serve(settings: LibrarySettings, stop: asyncio.Event) -> None:
    """Index uploaded documents and embed changed entries until `stop` is set."""
    settings.library_dir.mkdir(parents=True, exist_ok=True)
    readiness = Readiness()
    health = HealthServer(readiness, settings.health_port) if settings.health_port is not None else None
    if health is not None:
        await health.start()
    try:
        pool = await _connect(settings, readiness, stop)
        if pool is not None:
            try:
                await _consume(settings, pool, readiness, stop)
            finally:
                await pool.close()
    finally:
        if health is not None:
            await health.stop()
    logger.info("library service stopped")


async def _consume(settings: LibrarySettings, pool: asyncpg.Pool, readiness: Readiness, stop: asyncio.Event) -> None:
    extraction = ExtractionPool(settings.library_workers, extraction_limits(settings))
    extraction.start()  # forked while the service starts, not on the first upload
    redis = connect_redis(str(settings.redis_url))
    embedding_client = client_from_settings(settings)
    try:
        files = open_store(settings.storage_url, settings.storage_endpoint, "library", settings.library_dir)
        indexer = DocumentIndexer(
            pool, extraction, files, passage_max_characters=settings.library_passage_max_characters
        )
        embed = embedding_hook(embedding_client, settings, pool)
        publisher = Publisher(redis)
        client_documents = ClientDocumentReader(
            extraction,
            client_documents_store(settings.storage_url, settings.storage_endpoint, settings.library_dir),
            publisher.publish,
        )
        handlers = LibraryHandlers(indexer, publisher, embed, client_documents)
        consumers = group_consumers(
            redis,
            ConsumerGroup.LIBRARY,
            {
                Stream.LIBRARY_ENTRY_CHANGED: handlers.on_entry_changed,
                Stream.LIBRARY_DOCUMENT_UPLOADED: handlers.on_document_uploaded,
                Stream.PROPOSAL_DOCUMENT_UPLOADED: handlers.on_proposal_document_uploaded,
            },
            consumer=default_consumer_name("library"),
            on_dead_letter=handlers.on_dead_letter,
            options=consumer_options(settings, concurrency=settings.library_workers),
        )
        background = [
            asyncio.create_task(_watch_readiness(pool, redis, files, readiness, stop), name="readiness watcher")
        ]
        if embed is not None:
            background.append(
                asyncio.create_task(
                    _embed_periodically(embed, settings.library_embed_interval_seconds, stop), name="embedding"
                )
            )
        logger.info(
            "library service started",
            extra={"workers": settings.library_workers, "embedding_model": settings.embedding_model if embed else None},
        )
        try:
            await run_consumers(consumers, stop)
        finally:
            for task in background:
                task.cancel()
            for task in background:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        extraction.close()
        if embedding_client is not None:
            await embedding_client.aclose()
        await redis.aclose()
