"""Gateway settings, from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator

from propos4l.shared.events import PROPOSAL_CONTENT_DEFAULT_MAX
from propos4l.shared.settings import DatabaseSettings, DeliverySettings, ServiceSettings, refuse_placeholder

__all__ = ["GatewaySettings"]


class GatewaySettings(ServiceSettings, DatabaseSettings, DeliverySettings):
    """What the gateway reads at start."""

    propos4l_admin_token: SecretStr = Field(description="Bearer token with admin rights; at least 16 characters")
    pdf_storage_dir: Path
    templates_dir: Path = Field(description="the templates folder (shared with the renderer and the backup agent)")
    gateway_render_workers: Annotated[int, Field(ge=1, le=16)] = 1
    render_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    render_cpu_seconds: Annotated[float, Field(gt=0)] | None = None
    render_max_memory_mb: Annotated[int, Field(ge=128)] | None = 2048
    render_max_pdf_mb: Annotated[int, Field(ge=1, le=1024)] = 50
    proposal_max_characters: Annotated[int, Field(ge=1_000)] = Field(
        default=PROPOSAL_CONTENT_DEFAULT_MAX,
        description="the most characters a proposal's sections may hold together; an edit past it is a 422",
    )
    render_rate_limit_per_minute: Annotated[int, Field(ge=0)] = Field(
        default=30, description="section edits and regenerations one token may ask for a minute (0: no limit)"
    )
    gateway_host: str = "127.0.0.1"
    gateway_port: Annotated[int, Field(ge=1, le=65_535)] = 8000
    max_request_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    template_max_request_bytes: Annotated[int, Field(ge=1024, le=256 * 1024 * 1024)] = Field(
        default=32 * 1024 * 1024,
        description="body limit of template uploads and previews (a whole template as JSON, files in base64)",
    )
    cors_allowed_origins: tuple[str, ...] = ("http://localhost:3000", "http://127.0.0.1:3000")
    outbox_poll_seconds: Annotated[float, Field(gt=0)] = 1.0
    outbox_audit_seconds: Annotated[float, Field(gt=0)] = Field(
        default=60.0, description="how often the gateway checks that recently published events are still in Redis"
    )
    stream_retention_hours: Annotated[float, Field(ge=1)] = Field(
        default=24.0, description="stream entries every consumer group is done with are kept this long, then trimmed"
    )
    event_history_retention_days: Annotated[float, Field(ge=1)] = Field(
        default=14.0,
        description="published outbox rows, processed-event ids and finished proposals' progress are kept this long",
    )
    retention_interval_seconds: Annotated[float, Field(ge=1)] = 900.0

    @field_validator("propos4l_admin_token")
    @classmethod
    def _real_token(cls, token: SecretStr) -> SecretStr:
        value = refuse_placeholder(token.get_secret_value(), "PROPOS4L_ADMIN_TOKEN")
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return token
