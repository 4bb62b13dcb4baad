"""Files and folders only their owner may read: so from their creation, tightened if an older version left them open."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import Final

__all__ = [
    "PRIVATE_FILE_MODE",
    "PRIVATE_FOLDER_MODE",
    "PRIVATE_UMASK",
    "make_private_folder",
    "open_private",
    "stored_secret",
]

PRIVATE_FILE_MODE: Final = 0o600
PRIVATE_FOLDER_MODE: Final = 0o700
PRIVATE_UMASK: Final = 0o077  # for child processes: what they create is their owner's only


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """Open `path` for writing as its owner's only (0600 from its creation, and made so if it was looser)."""
    descriptor = os.open(path, flags | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    if stat.S_IMODE(os.fstat(descriptor).st_mode) & ~PRIVATE_FILE_MODE:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    return descriptor


def make_private_folder(path: Path) -> None:
    """Create folder `path` (and its parents) as its owner's only, or make it so (0700) if it was looser."""
    path.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & ~PRIVATE_FOLDER_MODE:
        os.chmod(path, PRIVATE_FOLDER_MODE)


def stored_secret(path: Path) -> str:
    """The secret kept in file `path`, made (random, 0600 from its creation) the first time."""
    with contextlib.suppress(FileNotFoundError):
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            if stat.S_IMODE(path.stat().st_mode) & ~PRIVATE_FILE_MODE:  # written by an older version: tighten it
                os.chmod(path, PRIVATE_FILE_MODE)
            return secret
    secret = secrets.token_urlsafe(32)
    with os.fdopen(open_private(path), "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret
