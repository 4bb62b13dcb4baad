"""The gateway's record of each version's PDF (path, SHA-256, size), and the stored PDFs that no longer match it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from propos4l.backup.model import FileEntry

__all__ = ["PdfRecords", "RecordedPdf", "pdf_record_mismatches"]


@dataclass(frozen=True, slots=True)
class RecordedPdf:
    """What the gateway recorded for one version's PDF when it was rendered."""

    path: str
    sha256: str
    size: int


class PdfRecords:
    """Reads the gateway's `proposal_versions` table (read only: the gateway owns it)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def read(self) -> dict[str, RecordedPdf]:
        """Every recorded PDF, by its path inside the PDF storage."""
        rows = await self._pool.fetch(
            """SELECT pdf_path, pdf_sha256, pdf_bytes FROM proposal_versions
               WHERE pdf_path IS NOT NULL AND pdf_sha256 IS NOT NULL AND pdf_bytes IS NOT NULL"""
        )
        return {row["pdf_path"]: RecordedPdf(row["pdf_path"], row["pdf_sha256"], int(row["pdf_bytes"])) for row in rows}


def pdf_record_mismatches(files: Iterable[FileEntry], recorded: Mapping[str, RecordedPdf]) -> tuple[str, ...]:
    """Each recorded PDF that is missing from `files` or holds other bytes, one line naming it; sorted by path.

    `recorded` must be read before the files were listed: a PDF is stored before its record is written, so every
    record read earlier has its file, and a file with no record yet is not a problem.
    """
    stored = {entry.path: entry for entry in files}
    problems = []
    for path, record in sorted(recorded.items()):
        entry = stored.get(path)
        if entry is None:
            problems.append(f"{path}: recorded but missing from the PDF storage")
        elif entry.size != record.size or entry.sha256 != record.sha256:
            problems.append(
                f"{path}: the file is {entry.size} bytes with SHA-256 {entry.sha256}, "
                f"but {record.size} bytes with SHA-256 {record.sha256} were recorded"
            )
    return tuple(problems)
