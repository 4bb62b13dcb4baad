"""The local run starts a dead embedded server again after its delay, and stops at a crash loop with the log's tail."""

from __future__ import annotations

from pathlib import Path

import pytest

from propos4l.shared.localrun import supervisor
from propos4l.shared.localrun.servers import LocalServerError


class DeadServer:
    """An embedded server killed outright, that fails to start again after `good_starts` successful starts."""

    port = 5555

    def __init__(self, log_path: Path, good_starts: int) -> None:
        self.log_path = log_path
        self.good_starts = good_starts
        self.running = False
        self.exit_code: int | None = -9
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        if self.starts > self.good_starts:
            raise LocalServerError("postgres exited with code 1 while starting")
        self.running = True

    def die(self) -> None:
        self.running = False


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(supervisor.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    lines: list[str] = []
    monkeypatch.setattr(supervisor, "say", lines.append)
    return lines


def test_a_dead_server_is_started_again_after_its_delay_and_said_so(
    tmp_path: Path, clock: list[float], said: list[str]
) -> None:
    server = DeadServer(tmp_path / "postgres.log", good_starts=10)
    run = supervisor.LocalRun(data_dir=tmp_path, servers=[server])  # type: ignore[list-item]
    run.watch()
    assert said == ["embedded PostgreSQL exited with code -9; starting it again in 1 s"] and server.starts == 0
    clock[0] += 0.5
    run.watch()
    assert server.starts == 0  # not before its delay
    clock[0] += 0.6
    run.watch()
    assert server.starts == 1 and said[-1] == "embedded PostgreSQL is back on port 5555"
    server.die()
    clock[0] += 1
    run.watch()
    assert said[-1] == "embedded PostgreSQL exited with code -9; starting it again in 2 s"


def test_a_server_that_cannot_start_again_stops_the_run_with_the_tail_of_its_log(
    tmp_path: Path, clock: list[float], said: list[str]
) -> None:
    (tmp_path / "postgres.log").write_text("FATAL:  could not map anonymous shared memory\n")
    server = DeadServer(tmp_path / "postgres.log", good_starts=0)
    run = supervisor.LocalRun(data_dir=tmp_path, servers=[server])  # type: ignore[list-item]
    with pytest.raises(LocalServerError) as stopped:
        for _ in range(100):
            run.watch()
            clock[0] += 1
    message = str(stopped.value)
    assert message.startswith("embedded PostgreSQL crashed 5 times within 60 s (could not start again: postgres")
    assert "stopping everything" in message and "FATAL:  could not map anonymous shared memory" in message
    assert server.starts == 4
    assert said[1:] == [
        f"embedded PostgreSQL could not start again: postgres exited with code 1 while starting; "
        f"starting it again in {delay} s"
        for delay in (2, 4, 8)
    ]
