"""`propos4l run` watches what it started: a service or embedded server that dies is started again and the run goes on;
one that crashes again and again stops the run with its last lines. What it keeps is its owner's only."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from propos4l.shared.localrun.servers import free_port
from tests.support.system import ADMIN_TOKEN, REPO, RunningSystem, running_system
from tests.support.waiting import wait_for_sync

pytestmark = pytest.mark.e2e

REQUEST = {"client_name": "Padaria Pão Quente", "industry": "Varejo", "requirements": "Loja online integrada ao ERP"}


def _children(pid: int) -> dict[int, tuple[str, str]]:
    """The processes whose parent is `pid`: their state and command line."""
    found: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) == pid:
            found[int(entry.name)] = (fields[0], command)
    return found


def _child_running(system: RunningSystem, word: str) -> int:
    def find() -> int | None:
        pids = [pid for pid, (state, command) in _children(system.process.pid).items() if word in command]
        return pids[0] if len(pids) == 1 and _children(system.process.pid)[pids[0]][0] != "Z" else None

    return wait_for_sync(find, timeout=30, message=f"no process running {word}")


def _said(system: RunningSystem, text: str, timeout: float = 60) -> None:
    wait_for_sync(lambda: text in system.printed(), timeout=timeout, message=f"the run never said {text!r}")


def _ready_proposal(client: httpx.Client) -> dict[str, Any]:
    def created() -> str | None:
        try:
            response = client.post("/api/proposals", json=REQUEST)
        except httpx.HTTPError:
            return None
        return str(response.json()["id"]) if response.status_code == 202 else None

    proposal_id = wait_for_sync(created, timeout=60, interval=0.5, message="no proposal was accepted")

    def settled() -> dict[str, Any] | None:
        try:
            body: dict[str, Any] = client.get(f"/api/proposals/{proposal_id}").json()
        except (httpx.HTTPError, ValueError):
            return None
        return body if body.get("status") in {"ready", "failed"} else None

    return wait_for_sync(settled, timeout=120, interval=0.5, message=f"proposal {proposal_id} never settled")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_killed_service_postgres_and_redis_are_started_again_and_the_run_goes_on(run_dir: Path) -> None:
    with running_system(run_dir, {"OLLAMA_URL": f"http://127.0.0.1:{free_port()}"}) as system:
        os.kill(_child_running(system, "-m propos4l.generator"), signal.SIGKILL)
        _said(system, "the generator exited with code -9; starting it again in 1 s")
        _child_running(system, "-m propos4l.generator")

        postmaster = int((run_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        _said(system, "embedded PostgreSQL exited with code -9; starting it again")
        _said(system, "embedded PostgreSQL is back on port")

        os.kill(_child_running(system, "redis-server"), signal.SIGKILL)
        _said(system, "embedded Redis exited with code -9; starting it again")
        _said(system, "embedded Redis is back on port")

        with system.client() as client:
            proposal = _ready_proposal(client)
        assert proposal["status"] == "ready", proposal
        zombies = {pid: command for pid, (state, command) in _children(system.process.pid).items() if state == "Z"}
        assert zombies == {}

        printed = system.printed()
        assert ADMIN_TOKEN not in printed  # it came from the environment: not the run's to print
        for secret in (run_dir / "redis" / "password", run_dir / "postgres" / "propos4l-password"):
            assert secret.read_text().strip() not in printed
        assert "API token:  the one in PROPOS4L_ADMIN_TOKEN" in printed
        assert not [line for line in printed.splitlines() if line.startswith("{")], "JSON lines in the terminal"
        assert " gateway   info " in printed  # console lines: time, service, level, message
        pdf = run_dir / "pdfs" / proposal["id"] / "v1.pdf"
        if os.geteuid() == 0:  # PostgreSQL runs as another account, which must pass through the folder, and it is said
            assert _mode(run_dir) == 0o701
            assert "running as root: allowed the" in printed
            assert f"account to pass through {run_dir} (mode 701 now)" in printed
        else:
            assert _mode(run_dir) == 0o700
        assert _mode(pdf.parent) == 0o700 and _mode(pdf) == 0o600
        assert _mode(run_dir / "redis" / "redis.log") == 0o600 and _mode(run_dir / "redis" / "password") == 0o600
    assert system.process.returncode == 0, system.printed()[-3000:]


def test_a_service_that_keeps_crashing_stops_the_run_with_its_last_lines(run_dir: Path) -> None:
    """Started directly, not through `running_system`: the loop may end before a slow machine's gateway answers."""
    environment = {
        **{name: value for name, value in os.environ.items() if name not in {"REDIS_URL", "DATABASE_URL"}},
        "PROPOS4L_DATA_DIR": str(run_dir),
        "GATEWAY_PORT": str(free_port()),
        "OLLAMA_URL": f"http://127.0.0.1:{free_port()}",
        "BACKUP_KEEP_DAILY": "-1",  # the backup service refuses it and exits with code 2 at every start
    }
    finished = subprocess.run(
        [sys.executable, "-m", "propos4l.shared.cli", "run"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=180,
        check=False,
    )
    printed = finished.stdout
    assert finished.returncode == 1, printed[-3000:]
    assert printed.count("the backup exited with code 2; starting it again") == 4, printed[-3000:]
    loop = printed.index("the backup crashed 5 times within 60 s (last exit code 2); stopping everything")
    assert "BACKUP_KEEP_DAILY" in printed[loop:]
    assert "propos4l: stopped" in printed[loop:]
