"""A PostgreSQL server run as a child process on 127.0.0.1, its cluster in a folder, as an unprivileged account."""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final
from urllib.parse import quote

from propos4l.shared.localrun.binaries import BINARIES_ENV, find_postgres_bindir, has_pgvector, postgres_bindirs
from propos4l.shared.localrun.postgres_locks import remove_stale_lock
from propos4l.shared.localrun.private_files import open_private
from propos4l.shared.localrun.processes import (
    HOST,
    LOG_TAIL_LINES,
    Account,
    ChildServer,
    LocalServerError,
    child_environment,
)

__all__ = ["LocalPostgres"]

# sun_path holds 107 bytes plus NUL; PostgreSQL appends "/.s.PGSQL.NNNNN" (15 bytes) to the directory.
_MAX_SOCKET_DIR_BYTES: Final = 90
_SAFE_SOCKET_DIR: Final = re.compile(r"[A-Za-z0-9/._+-]+")
_PG_ACCOUNT_NAME: Final = "propos4l"
_PG_BOOTSTRAP_USER: Final = "postgres"  # initdb's superuser; `user` is created next to it
_PASSWORD_FILE: Final = "propos4l-password"  # noqa: S105 - a file name: where the cluster keeps its password
_PASSWORD_METHOD: Final = "scram-sha-256"  # noqa: S105 - an authentication method, no password

_log = logging.getLogger(__name__)


_ACCOUNT_LOCK = threading.Lock()


def _postgres_account() -> Account | None:
    """Return the account to run PostgreSQL as, or None to run as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    with _ACCOUNT_LOCK:
        for name in ("postgres", _PG_ACCOUNT_NAME):
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)
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
        if created.returncode == 0:
            _log.warning(
                "running as root: created the system user %r to run PostgreSQL as (it refuses to run as root)",
                _PG_ACCOUNT_NAME,
            )
        return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _make_traversable(path: Path, account: Account) -> None:
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
            _log.warning(
                "running as root: allowed the %r account to pass through %s (mode %o now) to reach %s",
                account.name,
                parent,
                stat.S_IMODE(info.st_mode) | bit,
                path,
            )


def _chown_tree(path: Path, account: Account) -> None:
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


@contextlib.contextmanager
def _password_file(password: str, account: Account | None) -> Iterator[Path]:
    """A file only the server's account can read, holding `password`, for initdb's --pwfile; removed after."""
    folder = Path(tempfile.mkdtemp(prefix="p4lpw-"))
    try:
        path = folder / "password"
        with os.fdopen(open_private(path), "w", encoding="utf-8") as handle:
            handle.write(password + "\n")
        if account is not None:
            os.chown(folder, account.uid, account.gid)
            os.chown(path, account.uid, account.gid)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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


class LocalPostgres(ChildServer):
    """A PostgreSQL server child process on 127.0.0.1 with its cluster in `data_dir`, asking for a password.

    Its superusers' password (SCRAM-SHA-256) is made at initdb and kept, owner-only, in `data_dir`/propos4l-password;
    a cluster made before, which trusted every local user, is switched to passwords at its next start.
    """

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
        bindir: Path | None = None,
        prefer_pgvector: bool = False,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        """Describe a PostgreSQL server whose cluster lives in `data_dir`, on `port` or a free one.

        Its programs come from `bindir`, or else from `find_postgres_bindir`; `prefer_pgvector` picks one whose
        PostgreSQL has pgvector when there is one (of the cluster's version, once the cluster exists). `settings` are
        server parameters given on the command line (`-c name=value`), e.g. a test server's `fsync=off`.
        """
        super().__init__(data_dir, port)
        self._chosen_bindir = bindir
        self._prefer_pgvector = prefer_pgvector
        self._settings = dict(settings or {})
        for setting in self._settings:
            if not re.fullmatch(r"[a-z_]+", setting):
                raise ValueError(f"not a PostgreSQL parameter name: {setting!r}")
        _check_name("user", user)
        _check_name("database", database)
        self.user = user
        self.database = database
        self._bindir: Path | None = None
        self._account: Account | None = None
        self._socket_dir: Path | None = None
        self._temp_socket_dir: Path | None = None
        self._password: str | None = None

    @property
    def password(self) -> str:
        """The password of `user`: the one stored with the cluster, or a new one for a cluster not made yet."""
        if self._password is None:
            with contextlib.suppress(FileNotFoundError):
                self._password = (self.data_dir / _PASSWORD_FILE).read_text(encoding="utf-8").strip() or None
            if self._password is None:
                self._password = secrets.token_urlsafe(32)
        return self._password

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
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"postgresql://{credentials}@{HOST}:{self.port}/{quote(database, safe='')}"

    def start(self, timeout: float = 60.0) -> None:
        """Initialise the cluster if `data_dir` is empty, start postgres, and ensure the user and database."""
        super().start(timeout)

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create database `name` (owned by `user`) unless it exists, and return its URL.

        With `template`, the new database is a copy of that one (which nobody may be connected to): much quicker than
        building the same schema again.
        """
        _check_name("database", name)
        copy = ""
        if template is not None:
            _check_name("database", template)
            copy = f" TEMPLATE {_pg_ident(template)}"
        query = f"SELECT 1 FROM pg_database WHERE datname = {_pg_literal(name)}"  # noqa: S608 - quoted literal
        exists = self._psql(query)
        if exists != "1":
            try:
                self._psql(f"CREATE DATABASE {_pg_ident(name)}{copy} OWNER {_pg_ident(self.user)}")
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
        bindir = self._pick_bindir()
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
        remove_stale_lock(self.data_dir / "postmaster.pid", self.data_dir)
        remove_stale_lock(self._socket_dir / f".s.PGSQL.{self.port}.lock", self.data_dir)
        args = [
            str(bindir / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            f"unix_socket_directories={self._socket_dir}",
            *(argument for name, value in self._settings.items() for argument in ("-c", f"{name}={value}")),
        ]
        offset = self._spawn(args, account)
        self._await_ready(offset, deadline)
        self._ensure_user_and_database()
        self._require_passwords()

    def _pick_bindir(self) -> Path:
        """The programs to run: the given ones, else those `find_postgres_bindir` picks (see `prefer_pgvector`)."""
        if self._chosen_bindir is not None:
            return self._chosen_bindir
        if not self._prefer_pgvector:
            return find_postgres_bindir()
        version_file = self.data_dir / "PG_VERSION"
        with contextlib.suppress(OSError):
            if version_file.exists():  # an existing cluster runs on its own major version, pgvector or not
                cluster_major = version_file.read_text().strip()
                same_major = [bindir for bindir in postgres_bindirs() if str(_postgres_major(bindir)) == cluster_major]
                for bindir in sorted(same_major, key=lambda bindir: not has_pgvector(bindir)):
                    return bindir
        return find_postgres_bindir(prefer_pgvector=True)

    @property
    def has_pgvector(self) -> bool:
        """Tell whether the programs this server runs (or would run) have the pgvector extension."""
        return has_pgvector(self._bindir or self._pick_bindir())

    def _prepare_data_dir(self, account: Account | None) -> None:
        """Create `data_dir` with the ownership and mode PostgreSQL demands."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if account is not None:
            if self.data_dir.stat().st_uid != account.uid:
                _chown_tree(self.data_dir, account)
            _make_traversable(self.data_dir, account)
        os.chmod(self.data_dir, 0o700)

    def _initdb(self, bindir: Path, account: Account | None, deadline: float) -> None:
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
            f"--auth={_PASSWORD_METHOD}",
            "--encoding=UTF8",
            f"--locale={_initdb_locale()}",
        ]
        try:
            with _password_file(self.password, account) as password_file:
                result = subprocess.run(
                    [*args, f"--pwfile={password_file}"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    cwd=self.data_dir,
                    env=child_environment(),
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
            tail = "\n".join(output.splitlines()[-LOG_TAIL_LINES:])
            raise LocalServerError(f"initdb of {self.data_dir} failed (code {result.returncode}):\n{tail}")
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"\n# Added by propos4l: local use only, with passwords.\nlisten_addresses = '{HOST}'\n"
                f"password_encryption = '{_PASSWORD_METHOD}'\n"
            )
        with os.fdopen(open_private(self.log_path), "w", encoding="utf-8") as log:
            log.write(output)
        if account is not None:
            os.chown(self.log_path, account.uid, account.gid)
        self._store_password(account)

    def _store_password(self, account: Account | None) -> None:
        """Keep the password with the cluster, readable by its owner only."""
        path = self.data_dir / _PASSWORD_FILE
        with os.fdopen(open_private(path), "w", encoding="utf-8") as handle:
            handle.write(self.password + "\n")
        if account is not None:
            os.chown(path, account.uid, account.gid)

    def _require_passwords(self) -> None:
        """Switch a cluster that trusts every local user (made before passwords were used) to passwords."""
        hba = self.data_dir / "pg_hba.conf"
        rules = hba.read_text(encoding="utf-8").splitlines()
        trusting = [index for index, rule in enumerate(rules) if "trust" in rule.split("#", 1)[0].split()]
        if not trusting and (self.data_dir / _PASSWORD_FILE).exists():
            return
        password = _pg_literal(self.password)
        for role in dict.fromkeys((_PG_BOOTSTRAP_USER, self.user)):
            self._psql(f"ALTER ROLE {_pg_ident(role)} PASSWORD {password}")
        self._store_password(self._account)
        if not trusting:
            return
        for index in trusting:
            rules[index] = " ".join(_PASSWORD_METHOD if word == "trust" else word for word in rules[index].split())
        with os.fdopen(open_private(hba), "w", encoding="utf-8") as handle:
            handle.write("\n".join(rules) + "\n")
        self._psql("SELECT pg_reload_conf()")
        _log.warning("PostgreSQL in %s trusted every local user; it asks for the stored password now", self.data_dir)

    def _choose_socket_dir(self, account: Account | None) -> Path:
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
                    HOST,
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
            env=child_environment(),
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
                ("host", HOST),
                ("port", str(self.port)),
                ("user", user or self.user),
                ("dbname", database),
                ("connect_timeout", "10"),
            )
        )
        args = [str(self._bindir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        # The SQL goes through stdin and the password through the environment: a command line is anyone's to read.
        result = subprocess.run(
            [*args, "-d", conninfo],
            input=sql,
            capture_output=True,
            text=True,
            env={**child_environment(), "PGPASSWORD": self.password},
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            shown = sql.replace(self.password, "[REDACTED]")
            raise LocalServerError(f"psql failed on {shown!r}: {result.stderr.strip()}")
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
            password = _pg_literal(self.password)
            self._psql(f"CREATE ROLE {_pg_ident(self.user)} SUPERUSER LOGIN PASSWORD {password}", user=admin)
        self.create_database(self.database)
