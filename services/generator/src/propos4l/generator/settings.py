"""Generator settings, from the environment."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, HttpUrl

from propos4l.shared.settings import DeliverySettings, ServiceSettings

__all__ = ["GeneratorSettings"]


class GeneratorSettings(ServiceSettings, DeliverySettings):
    """What the generator reads at start."""

    llm_provider: Literal["ollama", "outline"] = "ollama"
    ollama_url: HttpUrl = HttpUrl("http://localhost:11434")
    ollama_model: Annotated[str, Field(min_length=1, max_length=200)] = "qwen2.5:7b"
    ollama_temperature: Annotated[float, Field(ge=0, le=2)] = 0.4
    ollama_num_ctx: Annotated[int, Field(ge=512, le=262_144)] = 8192
    ollama_seed: int | None = None
    ollama_keep_alive: str = "10m"
    llm_connect_timeout_seconds: Annotated[float, Field(gt=0)] = 5.0
    llm_read_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    llm_total_timeout_seconds: Annotated[float, Field(gt=0)] = 900.0
    llm_max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    llm_retry_base_seconds: Annotated[float, Field(ge=0)] = 1.0
    generator_concurrency: Annotated[int, Field(ge=1, le=64)] = 1
