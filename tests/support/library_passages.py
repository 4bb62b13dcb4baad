"""Library entries and their passages written straight into PostgreSQL, as the gateway's entry API writes them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from propos4l.shared.library_text import content_digest, passage_id, search_config, search_text

__all__ = ["add_entry"]


async def add_entry(
    connection: Any,
    *,
    title: str,
    body: str,
    kind: str = "case_study",
    language: str = "pt-BR",
    industries: Sequence[str] = (),
    technologies: Sequence[str] = (),
    active: bool = True,
    headings: Sequence[str] = (),
) -> tuple[uuid.UUID, uuid.UUID]:
    """An entry with one passage (its title and body); return the entry's and the passage's ids."""
    entry_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO library_entries (id, kind, language, title, active, owner) VALUES ($1, $2, $3, $4, $5, 'tests')",
        entry_id,
        kind,
        language,
        title,
        active,
    )
    digest = content_digest(title, *headings, body)
    passage = passage_id(entry_id, 0, digest)
    await connection.execute(
        """INSERT INTO library_passages (id, entry_id, ordinal, kind, language, title, heading_path, body, industries,
                                         technologies, search_config, search_text, content_sha256)
           VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8, $9, $10::regconfig, $11, $12)""",
        passage,
        entry_id,
        kind,
        language,
        title,
        list(headings),
        body,
        list(industries),
        list(technologies),
        search_config(language),
        search_text(title, body, headings),
        digest,
    )
    return entry_id, passage
