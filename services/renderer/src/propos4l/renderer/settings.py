"""Renderer settings, from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field

from propos4l.renderer.pdf import DEFAULT_LARGE_CHARACTERS, DEFAULT_MAX_PAGES
from propos4l.shared.events import PROPOSAL_CONTENT_DEFAULT_MAX
from propos4l.shared.settings import DeliverySettings, ServiceSettings, StorageSettings

__all__ = ["RendererSettings"]


class RendererSettings(ServiceSettings, DeliverySettings, StorageSettings):
    """What the renderer reads at start."""

    pdf_storage_dir: Path
    templates_dir: Path
    renderer_workers: Annotated[int, Field(ge=1, le=64)] = max(os.cpu_count() or 1, 1)
    render_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    render_max_memory_mb: Annotated[int, Field(ge=128)] | None = 2048
    render_cpu_seconds: Annotated[float, Field(gt=0)] | None = None  # None: as many as the timeout
    render_max_pdf_mb: Annotated[int, Field(ge=1, le=1024)] = 50
    # A worker is replaced after this many renders, or when a render left it holding more than this much memory.
    render_worker_max_renders: Annotated[int, Field(ge=1)] | None = 100
    render_worker_recycle_mb: Annotated[int, Field(ge=64)] | None = 200
    render_max_pages: Annotated[int, Field(ge=1)] = Field(
        default=DEFAULT_MAX_PAGES, description="a render whose layout passes this many pages is stopped and fails"
    )
    proposal_max_characters: Annotated[int, Field(ge=1_000)] = Field(
        default=PROPOSAL_CONTENT_DEFAULT_MAX,
        description="a proposal whose sections hold more characters together fails without being rendered",
    )
    render_large_proposal_characters: Annotated[int, Field(ge=1)] = Field(
        default=DEFAULT_LARGE_CHARACTERS,
        description="proposals larger than this share all render workers but one, kept for smaller proposals",
    )
