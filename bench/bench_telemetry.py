"""What telemetry costs: the pipeline's throughput (proposals from request to PDF per second) with it on and off.

The gateway, generator and renderer run as processes, as in production, against throwaway Redis and PostgreSQL and
the fake Ollama; "on" exports traces, metrics and logs to a local OTLP receiver. Rounds alternate off and on, and each
off/on pair is compared, so that whatever else the machine does at the time weighs on both sides of a comparison.

Throughput is wall-clock time, so it moves with whatever else runs on the machine. The CPU time the services spend
per proposal, their child processes (the render workers) included, read from /proc (Linux only), does not: the
pipeline is CPU-bound, so what telemetry adds in CPU bounds what it can take from throughput. The budget, 10%, holds
when both the median pair's throughput loss and the added CPU per proposal stay within it.

Prints one JSON line per round, then a summary line.

    python bench/bench_telemetry.py [--proposals 24] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

REPO: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the fake Ollama and the OTLP receiver live with the tests

from propos4l.shared.db import apply_migrations
from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis, free_port
from propos4l.shared.runtime import connect_redis
from tests.support.gateway import WEBHOOK_SECRET_KEY
from tests.support.otlp_receiver import OtlpReceiver

TOKEN: Final = secrets.token_urlsafe(24)
BUDGET: Final = 0.10
SERVICES: Final = ("gateway", "generator", "renderer")
_BATCH_TIMEOUT_SECONDS: Final = 600.0
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Round:
    """One measured batch of proposals."""

    telemetry: bool
    proposals: int
    seconds: float
    cpu_seconds: dict[str, float]

    @property
    def throughput(self) -> float:
        """Proposals per second, from the first request to the last PDF."""
        return self.proposals / self.seconds

    def cpu_ms_per_proposal(self, service: str | None = None) -> float:
        """CPU milliseconds `service` (every service when None) spent per proposal of the batch."""
        seconds = self.cpu_seconds[service] if service else sum(self.cpu_seconds.values())
        return seconds * 1000 / self.proposals


@dataclass(frozen=True)
class Running:
    """The services of one round: where the gateway answers, and each main process's pid."""

    url: str
    pids: dict[str, int]

    def cpu_seconds(self) -> dict[str, float]:
        """User and system CPU time each service has used so far, its child processes included."""
        stats = _process_stats()
        return {service: _tree_cpu_seconds(pid, stats) for service, pid in self.pids.items()}


def _process_stats() -> dict[int, tuple[int, float]]:
    """Every process's parent and CPU seconds (its own and its reaped children's), from /proc/<pid>/stat."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # it exited meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
        ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        stats[int(entry.name)] = (int(fields[1]), ticks / _CLOCK_TICKS)
    return stats


def _tree_cpu_seconds(root: int, stats: dict[int, tuple[int, float]]) -> float:
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        total += stats.get(pid, (0, 0.0))[1]
        pending += [child for child, (parent, _) in stats.items() if parent == pid]
    return total


@contextmanager
def fake_ollama() -> Iterator[str]:
    """The fake Ollama in a process of its own, answering as fast as it can."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_ollama", "--port", str(port), "--parallel", "4"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _answers(f"{url}/api/version"), "the fake Ollama did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def services(environment: dict[str, str], folder: Path) -> Iterator[Running]:
    """The three services as processes, logging at their default level; stopped with SIGTERM."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PROPOS4L_", "LLM_", "OLLAMA_", "LOG_"))}
    env.update(environment, GATEWAY_PORT=str(port))
    processes: dict[str, subprocess.Popen[bytes]] = {}
    for service in SERVICES:
        with (folder / f"{service}.log").open("ab") as output:
            processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"propos4l.{service}"], cwd=REPO, env=env, stdout=output, stderr=output
            )
    running = Running(f"http://127.0.0.1:{port}", {service: process.pid for service, process in processes.items()})
    try:
        _wait(lambda: _answers(f"{running.url}/api/health"), "the gateway did not start")
        yield running
    finally:
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            process.wait(timeout=60)


async def _run_batch(url: str, proposals: int) -> float:
    """Submit `proposals` at once; the seconds until the last one is ready."""
    request = {"client_name": "Bench Ltda.", "industry": "Varejo", "requirements": "Loja online integrada ao ERP."}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        started = time.perf_counter()
        created = await asyncio.gather(*(client.post("/api/proposals", json=request) for _ in range(proposals)))
        assert all(response.status_code == 202 for response in created), [r.text for r in created]
        ids = {response.json()["id"] for response in created}
        deadline = started + _BATCH_TIMEOUT_SECONDS
        while ids:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{len(ids)} proposals not ready after {_BATCH_TIMEOUT_SECONDS:.0f} s")
            listing = (await client.get("/api/proposals", params={"page_size": 100})).json()["items"]
            statuses = {item["id"]: item["status"] for item in listing}
            for failed in [i for i in ids if statuses.get(i) == "failed"]:
                raise RuntimeError(
                    f"a proposal failed: {(await client.get(f'/api/proposals/{failed}')).json()['error']}"
                )
            ids -= {i for i in ids if statuses.get(i) == "ready"}
            await asyncio.sleep(0.5)  # a client polling its proposals, as a browser would
        return time.perf_counter() - started


def measure(
    telemetry: bool, proposals: int, postgres: LocalPostgres, redis: LocalRedis, ollama: str, folder: Path, index: int
) -> Round:
    """One round on a fresh database and an empty Redis: a warm-up proposal, then the measured batch."""
    database = postgres.create_database(f"bench_{index}")
    asyncio.run(apply_migrations(database))
    asyncio.run(_flush(redis.url))
    environment = {
        "DATABASE_URL": database,
        "REDIS_URL": redis.url,
        "PROPOS4L_ADMIN_TOKEN": TOKEN,
        "WEBHOOK_SECRET_KEYS": WEBHOOK_SECRET_KEY,
        "PDF_STORAGE_DIR": str(folder / f"pdfs-{index}"),
        "TEMPLATES_DIR": str(folder / "templates"),
        "LIBRARY_DIR": str(folder / "library"),
        "LLM_PROVIDER": "ollama",
        "OLLAMA_URL": ollama,
        "OLLAMA_MODEL": "qwen2.5:7b",
        "GENERATOR_CONCURRENCY": "2",
        "DEPLOYMENT_ENVIRONMENT": "bench",
    }
    with OtlpReceiver(decode=False) as receiver:
        if telemetry:
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.url
        with services(environment, folder) as running:
            asyncio.run(_run_batch(running.url, 1))  # starts the render workers and warms every connection pool
            before = running.cpu_seconds()
            seconds = asyncio.run(_run_batch(running.url, proposals))
            after = running.cpu_seconds()
        if telemetry:
            assert receiver.requests > 0, "telemetry was on but nothing was exported"
    postgres.drop_database(f"bench_{index}")
    return Round(telemetry, proposals, seconds, {service: after[service] - before[service] for service in SERVICES})


async def _flush(url: str) -> None:
    client = connect_redis(url)
    try:
        await client.flushall()
    finally:
        await client.aclose()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(condition: Callable[[], bool], message: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(message)
        time.sleep(0.1)


def summary(rounds: list[Round]) -> dict[str, object]:
    """The comparison: medians of throughput and CPU per proposal, and each off/on pair's throughput change."""
    off = [r for r in rounds if not r.telemetry]
    on = [r for r in rounds if r.telemetry]
    cpu = {
        mode: {
            service or "all": round(statistics.median(r.cpu_ms_per_proposal(service) for r in side), 1)
            for service in (*SERVICES, None)
        }
        for mode, side in (("off", off), ("on", on))
    }
    pairs = [b.throughput / a.throughput - 1 for a, b in zip(off, on, strict=True)]
    cpu_change = cpu["on"]["all"] / cpu["off"]["all"] - 1
    return {
        "summary": True,
        "pairs": len(pairs),
        "proposals_per_batch": rounds[0].proposals,
        "median_throughput_off_per_s": round(statistics.median(r.throughput for r in off), 3),
        "median_throughput_on_per_s": round(statistics.median(r.throughput for r in on), 3),
        "throughput_change_median_of_pairs": round(statistics.median(pairs), 3),
        "throughput_change_of_each_pair": [round(change, 3) for change in pairs],
        "cpu_ms_per_proposal": cpu,
        "cpu_change": round(cpu_change, 3),
        "budget": BUDGET,
        "within_budget": cpu_change <= BUDGET and statistics.median(pairs) >= -BUDGET,
    }


def main() -> int:
    """Run the rounds, printing each as a JSON line, then the summary; exit 1 when telemetry is over budget."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--proposals", type=int, default=24, help="proposals per measured batch")
    parser.add_argument("--rounds", type=int, default=5, help="off/on pairs")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="propos4l-bench-"))
    redis = LocalRedis(folder / "redis")
    postgres = LocalPostgres(folder / "postgres")
    rounds: list[Round] = []
    try:
        redis.start()
        postgres.start()
        with fake_ollama() as ollama:
            for index in range(args.rounds * 2):
                result = measure(index % 2 == 1, args.proposals, postgres, redis, ollama, folder, index)
                rounds.append(result)
                line = {
                    "round": index + 1,
                    "telemetry": result.telemetry,
                    "proposals": result.proposals,
                    "seconds": round(result.seconds, 2),
                    "throughput_per_s": round(result.throughput, 3),
                    "cpu_ms_per_proposal": {s: round(result.cpu_ms_per_proposal(s), 1) for s in SERVICES},
                }
                print(json.dumps(line), flush=True)
    finally:
        postgres.stop()
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)
    result = summary(rounds)
    print(json.dumps(result), flush=True)
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
