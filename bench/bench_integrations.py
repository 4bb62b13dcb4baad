"""Intake throughput and webhook latency: the gateway in-process on a real Redis and PostgreSQL.

- Intake: `--messages` producer requests are XADDed to producer `bench`'s intake stream
  (`propos4l.intake.proposal-requested.bench`, its Redis user made as `propos4l intake producer bench --apply` does)
  at once (one pipeline);
  throughput is messages accepted into proposals (their `intake_requests` rows committed, with the proposal, its
  version and outbox rows) per second, from the XADD to the last commit. Proposal acceptance does not wait for the
  drafting: the generator (with the outline provider or a model) runs after it, on its own stream, so it is not
  started here and does not take the machine's two cores from the gateway.
- Webhooks: a receiver on loopback (through WEBHOOK_ALLOWED_NETWORKS) subscribed to `proposal.ready`; for
  `--webhooks` of the accepted proposals a drafted and a rendered event are published, one proposal every 50 ms, as
  the generator and renderer would; latency is from the `ready` lifecycle event's time (when the gateway recorded
  `ready`) to the receiver getting the signed POST: outbox relay, lifecycle stream, webhooks group, delivery row,
  sender.

Goals (issue #17): >= 200 intake messages/s sustained; webhook p50 <= 200 ms. Prints one JSON line per round, then a
summary line.

    python bench/bench_integrations.py [--messages 1000] [--webhooks 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import asyncpg
from redis.asyncio import Redis

from propos4l.gateway.intake import intake_proposal_id
from propos4l.shared.db import apply_migrations
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import LlmUsage, ProposalDrafted, ProposalRendered, ProposalRequest, Section
from propos4l.shared.localrun.postgres_server import LocalPostgres
from propos4l.shared.localrun.redis_server import LocalRedis
from propos4l.shared.producer_access import apply_producer, new_password, producer_user
from propos4l.shared.runtime import connect_redis
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from propos4l.shared.streams import Stream, producer_streams
from tests.support.gateway import AUTH, gateway_settings, running_gateway

GOAL_MESSAGES_PER_SECOND: Final = 200.0
CPU_MS_PER_MESSAGE: list[float] = []  # each intake round's CPU time (gateway, PostgreSQL, Redis) per message
GOAL_WEBHOOK_P50_MS: Final = 200.0
REQUEST: Final = {
    "client_name": "Acme Logística",
    "industry": "Logistics",
    "requirements": "Track the fleet in real time and integrate with the ERP.",
    "language": "en",
}
PDF_BYTES: Final = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class Receiver:
    """A webhook receiver on loopback that notes when each `proposal.ready` arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}  # proposal id -> seconds from the ready event to arrival
        received = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
                occurred = datetime.fromisoformat(body["data"]["occurred_at"]).timestamp()
                received.setdefault(body["data"]["proposal_id"], arrived - occurred)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def cpu_seconds() -> float:
    """CPU time used so far by this process (the gateway runs in it) and its live descendants (PostgreSQL's server
    and backends, Redis): a cost per message that the machine's other work does not change as much as the rate."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    mine = {os.getpid()}
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in mine} - mine
        grew = bool(more)
        mine |= more
    return sum(used.get(pid, 0.0) for pid in mine)


def load() -> dict[str, float]:
    """The machine's load average (1 and 5 min) and cores: other work shares them."""
    one, five, _ = os.getloadavg()
    return {"load_1m": round(one, 1), "load_5m": round(five, 1), "cores": float(os.cpu_count() or 0)}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def intake_round(producer: Any, pool: asyncpg.Pool, number: int, messages: int) -> tuple[float, list[uuid.UUID]]:
    keys = [f"r{number}-{index}" for index in range(messages)]
    request = json.dumps(REQUEST)
    async with producer.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.xadd(
                producer_streams("bench").intake,
                {"schema_version": "1", "idempotency_key": key, "request": request},
            )
        started = time.perf_counter()
        cpu_before = cpu_seconds()
        await pipe.execute()
    while True:
        done = await pool.fetchval("SELECT count(*) FROM intake_requests WHERE idempotency_key LIKE $1", f"r{number}-%")
        if done >= messages:
            break
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    CPU_MS_PER_MESSAGE.append((cpu_seconds() - cpu_before) * 1000 / messages)
    return messages / elapsed, [intake_proposal_id("bench", key) for key in keys]


async def http_round(client: Any, messages: int, parallel: int = 32) -> tuple[float, int]:
    """The same number of proposals through POST /api/proposals, `parallel` at a time: the HTTP path's rate on the
    machine as it is now, to read the intake's against; and how many were refused (503 when the database does not
    answer in time, on a machine other work shares). The rate counts the accepted ones."""
    queue = list(range(messages))
    refused = 0
    started = time.perf_counter()

    async def worker() -> None:
        nonlocal refused
        while queue:
            queue.pop()
            response = await client.post("/api/proposals", json=REQUEST)
            if response.status_code == 503:
                refused += 1
            else:
                assert response.status_code == 202, response.text

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return (messages - refused) / (time.perf_counter() - started), refused


async def settled(redis: Any, pool: asyncpg.Pool) -> None:
    """Wait until the outbox is published and the webhooks group has read the lifecycle stream to its end, so that a
    webhook round measures its own events, not the backlog of an intake burst."""
    while True:
        unpublished = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        groups = await redis.xinfo_groups(Stream.PROPOSAL_LIFECYCLE.value)
        webhooks = next((group for group in groups if group["name"] == "webhooks"), None)
        if unpublished == 0 and webhooks is not None and not webhooks["lag"] and not webhooks["pending"]:
            return
        await asyncio.sleep(0.1)


async def webhook_round(redis: Any, storage: Path, receiver: Receiver, proposals: list[uuid.UUID]) -> list[float]:
    publisher = Publisher(redis)
    request = ProposalRequest.model_validate(REQUEST)
    sections = tuple(
        Section(key=key, title=section_title(key, Language.EN), content=f"Content of {key.value}.")
        for key in SECTION_KEYS
    )
    for proposal_id in proposals:
        (storage / str(proposal_id)).mkdir(parents=True, exist_ok=True)
        (storage / str(proposal_id) / "v1.pdf").write_bytes(PDF_BYTES)
        await publisher.publish(
            ProposalDrafted(
                proposal_id=proposal_id,
                version=1,
                request=request,
                sections=sections,
                provider="outline",
                model="outline",
                ai_generated=False,
                prompt_version="outline-v1",
                usage=LlmUsage(),
            )
        )
        await publisher.publish(
            ProposalRendered(
                proposal_id=proposal_id,
                version=1,
                pdf_path=f"{proposal_id}/v1.pdf",
                pdf_sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
                pdf_bytes=len(PDF_BYTES),
                pages=1,
                render_ms=1,
            )
        )
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 60
    wanted = {str(proposal_id) for proposal_id in proposals}
    while not wanted <= receiver.arrivals.keys() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return [receiver.arrivals[key] * 1000 for key in wanted if key in receiver.arrivals]


async def run(messages: int, webhooks: int, rounds: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="propos4l-bench-integrations-"))
    redis_server = LocalRedis(folder / "redis")
    postgres = LocalPostgres(folder / "postgres")
    redis_server.start()
    postgres.start()
    receiver = Receiver()
    try:
        await apply_migrations(postgres.url)
        settings = gateway_settings(
            postgres.url,
            redis_server.url,
            folder,
            webhook_allowed_networks="127.0.0.1/32",
            outbox_poll_seconds=1.0,
            intake_producer_scan_seconds=0.5,
        )
        redis = connect_redis(redis_server.url)
        password = new_password()
        await apply_producer(redis, "bench", password)
        where = urlsplit(redis_server.url)
        producer = Redis(
            host=where.hostname or "127.0.0.1",
            port=where.port or 6379,
            username=producer_user("bench"),
            password=password,
            decode_responses=True,
        )
        pool = await asyncpg.create_pool(postgres.url, min_size=1, max_size=2)
        async with running_gateway(settings, headers=AUTH) as gateway:
            created = await gateway.client.post(
                "/api/webhooks", json={"url": receiver.url, "event_types": ["proposal.ready"]}
            )
            assert created.status_code == 201, created.text
            await intake_round(producer, pool, 0, 50)  # warm-up: connections, prepared statements
            rates: list[float] = []
            http_rates: list[float] = []
            p50s: list[float] = []
            for number in range(1, rounds + 1):
                rate, proposals = await intake_round(producer, pool, number, messages)
                cpu = CPU_MS_PER_MESSAGE[-1]
                print(
                    json.dumps(
                        {
                            "round": number,
                            "intake_per_second": round(rate, 1),
                            "intake_cpu_ms_per_message": round(cpu, 2),
                        }
                        | load()
                    ),
                    flush=True,
                )
                http_rate, http_refused = await http_round(gateway.client, messages)
                await settled(redis, pool)
                latencies = await webhook_round(redis, folder / "pdfs", receiver, proposals[:webhooks])
                rates.append(rate)
                http_rates.append(http_rate)
                p50s.append(percentile(latencies, 0.5))
                print(
                    json.dumps(
                        {
                            "round": number,
                            "intake_messages": messages,
                            "intake_per_second": round(rate, 1),
                            "http_post_per_second": round(http_rate, 1),
                            "http_post_refused_503": http_refused,
                            "webhooks": len(latencies),
                            "webhook_p50_ms": round(percentile(latencies, 0.5), 1),
                            "webhook_p95_ms": round(percentile(latencies, 0.95), 1),
                            "webhook_max_ms": round(max(latencies), 1),
                        }
                    ),
                    flush=True,
                )
        await pool.close()
        await producer.aclose()
        await redis.aclose()
        summary = {
            "intake_per_second_median": round(statistics.median(rates), 1),
            "intake_cpu_ms_per_message_median": round(statistics.median(CPU_MS_PER_MESSAGE[1:]), 2),
            "intake_goal": GOAL_MESSAGES_PER_SECOND,
            "http_post_per_second_median": round(statistics.median(http_rates), 1),
            "webhook_p50_ms_median": round(statistics.median(p50s), 1),
            "webhook_goal_p50_ms": GOAL_WEBHOOK_P50_MS,
        }
        print(json.dumps(summary))
        return 0
    finally:
        receiver.server.shutdown()
        postgres.stop()
        redis_server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(run(arguments.messages, arguments.webhooks, arguments.rounds)))


if __name__ == "__main__":
    main()
