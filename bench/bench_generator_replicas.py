"""Generator throughput with 1, 2 and 4 replicas against a fake Ollama of fixed latency and limited parallelism.

Each replica is a real `python -m propos4l.generator` process with GENERATOR_CONCURRENCY=1, consuming from a real
Redis. The fake Ollama answers every chat after LATENCY seconds and works on at most PARALLEL chats at once, like
OLLAMA_NUM_PARALLEL. Expected: throughput grows with the replicas until PARALLEL is the limit.

Usage: python bench/bench_generator_replicas.py [--requests 24] [--latency 0.5] [--parallel 2] [--replicas 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalRequest, ProposalRequested
from propos4l.shared.localrun.servers import LocalRedis, free_port
from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import Stream
from tests.support.fake_ollama import FakeOllama


async def run_once(redis_url: str, ollama_url: str, replicas: int, requests: int) -> float:
    """Drafts per second with `replicas` generator processes, from publishing the first request to the last draft."""
    redis = connect_redis(redis_url)
    await redis.flushall()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "OLLAMA_URL": ollama_url,
        "OLLAMA_MODEL": "qwen2.5:7b",
        "GENERATOR_CONCURRENCY": "1",
        "LOG_LEVEL": "warning",
    }
    ports = [free_port() for _ in range(replicas)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "propos4l.generator"],
            env={**env, "HEALTH_PORT": str(port)},
            stdout=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        await _wait_until_ready(ports)
        publisher = Publisher(redis)
        request = ProposalRequest(client_name="Bench Ltda", industry="TI", requirements="Um portal de clientes")
        started = time.perf_counter()
        for _ in range(requests):
            await publisher.publish(ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=request))
        while await redis.xlen(Stream.PROPOSAL_DRAFTED.value) < requests:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        await redis.aclose()
    return requests / elapsed


async def _wait_until_ready(ports: list[int]) -> None:
    """Wait until every replica answers 200 on /ready (model checked, consumers about to read)."""
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=1.0) as client:
        for port in ports:
            while True:
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the generator replicas did not become ready")
                await asyncio.sleep(0.1)


def main() -> None:
    """Run the benchmark and print one JSON line per replica count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, LocalRedis(Path(folder) / "redis") as redis:
        with FakeOllama(latency=arguments.latency, parallel=arguments.parallel) as fake:
            for replicas in arguments.replicas:
                rate = asyncio.run(run_once(redis.url, fake.url, replicas, arguments.requests))
                print(
                    json.dumps(
                        {
                            "replicas": replicas,
                            "drafts_per_second": round(rate, 2),
                            "latency_s": arguments.latency,
                            "fake_parallel": arguments.parallel,
                            "requests": arguments.requests,
                            "ideal": round(min(replicas, arguments.parallel) / arguments.latency, 2),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
