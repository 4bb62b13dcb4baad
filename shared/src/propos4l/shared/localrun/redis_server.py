"""A Redis server run as a child process on 127.0.0.1, throwaway or persisted (AOF)."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from urllib.parse import quote

from propos4l.shared.localrun.binaries import find_redis_server
from propos4l.shared.localrun.private_files import make_private_folder, open_private, stored_secret
from propos4l.shared.localrun.processes import HOST, ChildServer

__all__ = ["LocalRedis"]


def _redis_quote(value: str) -> str:
    """Quote a value for redis.conf."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def _resp(*parts: bytes) -> bytes:
    """Encode a Redis command in RESP."""
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts)


def _redis_ping(port: int, password: str | None, timeout: float = 1.0) -> bool:
    """Tell whether the Redis on `port` answers PING (after AUTH when it has a password)."""
    request = (_resp(b"AUTH", password.encode()) if password is not None else b"") + _resp(b"PING")
    replies = 2 if password is not None else 1
    data = b""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(request)
            while data.count(b"\r\n") < replies:
                chunk = sock.recv(4096)
                if not chunk:
                    return False
                data += chunk
    except OSError:
        return False
    return data.split(b"\r\n")[replies - 1] == b"+PONG"


class LocalRedis(ChildServer):
    """A redis-server child process on 127.0.0.1 with a password, throwaway or persisted (AOF) under `data_dir`."""

    _name = "redis-server"
    _log_name = "redis.log"
    _stop_signal = signal.SIGTERM

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        persistent: bool = False,
        password: str | None = None,
    ) -> None:
        """Describe a Redis server keeping its files in `data_dir`, on `port` or a free one.

        Clients must give `password` (AUTH); without one, a random password is made and kept in `data_dir`/password.
        """
        super().__init__(data_dir, port)
        self.persistent = persistent
        self._password = password

    @property
    def password(self) -> str:
        """The password clients give, made and stored in `data_dir` on first use unless one was given."""
        if self._password is None:
            make_private_folder(self.data_dir)
            self._password = stored_secret(self.data_dir / "password")
        return self._password

    @property
    def url(self) -> str:
        """The redis:// URL of database 0, with the password."""
        return f"redis://:{quote(self.password, safe='')}@{HOST}:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        """Start redis-server and return once it answers PING."""
        super().start(timeout)

    def _start_once(self, deadline: float) -> None:
        """Write redis.conf, launch redis-server and wait for PING."""
        binary = find_redis_server()
        make_private_folder(self.data_dir)
        lines = [
            f"bind {HOST}",
            f"port {self.port}",
            "protected-mode yes",
            "daemonize no",
            'logfile ""',
            f"dir {_redis_quote(str(self.data_dir))}",
            'save ""',
        ]
        if self.persistent:
            lines += ["appendonly yes", "appendfsync everysec"]
        else:
            lines += ["appendonly no"]
        lines.append(f"requirepass {_redis_quote(self.password)}")
        config = self.data_dir / "redis.conf"
        with os.fdopen(open_private(config), "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        offset = self._spawn([str(binary), str(config)])
        self._await_ready(offset, deadline)

    def _is_ready(self) -> bool:
        """Tell whether Redis answers PING."""
        return _redis_ping(self.port, self.password)
