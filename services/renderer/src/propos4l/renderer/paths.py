"""Resolve a path inside a folder, refusing anything that escapes it."""

from __future__ import annotations

from pathlib import Path, PurePath

__all__ = ["PathOutsideFolder", "resolve_inside"]


class PathOutsideFolder(PermissionError):
    """A path points outside the folder it must stay in (directly, through `..` or through a symlink)."""


def resolve_inside(root: Path, path: str | PurePath) -> Path:
    """Return the real path of `path` (relative to `root` or absolute); raise `PathOutsideFolder` if outside."""
    real_root = root.resolve(strict=True)
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = real_root / candidate
    real = candidate.resolve(strict=False)
    if not real.is_relative_to(real_root):
        raise PathOutsideFolder(f"{str(path)!r} is outside the folder {str(real_root)!r}")
    return real
