"""Renderer throughput with 1, 2 (and 4) replicas side by side, PDFs and template versions in S3 or in local folders.

Renders are the pipeline's CPU-bound work (about a second of CPU per PDF; the generator with a model server waits
on the model), so this measures the renderer alone: `proposal.drafted` events of the sample proposal published to
one Redis, consumed by 1, 2 or more real `python -m propos4l.renderer` processes (RENDERER_WORKERS=1 each), until the
last `proposal.rendered`; each replica first renders one draft that is not timed (its worker's first render loads
fonts and the template). With `--storage s3` the replicas share a moto S3 server (its own process) through
STORAGE_URL: PDFs are uploaded to it and the template version is read from it (cached by digest); with `local` they
share one PDF_STORAGE_DIR and TEMPLATES_DIR.

On a shared 2-core machine the gain of a second replica is capped at 2x and eaten by whatever else runs, so every run
reports, next to its throughput, what the machine gave it: the CPU seconds the replicas (and their worker processes)
used, the cores that makes on average (`cores_used` = CPU seconds / wall seconds), renders per CPU second, the
machine's busy fraction over the run (/proc/stat) and the load average before and after. The replica counts run back
to back in each round, in alternating order (1, 2 then 2, 1; with `--replicas 1 2 4`: 1, 2, 4 then 4, 2, 1), so
drifting load falls on all; the summary gives the per-round ratios (each count / 1 replica) of throughput and of
cores used, and their medians.

Usage: python bench/bench_storage_replicas.py [--renders 8] [--rounds 3] [--storage s3 local] [--replicas 1 2 4]
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
import psutil
from redis.asyncio import Redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.renderer.sample import sample_drafted
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalDrafted
from propos4l.shared.localrun.servers import LocalRedis, free_port
from propos4l.shared.runtime import connect_redis
from propos4l.shared.sections import Language
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
    redis_url: str, folder: Path, storage: str, endpoint: str, replicas: int, renders: int, run: str
) -> dict[str, float]:
    """Render `renders` drafts with `replicas` renderer processes; throughput and what the machine gave them."""
    redis = connect_redis(redis_url)
    await redis.flushall()
    run_folder = folder / run
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_REGION": "us-east-1",
        "REDIS_URL": redis_url,
        "RENDERER_WORKERS": "1",
        "PDF_STORAGE_DIR": str(run_folder / "pdfs"),
        "TEMPLATES_DIR": str(run_folder / "templates"),
        "LOG_LEVEL": "warning",
    }
    if storage == "s3":
        storage_url = f"s3://{BUCKET}/{run}"
        publish_default_template(storage_url, endpoint)
        env |= {"STORAGE_URL": storage_url, "STORAGE_ENDPOINT_URL": endpoint}
    ports = [free_port() for _ in range(replicas)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "propos4l.renderer"],
            env={**env, "HEALTH_PORT": str(port)},
            stdout=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        await _wait_until_ready(ports)
        watched = [psutil.Process(process.pid) for process in processes]
        publisher = Publisher(redis)
        # One render per replica first (each takes one draft at a time): a fresh worker's first render loads fonts
        # and the template (and downloads the version from the bucket), which is not the steady state measured.
        for _ in range(replicas):
            await publisher.publish(drafted())
        await _wait_for_renders(redis, replicas)
        load_before = os.getloadavg()[0]
        machine_before = _machine_times()
        cpu_before = _cpu_seconds(watched)
        started = time.perf_counter()
        for _ in range(renders):
            await publisher.publish(drafted())
        await _wait_for_renders(redis, replicas + renders)
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(watched) - cpu_before
        busy = _busy_fraction(machine_before, _machine_times())
        load_after = os.getloadavg()[0]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        await redis.aclose()
    return {
        "renders_per_second": round(renders / elapsed, 3),
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "cores_used": round(cpu / elapsed, 2),
        "renders_per_cpu_second": round(renders / cpu, 3),
        "machine_busy_fraction": round(busy, 2),
        "load_1m_before": round(load_before, 2),
        "load_1m_after": round(load_after, 2),
    }


async def _wait_for_renders(redis: Redis, count: int) -> None:
    deadline = time.monotonic() + 900
    while await redis.xlen(Stream.PROPOSAL_RENDERED.value) < count:
        if await redis.xlen(Stream.PROPOSAL_FAILED.value):
            raise RuntimeError("a render failed; the benchmark measures only successful renders")
        if time.monotonic() > deadline:
            raise RuntimeError("the renders did not finish in 15 minutes")
        await asyncio.sleep(0.02)


def drafted() -> ProposalDrafted:
    """The sample proposal (tables, lists, a quote, line items) as a new proposal's drafted version 1."""
    return sample_drafted(Language.PT_BR).model_copy(
        update={"event_id": uuid.uuid4(), "proposal_id": uuid.uuid4(), "version": 1}
    )


def publish_default_template(storage_url: str, endpoint: str) -> None:
    """Put the packaged default template in the run's bucket prefix, as the gateway does at its start."""
    from propos4l.renderer.folders import read_folder
    from propos4l.renderer.template_versions import LiveVersion, point_live, upload_version
    from propos4l.renderer.templates import PACKAGED_DEFAULT_TEMPLATE
    from propos4l.shared.object_store import S3Store, parse_s3_url

    os.environ.update({**CREDENTIALS, "AWS_REGION": "us-east-1"})
    store = S3Store(parse_s3_url(storage_url).joined("templates"), endpoint_url=endpoint)
    digest = upload_version(store, read_folder(PACKAGED_DEFAULT_TEMPLATE))
    point_live(store, LiveVersion("default", 1, digest))


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU seconds of the replicas and of their worker processes, so far."""
    total = 0.0
    for process in processes:
        for each in [process, *process.children(recursive=True)]:
            try:
                times = each.cpu_times()
            except psutil.NoSuchProcess:
                continue  # a worker replaced meanwhile: its time is lost (workers live 100 renders by default)
            total += times.user + times.system
    return total


def _machine_times() -> tuple[float, float]:
    """All CPU time and idle time of the machine so far, from /proc/stat (in ticks)."""
    fields = [float(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def _busy_fraction(before: tuple[float, float], after: tuple[float, float]) -> float:
    total, idle = after[0] - before[0], after[1] - before[1]
    return 1 - idle / total if total else 0.0


async def _wait_until_ready(ports: list[int]) -> None:
    deadline = time.monotonic() + 180
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
    """Run every round, print every run, then the per-round ratios and the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=8, help="drafts rendered per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--storage", nargs="+", choices=["s3", "local"], default=["s3", "local"])
    parser.add_argument("--writes", type=int, default=30, help="PDF writes timed per store before the rounds")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2], help="replica counts; 1 is always run")
    arguments = parser.parse_args()
    counts = sorted({1, *arguments.replicas})
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    moto, endpoint = start_moto()
    try:
        with tempfile.TemporaryDirectory() as folder, LocalRedis(Path(folder) / "redis") as redis:
            print(json.dumps({"write_cost": True, **write_costs(Path(folder), endpoint, arguments.writes)}), flush=True)
            for round_number in range(1, arguments.rounds + 1):
                order = counts if round_number % 2 else counts[::-1]
                for storage in arguments.storage:
                    for replicas in order:
                        run = f"round-{round_number}-{storage}-{replicas}"
                        measured = asyncio.run(
                            run_once(redis.url, Path(folder), storage, endpoint, replicas, arguments.renders, run)
                        )
                        runs.setdefault((storage, replicas), []).append(measured)
                        line = {"round": round_number, "storage": storage, "replicas": replicas}
                        print(json.dumps({**line, **measured}), flush=True)
    finally:
        moto.terminate()
        moto.wait(timeout=30)
    for storage in arguments.storage:
        one = runs[(storage, 1)]
        summary: dict[str, object] = {"summary": True, "storage": storage}
        for replicas in counts[1:]:
            many = runs[(storage, replicas)]
            throughput = [b["renders_per_second"] / a["renders_per_second"] for a, b in zip(one, many, strict=True)]
            cores = [b["cores_used"] / a["cores_used"] for a, b in zip(one, many, strict=True)]
            summary[f"throughput_ratio_{replicas}_to_1_per_round"] = [round(ratio, 2) for ratio in throughput]
            summary[f"cores_used_ratio_{replicas}_to_1_per_round"] = [round(ratio, 2) for ratio in cores]
            summary[f"median_throughput_ratio_{replicas}_to_1"] = round(statistics.median(throughput), 2)
            summary[f"median_cores_used_ratio_{replicas}_to_1"] = round(statistics.median(cores), 2)
        for replicas in counts:
            measured = runs[(storage, replicas)]
            summary[f"median_renders_per_second_{replicas}"] = round(
                statistics.median(run["renders_per_second"] for run in measured), 3
            )
            summary[f"median_renders_per_cpu_second_{replicas}"] = round(
                statistics.median(run["renders_per_cpu_second"] for run in measured), 3
            )
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
