"""Renderer settings, from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field

from propos4l.shared.settings import DeliverySettings, ServiceSettings

__all__ = ["RendererSettings"]


class RendererSettings(ServiceSettings, DeliverySettings):
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
