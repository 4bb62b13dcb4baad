"""The client's answer to a sent proposal: an acceptance or a decline, recorded with its review move in one
transaction; after an acceptance, the final PDF (the accepted PDF, an acceptance page, a PAdES signature when a
certificate is configured), stored beside the version's PDF (ADR 0024)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

import asyncpg

from propos4l.gateway.audit import Origin
from propos4l.gateway.final_pdf import (
    AcceptanceFacts,
    PdfSigner,
    acceptance_page_html,
    append_page,
    render_acceptance_page,
    unsigned,
)
from propos4l.gateway.review_transitions import TransitionRefused, apply_transition
from propos4l.renderer.pool import WorkerPool
from propos4l.shared.object_store import ObjectStore
from propos4l.shared.review import ReviewState
from propos4l.shared.sections import Language

__all__ = ["AlreadyAnswered", "Answer", "ShareAnswers", "TransitionRefused", "client_label", "final_pdf_key"]

logger = logging.getLogger(__name__)

_COLUMNS: Final = (
    "proposal_id, version, link_id, decision, name, email, role, note, reason, address, user_agent, answered_at, "
    "accepted_pdf_sha256, final_pdf_path, final_pdf_sha256, signature_level, final_pdf_problem"
)


class AlreadyAnswered(Exception):
    """The client has answered this proposal already."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A row of share_answers."""

    proposal_id: uuid.UUID
    version: int
    decision: Literal["accepted", "declined"]
    name: str
    email: str
    role: str | None
    note: str | None
    reason: str | None
    address: str | None
    answered_at: datetime
    accepted_pdf_sha256: str | None
    final_pdf_path: str | None
    final_pdf_sha256: str | None
    signature_level: Literal["B-B", "B-T"] | None
    final_pdf_problem: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Answer:
        """The answer of a row."""
        return cls(**{field.name: row[field.name] for field in dataclasses.fields(cls)})


def final_pdf_key(proposal_id: uuid.UUID, version: int) -> str:
    """Where the final PDF of an accepted version is stored (beside the version's own PDF)."""
    return f"{proposal_id}/v{version}-accepted.pdf"


def client_label(name: str, email: str) -> str:
    """How the audit log and the transition history name the client."""
    return f"client: {name} <{email}>"


class ShareAnswers:
    """Records answers and makes the final PDF."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        store: ObjectStore,
        *,
        signer: PdfSigner | None,
    ) -> None:
        self._pool = pool
        self._store = store
        self.signer = signer

    async def of_proposal(self, proposal_id: uuid.UUID) -> Answer | None:
        """The client's answer, if any."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM share_answers WHERE proposal_id = $1",  # noqa: S608 - a constant column list
            proposal_id,
        )
        return None if row is None else Answer.from_row(row)

    async def answer(
        self,
        *,
        proposal_id: uuid.UUID,
        version: int,
        link_id: uuid.UUID,
        decision: Literal["accepted", "declined"],
        name: str,
        email: str,
        role: str | None,
        note: str | None,
        reason: str | None,
        origin: Origin,
    ) -> Answer:
        """Record the answer and move the review state (accepted or declined) in one transaction.

        Raises `AlreadyAnswered`, or `TransitionRefused` when the proposal is no longer waiting for an answer
        (withdrawn, expired). The move itself writes the audit record and the lifecycle event."""
        label = client_label(name, email)
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT 1 FROM proposals WHERE id = $1 FOR UPDATE", proposal_id)
            if await connection.fetchval("SELECT 1 FROM share_answers WHERE proposal_id = $1", proposal_id):
                raise AlreadyAnswered
            pdf_sha256 = await connection.fetchval(
                "SELECT pdf_sha256 FROM proposal_versions WHERE proposal_id = $1 AND version = $2",
                proposal_id,
                version,
            )
            await apply_transition(
                connection,
                proposal_id,
                ReviewState.ACCEPTED if decision == "accepted" else ReviewState.DECLINED,
                actor=None,
                actor_label=label,
                reason=reason if decision == "declined" else note,
                version=version,
                origin=origin,
            )
            row = await connection.fetchrow(
                f"""INSERT INTO share_answers (proposal_id, version, link_id, decision, name, email, role, note,
                                               reason, address, user_agent, accepted_pdf_sha256)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    RETURNING {_COLUMNS}""",  # noqa: S608 - a constant column list
                proposal_id,
                version,
                link_id,
                decision,
                name,
                email,
                role,
                note,
                reason,
                origin.address,
                origin.user_agent,
                pdf_sha256 if decision == "accepted" else None,
            )
        return Answer.from_row(row)

    async def make_final_pdf(
        self, answer: Answer, *, client_name: str, company_name: str, language: str, workers: WorkerPool
    ) -> Answer:
        """Make and store the final PDF of an acceptance; a failure is recorded on the answer (and logged), never
        raised: the acceptance stands either way."""
        try:
            path, digest, level = await self._final_pdf(answer, client_name, company_name, language, workers)
        except Exception as error:  # the acceptance is recorded; the consultancy sees why the PDF is missing
            logger.exception("the final PDF of an acceptance failed", extra={"proposal_id": str(answer.proposal_id)})
            problem = f"{type(error).__name__}: {error}"[:500]
            row = await self._pool.fetchrow(
                f"UPDATE share_answers SET final_pdf_problem = $2 WHERE proposal_id = $1 RETURNING {_COLUMNS}",  # noqa: S608
                answer.proposal_id,
                problem,
            )
        else:
            row = await self._pool.fetchrow(
                f"""UPDATE share_answers SET final_pdf_path = $2, final_pdf_sha256 = $3, signature_level = $4,
                                             final_pdf_problem = NULL
                     WHERE proposal_id = $1 RETURNING {_COLUMNS}""",  # noqa: S608 - a constant column list
                answer.proposal_id,
                path,
                digest,
                level,
            )
        assert row is not None
        return Answer.from_row(row)

    async def _final_pdf(
        self, answer: Answer, client_name: str, company_name: str, language: str, workers: WorkerPool
    ) -> tuple[str, str, str | None]:
        pdf_path = await self._pool.fetchval(
            "SELECT pdf_path FROM proposal_versions WHERE proposal_id = $1 AND version = $2",
            answer.proposal_id,
            answer.version,
        )
        original = await asyncio.to_thread(self._store.read, pdf_path) if pdf_path else None
        if original is None:
            raise LookupError("the accepted version's PDF is missing from the PDF storage")
        digest = hashlib.sha256(original).hexdigest()
        if digest != answer.accepted_pdf_sha256:
            raise ValueError("the stored PDF's SHA-256 differs from the one recorded for the accepted version")
        facts = AcceptanceFacts(
            language=Language.EN if language == "en" else Language.PT_BR,
            client_name=client_name,
            company_name=company_name,
            version=answer.version,
            name=answer.name,
            email=answer.email,
            role=answer.role,
            note=answer.note,
            accepted_at=answer.answered_at.astimezone(UTC),
            address=answer.address,
            accepted_pdf_sha256=digest,
            accepted_pdf_bytes=len(original),
            signed_by=self.signer.subject if self.signer else None,
        )
        page: bytes = await workers.call(render_acceptance_page, acceptance_page_html(facts))
        writer = await asyncio.to_thread(append_page, original, page)
        if self.signer is not None:
            reason = "Proposta aceita" if facts.language == "pt-BR" else "Proposal accepted"
            data = await self.signer.sign(writer, reason=f"{reason}: {client_label(answer.name, answer.email)}")
            level: str | None = self.signer.level
        else:
            data = await asyncio.to_thread(unsigned, writer)
            level = None
        key = final_pdf_key(answer.proposal_id, answer.version)
        await asyncio.to_thread(self._store.put_once, key, data, "application/pdf")
        return key, hashlib.sha256(data).hexdigest(), level
