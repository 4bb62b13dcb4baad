"""The pipeline's workers in this process: the generator (against a fake Ollama) and the renderer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from propos4l.generator.app import serve as serve_generator
from propos4l.generator.settings import GeneratorSettings
from propos4l.renderer.app import serve as serve_renderer
from propos4l.renderer.settings import RendererSettings
from tests.support.fake_ollama import FakeOllama

__all__ = ["DELIVERY", "workers"]

DELIVERY: dict[str, Any] = {
    "delivery_visibility_timeout_seconds": 3.0,
    "delivery_max_deliveries": 20,  # the outage makes deliveries fail; they must not run out
    "delivery_shutdown_grace_seconds": 1.0,
}


@contextlib.asynccontextmanager
async def workers(redis_url: str, fake: FakeOllama, data_dir: Path) -> AsyncIterator[None]:
    stop = asyncio.Event()
    generator = GeneratorSettings(
        redis_url=redis_url,
        ollama_url=fake.url,
        ollama_model="qwen2.5:7b",
        llm_retry_base_seconds=0.05,
        generator_concurrency=2,
        generator_progress_interval_seconds=0.2,
        **DELIVERY,
    )
    renderer = RendererSettings(
        redis_url=redis_url,
        pdf_storage_dir=data_dir / "pdfs",
        templates_dir=data_dir / "templates",
        renderer_workers=1,
        **DELIVERY,
    )
    tasks = [
        asyncio.create_task(serve_generator(generator, stop)),
        asyncio.create_task(serve_renderer(renderer, stop)),
    ]
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
