"""Renderer throughput: the service against bare WeasyPrint on the same document and cores, and 2 replicas vs 1.

- bare: `multiprocessing` workers (one per core) each calling `weasyprint.HTML(string=...).write_pdf()` on the
  sample proposal's HTML, filled in once beforehand; nothing else.
- service: real `python -m propos4l.renderer` processes on a real Redis, fed `proposal.drafted` events of the same
  sample; each render goes through the consumer, the Jinja2 sandbox, a limited worker process, the PDF write
  (fsync, rename) and the `proposal.rendered` event. Measured from the first publish to the last rendered event.
- replicas: one renderer with RENDERER_WORKERS=1 against two such replicas (two cores).

Every configuration is warmed up first (worker processes started, fonts loaded), then measured `--rounds` times,
alternating, so that noise from other work on the machine falls on both sides of a comparison alike. The summary
gives the median rates and the median of the per-round ratios. Prints one JSON line per round and a summary line.

Usage: python bench/bench_renderer.py [--renders 24] [--rounds 5] [--cores N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import operator
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.renderer.document import build_html
from propos4l.renderer.pdf import render_pdf_bytes
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template, load_template
from propos4l.shared.delivery import Publisher
from propos4l.shared.localrun.servers import LocalRedis
from propos4l.shared.runtime import connect_redis
from propos4l.shared.sections import Language
from propos4l.shared.streams import Stream

_DOCUMENT: tuple[str, str] = ("", "")


def _bare_init(html: str, base_url: str) -> None:
    global _DOCUMENT
    _DOCUMENT = (html, base_url)
    _bare_render(0)  # warm: WeasyPrint imported, fonts loaded


def _bare_render(_: int) -> int:
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from propos4l.renderer.weasy import HTML

    html, base_url = _DOCUMENT
    return len(HTML(string=html, base_url=base_url).write_pdf())


def bare_rate(html: str, base_url: str, cores: int, renders: int) -> float:
    """PDFs per second of bare WeasyPrint in `cores` processes."""
    context = multiprocessing.get_context("forkserver")
    with context.Pool(cores, initializer=_bare_init, initargs=(html, base_url)) as pool:
        pool.map(_bare_render, range(cores), chunksize=1)  # every worker warm
        started = time.perf_counter()
        sizes = pool.map(_bare_render, range(renders), chunksize=1)
        elapsed = time.perf_counter() - started
    assert all(size > 10_000 for size in sizes)
    return renders / elapsed


def _wait_for_line(process: subprocess.Popen[str], text: str) -> None:
    """Read the process's log until a line contains `text`, then keep draining it in the background."""
    assert process.stdout is not None
    for line in process.stdout:
        if text in line:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return
    raise RuntimeError(f"a renderer exited before logging {text}")


class RendererReplicas:
    """`count` renderer processes with `workers` render workers each, on one Redis and one set of folders."""

    def __init__(self, redis_url: str, folder: Path, count: int, workers: int) -> None:
        self.redis_url, self.folder, self.count, self.workers = redis_url, folder, count, workers
        self.processes: list[subprocess.Popen[bytes]] = []

    async def __aenter__(self) -> RendererReplicas:
        redis = connect_redis(self.redis_url)
        await redis.flushall()
        await redis.aclose()
        env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "PDF_STORAGE_DIR": str(self.folder / "pdfs"),
            "TEMPLATES_DIR": str(self.folder / "templates"),
            "RENDERER_WORKERS": str(self.workers),
            "LOG_LEVEL": "info",
        }
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "propos4l.renderer"], env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(self.count)
        ]
        try:
            for process in self.processes:
                await asyncio.to_thread(_wait_for_line, process, '"renderer started"')
            await self.rate(2 * self.count * self.workers)  # warm: worker processes started, fonts loaded
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=60)

    async def rate(self, renders: int) -> float:
        """PDFs per second for `renders` drafted proposals, from the first publish to the last rendered event."""
        redis = connect_redis(self.redis_url)
        try:
            before = await redis.xlen(Stream.PROPOSAL_RENDERED.value)
            publisher = Publisher(redis)
            sample = sample_drafted(Language.PT_BR)
            started = time.perf_counter()
            for _ in range(renders):
                await publisher.publish(
                    sample.model_copy(update={"event_id": uuid.uuid4(), "proposal_id": uuid.uuid4()})
                )
            while await redis.xlen(Stream.PROPOSAL_RENDERED.value) < before + renders:
                if await redis.xlen(Stream.PROPOSAL_FAILED.value):
                    raise RuntimeError("a render failed")
                await asyncio.sleep(0.02)
            return renders / (time.perf_counter() - started)
        finally:
            await redis.aclose()


async def service_rates(
    redis_url: str, folder: Path, count: int, workers: int, renders: int, rounds: int
) -> list[float]:
    async with RendererReplicas(redis_url, folder, count, workers) as replicas:
        return [await replicas.rate(renders) for _ in range(rounds)]


def main() -> None:
    """Run the benchmark; print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=24, help="PDFs per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="measurements per configuration")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary, LocalRedis(Path(temporary) / "redis") as redis:
        folder = Path(temporary)
        install_default_template(folder / "templates")
        template = load_template(folder / "templates", "default")
        html = build_html(sample_drafted(Language.PT_BR), template)
        results: dict[str, list[float]] = {"bare": [], "service": [], "one_replica": [], "two_replicas": []}
        for round_number in range(arguments.rounds):
            # Alternate, so that noise from other work on the machine falls on both sides alike.
            bare = bare_rate(html, str(template.path) + "/", arguments.cores, arguments.renders)
            service = asyncio.run(service_rates(redis.url, folder, 1, arguments.cores, arguments.renders, 1))[0]
            results["bare"].append(bare)
            results["service"].append(service)
            print(
                json.dumps(
                    {
                        "round": round_number + 1,
                        "bare_pdfs_per_s": round(bare, 3),
                        "service_pdfs_per_s": round(service, 3),
                        "cores": arguments.cores,
                    }
                ),
                flush=True,
            )
        for round_number in range(arguments.rounds):
            one = asyncio.run(service_rates(redis.url, folder, 1, 1, arguments.renders, 1))[0]
            two = asyncio.run(service_rates(redis.url, folder, 2, 1, arguments.renders, 1))[0]
            results["one_replica"].append(one)
            results["two_replicas"].append(two)
            print(
                json.dumps(
                    {
                        "round": round_number + 1,
                        "one_replica_pdfs_per_s": round(one, 3),
                        "two_replicas_pdfs_per_s": round(two, 3),
                    }
                ),
                flush=True,
            )
        medians = {name: statistics.median(values) for name, values in results.items()}
        print(
            json.dumps(
                {
                    "summary": True,
                    "cores": arguments.cores,
                    "renders_per_measurement": arguments.renders,
                    "rounds": arguments.rounds,
                    "pages": render_pdf_bytes(html, template.path).pages,
                    **{f"median_{name}_pdfs_per_s": round(value, 3) for name, value in medians.items()},
                    # Each round's pair ran back to back, so its ratio is the fairest single number.
                    "service_vs_bare": round(
                        statistics.median(map(operator.truediv, results["service"], results["bare"])), 3
                    ),
                    "two_vs_one_replica": round(
                        statistics.median(map(operator.truediv, results["two_replicas"], results["one_replica"])), 3
                    ),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
