"""The whole pipeline against bare WeasyPrint on the same HTML: throughput, and what a proposal waits beyond its render.

The gateway, generator and renderer run as processes (as in bench/bench_telemetry.py: default settings,
`GENERATOR_CONCURRENCY=2`, `RENDERER_WORKERS` = cores) on throwaway Redis and PostgreSQL, drafting from the fake
Ollama with no delay (an instant model). Every round pairs the stack with bare WeasyPrint
(`weasyprint.HTML(string=html).write_pdf()` in warm processes, nothing else) rendering the HTML the stack renders:
the drafted event of a warm-up proposal, filled into its template by the renderer's own code.

- throughput: `--batch` proposals posted at once, each followed over its Server-Sent Events stream until `ready`,
  against the same number of bare renders on `--cores` processes; the ratio is stack / bare PDFs per second
  (goal: >= 0.95). The machine is shared, so the CPU per PDF is reported too: bare WeasyPrint's against the stack's
  (the three services with their render workers, PostgreSQL and Redis), read from /proc.
- latency: `--singles` proposals one after another, each timed from POST to the `ready` event on its stream; its
  overhead is that time minus the model's time (the fake asked directly with the generator's request, median of
  `--singles` calls) and minus the renderer's own render time (`render_ms` of its rendered event: the worker call,
  the template and the fsynced write) (goal: <= 50 ms p50). How much the renderer's `render_ms` exceeds a bare
  render of the same HTML, timed in the same round, is reported next to it.

Each round is printed as a JSON line; the summary gives medians and the median of the per-round ratios.

    python bench/bench_pipeline.py [--rounds 5] [--batch 12] [--singles 5] [--cores N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Final

import httpx

REPO: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_telemetry import TOKEN, Running, _process_stats, _tree_cpu_seconds, fake_ollama, services
from propos4l.generator.draft import draft_json_schema
from propos4l.generator.prompts import build_messages
from propos4l.renderer.document import build_html
from propos4l.renderer.templates import load_template
from propos4l.shared.db import apply_migrations
from propos4l.shared.envelope import decode
from propos4l.shared.events import ProposalDrafted, ProposalRendered, ProposalRequest
from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis
from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import Stream
from tests.support.gateway import WEBHOOK_SECRET_KEY

REQUEST: Final = {"client_name": "Bench Ltda.", "industry": "Varejo", "requirements": "Loja online integrada ao ERP."}
_TIMEOUT_SECONDS: Final = 300.0
_DOCUMENT: tuple[str, str] = ("", "")


def _bare_init(html: str, base_url: str) -> None:
    global _DOCUMENT
    _DOCUMENT = (html, base_url)
    _bare_render(0)  # warm: WeasyPrint imported, fonts loaded


def _bare_render(_: int) -> tuple[float, float]:
    """One bare render of the document: its wall-clock and CPU seconds."""
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from propos4l.renderer.weasy import HTML

    html, base_url = _DOCUMENT
    started, cpu_started = time.perf_counter(), time.process_time()
    data = HTML(string=html, base_url=base_url).write_pdf()
    assert isinstance(data, bytes) and len(data) > 10_000
    return time.perf_counter() - started, time.process_time() - cpu_started


def bare(html: str, base_url: str, processes: int, renders: int) -> tuple[float, list[tuple[float, float]]]:
    """Bare WeasyPrint in `processes` warm processes: PDFs per second, and each render's wall and CPU seconds."""
    context = multiprocessing.get_context("spawn")  # a plain process, like a bare script's
    with context.Pool(processes, initializer=_bare_init, initargs=(html, base_url)) as pool:
        pool.map(_bare_render, range(processes), chunksize=1)  # every process warm
        started = time.perf_counter()
        timings = pool.map(_bare_render, range(renders), chunksize=1)
        return renders / (time.perf_counter() - started), timings


async def _until_ready(client: httpx.AsyncClient, proposal_id: str) -> None:
    """Follow the proposal's event stream until it is ready."""
    async with client.stream("GET", f"/api/proposals/{proposal_id}/events") as response:
        response.raise_for_status()
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:") and event == "status":
                data = json.loads(line.partition(":")[2])
                if data["status"] == "failed":
                    raise RuntimeError(f"a proposal failed: {data['error']}")
                if data["status"] == "ready":
                    return


async def _one(client: httpx.AsyncClient) -> tuple[str, float]:
    """Post a proposal and wait for `ready` over SSE: its id and the seconds from the POST."""
    started = time.perf_counter()
    response = await client.post("/api/proposals", json=REQUEST)
    assert response.status_code == 202, response.text
    proposal_id = response.json()["id"]
    await _until_ready(client, proposal_id)
    return proposal_id, time.perf_counter() - started


async def batch(url: str, proposals: int) -> float:
    """`proposals` posted at once: PDFs per second until the last is ready."""
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
        started = time.perf_counter()
        async with asyncio.timeout(_TIMEOUT_SECONDS):
            await asyncio.gather(*(_one(client) for _ in range(proposals)))
        return proposals / (time.perf_counter() - started)


async def model_seconds(ollama: str, count: int) -> float:
    """The median time the fake model takes to stream a draft, asked directly with the generator's own request."""
    body = {
        "model": "qwen2.5:7b",
        "messages": [message.as_dict() for message in build_messages(ProposalRequest.model_validate(REQUEST))],
        "format": draft_json_schema(),
        "stream": True,
    }
    times = []
    async with httpx.AsyncClient(base_url=ollama, timeout=60) as client:
        for _ in range(count):
            started = time.perf_counter()
            async with client.stream("POST", "/api/chat", json=body) as response:
                response.raise_for_status()
                async for _line in response.aiter_lines():
                    pass
            times.append(time.perf_counter() - started)
    return statistics.median(times)


async def singles(url: str, redis_url: str, count: int) -> list[dict[str, float]]:
    """`count` proposals one after another: each one's POST-to-ready time and the renderer's render_ms."""
    timings = []
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
        for _ in range(count):
            async with asyncio.timeout(_TIMEOUT_SECONDS):
                proposal_id, seconds = await _one(client)
            rendered = await _rendered(redis_url, uuid.UUID(proposal_id))
            timings.append(
                {
                    "post_to_ready_ms": seconds * 1000,
                    "render_ms": float(rendered.render_ms),
                }
            )
    return timings


async def _rendered(redis_url: str, proposal_id: uuid.UUID) -> ProposalRendered:
    """The proposal's rendered event, from its stream."""
    redis = connect_redis(redis_url)
    try:
        for _, fields in reversed(await redis.xrange(Stream.PROPOSAL_RENDERED.value)):
            event = decode(fields).open(ProposalRendered)
            if event.proposal_id == proposal_id:
                return event
        raise RuntimeError(f"no rendered event for {proposal_id}")
    finally:
        await redis.aclose()


def _cpu_seconds(running: Running, servers: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds used so far by each service (render workers included), PostgreSQL and Redis."""
    stats = _process_stats()
    pids = {**running.pids, **{name: pid for name, pid in servers.items() if pid is not None}}
    return {name: _tree_cpu_seconds(pid, stats) for name, pid in pids.items()}


def main() -> None:
    """Run the rounds; print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=12, help="proposals posted at once per throughput measurement")
    parser.add_argument("--singles", type=int, default=5, help="proposals timed one by one per round")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="propos4l-bench-"))
    redis, postgres = LocalRedis(folder / "redis"), LocalPostgres(folder / "postgres")
    rounds: list[dict[str, Any]] = []
    try:
        redis.start()
        postgres.start()
        database = postgres.create_database("bench")
        asyncio.run(apply_migrations(database))
        environment = {
            "DATABASE_URL": database,
            "REDIS_URL": redis.url,
            "PROPOS4L_ADMIN_TOKEN": TOKEN,
            "WEBHOOK_SECRET_KEYS": WEBHOOK_SECRET_KEY,
            "PDF_STORAGE_DIR": str(folder / "pdfs"),
            "TEMPLATES_DIR": str(folder / "templates"),
            "LIBRARY_DIR": str(folder / "library"),
            "LLM_PROVIDER": "ollama",
            "OLLAMA_MODEL": "qwen2.5:7b",
            "GENERATOR_CONCURRENCY": "2",
            "RENDERER_WORKERS": str(arguments.cores),
            "DEPLOYMENT_ENVIRONMENT": "bench",
        }
        with fake_ollama() as ollama, services({**environment, "OLLAMA_URL": ollama}, folder) as running:
            # Warm-up: render workers started, connection pools open; its draft gives the HTML bare renders use.
            warm = asyncio.run(singles(running.url, redis.url, 1))[0]
            asyncio.run(batch(running.url, arguments.cores * 2))
            drafted = asyncio.run(_last_drafted(redis.url))
            template = load_template(folder / "templates", drafted.request.template)
            html, base_url = build_html(drafted, template), str(template.path) + "/"
            print(json.dumps({"warm_up": True, **{k: round(v, 1) for k, v in warm.items()}}), flush=True)
            servers = {"postgres": postgres.pid, "redis": redis.pid}
            for round_number in range(arguments.rounds):
                bare_rate, bare_timings = bare(html, base_url, arguments.cores, arguments.batch)
                before = _cpu_seconds(running, servers)
                stack_rate = asyncio.run(batch(running.url, arguments.batch))
                after = _cpu_seconds(running, servers)
                stack_cpu = {name: (after[name] - before[name]) * 1000 / arguments.batch for name in after}
                bare_cpu_ms = statistics.mean(cpu for _, cpu in bare_timings) * 1000
                _, single_bare = bare(html, base_url, 1, arguments.singles)
                bare_ms = statistics.median(wall for wall, _ in single_bare) * 1000
                model_ms = asyncio.run(model_seconds(ollama, arguments.singles)) * 1000
                timings = asyncio.run(singles(running.url, redis.url, arguments.singles))
                line = {
                    "round": round_number + 1,
                    "bare_pdfs_per_s": round(bare_rate, 3),
                    "stack_pdfs_per_s": round(stack_rate, 3),
                    "stack_vs_bare": round(stack_rate / bare_rate, 3),
                    "bare_cpu_ms_per_pdf": round(bare_cpu_ms, 1),
                    "stack_cpu_ms_per_pdf": {name: round(value, 1) for name, value in stack_cpu.items()},
                    "bare_vs_stack_cpu": round(bare_cpu_ms / sum(stack_cpu.values()), 3),
                    "bare_render_ms": round(bare_ms, 1),
                    "model_ms": round(model_ms, 1),
                    "post_to_ready_ms": [round(t["post_to_ready_ms"], 1) for t in timings],
                    "renderer_render_ms": [round(t["render_ms"], 1) for t in timings],
                    "overhead_ms": [round(t["post_to_ready_ms"] - model_ms - t["render_ms"], 1) for t in timings],
                    "renderer_beyond_bare_ms": [round(t["render_ms"] - bare_ms, 1) for t in timings],
                }
                rounds.append(line)
                print(json.dumps(line), flush=True)
    finally:
        postgres.stop()
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)

    def everything(name: str) -> list[float]:
        return [value for line in rounds for value in line[name]]

    print(
        json.dumps(
            {
                "summary": True,
                "rounds": arguments.rounds,
                "batch": arguments.batch,
                "singles_per_round": arguments.singles,
                "cores": arguments.cores,
                "median_bare_pdfs_per_s": round(statistics.median(r["bare_pdfs_per_s"] for r in rounds), 3),
                "median_stack_pdfs_per_s": round(statistics.median(r["stack_pdfs_per_s"] for r in rounds), 3),
                "stack_vs_bare_median_of_rounds": round(statistics.median(r["stack_vs_bare"] for r in rounds), 3),
                "bare_vs_stack_cpu_median_of_rounds": round(
                    statistics.median(r["bare_vs_stack_cpu"] for r in rounds), 3
                ),
                "median_bare_render_ms": round(statistics.median(r["bare_render_ms"] for r in rounds), 1),
                "median_model_ms": round(statistics.median(r["model_ms"] for r in rounds), 1),
                "median_renderer_render_ms": round(statistics.median(everything("renderer_render_ms")), 1),
                "p50_post_to_ready_ms": round(statistics.median(everything("post_to_ready_ms")), 1),
                "p50_overhead_ms": round(statistics.median(everything("overhead_ms")), 1),
                "p50_renderer_beyond_bare_ms": round(statistics.median(everything("renderer_beyond_bare_ms")), 1),
            }
        ),
        flush=True,
    )


async def _last_drafted(redis_url: str) -> ProposalDrafted:
    redis = connect_redis(redis_url)
    try:
        (_, fields), *_ = await redis.xrevrange(Stream.PROPOSAL_DRAFTED.value, count=1)
        return decode(fields).open(ProposalDrafted)
    finally:
        await redis.aclose()


if __name__ == "__main__":
    main()
