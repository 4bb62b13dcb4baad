"""The PDF storage: a version's PDF is written once and never replaced, so the hash recorded for it stays true."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from propos4l.shared.files import durable_temp_file, fsync_directory

__all__ = ["StoredPdf", "pdf_relative_path", "store_once"]

logger = logging.getLogger(__name__)

# Filesystems without hard links answer these; there the check for an existing file and the rename are two steps.
_NO_HARD_LINKS: Final = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK})


@dataclass(frozen=True, slots=True)
class StoredPdf:
    """A version's PDF as it is in the storage, and whether this call wrote it or found it there."""

    relative_path: str
    sha256: str
    size: int
    written: bool


def pdf_relative_path(proposal_id: uuid.UUID, version: int) -> str:
    """Where a version's PDF lives inside the PDF storage."""
    return f"{proposal_id}/v{version}.pdf"


def store_once(root: Path, relative_path: str, data: bytes) -> StoredPdf:
    """Write `data` at `relative_path` unless a file is there already; describe what is there afterwards (blocking).

    The first complete file wins: it is written to a temporary file, made durable, then hard-linked into place,
    which fails when the name exists. A render of a version whose PDF is stored (a redelivery, a replay, a second
    replica) therefore reports the stored file's hash and size, which are what the gateway recorded.
    """
    path = root / relative_path
    temp = durable_temp_file(path, data)  # 0644 under the usual umask, owner-only in the local run
    try:
        written = _link_if_absent(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    if written:
        fsync_directory(path.parent)
        return StoredPdf(relative_path, hashlib.sha256(data).hexdigest(), len(data), written=True)
    stored = path.read_bytes()
    if stored != data:
        logger.warning(
            "a stored PDF was kept over a render with different bytes",
            extra={"pdf_path": relative_path, "stored_bytes": len(stored), "rendered_bytes": len(data)},
        )
    return StoredPdf(relative_path, hashlib.sha256(stored).hexdigest(), len(stored), written=False)


def _link_if_absent(source: Path, target: Path) -> bool:
    """Give `source` the name `target` unless that name exists; True when it did."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if target.exists():
            return False
        os.replace(source, target)
    return True
