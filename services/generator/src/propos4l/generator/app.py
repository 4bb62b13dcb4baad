"""Wiring of the generator: settings, Redis, the drafter, and its consumer."""

from __future__ import annotations

import asyncio
import logging

from propos4l.generator.drafting import Drafter, OllamaDrafter, OutlineDrafter
from propos4l.generator.handlers import GenerationHandlers
from propos4l.generator.ollama import OllamaClient, RetryPolicy
from propos4l.generator.settings import GeneratorSettings
from propos4l.shared.delivery import Consumer, Publisher, default_consumer_name
from propos4l.shared.runtime import connect_redis, consumer_options, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream

__all__ = ["build_drafter", "serve"]

logger = logging.getLogger(__name__)


def build_drafter(settings: GeneratorSettings) -> tuple[Drafter, OllamaClient | None]:
    """The drafter the settings ask for, and the HTTP client it owns (to close at the end)."""
    if settings.llm_provider == "outline":
        return OutlineDrafter(), None
    client = OllamaClient(
        str(settings.ollama_url),
        connect_timeout=settings.llm_connect_timeout_seconds,
        read_timeout=settings.llm_read_timeout_seconds,
        total_timeout=settings.llm_total_timeout_seconds,
        retry=RetryPolicy(attempts=settings.llm_max_attempts, base_delay=settings.llm_retry_base_seconds),
    )
    options: dict[str, object] = {
        "temperature": settings.ollama_temperature,
        "num_ctx": settings.ollama_num_ctx,
    }
    if settings.ollama_seed is not None:
        options["seed"] = settings.ollama_seed
    return OllamaDrafter(client, settings.ollama_model, options, settings.ollama_keep_alive), client


async def serve(settings: GeneratorSettings, stop: asyncio.Event) -> None:
    """Consume generation requests until `stop` is set."""
    redis = connect_redis(str(settings.redis_url))
    drafter, client = build_drafter(settings)
    if client is not None:
        try:
            logger.info("ollama reachable", extra={"url": client.base_url, "version": await client.version()})
        except Exception as error:
            logger.warning("ollama not reachable yet", extra={"url": client.base_url, "error": str(error)})
    options = consumer_options(settings, concurrency=settings.generator_concurrency)
    handlers = GenerationHandlers(drafter, Publisher(redis), options.max_deliveries)
    consumer = Consumer(
        redis,
        stream=Stream.PROPOSAL_REQUESTED,
        group=ConsumerGroup.GENERATOR,
        consumer=default_consumer_name("generator"),
        handler=handlers.on_requested,
        on_dead_letter=handlers.on_dead_letter,
        options=options,
    )
    logger.info("generator started", extra={"provider": drafter.provider, "model": drafter.model})
    try:
        await run_consumers([consumer], stop)
    finally:
        if client is not None:
            await client.aclose()
        await redis.aclose()
    logger.info("generator stopped")
