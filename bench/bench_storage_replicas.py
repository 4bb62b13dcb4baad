"""Pipeline throughput with 1, 2 and 4 replicas of the generator and the renderer, PDFs in local folders or in S3.

Each replica is a real process: `python -m propos4l.generator` with LLM_PROVIDER=outline (no model server: the
pipeline's own work only) and `python -m propos4l.renderer` with RENDERER_WORKERS=1, all on one Redis. With
`--storage s3` the renderers share a moto S3 server (a separate process, moto's server mode) through STORAGE_URL;
with `local` they share one PDF_STORAGE_DIR. Measured from publishing the first `proposal.requested` to the last
`proposal.rendered`: requests per second, every round printed as a JSON line, then a summary line per configuration
with the median. Rounds alternate between local and s3, so that noise from other work on the machine falls on both.

Usage: python bench/bench_storage_replicas.py [--requests 12] [--rounds 2] [--replicas 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalRequest, ProposalRequested
from propos4l.shared.localrun.servers import LocalRedis, free_port
from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import Stream

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench-key-id", "AWS_SECRET_ACCESS_KEY": "bench-secret-key"}
BUCKET = "propos4l-bench"


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    """moto's S3 server as its own process on a free loopback port, with the bucket made."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(endpoint, timeout=1.0)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.terminate()
                raise RuntimeError("moto did not start") from None
            time.sleep(0.1)
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=BUCKET)
    return process, endpoint


def write_costs(folder: Path, endpoint: str, writes: int) -> dict[str, float]:
    """Milliseconds per PDF write (median of `writes`) through each store, of the sample proposal's PDF."""
    from propos4l.renderer.document import build_html
    from propos4l.renderer.pdf import render_pdf_bytes
    from propos4l.renderer.sample import sample_drafted
    from propos4l.renderer.templates import install_default_template, load_template
    from propos4l.shared.object_store import LocalFolderStore, S3Store, parse_s3_url
    from propos4l.shared.sections import Language

    install_default_template(folder / "templates")
    template = load_template(folder / "templates", "default")
    pdf = render_pdf_bytes(build_html(sample_drafted(Language.PT_BR), template), template.path).data
    os.environ.update({**CREDENTIALS, "AWS_REGION": "us-east-1"})
    stores = {
        "local": LocalFolderStore(folder / "write-cost"),
        "s3": S3Store(parse_s3_url(f"s3://{BUCKET}/write-cost"), endpoint_url=endpoint),
    }
    costs = {"pdf_bytes": float(len(pdf))}
    for name, store in stores.items():
        store.put_once("warm-up.pdf", pdf, "application/pdf")
        times = []
        for _ in range(writes):
            started = time.perf_counter()
            store.put_once(f"{uuid.uuid4()}/v1.pdf", pdf, "application/pdf")
            times.append((time.perf_counter() - started) * 1000)
        costs[f"{name}_ms_per_pdf"] = round(statistics.median(times), 2)
    return costs


async def run_once(
    redis_url: str, folder: Path, storage: str, endpoint: str, replicas: int, requests: int, round_number: int
) -> float:
    """Requests per second through `replicas` generators and `replicas` renderers."""
    redis = connect_redis(redis_url)
    await redis.flushall()
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_REGION": "us-east-1",
        "REDIS_URL": redis_url,
        "LLM_PROVIDER": "outline",
        "GENERATOR_CONCURRENCY": "1",
        "RENDERER_WORKERS": "1",
        "PDF_STORAGE_DIR": str(folder / "pdfs"),
        "TEMPLATES_DIR": str(folder / "templates"),
        "LOG_LEVEL": "warning",
    }
    if storage == "s3":
        env |= {"STORAGE_URL": f"s3://{BUCKET}/round-{round_number}-{replicas}", "STORAGE_ENDPOINT_URL": endpoint}
    ports = [free_port() for _ in range(2 * replicas)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", f"propos4l.{service}"],
            env={**env, "HEALTH_PORT": str(port)},
            stdout=subprocess.DEVNULL,
        )
        for port, service in zip(ports, ["generator", "renderer"] * replicas, strict=True)
    ]
    try:
        await _wait_until_ready(ports)
        publisher = Publisher(redis)
        request = ProposalRequest(client_name="Bench Ltda", industry="TI", requirements="Um portal de clientes")
        started = time.perf_counter()
        for _ in range(requests):
            await publisher.publish(ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=request))
        deadline = time.monotonic() + 600
        while await redis.xlen(Stream.PROPOSAL_RENDERED.value) < requests:
            if await redis.xlen(Stream.PROPOSAL_FAILED.value):
                raise RuntimeError("a proposal failed; the benchmark measures only successful renders")
            if time.monotonic() > deadline:
                raise RuntimeError("the pipeline did not finish in 10 minutes")
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        await redis.aclose()
    return requests / elapsed


async def _wait_until_ready(ports: list[int]) -> None:
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(timeout=1.0) as client:
        for port in ports:
            while True:
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the replicas did not become ready")
                await asyncio.sleep(0.1)


def main() -> None:
    """Run every round, print it, then print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--writes", type=int, default=30, help="PDF writes timed per store before the rounds")
    arguments = parser.parse_args()
    results: dict[tuple[str, int], list[float]] = {}
    moto, endpoint = start_moto()
    try:
        with tempfile.TemporaryDirectory() as folder, LocalRedis(Path(folder) / "redis") as redis:
            print(json.dumps({"write_cost": True, **write_costs(Path(folder), endpoint, arguments.writes)}), flush=True)
            for round_number in range(1, arguments.rounds + 1):
                for replicas in arguments.replicas:
                    for storage in ("local", "s3"):
                        rate = asyncio.run(
                            run_once(
                                redis.url, Path(folder), storage, endpoint, replicas, arguments.requests, round_number
                            )
                        )
                        results.setdefault((storage, replicas), []).append(rate)
                        line = {"round": round_number, "storage": storage, "replicas": replicas}
                        print(json.dumps({**line, "proposals_per_second": round(rate, 3)}), flush=True)
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    for (storage, replicas), rates in sorted(results.items()):
        summary = {"summary": True, "storage": storage, "replicas": replicas}
        print(json.dumps({**summary, "median_proposals_per_second": round(statistics.median(rates), 3)}), flush=True)


if __name__ == "__main__":
    main()
