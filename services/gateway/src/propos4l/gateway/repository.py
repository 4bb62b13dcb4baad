"""The gateway's records in PostgreSQL: proposals, their versions, and the outbox of events to publish."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from propos4l.shared.envelope import encode
from propos4l.shared.events import Event, ProposalRequest, ProposalRequested

__all__ = ["ProposalFilters", "ProposalRepository", "add_to_outbox"]

_PROPOSAL_COLUMNS = """
    p.id, p.client_name, p.industry, p.requirements, p.scope, p.timeline, p.budget, p.language, p.template,
    p.status, p.current_version, p.error_stage, p.error_detail, p.created_at, p.updated_at,
    v.sections, v.provider, v.model, v.ai_generated, v.prompt_version, v.prompt_tokens, v.output_tokens,
    v.llm_duration_ms, v.drafted_at, v.pdf_path, v.pdf_bytes, v.pages, v.render_ms, v.rendered_at
"""


@dataclass(frozen=True, slots=True)
class ProposalFilters:
    """Filters of the proposal list."""

    status: str | None = None
    industry: str | None = None
    search: str | None = None


class ProposalRepository:
    """Reads and writes the proposal tables through a pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, request: ProposalRequest, event: ProposalRequested) -> asyncpg.Record:
        """Store a new proposal and, in the same transaction, the event announcing it."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                """INSERT INTO proposals (id, client_name, industry, requirements, scope, timeline, budget,
                                          language, template, status, current_version)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10)""",
                event.proposal_id,
                request.client_name,
                request.industry,
                request.requirements,
                request.scope,
                request.timeline,
                request.budget,
                request.language.value,
                request.template,
                event.version,
            )
            await add_to_outbox(connection, event)
            row = await _fetch_proposal(connection, event.proposal_id)
        assert row is not None
        return row

    async def get(self, proposal_id: uuid.UUID) -> asyncpg.Record | None:
        """A proposal with its current version, or None."""
        async with self.pool.acquire() as connection:
            return await _fetch_proposal(connection, proposal_id)

    async def version(self, proposal_id: uuid.UUID, version: int) -> asyncpg.Record | None:
        """One version of a proposal, or None."""
        async with self.pool.acquire() as connection:
            return await connection.fetchrow(
                "SELECT * FROM proposal_versions WHERE proposal_id = $1 AND version = $2",
                proposal_id,
                version,
            )

    async def latest_rendered(self, proposal_id: uuid.UUID) -> asyncpg.Record | None:
        """The newest version that has a PDF, or None."""
        async with self.pool.acquire() as connection:
            return await connection.fetchrow(
                """SELECT * FROM proposal_versions WHERE proposal_id = $1 AND pdf_path IS NOT NULL
                   ORDER BY version DESC LIMIT 1""",
                proposal_id,
            )

    async def list(self, filters: ProposalFilters, *, limit: int, offset: int) -> tuple[Sequence[asyncpg.Record], int]:
        """A page of proposals, newest first, and how many match in all."""
        conditions, arguments = [], []
        if filters.status:
            arguments.append(filters.status)
            conditions.append(f"p.status = ${len(arguments)}")
        if filters.industry:
            arguments.append(filters.industry.lower())
            conditions.append(f"lower(p.industry) = ${len(arguments)}")
        if filters.search:
            arguments.append(f"%{_escape_like(filters.search)}%")
            conditions.append(f"p.client_name ILIKE ${len(arguments)}")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        async with self.pool.acquire() as connection:
            total = await connection.fetchval(f"SELECT count(*) FROM proposals p {where}", *arguments)  # noqa: S608
            rows = await connection.fetch(
                f"""SELECT {_PROPOSAL_COLUMNS}
                    FROM proposals p
                    LEFT JOIN proposal_versions v ON v.proposal_id = p.id AND v.version = p.current_version
                    {where}
                    ORDER BY p.created_at DESC, p.id DESC
                    LIMIT ${len(arguments) + 1} OFFSET ${len(arguments) + 2}""",  # noqa: S608
                *arguments,
                limit,
                offset,
            )
        return rows, int(total)


async def add_to_outbox(connection: asyncpg.Connection, event: Event) -> None:
    """Queue `event` for publication, inside the caller's transaction."""
    await connection.execute(
        "INSERT INTO outbox (event_id, stream, fields) VALUES ($1, $2, $3)",
        event.event_id,
        event.stream.value,
        encode(event),
    )


async def _fetch_proposal(connection: asyncpg.Connection, proposal_id: uuid.UUID) -> asyncpg.Record | None:
    return await connection.fetchrow(
        f"""SELECT {_PROPOSAL_COLUMNS}
            FROM proposals p
            LEFT JOIN proposal_versions v ON v.proposal_id = p.id AND v.version = p.current_version
            WHERE p.id = $1""",  # noqa: S608 - the column list is a constant
        proposal_id,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
