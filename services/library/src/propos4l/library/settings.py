"""Library service settings, from the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field

from propos4l.shared.settings import (
    DatabaseSettings,
    DeliverySettings,
    EmbeddingSettings,
    ServiceSettings,
    StorageSettings,
)

__all__ = ["LibrarySettings"]


class LibrarySettings(ServiceSettings, DatabaseSettings, DeliverySettings, EmbeddingSettings, StorageSettings):
    """What the library service reads at start."""

    library_dir: Path = Field(
        description="the library's uploaded files, content-addressed (shared with the gateway and the backup agent)"
    )
    library_workers: Annotated[int, Field(ge=1, le=64)] = Field(
        default=max(min(os.cpu_count() or 1, 4), 1), description="extraction worker processes (one document each)"
    )
    library_extract_timeout_seconds: Annotated[float, Field(gt=0)] = Field(
        default=300.0, description="wall-clock time one document's extraction may take before it fails"
    )
    library_extract_cpu_seconds: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="CPU time one extraction may use (unset: as many as the timeout)"
    )
    library_extract_max_memory_mb: Annotated[int, Field(ge=128)] | None = Field(
        default=1024, description="address space of an extraction worker; a document needing more fails"
    )
    library_max_pages: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=2000, description="a PDF with more pages is refused (too_many_pages)"
    )
    library_embed_interval_seconds: Annotated[float, Field(gt=0)] = Field(
        default=60.0,
        description="how often passages lacking a vector are embedded besides after each change (a changed model "
        "re-embeds the library this way, and an embedding server that was down is caught up with)",
    )
    library_passage_max_characters: Annotated[int, Field(ge=200, le=20_000)] = Field(
        default=1500, description="the longest passage documents are split into"
    )
