"""The library's files on disk: received into a temp file while hashed, then stored content-addressed, write-once.

A file lives at LIBRARY_DIR/<first two hex digits>/<sha256>: the same content is stored once, whatever its name and
however often it is uploaded, and a stored file never changes (the backup agent copies it once).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from propos4l.shared.files import fsync_directory, process_umask
from propos4l.shared.library_files import SNIFF_BYTES

__all__ = ["FileTooLarge", "ReceivedFile", "library_path", "receive", "receive_bytes", "remove_stored", "store"]

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


def library_path(library_dir: Path, sha256: str) -> Path:
    """Where the file with this SHA-256 (hex) is stored."""
    return library_dir / sha256[:2] / sha256


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


def store(library_dir: Path, received: ReceivedFile) -> Path:
    """Link the received file into its content address (write-once: an existing file is kept) and drop the temp."""
    target = library_path(library_dir, received.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(received.temp_path, target)  # atomic, and never replaces: the same hash is the same content
    except FileExistsError:
        pass
    else:
        fsync_directory(target.parent)
    finally:
        received.discard()
    return target


def remove_stored(library_dir: Path, sha256: str) -> None:
    """Remove a stored file no document refers to any more (gone already is fine)."""
    target = library_path(library_dir, sha256)
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
        fsync_directory(target.parent)
