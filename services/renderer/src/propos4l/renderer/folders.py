"""Template folders as sets of files: the rules a template's files follow, reading, staging and publishing them.

A template is published by writing it to a hidden staging folder under TEMPLATES_DIR, then swapping it with the
live folder in one `renameat2(RENAME_EXCHANGE)` where the kernel offers it (two renames otherwise), so a render
never finds the template missing. Hidden entries are skipped by readers and by the backup agent.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Final

from propos4l.renderer.errors import TemplateProblem
from propos4l.renderer.templates import DEFAULT_TEMPLATE_NAME, MANIFEST_FILE, PACKAGED_DEFAULT_TEMPLATE, TEMPLATE_FILE
from propos4l.shared.files import fsync_directory

__all__ = [
    "ALLOWED_SUFFIXES",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "PREVIOUS_DEFAULT_DIGESTS",
    "TEXT_SUFFIXES",
    "discard_staging",
    "file_problems",
    "publish_folder",
    "read_folder",
    "remove_folder",
    "stage_folder",
    "sweep_leftovers",
    "tree_digest",
    "upgrade_packaged_default",
]

MAX_FILES: Final = 64
MAX_FILE_BYTES: Final = 10 * 1024 * 1024
MAX_TOTAL_BYTES: Final = 20 * 1024 * 1024
MAX_DEPTH: Final = 4
TEXT_SUFFIXES: Final = frozenset({".html", ".css", ".json", ".svg", ".txt", ".md"})
ALLOWED_SUFFIXES: Final = TEXT_SUFFIXES | {
    *(".png", ".jpg", ".jpeg", ".gif", ".webp", ".otf", ".ttf", ".woff", ".woff2"),
    ".docx",  # reference.docx: the Word export's styles
}
_SEGMENT: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")  # fullmatch: `$` would let a final newline in
_STAGING_PREFIX: Final = ".staging-"
_LEFTOVER_PREFIXES: Final = (_STAGING_PREFIX, ".previous-", ".deleted-")
_RENAME_EXCHANGE: Final = 2
_AT_FDCWD: Final = -100
# Tree digests of the default template as earlier releases packaged it: an installed default still equal to one of
# them was never edited, so it is replaced by the packaged one on upgrade (an edited default is left alone).
PREVIOUS_DEFAULT_DIGESTS: Final = frozenset(
    {
        "f9bd078bdf2a9fcaef48fefa138a9a22c908a662b98a6a3bee8f2cf816851761",
        "4da13c2a0f7fefa5549ccc5af4bc9c8fe48fbe898871e37ee416cb3a5efdefb6",  # 2.0.0, before the team and effort
        "e1f6faa34c3c8ae3e0ba2b5f20455ac451e3bacfb9805df2f08ba69d63013c9f",  # 2.1.0, before reference.docx
    }
)


def file_problems(files: Mapping[str, bytes]) -> list[TemplateProblem]:
    """What is wrong with a template's files: paths, kinds, sizes, text that is not UTF-8, required files."""
    problems = []
    if len(files) > MAX_FILES:
        problems.append(TemplateProblem(f"a template may have at most {MAX_FILES} files, not {len(files)}"))
    total = sum(len(content) for content in files.values())
    if total > MAX_TOTAL_BYTES:
        problems.append(TemplateProblem(f"a template may hold at most {MAX_TOTAL_BYTES:,} bytes, not {total:,}"))
    for path, content in sorted(files.items()):
        problem = _path_problem(path)
        if problem is None and len(content) > MAX_FILE_BYTES:
            problem = f"is {len(content):,} bytes; a file may have at most {MAX_FILE_BYTES:,}"
        if problem is None and PurePosixPath(path).suffix.lower() in TEXT_SUFFIXES:
            try:
                content.decode("utf-8")
            except UnicodeDecodeError as error:
                problem = f"is not UTF-8 text (byte {error.start})"
        if problem is not None:
            problems.append(TemplateProblem(problem, path))
    for required in (MANIFEST_FILE, TEMPLATE_FILE):
        if required not in files:
            problems.append(TemplateProblem("is required", required))
    return problems


def _path_problem(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) > MAX_DEPTH or not all(_SEGMENT.fullmatch(part) for part in parts):
        return (
            f"is not a valid file path: use up to {MAX_DEPTH} '/'-separated names of letters, digits, '_', '-' "
            "and '.', none starting with '.' or '-'"
        )
    if PurePosixPath(path).suffix.lower() not in ALLOWED_SUFFIXES:
        return f"has a file type a template cannot use; allowed: {', '.join(sorted(ALLOWED_SUFFIXES))}"
    return None


def tree_digest(files: Mapping[str, bytes]) -> str:
    """A SHA-256 over every path and its content's SHA-256: equal digests mean equal templates."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{hashlib.sha256(files[path]).hexdigest()}\n".encode())
    return digest.hexdigest()


def read_folder(folder: Path) -> dict[str, bytes]:
    """The regular files under `folder` by relative POSIX path; hidden entries and symlinks are skipped."""
    files = {}
    for root, folders, names in os.walk(folder, followlinks=False):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if name.startswith(".") or not stat.S_ISREG(path.lstat().st_mode):
                continue
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def stage_folder(templates_dir: Path, name: str, files: Mapping[str, bytes]) -> Path:
    """Write `files` to a new hidden staging folder under `templates_dir`; return it (it holds `name/`)."""
    templates_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=templates_dir))
    try:
        target = staging / name
        target.mkdir()
        for relative, content in files.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        for folder in sorted({path.parent for path in target.rglob("*")}, key=lambda p: len(p.parts), reverse=True):
            fsync_directory(folder)
        staging.chmod(0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def discard_staging(staging: Path) -> None:
    """Remove a staging folder made by `stage_folder`."""
    shutil.rmtree(staging, ignore_errors=True)


def publish_folder(templates_dir: Path, name: str, staging: Path) -> None:
    """Make `staging/name` the live folder `templates_dir/name`, replacing any previous one in one step."""
    source, target = staging / name, templates_dir / name
    if target.exists() and _exchange(source, target):
        fsync_directory(templates_dir)
        shutil.rmtree(source, ignore_errors=True)  # now the previous version
        return
    if target.exists():  # no atomic exchange on this file system: move the old one aside first
        aside = templates_dir / f".previous-{name}-{uuid.uuid4().hex[:8]}"
        os.rename(target, aside)
        os.rename(source, target)
        fsync_directory(templates_dir)
        shutil.rmtree(aside, ignore_errors=True)
        return
    os.rename(source, target)
    fsync_directory(templates_dir)


def remove_folder(templates_dir: Path, name: str) -> None:
    """Take the live folder `templates_dir/name` away in one rename, then delete it."""
    target = templates_dir / name
    if not target.exists():
        return
    aside = templates_dir / f".deleted-{name}-{uuid.uuid4().hex[:8]}"
    os.rename(target, aside)
    fsync_directory(templates_dir)
    shutil.rmtree(aside, ignore_errors=True)


def sweep_leftovers(templates_dir: Path, *, older_than_seconds: float = 3600.0) -> list[str]:
    """Delete staging and set-aside folders that a crash left behind (old enough not to be in use); return them."""
    if not templates_dir.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    swept = []
    for entry in templates_dir.iterdir():
        if entry.name.startswith(_LEFTOVER_PREFIXES) and entry.is_dir() and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
            swept.append(entry.name)
    return swept


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(second))


def upgrade_packaged_default(templates_dir: Path) -> bool:
    """Replace an installed default that is an unedited earlier packaged one by the packaged one; True if done."""
    installed = templates_dir / DEFAULT_TEMPLATE_NAME
    if not installed.is_dir() or tree_digest(read_folder(installed)) not in PREVIOUS_DEFAULT_DIGESTS:
        return False
    staging = stage_folder(templates_dir, DEFAULT_TEMPLATE_NAME, read_folder(PACKAGED_DEFAULT_TEMPLATE))
    try:
        publish_folder(templates_dir, DEFAULT_TEMPLATE_NAME, staging)
    finally:
        discard_staging(staging)
    return True
