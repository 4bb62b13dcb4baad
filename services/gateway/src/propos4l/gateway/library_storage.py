"""The library's files: received into a temp file while hashed, then stored content-addressed, write-once.

A file lives at the key <first two hex digits>/<sha256> of the library's store: LIBRARY_DIR, or the bucket's
<prefix>/library/ with STORAGE_URL (LIBRARY_DIR then only holds uploads being received). The same content is stored
once, whatever its name and however often it is uploaded, and a stored file never changes (the backup agent copies
it once).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from propos4l.shared.files import process_umask
from propos4l.shared.library_files import SNIFF_BYTES
from propos4l.shared.object_store import ObjectStore

__all__ = ["FileTooLarge", "ReceivedFile", "library_key", "receive", "receive_bytes", "remove_stored", "store"]

_CHUNK_BYTES: Final = 1024 * 1024
_HEAD_BYTES: Final = SNIFF_BYTES
_INCOMING: Final = ".incoming"


class FileTooLarge(ValueError):
    """The file is larger than the library takes."""


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A file received into a temp file of the library folder, not yet stored."""

    temp_path: Path
    sha256: str
    size: int
    head: bytes

    def discard(self) -> None:
        """Remove the temp file (when it was not stored, or after storing it)."""
        self.temp_path.unlink(missing_ok=True)


def library_key(sha256: str) -> str:
    """The key of the file with this SHA-256 (hex) in the library's store."""
    return f"{sha256[:2]}/{sha256}"


def receive(library_dir: Path, source: BinaryIO, max_bytes: int) -> ReceivedFile:
    """Copy `source` into a temp file in `library_dir` (so it can be linked into place), on disk, hashed.

    Raises `FileTooLarge` (the temp file removed) once more than `max_bytes` arrive.
    """
    incoming = library_dir / _INCOMING
    incoming.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix="upload-", suffix=".tmp", dir=incoming)
    temp = Path(name)
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with os.fdopen(descriptor, "wb") as handle:
            while chunk := source.read(_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(f"the file is larger than the limit of {max_bytes // (1024 * 1024)} MB")
                if len(head) < _HEAD_BYTES:
                    head += chunk[: _HEAD_BYTES - len(head)]
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~process_umask())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return ReceivedFile(temp, digest.hexdigest(), size, head)


def receive_bytes(library_dir: Path, data: bytes) -> ReceivedFile:
    """`receive` for content made here (a proposal as Markdown)."""
    return receive(library_dir, io.BytesIO(data), max_bytes=len(data))


def store(files: ObjectStore, received: ReceivedFile) -> None:
    """Put the received file at its content address (write-once: an existing file is kept) and drop the temp."""
    try:
        files.put_file_once(library_key(received.sha256), received.temp_path, sha256=received.sha256)
    finally:
        received.discard()


def remove_stored(files: ObjectStore, sha256: str) -> None:
    """Remove a stored file no document refers to any more (gone already is fine)."""
    files.delete(library_key(sha256))
