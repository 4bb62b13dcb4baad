"""A service of the local run as a child process: its output relayed to the terminal, its last lines kept."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Final

from propos4l.shared.localrun.private_files import PRIVATE_UMASK
from propos4l.shared.localrun.processes import die_with_parent

__all__ = ["ServiceProcess"]

_KEPT_LINES: Final = 20


class ServiceProcess:
    """One service's process, started again on demand; what it prints goes to our stdout and its tail is kept."""

    def __init__(
        self, name: str, command: Sequence[str], environment: Mapping[str, str], cwd: Path | None = None
    ) -> None:
        """Describe the service `name`, run as `command` in `environment` (nothing starts yet)."""
        self.name = name
        self.command = list(command)
        self.environment = dict(environment)
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self._lines: deque[str] = deque(maxlen=_KEPT_LINES)
        self._relay: threading.Thread | None = None

    def start(self) -> None:
        """Start the process: its own session (Ctrl-C reaches the supervisor only), owner-only files."""
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the supervisor stops the children in order
            preexec_fn=die_with_parent(signal.SIGTERM),  # and a supervisor killed outright takes them along
            umask=PRIVATE_UMASK,  # PDFs, templates and backups are their owner's only
        )
        if self.process.stdout is not None:
            self._relay = threading.Thread(
                target=self._relay_output, args=(self.process.stdout,), name=f"{self.name}-output", daemon=True
            )
            self._relay.start()

    @property
    def exit_code(self) -> int | None:
        """The code the process exited with (collecting it), or None while it runs or before it started."""
        return self.process.poll() if self.process is not None else None

    def last_lines(self) -> str:
        """The last lines the service printed, for a message about why it stopped."""
        if self._relay is not None:
            self._relay.join(timeout=2)  # the process is gone; let the relay pass on what was still in the pipe
        return "\n".join(self._lines) if self._lines else "(it printed nothing)"

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM), if it runs."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the process to end; tell whether it did."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """Kill the process (SIGKILL) and collect it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _relay_output(self, stream: IO[bytes]) -> None:
        """Copy the service's output to our stdout line by line, keeping the last lines."""
        with stream:
            for raw in iter(stream.readline, b""):
                self._lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
                with contextlib.suppress(ValueError, OSError):  # our stdout closed: keep draining the pipe
                    sys.stdout.buffer.write(raw)
                    sys.stdout.buffer.flush()
