"""The PDF storage: a version's PDF is written once and never replaced, so the hash recorded for it stays true.

The store is the local PDF_STORAGE_DIR or, with STORAGE_URL, a bucket (`propos4l.shared.object_store`).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from propos4l.shared.object_store import LocalFolderStore, StoredObject

__all__ = ["PDF_CONTENT_TYPE", "pdf_relative_path", "store_once"]

PDF_CONTENT_TYPE = "application/pdf"


def pdf_relative_path(proposal_id: uuid.UUID, version: int) -> str:
    """Where a version's PDF lives inside the PDF storage (its key in the store)."""
    return f"{proposal_id}/v{version}.pdf"


def store_once(root: Path, relative_path: str, data: bytes) -> StoredObject:
    """Write `data` under the folder `root` unless a file is there already (blocking); see `LocalFolderStore`."""
    return LocalFolderStore(root).put_once(relative_path, data, PDF_CONTENT_TYPE)
