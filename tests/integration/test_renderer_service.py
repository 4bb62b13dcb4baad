"""The renderer service on a real Redis: it takes only as many drafts as it has workers, and goes on after attacks."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from redis.asyncio import Redis

from propos4l.renderer.app import serve
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.settings import RendererSettings
from propos4l.renderer.templates import install_default_template
from propos4l.shared.delivery import Publisher
from propos4l.shared.envelope import decode
from propos4l.shared.events import ProposalDrafted, ProposalFailed, ProposalRendered
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.sections import Language
from propos4l.shared.streams import ConsumerGroup, Stream
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def renderer(redis_url: str, data_dir: Path) -> AsyncIterator[Path]:
    """A renderer with one worker and a 2 s CPU limit per render; yields its templates folder."""
    templates = data_dir / "templates"
    install_default_template(templates)
    loop_template = templates / "looping"
    shutil.copytree(templates / "default", loop_template)
    manifest = json.loads((loop_template / "manifest.json").read_text())
    (loop_template / "manifest.json").write_text(json.dumps({**manifest, "name": "looping"}))
    (loop_template / "template.html").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    )
    settings = RendererSettings(
        redis_url=redis_url,
        pdf_storage_dir=data_dir / "pdfs",
        templates_dir=templates,
        renderer_workers=1,
        render_timeout_seconds=60,
        render_cpu_seconds=5,  # an ordinary render measured 2.4-2.6 s of CPU here under load
        delivery_shutdown_grace_seconds=1,
    )
    stop = asyncio.Event()
    service = asyncio.create_task(serve(settings, stop))
    yield templates
    stop.set()
    await asyncio.wait_for(service, timeout=30)


def draft(language: Language = Language.PT_BR, template: str = "default") -> ProposalDrafted:
    return sample_drafted(language, template=template).model_copy(
        update={"event_id": uuid.uuid4(), "proposal_id": uuid.uuid4()}
    )


async def results(redis: Redis, count: int) -> list[ProposalRendered | ProposalFailed]:
    async def arrived() -> list[ProposalRendered | ProposalFailed] | None:
        found: list[tuple[str, ProposalRendered | ProposalFailed]] = []
        for stream, event_class in (
            (Stream.PROPOSAL_RENDERED, ProposalRendered),
            (Stream.PROPOSAL_FAILED, ProposalFailed),
        ):
            for entry_id, fields in await redis.xrange(stream.value):
                found.append((entry_id, decode(fields).open(event_class)))
        found.sort(key=lambda item: tuple(int(part) for part in item[0].split("-")))
        return [event for _, event in found] if len(found) >= count else None

    events: list[ProposalRendered | ProposalFailed] = await wait_for(arrived, timeout=120, message="renders")
    return events


async def test_a_replica_takes_no_more_drafts_than_it_has_workers(renderer: Path, redis: Redis, data_dir: Path) -> None:
    drafts = [draft(language) for language in (Language.PT_BR, Language.EN, Language.PT_BR)]
    publisher = Publisher(redis)
    for drafted in drafts:
        await publisher.publish(drafted)
    most_taken = 0
    while await redis.xlen(Stream.PROPOSAL_RENDERED.value) < len(drafts):
        groups = await redis.xinfo_groups(Stream.PROPOSAL_DRAFTED.value)
        group = next((g for g in groups if g["name"] == ConsumerGroup.RENDERER.value), None)
        most_taken = max(most_taken, int(group["pending"]) if group else 0)
        await asyncio.sleep(0.05)
    assert most_taken == 1  # one worker: one draft taken at a time, the others left in the stream for other replicas
    rendered = await results(redis, len(drafts))
    assert {event.proposal_id for event in rendered} == {drafted.proposal_id for drafted in drafts}
    for event in rendered:
        assert isinstance(event, ProposalRendered)
        pdf = (data_dir / "pdfs" / event.pdf_path).read_bytes()
        assert len(PdfReader(io.BytesIO(pdf)).pages) == event.pages


async def test_a_template_that_loops_forever_fails_its_proposal_and_the_renderer_goes_on(
    renderer: Path, redis: Redis
) -> None:
    attack, honest = draft(template="looping"), draft(Language.EN)
    publisher = Publisher(redis)
    await publisher.publish(attack)
    await publisher.publish(honest)
    failed, rendered = await results(redis, 2)
    assert isinstance(failed, ProposalFailed) and failed.proposal_id == attack.proposal_id
    assert failed.stage.value == "rendering" and "more than 5 s of CPU time" in failed.detail
    assert isinstance(rendered, ProposalRendered) and rendered.proposal_id == honest.proposal_id


async def _ready_answer(port: int, status: int) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def answered() -> httpx.Response | None:
            try:
                response = await client.get("/ready")
            except httpx.TransportError:
                return None
            return response if response.status_code == status else None

        response = await wait_for(answered, timeout=20, message=f"/ready never answered {status}")
        assert (await client.get("/health")).status_code == 200
        return response


@pytest.mark.parametrize("redis_alive", [True, False])
async def test_renderer_serves_its_health_and_says_why_it_is_not_ready(
    redis_url: str, data_dir: Path, redis_alive: bool
) -> None:
    port = free_port()
    settings = RendererSettings(
        redis_url=redis_url if redis_alive else f"redis://127.0.0.1:{free_port()}/0",
        pdf_storage_dir=data_dir / "pdfs",
        templates_dir=data_dir / "templates",
        renderer_workers=1,
        health_port=port,
        delivery_shutdown_grace_seconds=1,
    )
    stop = asyncio.Event()
    service = asyncio.create_task(serve(settings, stop))
    try:
        if redis_alive:
            assert (await _ready_answer(port, 200)).json()["reason"] == "ready"
        else:
            assert "Redis does not answer" in (await _ready_answer(port, 503)).json()["reason"]
    finally:
        stop.set()
        await asyncio.wait_for(service, timeout=30)


async def test_a_version_whose_pdf_is_stored_keeps_it_and_reports_its_hash(
    renderer: Path, redis: Redis, data_dir: Path
) -> None:
    drafted = draft(Language.EN)
    stored = data_dir / "pdfs" / str(drafted.proposal_id) / f"v{drafted.version}.pdf"
    stored.parent.mkdir(parents=True)
    first_render = b"%PDF-1.7 the bytes recorded for this version the first time it rendered"
    stored.write_bytes(first_render)
    await Publisher(redis).publish(drafted)
    [event] = await results(redis, 1)
    assert isinstance(event, ProposalRendered)
    assert stored.read_bytes() == first_render  # never replaced once written
    assert (event.pdf_sha256, event.pdf_bytes) == (hashlib.sha256(first_render).hexdigest(), len(first_render))
    assert not [path.name for path in stored.parent.iterdir() if path != stored]  # no temporary file left behind


async def test_the_same_version_rendered_twice_gives_one_file_and_one_hash(
    renderer: Path, redis: Redis, data_dir: Path
) -> None:
    drafted = draft()
    again = drafted.model_copy(update={"event_id": uuid.uuid4()})  # e.g. replayed from a dead-letter stream
    publisher = Publisher(redis)
    await publisher.publish(drafted)
    await publisher.publish(again)
    first, second = await results(redis, 2)
    assert isinstance(first, ProposalRendered) and isinstance(second, ProposalRendered)
    assert first.pdf_path == second.pdf_path and first.pdf_sha256 == second.pdf_sha256
    assert hashlib.sha256((data_dir / "pdfs" / first.pdf_path).read_bytes()).hexdigest() == first.pdf_sha256


async def test_a_proposal_past_its_page_or_size_limit_fails_with_the_limit_named(
    redis_url: str, redis: Redis, data_dir: Path
) -> None:
    templates = data_dir / "templates"
    install_default_template(templates)
    settings = RendererSettings(
        redis_url=redis_url,
        pdf_storage_dir=data_dir / "pdfs",
        templates_dir=templates,
        renderer_workers=1,
        render_max_pages=3,
        proposal_max_characters=10_000,
        delivery_shutdown_grace_seconds=1,
    )
    stop = asyncio.Event()
    service = asyncio.create_task(serve(settings, stop))
    try:
        long_pages = draft()  # six pages
        oversize = draft()
        oversize = oversize.model_copy(
            update={"sections": tuple(s.model_copy(update={"content": "x" * 1_001}) for s in oversize.sections)}
        )
        publisher = Publisher(redis)
        await publisher.publish(long_pages)
        await publisher.publish(oversize)
        failures = {event.proposal_id: event for event in await results(redis, 2)}
    finally:
        stop.set()
        await asyncio.wait_for(service, timeout=30)
    pages_failure, size_failure = failures[long_pages.proposal_id], failures[oversize.proposal_id]
    assert isinstance(pages_failure, ProposalFailed) and "RENDER_MAX_PAGES" in pages_failure.detail
    assert isinstance(size_failure, ProposalFailed) and "PROPOSAL_MAX_CHARACTERS (10,000)" in size_failure.detail
    assert not (data_dir / "pdfs" / str(long_pages.proposal_id)).exists()


async def test_a_worker_is_kept_for_small_proposals_while_large_ones_render(
    redis_url: str, redis: Redis, data_dir: Path
) -> None:
    templates = data_dir / "templates"
    install_default_template(templates)
    slow = templates / "slow"
    shutil.copytree(templates / "default", slow)
    manifest = json.loads((slow / "manifest.json").read_text())
    (slow / "manifest.json").write_text(json.dumps({**manifest, "name": "slow"}))
    (slow / "template.html").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    )
    settings = RendererSettings(
        redis_url=redis_url,
        pdf_storage_dir=data_dir / "pdfs",
        templates_dir=templates,
        renderer_workers=2,
        render_cpu_seconds=6,
        render_large_proposal_characters=5_000,
        delivery_shutdown_grace_seconds=1,
    )

    def large() -> ProposalDrafted:  # runs until its CPU limit, on a large proposal
        drafted = draft(template="slow")
        sections = tuple(s.model_copy(update={"content": "x" * 1_000}) for s in drafted.sections)
        return drafted.model_copy(update={"sections": sections})

    small = draft(Language.EN)
    small = small.model_copy(
        update={"sections": tuple(s.model_copy(update={"content": "Short."}) for s in small.sections)}
    )
    publisher = Publisher(redis)
    for drafted in (large(), large(), small, large()):
        await publisher.publish(drafted)
    stop = asyncio.Event()
    service = asyncio.create_task(serve(settings, stop))
    try:
        first = (await results(redis, 1))[0]
    finally:
        stop.set()
        await asyncio.wait_for(service, timeout=60)
    # Two large proposals ahead of it, two workers: without a worker kept free it would wait for one of them.
    assert isinstance(first, ProposalRendered) and first.proposal_id == small.proposal_id
