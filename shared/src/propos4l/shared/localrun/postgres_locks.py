"""PostgreSQL's lock files left by a server killed outright: removed only when nothing of that server is left."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Final

__all__ = ["remove_stale_lock"]

_SERVER_COMMANDS: Final = frozenset({"postgres", "postmaster"})

_log = logging.getLogger(__name__)


def remove_stale_lock(lock: Path, data_dir: Path) -> None:
    """Remove lock file `lock` of the cluster in `data_dir` when the server it records is gone, saying so.

    PostgreSQL removes a stale lock itself only when no process at all has the pid it records, so a zombie, or another
    program that got the pid later, blocks every start. The lock also tells PostgreSQL which shared memory to check
    for backends a killed server left behind: it is kept while any PostgreSQL process still works in `data_dir`.
    """
    if not lock.exists() or not _recorded_server_is_gone(lock) or _server_processes_in(data_dir):
        return
    with contextlib.suppress(FileNotFoundError):
        lock.unlink()
        _log.warning("removed the stale lock %s: the PostgreSQL that held it is gone", lock)


def _recorded_server_is_gone(lock: Path) -> bool:
    """Tell whether the pid on the lock's first line is no running PostgreSQL (gone, a zombie, another program)."""
    try:
        pid = int(lock.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0].strip())
    except (OSError, ValueError):
        return False  # unreadable or half-written: leave it to PostgreSQL's own checks
    command, state = _command_and_state(pid)
    return command is None or state in ("Z", "X") or command not in _SERVER_COMMANDS


def _server_processes_in(data_dir: Path) -> list[int]:
    """The PostgreSQL processes (a server or the backends it left) whose working folder is `data_dir`."""
    folder = os.path.realpath(data_dir)
    found: list[int] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            command, state = _command_and_state(int(entry.name))
            if command not in _SERVER_COMMANDS or state in ("Z", "X"):
                continue
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{entry.name}/cwd") == folder:
                    found.append(int(entry.name))
    return found


def _command_and_state(pid: int) -> tuple[str | None, str]:
    """The command name and state letter of process `pid`, or (None, "X") when there is none."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            command, _, rest = handle.read().partition(" (")[2].rpartition(")")
    except OSError:
        return None, "X"
    fields = rest.split()
    return command, fields[0] if fields else "X"
