"""Generator settings, from the environment."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, HttpUrl, SecretStr, model_validator

from propos4l.generator.llm_spans import DEFAULT_CONTENT_MAX_CHARS
from propos4l.shared.settings import DeliverySettings, ServiceSettings

__all__ = ["GeneratorSettings"]


class GeneratorSettings(ServiceSettings, DeliverySettings):
    """What the generator reads at start."""

    llm_provider: Literal["ollama", "openai", "outline"] = "ollama"
    ollama_url: HttpUrl = HttpUrl("http://localhost:11434")
    ollama_model: Annotated[str, Field(min_length=1, max_length=200)] = "qwen2.5:7b"
    ollama_temperature: Annotated[float, Field(ge=0, le=2)] = 0.4
    ollama_num_ctx: Annotated[int, Field(ge=512, le=262_144)] = 8192
    ollama_seed: int | None = None
    ollama_keep_alive: str = "10m"
    ollama_auto_pull: bool = False
    llm_base_url: HttpUrl | None = Field(default=None, description="OpenAI-compatible server, e.g. http://vllm:8000/v1")
    llm_api_key: SecretStr | None = None
    llm_model: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="model name for LLM_PROVIDER=openai (default: OLLAMA_MODEL)"
    )
    llm_connect_timeout_seconds: Annotated[float, Field(gt=0)] = 5.0
    llm_read_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    llm_total_timeout_seconds: Annotated[float, Field(gt=0)] = 900.0
    llm_max_attempts: Annotated[int, Field(ge=1, le=20)] = 10
    llm_retry_base_seconds: Annotated[float, Field(ge=0)] = 1.0
    llm_retry_max_seconds: Annotated[float, Field(ge=0)] = Field(
        default=30.0, description="the longest wait between two tries of a model call"
    )
    llm_retry_window_seconds: Annotated[float, Field(gt=0)] = Field(
        default=120.0, description="how long one model call keeps trying a server that does not answer (a restart)"
    )
    llm_structured_output: Literal["auto", "json_schema", "json_object", "prompt"] = Field(
        default="auto", description="how an OpenAI-compatible server is held to the schema; auto negotiates"
    )
    llm_max_output_tokens: Annotated[int, Field(ge=64, le=1_000_000)] | None = Field(
        default=None, description="the output token limit of one answer (num_predict / max_tokens); unset: the server's"
    )
    llm_model_check_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=30.0, description="how often readiness checks that the model server still serves the model"
    )
    llm_min_section_words: Annotated[int, Field(ge=1, le=2_000)] = Field(
        default=20, description="a drafted section with fewer words is sent back to the model, then fails"
    )
    otel_genai_capture_content: bool = Field(
        default=False, description="put the prompt and the answer in the model call spans (client data: off)"
    )
    otel_genai_content_max_chars: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        default=DEFAULT_CONTENT_MAX_CHARS, description="characters of each prompt or answer text a span keeps at most"
    )
    generator_concurrency: Annotated[int, Field(ge=1, le=64)] = 1
    generator_drafting: Literal["single", "plan"] = Field(
        default="plan",
        description="with a library context: plan, then write each section on its own (plan), or all in one call",
    )
    generator_section_concurrency: Annotated[int, Field(ge=1, le=32)] = Field(
        default=4, description="sections of one draft written at once (plan-then-write); match the server's slots"
    )
    generator_progress_interval_seconds: Annotated[float, Field(ge=0.05, le=60)] = 0.5
    generation_latency_alert_seconds: Annotated[float, Field(gt=0)] = Field(
        default=600.0, description="p95 drafting time above which the generation latency alert fires"
    )

    @model_validator(mode="after")
    def _openai_needs_a_base_url(self) -> GeneratorSettings:
        if self.llm_provider == "openai" and self.llm_base_url is None:
            raise ValueError("LLM_BASE_URL is required when LLM_PROVIDER=openai")
        return self
