"""Wiring of the renderer: settings, Redis, the worker pool, the template folder, and its consumer."""

from __future__ import annotations

import asyncio
import logging

from propos4l.renderer.handlers import RenderHandlers
from propos4l.renderer.pdf import PdfRenderer
from propos4l.renderer.settings import RendererSettings
from propos4l.renderer.templates import install_default_template
from propos4l.shared.delivery import Consumer, Publisher, default_consumer_name
from propos4l.shared.runtime import connect_redis, consumer_options, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream

__all__ = ["serve"]

logger = logging.getLogger(__name__)


async def serve(settings: RendererSettings, stop: asyncio.Event) -> None:
    """Consume drafted proposals until `stop` is set."""
    settings.pdf_storage_dir.mkdir(parents=True, exist_ok=True)
    install_default_template(settings.templates_dir)
    memory = settings.render_max_memory_mb * 1024 * 1024 if settings.render_max_memory_mb else None
    renderer = PdfRenderer(
        max_workers=settings.renderer_workers,
        timeout_seconds=settings.render_timeout_seconds,
        max_memory_bytes=memory,
        cpu_seconds=settings.render_cpu_seconds,
        max_pdf_bytes=settings.render_max_pdf_mb * 1024 * 1024,
    )
    redis = connect_redis(str(settings.redis_url))
    handlers = RenderHandlers(renderer, Publisher(redis), settings.pdf_storage_dir, settings.templates_dir)
    consumer = Consumer(
        redis,
        stream=Stream.PROPOSAL_DRAFTED,
        group=ConsumerGroup.RENDERER,
        consumer=default_consumer_name("renderer"),
        handler=handlers.on_drafted,
        on_dead_letter=handlers.on_dead_letter,
        options=consumer_options(settings, concurrency=settings.renderer_workers),
    )
    logger.info("renderer started", extra={"workers": settings.renderer_workers})
    try:
        await run_consumers([consumer], stop)
    finally:
        renderer.close()
        await redis.aclose()
    logger.info("renderer stopped")
