"""A full PDF storage (ENOSPC) is an outage: the renderer pauses, says where, and fails a proposal only at the end.

The disk is not filled: the write at the storage boundary (the PDF store's put_once) is replaced by one that raises
ENOSPC while `full` is set, as `write()` does on a full filesystem.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from redis.asyncio import Redis

from propos4l.renderer import app
from propos4l.renderer.app import serve
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.settings import RendererSettings
from propos4l.shared.delivery import Publisher
from propos4l.shared.envelope import decode
from propos4l.shared.events import ProposalDrafted, ProposalFailed
from propos4l.shared.object_store import LocalFolderStore, StoredObject
from propos4l.shared.sections import Language
from propos4l.shared.streams import ConsumerGroup, Stream
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

StartRenderer = Callable[[float], AbstractAsyncContextManager[RendererSettings]]


class FullDisk(LocalFolderStore):
    """The PDF storage's writes fail with ENOSPC while `full` is set; `attempts` counts the writes tried."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.full = True
        self.attempts: list[Path] = []

    def put_once(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        path = self.root / key
        self.attempts.append(path)
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device", str(path.parent))
        return super().put_once(key, data, content_type)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> FullDisk:
    full_disk = FullDisk(data_dir / "pdfs")
    monkeypatch.setattr(app, "open_store", lambda *_: full_disk)
    return full_disk


@pytest.fixture
def start_renderer(redis_url: str, data_dir: Path) -> StartRenderer:
    @asynccontextmanager
    async def started(give_up_seconds: float) -> AsyncIterator[RendererSettings]:
        settings = RendererSettings(
            redis_url=redis_url,
            pdf_storage_dir=data_dir / "pdfs",
            templates_dir=data_dir / "templates",
            renderer_workers=1,
            delivery_visibility_timeout_seconds=0.5,
            delivery_max_deliveries=1,  # a counted failure would dead-letter at once
            delivery_shutdown_grace_seconds=1,
            delivery_outage_give_up_seconds=give_up_seconds,
        )
        stop = asyncio.Event()
        service = asyncio.create_task(serve(settings, stop))
        try:
            yield settings
        finally:
            stop.set()
            await asyncio.wait_for(service, timeout=30)

    return started


def draft() -> ProposalDrafted:
    return sample_drafted(Language.PT_BR).model_copy(update={"event_id": uuid.uuid4(), "proposal_id": uuid.uuid4()})


async def test_a_full_disk_pauses_the_renderer_and_it_goes_on_once_there_is_space(
    start_renderer: StartRenderer,
    disk: FullDisk,
    redis: Redis,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first, second = draft(), draft()
    async with start_renderer(0):
        await Publisher(redis).publish(first)
        await Publisher(redis).publish(second)
        await wait_for(lambda: asyncio.sleep(0, len(disk.attempts) >= 3), timeout=60, message="no retries")
        assert {path.parent.name for path in disk.attempts} == {str(first.proposal_id)}  # paused: second not taken
        paused = [record for record in caplog.records if getattr(record, "dependency", None) == "pdf_storage"]
        assert paused and paused[0].levelno == logging.ERROR
        assert paused[0].location == str(data_dir / "pdfs")  # type: ignore[attr-defined]
        disk.full = False

        async def both_rendered() -> bool:
            return int(await redis.xlen(Stream.PROPOSAL_RENDERED.value)) == 2

        await wait_for(both_rendered, timeout=60, message="the renderer did not go on once there was space")
    assert await redis.xlen(Stream.PROPOSAL_FAILED.value) == 0
    assert (data_dir / "pdfs" / str(first.proposal_id) / "v1.pdf").read_bytes().startswith(b"%PDF-")
    summary = await redis.xpending(Stream.PROPOSAL_DRAFTED.value, ConsumerGroup.RENDERER.value)
    assert int(summary["pending"]) == 0


async def test_a_disk_full_for_longer_than_the_give_up_time_fails_the_proposal_saying_so(
    start_renderer: StartRenderer, disk: FullDisk, redis: Redis
) -> None:
    drafted = draft()
    async with start_renderer(1.0):
        await Publisher(redis).publish(drafted)

        async def failed() -> list[tuple[str, dict[str, str]]]:
            return await redis.xrange(Stream.PROPOSAL_FAILED.value)  # type: ignore[no-any-return]

        entries = await wait_for(failed, timeout=60, message="the proposal never failed")
    failure = decode(entries[0][1]).open(ProposalFailed)
    assert failure.proposal_id == drafted.proposal_id
    assert failure.detail == "the renderer gave up on this proposal: no space left on the PDF storage"
    assert str(disk.attempts[0].parent) not in failure.detail  # the folder is for the operator's log, not clients
