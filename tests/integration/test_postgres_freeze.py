"""A frozen PostgreSQL (SIGSTOP: its connections stay open and nothing answers) gets the same 503 as a dead one.

Without pool acquire, connect and statement timeouts the API waited 3 to 21 s, `/api/ready` included; with them every
request answers 503 problem+json with Retry-After within about two seconds, and all is well once it thaws.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.shared.db import apply_migrations
from propos4l.shared.localrun.servers import LocalPostgres
from tests.support.gateway import AUTH, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Construtora Horizonte", "industry": "Construção civil", "requirements": "Portal de obras"}
# Generous against the ~2 s the timeouts give (a busy test machine), far below the 3-21 s seen without them.
ANSWER_WITHIN_SECONDS = 6.0


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (PostgreSQL's backends), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry.name}/stat", encoding="utf-8") as handle:
                    parent = int(handle.read().rpartition(")")[2].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


@contextlib.contextmanager
def frozen(server: LocalPostgres) -> Iterator[None]:
    """The server and its backends stopped (SIGSTOP) in the block, continued (SIGCONT) after it, whatever happens."""
    assert server.pid is not None
    stopped: list[int] = []
    try:
        for pid in process_tree(server.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


async def timed(request: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    async with asyncio.timeout(ANSWER_WITHIN_SECONDS * 3):  # a hang fails the test rather than stalling it
        response = await request  # type: ignore[misc]
    return response, time.monotonic() - started


def assert_unavailable(response: httpx.Response, seconds: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["retry-after"].isdigit()
    assert seconds < ANSWER_WITHIN_SECONDS, f"{response.request.url} took {seconds:.1f} s"


async def test_a_frozen_postgres_gets_a_quick_503_with_retry_after_and_the_api_recovers_when_it_thaws(
    run_dir: Path, redis_url: str, data_dir: Path
) -> None:
    server = LocalPostgres(run_dir / "postgres")
    server.start()
    try:
        await apply_migrations(server.url)
        settings = gateway_settings(server.url, redis_url, data_dir)
        async with running_gateway(settings, headers=AUTH) as gateway:
            client = gateway.client
            created = await client.post("/api/proposals", json=REQUEST)
            assert created.status_code == 202, created.text
            url = f"/api/proposals/{created.json()['id']}"
            made = await client.post("/api/tokens", json={"name": "crm", "admin": False})
            stored_token = {"Authorization": f"Bearer {made.json()['token']}"}  # looked up in PostgreSQL
            with frozen(server):
                for request in (
                    client.post("/api/proposals", json=REQUEST, headers=stored_token),
                    client.get(url, headers=stored_token),
                    client.get("/api/ready"),
                    client.get(url),
                    client.get("/api/proposals"),
                    client.post("/api/proposals", json=REQUEST),
                    client.get("/api/templates"),
                ):
                    assert_unavailable(*await timed(request))
                ready = (await client.get("/api/ready")).json()
                assert ready["checks"]["redis"] == "ok" and ready["checks"]["postgres"] != "ok"
            assert (await client.get(url)).status_code == 200
            assert (await client.post("/api/proposals", json=REQUEST)).status_code == 202
            assert (await client.get("/api/ready")).status_code == 200
    finally:
        server.stop()
