"""Wiring of the generator: settings, Redis, the model client, readiness, and its consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from propos4l.generator.drafting import Drafter, LlmDrafter, OutlineDrafter
from propos4l.generator.handlers import GenerationHandlers
from propos4l.generator.llm import ChatModel, LlmRejected, LlmUnavailable, RetryPolicy
from propos4l.generator.llm_spans import ContentCapture
from propos4l.generator.ollama import OllamaClient
from propos4l.generator.openai_compat import OpenAICompatibleClient, StructuredOutput
from propos4l.generator.requirement_handlers import RequirementReviewHandler
from propos4l.generator.settings import GeneratorSettings
from propos4l.shared.aio import wait_event
from propos4l.shared.delivery import Capacity, Publisher, default_consumer_name
from propos4l.shared.health import HealthServer, Readiness
from propos4l.shared.runtime import connect_redis, consumer_options, group_consumers, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream
from propos4l.shared.telemetry import set_generation_objective

__all__ = ["build_client", "build_drafter", "check_model", "serve", "watch_model"]

logger = logging.getLogger(__name__)


def build_client(settings: GeneratorSettings) -> ChatModel | None:
    """The model client the settings ask for (None for the outline provider)."""
    retry = RetryPolicy(
        attempts=settings.llm_max_attempts,
        base_delay=settings.llm_retry_base_seconds,
        max_delay=settings.llm_retry_max_seconds,
        window=settings.llm_retry_window_seconds,
    )
    connect, read, total = (
        settings.llm_connect_timeout_seconds,
        settings.llm_read_timeout_seconds,
        settings.llm_total_timeout_seconds,
    )
    content = ContentCapture(settings.otel_genai_capture_content, settings.otel_genai_content_max_chars)
    if settings.llm_provider == "ollama":
        return OllamaClient(
            str(settings.ollama_url),
            connect_timeout=connect,
            read_timeout=read,
            total_timeout=total,
            retry=retry,
            content=content,
        )
    if settings.llm_provider == "openai":
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return OpenAICompatibleClient(
            str(settings.llm_base_url),
            api_key=key,
            connect_timeout=connect,
            read_timeout=read,
            total_timeout=total,
            retry=retry,
            structured_output=None
            if settings.llm_structured_output == "auto"
            else StructuredOutput(settings.llm_structured_output),
            content=content,
        )
    return None


def model_name(settings: GeneratorSettings) -> str:
    """The model that drafts: LLM_MODEL for an OpenAI-compatible server, else OLLAMA_MODEL."""
    if settings.llm_provider == "openai" and settings.llm_model:
        return settings.llm_model
    return settings.ollama_model


def model_options(settings: GeneratorSettings) -> dict[str, Any]:
    """The model options of a call: temperature, context, seed and output limit from the settings."""
    options: dict[str, Any] = {"temperature": settings.ollama_temperature, "num_ctx": settings.ollama_num_ctx}
    if settings.ollama_seed is not None:
        options["seed"] = settings.ollama_seed
    if settings.llm_max_output_tokens is not None:
        options["num_predict"] = settings.llm_max_output_tokens
    return options


def build_drafter(settings: GeneratorSettings, client: ChatModel | None) -> Drafter:
    """The drafter the settings ask for, around `client`."""
    if client is None:
        return OutlineDrafter()
    options = model_options(settings)
    return LlmDrafter(
        client,
        provider=settings.llm_provider,
        model=model_name(settings),
        options=options,
        keep_alive=settings.ollama_keep_alive if settings.llm_provider == "ollama" else None,
        min_section_words=settings.llm_min_section_words,
        drafting=settings.generator_drafting,
        section_concurrency=settings.generator_section_concurrency,
    )


async def check_model(client: ChatModel, settings: GeneratorSettings) -> str | None:
    """None when the model is there to draft with (pulling it if allowed), else the reason it is not."""
    model = model_name(settings)
    where = f"{settings.llm_provider} at {client.base_url}"
    try:
        available = await client.models()
    except (LlmUnavailable, LlmRejected) as error:
        return f"the model server ({where}) does not answer: {error}"
    if _has_model(available, model):
        return None
    if isinstance(client, OllamaClient) and settings.ollama_auto_pull:
        logger.info("pulling the model", extra={"model": model, "server": client.base_url})
        try:
            await client.pull(model)
        except (LlmUnavailable, LlmRejected) as error:
            return f"model {model!r} is missing from {where} and pulling it failed: {error}"
        return None
    if isinstance(client, OllamaClient):
        return f"model {model!r} is missing from {where}: pull it (ollama pull {model}) or set OLLAMA_AUTO_PULL=true"
    return f"model {model!r} is not served by {where} (it serves {', '.join(available[:10]) or 'no model'})"


def _has_model(available: list[str], model: str) -> bool:
    wanted = {model, f"{model}:latest"} if ":" not in model else {model}
    return any(name in wanted or name.removesuffix(":latest") == model for name in available)


async def watch_model(
    client: ChatModel, settings: GeneratorSettings, readiness: Readiness, stop: asyncio.Event
) -> None:
    """Check the model every so often, keeping `readiness` true to what the server has (pulling when allowed).

    No probe is sent while the server drafts for us: llama-cpp-python's server cuts a running answer for any other
    request (and answers the probe only once the draft is done), and a draft under way is proof enough that the
    server answers; readiness stays as it was instead of flapping during long drafts.
    """
    while not stop.is_set():
        if await wait_event(stop, settings.llm_model_check_seconds):
            return
        if client.busy:
            continue
        reason = await check_model(client, settings)
        if reason is None:
            readiness.set_ready(provider=settings.llm_provider, model=model_name(settings))
        else:
            readiness.set_not_ready(reason)


async def serve(settings: GeneratorSettings, stop: asyncio.Event) -> None:
    """Consume generation work until `stop` is set.

    A missing model makes the service not ready and is logged with its name, but requests are still taken: each
    fails with a reason that names the model, so nobody waits on a queue that never moves. With OLLAMA_AUTO_PULL the
    model is pulled before the first request is taken.
    """
    redis = connect_redis(str(settings.redis_url))
    client = build_client(settings)
    drafter = build_drafter(settings, client)
    readiness = Readiness()
    health = HealthServer(readiness, settings.health_port) if settings.health_port is not None else None
    if health is not None:
        await health.start()
    watcher: asyncio.Task[None] | None = None
    try:
        if client is None:
            readiness.set_ready(provider="outline", model="none")
        else:
            if (reason := await check_model(client, settings)) is None:
                readiness.set_ready(provider=settings.llm_provider, model=model_name(settings))
            else:
                readiness.set_not_ready(reason)
            watcher = asyncio.create_task(watch_model(client, settings, readiness, stop), name="model watcher")
        options = consumer_options(settings, concurrency=settings.generator_concurrency)
        handlers = GenerationHandlers(
            drafter,
            Publisher(redis),
            options.max_deliveries,
            progress_interval=settings.generator_progress_interval_seconds,
        )
        reviewer = RequirementReviewHandler(client, model_name(settings), model_options(settings), Publisher(redis))
        capacity = Capacity(settings.generator_concurrency)  # one budget for every stream
        name = default_consumer_name("generator")
        consumers = group_consumers(
            redis,
            ConsumerGroup.GENERATOR,
            {
                Stream.PROPOSAL_REQUESTED: handlers.on_requested,
                Stream.SECTION_REGENERATION_REQUESTED: handlers.on_regeneration_requested,
                Stream.PROPOSAL_REQUIREMENTS_FOUND: reviewer.on_requirements_found,
            },
            consumer=name,
            on_dead_letter=handlers.on_dead_letter,
            options=options,
            capacity=capacity,
        )
        set_generation_objective(settings.generation_latency_alert_seconds)  # the threshold the alert compares to
        logger.info("generator started", extra={"provider": drafter.provider, "model": drafter.model})
        await run_consumers(consumers, stop)
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if health is not None:
            await health.stop()
        if client is not None:
            await client.aclose()
        await redis.aclose()
    logger.info("generator stopped")
