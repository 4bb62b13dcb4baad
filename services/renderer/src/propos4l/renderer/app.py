"""Wiring of the renderer: settings, Redis, the worker pool, the template folder, and its consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.renderer.handlers import RenderHandlers
from propos4l.renderer.pdf import PdfRenderer
from propos4l.renderer.pool import WorkerRecycling
from propos4l.renderer.settings import RendererSettings
from propos4l.renderer.template_versions import LiveFolder, StoredTemplates, TemplateSource
from propos4l.renderer.templates import install_default_template
from propos4l.shared.aio import wait_event
from propos4l.shared.delivery import Publisher, default_consumer_name
from propos4l.shared.health import HealthServer, Readiness
from propos4l.shared.object_store import ObjectStore, open_store
from propos4l.shared.runtime import connect_redis, consumer_options, group_consumers, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream

__all__ = ["message_slots", "serve"]

logger = logging.getLogger(__name__)

_READINESS_CHECK_INTERVAL_SECONDS = 15.0


async def check_ready(redis: Redis, pdf_storage: ObjectStore) -> str | None:
    """None when the renderer can do its work (Redis answers, the PDF storage takes files), else why not."""
    try:
        await redis.ping()
    except (RedisError, OSError) as error:
        return f"Redis does not answer: {error}"
    problem = await asyncio.to_thread(pdf_storage.problem)
    if problem is not None:
        return f"the PDF storage: {problem}"
    return None


async def watch_readiness(redis: Redis, pdf_storage: ObjectStore, readiness: Readiness, stop: asyncio.Event) -> None:
    """Keep `readiness` true to what the renderer can reach, checking every few seconds until `stop`."""
    while not stop.is_set():
        reason = await check_ready(redis, pdf_storage)
        if reason is None:
            readiness.set_ready()
        else:
            readiness.set_not_ready(reason)
        await wait_event(stop, _READINESS_CHECK_INTERVAL_SECONDS)


def message_slots(workers: int) -> int:
    """How many drafts a replica takes at once: one per worker, and one more when a worker is kept for small ones.

    With every shared worker busy with a large proposal, the next large one waits here for its turn; the extra
    slot lets the replica still take a small proposal for the worker kept free (see `PdfRenderer`).
    """
    return workers + 1 if workers > 1 else workers


async def serve(settings: RendererSettings, stop: asyncio.Event) -> None:
    """Consume drafted proposals until `stop` is set."""
    settings.pdf_storage_dir.mkdir(parents=True, exist_ok=True)
    pdf_storage = open_store(settings.storage_url, settings.storage_endpoint, "pdfs", settings.pdf_storage_dir)
    templates: TemplateSource
    if settings.storage_url:  # versions from the bucket, cached under TEMPLATES_DIR by digest (no shared volume)
        versions = open_store(settings.storage_url, settings.storage_endpoint, "templates", settings.templates_dir)
        templates = StoredTemplates(versions, settings.templates_dir)
    else:
        install_default_template(settings.templates_dir)
        templates = LiveFolder(settings.templates_dir)
    memory = settings.render_max_memory_mb * 1024 * 1024 if settings.render_max_memory_mb else None
    renderer = PdfRenderer(
        max_workers=settings.renderer_workers,
        timeout_seconds=settings.render_timeout_seconds,
        max_memory_bytes=memory,
        cpu_seconds=settings.render_cpu_seconds,
        max_pdf_bytes=settings.render_max_pdf_mb * 1024 * 1024,
        recycling=WorkerRecycling(
            max_renders=settings.render_worker_max_renders,
            max_resident_bytes=settings.render_worker_recycle_mb * 1024 * 1024
            if settings.render_worker_recycle_mb
            else None,
        ),
        max_pages=settings.render_max_pages,
        max_characters=settings.proposal_max_characters,
        large_characters=settings.render_large_proposal_characters,
    )
    renderer.start_workers()  # forked while the service starts, not on the first renders
    redis = connect_redis(str(settings.redis_url))
    handlers = RenderHandlers(renderer, Publisher(redis), pdf_storage, templates)
    consumers = group_consumers(
        redis,
        ConsumerGroup.RENDERER,
        {Stream.PROPOSAL_DRAFTED: handlers.on_drafted},
        consumer=default_consumer_name("renderer"),
        on_dead_letter=handlers.on_dead_letter,
        options=consumer_options(settings, concurrency=message_slots(settings.renderer_workers)),
    )
    readiness = Readiness()
    health = HealthServer(readiness, settings.health_port) if settings.health_port is not None else None
    watcher = asyncio.create_task(watch_readiness(redis, pdf_storage, readiness, stop), name="readiness watcher")
    logger.info("renderer started", extra={"workers": settings.renderer_workers, "pdf_storage": pdf_storage.location})
    try:
        if health is not None:
            await health.start()
        await run_consumers(consumers, stop)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        if health is not None:
            await health.stop()
        renderer.close()
        await redis.aclose()
    logger.info("renderer stopped")
