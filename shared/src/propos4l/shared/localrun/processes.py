"""Servers run as child processes in their own session: start, wait until ready, stop, kill, reap, clean up."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from propos4l.shared.localrun.private_files import PRIVATE_UMASK, open_private

__all__ = [
    "HOST",
    "LOG_TAIL_LINES",
    "Account",
    "ChildServer",
    "LocalServerError",
    "PortInUseError",
    "child_environment",
    "die_with_parent",
    "free_port",
    "tail_text",
    "wait_for",
]

HOST: Final = "127.0.0.1"
_RESERVED_PORTS: Final = frozenset({5432, 6379})
_POLL_INTERVAL: Final = 0.05
LOG_TAIL_LINES: Final = 40
_LOG_TAIL_BYTES: Final = 64 * 1024
_PR_SET_PDEATHSIG: Final = 1  # from <linux/prctl.h>


class LocalServerError(RuntimeError):
    """A local server could not be found, started or driven."""


class PortInUseError(LocalServerError):
    """The server exited because its port was taken."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (never 5432 or 6379)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in _RESERVED_PORTS:
            return port


@dataclass(frozen=True)
class Account:
    """The unprivileged account PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int


def die_with_parent(signum: int) -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to send `signum` to the child when the process that started it dies.

    Servers run in their own session (Ctrl-C reaches only their parent, which stops them in order), so without this a
    parent killed with SIGKILL would leave them running. None where it cannot work: off Linux, or when called from a
    thread other than the main one (the signal fires when the *thread* that forked exits).
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signum)

    return preexec


def child_environment() -> dict[str, str]:
    """The environment for server and client processes, without PG* variables that would redirect them."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def tail_text(path: Path, offset: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last lines of a log file written after `offset`."""
    try:
        with path.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(offset, size - _LOG_TAIL_BYTES))
            data = log.read()
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    text = data.decode("utf-8", errors="replace").splitlines()[-lines:]
    return "\n".join(text) if text else "(log is empty)"


def _proc_children() -> dict[int, list[int]]:
    """Map each pid to its children's pids, read from /proc (empty where /proc is missing)."""
    children: dict[int, list[int]] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as handle:
                    fields = handle.read().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` in the process tree."""
    tree = _proc_children()
    found: list[int] = []
    pending = list(tree.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(tree.get(child, []))
    return found


def _gone(pid: int) -> bool:
    """Tell whether process `pid` has exited (zombies count as exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def wait_for(condition: Callable[[], bool], deadline: float) -> bool:
    """Poll `condition` until it holds or the monotonic `deadline` passes."""
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_INTERVAL)


class ChildServer:
    """A server program run as a child process in its own session, logging to a file."""

    _name: str = "server"
    _log_name: str = "server.log"
    _stop_signal: signal.Signals = signal.SIGTERM

    def __init__(self, data_dir: Path, port: int | None) -> None:
        """Remember where the server keeps its files and which port it listens on."""
        self.data_dir = Path(data_dir).absolute()
        self._auto_port = port is None
        self.port: int = free_port() if port is None else port
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs, else None."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def exit_code(self) -> int | None:
        """The code the last server process exited with (collecting it, so it stays no zombie), else None."""
        proc = self._proc
        return proc.poll() if proc is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self.pid is not None

    @property
    def log_path(self) -> Path:
        """The file that receives the server's stdout and stderr."""
        return self.data_dir / self._log_name

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and return once it serves; a no-op while it already runs."""
        with self._lock:
            if self.running:
                return
            self._reap()
            deadline = time.monotonic() + timeout
            attempts = 3 if self._auto_port else 1
            for attempt in range(attempts):
                try:
                    self._start_once(deadline)
                except PortInUseError:
                    self._reap()
                    if attempt == attempts - 1:
                        raise
                    self.port = free_port()
                except BaseException:
                    self._reap()
                    raise
                else:
                    # Clients were given this port: a restart must come back on it, not on another free one.
                    self._auto_port = False
                    _RUNNING.add(self)
                    return

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down gracefully, killing it after `timeout` seconds; idempotent."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(self._stop_signal)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._kill_tree(proc)
            self._reap()

    def kill(self) -> None:
        """Kill the server and its child processes with SIGKILL, as a crash would."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            if proc.poll() is None:
                self._kill_tree(proc)
            self._reap()

    def __enter__(self) -> Self:
        """Start the server for the duration of a `with` block."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server when the `with` block ends."""
        self.stop()

    def _start_once(self, deadline: float) -> None:
        """Launch the server once and wait until it serves or `deadline` passes."""
        raise NotImplementedError

    def _is_ready(self) -> bool:
        """Tell whether the server answers requests."""
        raise NotImplementedError

    def _cleanup(self) -> None:
        """Release resources held while the server ran."""

    def _spawn(self, args: list[str], account: Account | None = None) -> int:
        """Launch the server process with output to the log; return the log offset where this run starts."""
        with os.fdopen(open_private(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND), "ab") as log:
            offset = log.seek(0, os.SEEK_END)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"---- {stamp} propos4l starts: {' '.join(args)}\n".encode())
            log.flush()
            if account is not None:
                os.chown(self.log_path, account.uid, account.gid)
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                env=child_environment(),
                start_new_session=True,
                preexec_fn=die_with_parent(self._stop_signal),  # also sent if the parent dies without stopping it
                user=account.uid if account is not None else None,
                group=account.gid if account is not None else None,
                extra_groups=[] if account is not None else None,
                umask=PRIVATE_UMASK,  # what the server writes (data, logs) is its owner's only
            )
        return offset

    def _await_ready(self, offset: int, deadline: float) -> None:
        """Wait until the server serves; raise with the log's tail if it exits or the deadline passes."""
        proc = self._proc
        assert proc is not None
        exited = False

        def ready() -> bool:
            nonlocal exited
            if proc.poll() is not None:
                exited = True
                return True
            return self._is_ready()

        ok = wait_for(ready, deadline)
        if ok and not exited:
            return
        tail = tail_text(self.log_path, offset)
        if exited:
            message = f"{self._name} exited with code {proc.returncode} while starting on port {self.port}"
            error_type = PortInUseError if "Address already in use" in tail else LocalServerError
        else:
            message = f"{self._name} did not become ready on port {self.port} before the timeout"
            error_type = LocalServerError
            self._kill_tree(proc)
        raise error_type(f"{message}; last lines of {self.log_path}:\n{tail}")

    def _kill_tree(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the server and every process below it, then wait for them to go."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGSTOP)  # freeze it so it forks no new children while we look
        descendants = _descendants(proc.pid)
        proc.kill()
        for pid in descendants:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
        wait_for(lambda: all(_gone(pid) for pid in descendants), time.monotonic() + 10)

    def _reap(self) -> None:
        """Forget a finished process and release what it held."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._kill_tree(proc)
        self._proc = None
        _RUNNING.discard(self)
        self._cleanup()


_RUNNING: set[ChildServer] = set()


@atexit.register
def _stop_all() -> None:
    """Stop every server still running when the interpreter exits."""
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop(timeout=5.0)
