"""A PDF backup checks the stored PDFs against the SHA-256 and size the gateway recorded for each version."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import Kind, Trigger, TriggerReason
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.pdf_records import PdfRecords
from propos4l.backup.store import BackupStore

pytestmark = pytest.mark.integration

MANUAL = Trigger(reason=TriggerReason.MANUAL)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    assert pool is not None
    yield pool
    await pool.close()


async def record_version(pool: asyncpg.Pool, pdfs: Path, data: bytes, *, stored: bytes | None) -> str:
    """A rendered version as the gateway records it (`data`), and what the PDF storage holds (`stored`, or nothing)."""
    proposal_id = uuid.uuid4()
    relative = f"{proposal_id}/v1.pdf"
    await pool.execute(
        """INSERT INTO proposals (id, client_name, industry, requirements, language, template, status)
           VALUES ($1, 'Client', 'Retail', 'Needs', 'en', 'default', 'ready')""",
        proposal_id,
    )
    await pool.execute(
        """INSERT INTO proposal_versions (proposal_id, version, pdf_path, pdf_sha256, pdf_bytes, pages, render_ms)
           VALUES ($1, 1, $2, $3, $4, 1, 10)""",
        proposal_id,
        relative,
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    if stored is not None:
        (pdfs / relative).parent.mkdir(parents=True)
        (pdfs / relative).write_bytes(stored)
    return relative


async def test_a_pdf_backup_reports_pdfs_that_differ_from_their_records(data_dir: Path, pool: asyncpg.Pool) -> None:
    pdfs = data_dir / "pdfs"
    pdfs.mkdir()
    intact = await record_version(pool, pdfs, b"%PDF-1.7 intact", stored=b"%PDF-1.7 intact")
    rewritten = await record_version(pool, pdfs, b"%PDF-1.7 first render", stored=b"%PDF-1.7 later render")
    cut = await record_version(pool, pdfs, b"%PDF-1.7 whole file", stored=b"%PDF-1.7 whole")
    missing = await record_version(pool, pdfs, b"%PDF-1.7 gone", stored=None)
    (pdfs / "unrecorded").mkdir()
    (pdfs / "unrecorded" / "v1.pdf").write_bytes(b"%PDF-1.7 not yet recorded")  # rendered, the event not yet in
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, Sources(pdf_storage_dir=pdfs), JobOptions(), pdf_records=PdfRecords(pool))

    result = await jobs.run(Kind.PDFS, MANUAL)

    assert result.created  # the backup keeps what is on disk: it is the only copy there is
    problems = {problem.split(":", 1)[0]: problem for problem in result.record_mismatches}
    assert set(problems) == {rewritten, cut, missing}
    assert (
        "SHA-256" in problems[rewritten] and hashlib.sha256(b"%PDF-1.7 later render").hexdigest() in problems[rewritten]
    )
    assert "14 bytes" in problems[cut] and "19 bytes" in problems[cut]
    assert "missing" in problems[missing]
    assert intact not in problems
    assert "3 stored PDFs differ from" in result.describe()
