"""PostgreSQL client tools: finding ones of the server's major version or newer, and running them safely."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit

from propos4l.backup.blocking import Cancellation
from propos4l.backup.crypto import CHUNK_BYTES
from propos4l.backup.model import BackupError

__all__ = [
    "PgTools",
    "ToolProcess",
    "ToolsUnavailable",
    "candidate_bindirs",
    "find_tools",
    "libpq_target",
    "tool_major",
]

logger = logging.getLogger(__name__)

_PROGRAMS: Final = ("pg_dump", "pg_dumpall", "pg_restore", "psql")
_VERSION: Final = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_STDERR_TAIL: Final = 2000
_POLL_SECONDS: Final = 0.2


class ToolsUnavailable(BackupError):
    """No PostgreSQL client tools of a suitable version are installed."""


@dataclass(frozen=True, slots=True)
class PgTools:
    """A folder holding pg_dump, pg_dumpall, pg_restore and psql of one version."""

    bindir: Path
    major: int
    version: str

    def program(self, name: str) -> str:
        """The path of one of the tools."""
        return str(self.bindir / name)


def tool_major(version: str) -> int:
    """The major version in a version string like `15.4` or `16.2`."""
    return int(version.split(".", 1)[0])


def _embedded_bindir() -> Path | None:
    """The tools bundled in the pgserver wheel (PostgreSQL 16), which the local run's embedded server uses."""
    try:
        spec = importlib.util.find_spec("pgserver")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def candidate_bindirs(preferred: Path | None = None) -> list[Path]:
    """Folders that may hold the tools, in order of preference: the setting, pg_config, Debian's, PATH, pgserver."""
    found: list[Path] = []
    if preferred is not None:
        found.append(preferred)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
            if result.returncode == 0 and result.stdout.strip():
                found.append(Path(result.stdout.strip()))
    found.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: path.parent.name, reverse=True))
    on_path = shutil.which("pg_dump")
    if on_path is not None and Path(on_path).resolve().name == "pg_dump":  # not Debian's pg_wrapper
        found.append(Path(on_path).resolve().parent)
    embedded = _embedded_bindir()
    if embedded is not None:
        found.append(embedded)
    return list(dict.fromkeys(path.resolve() for path in found if path.is_dir()))


def _probe(bindir: Path) -> PgTools | None:
    if not all(os.access(bindir / program, os.X_OK) for program in _PROGRAMS):
        return None
    try:
        result = subprocess.run(
            [str(bindir / "pg_dump"), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(result.stdout)
    if result.returncode != 0 or match is None:
        return None
    version = f"{match[1]}.{match[2]}" if match[2] else match[1]
    return PgTools(bindir, int(match[1]), version)


def find_tools(server_major: int, preferred: Path | None = None, *, purpose: str = "the server") -> PgTools:
    """Tools of major version `server_major` or the nearest newer one; BackupError saying so when only older exist."""
    tools = [probed for bindir in candidate_bindirs(preferred) if (probed := _probe(bindir)) is not None]
    if preferred is not None:
        chosen = next((tool for tool in tools if tool.bindir == preferred.resolve()), None)
        if chosen is None:
            raise ToolsUnavailable(f"BACKUP_PG_BINDIR={preferred} does not hold {', '.join(_PROGRAMS)}")
        if chosen.major < server_major:
            raise ToolsUnavailable(
                f"BACKUP_PG_BINDIR={preferred} holds PostgreSQL {chosen.version} client tools, older than "
                f"{purpose} (PostgreSQL {server_major}); use tools of version {server_major} or newer"
            )
        return chosen
    if not tools:
        raise ToolsUnavailable(
            f"no PostgreSQL client tools ({', '.join(_PROGRAMS)}) found: install postgresql-client-{server_major} "
            "or set BACKUP_PG_BINDIR"
        )
    suitable = sorted((tool for tool in tools if tool.major >= server_major), key=lambda tool: tool.major)
    if not suitable:
        older = ", ".join(f"{tool.version} in {tool.bindir}" for tool in tools)
        raise ToolsUnavailable(
            f"the PostgreSQL client tools found are older than {purpose} (PostgreSQL {server_major}): {older}; "
            f"pg_dump must be version {server_major} or newer: install postgresql-client-{server_major} "
            "or set BACKUP_PG_BINDIR"
        )
    return suitable[0]


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """A connection string without the password, and the environment that carries it (never on a command line)."""
    parts = urlsplit(url)
    environment = dict(os.environ)  # the operator's PGSSLROOTCERT and the like still apply
    environment.setdefault("PGCONNECT_TIMEOUT", "30")
    if parts.password is not None:
        environment["PGPASSWORD"] = unquote(parts.password)
        host = parts.netloc.rpartition("@")[2]
        user = parts.netloc.rpartition("@")[0].partition(":")[0]
        parts = parts._replace(netloc=f"{user}@{host}" if user else host)
    scheme = "postgresql" if parts.scheme.startswith("postgres") else parts.scheme
    return urlunsplit(parts._replace(scheme=scheme)), environment


class ToolProcess:
    """One run of a client tool with a deadline, stoppable by cancellation, its stderr kept for the error message."""

    def __init__(
        self,
        args: list[str],
        environment: dict[str, str],
        *,
        timeout: float,
        cancellation: Cancellation,
        stdin: bool = False,
        stdout: bool = False,
    ) -> None:
        self.name = Path(args[0]).name
        self._stderr = tempfile.TemporaryFile()  # closed in close()
        self._cancellation = cancellation
        self._timed_out = False
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=self._stderr,
            env=environment,
        )
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        self._timeout = timeout

    def output(self) -> Iterator[bytes]:
        """The tool's standard output in chunks."""
        stream = self.process.stdout
        assert stream is not None
        while chunk := stream.read(CHUNK_BYTES):
            self._cancellation.check()
            yield chunk

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Write `chunks` to the tool's standard input, then close it; a tool that stops reading ends the feed."""
        stream = self.process.stdin
        assert stream is not None
        try:
            for chunk in chunks:
                self._cancellation.check()
                stream.write(chunk)
        except BrokenPipeError:
            pass  # the tool exited early; its exit code and stderr say why
        finally:
            with contextlib.suppress(BrokenPipeError):
                stream.close()

    def finish(self) -> str:
        """Wait for the tool; return its stderr, or raise BackupError with it when the tool failed."""
        while True:
            try:
                code = self.process.wait(timeout=_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if self._cancellation.cancelled:
                    self.process.kill()
        self._timer.cancel()
        self._stderr.seek(0)
        errors = self._stderr.read().decode("utf-8", "replace").strip()
        self._cancellation.check()
        if self._timed_out:
            raise BackupError(f"{self.name} did not finish within {self._timeout:.0f} s")
        if code != 0:
            raise BackupError(f"{self.name} failed (exit {code}): {errors[-_STDERR_TAIL:] or 'no message'}")
        return errors

    def close(self) -> None:
        """Kill the tool if it still runs and release its files."""
        self._timer.cancel()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.close()

    def __enter__(self) -> ToolProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _expire(self) -> None:
        self._timed_out = True
        with contextlib.suppress(OSError):
            self.process.kill()
