"""The generator's edge for a document's requirements (issue #16): the model's pass over what the rules found.

A `proposal.requirements-found` event is answered with one `proposal.requirements-reviewed`, always: without a
model (the outline provider), or with the model server failing or refusing, the review says it was skipped and the
rules' labels stand; no requirement is ever dropped here (`requirement_review`).
"""

from __future__ import annotations

import logging
from typing import Any

from propos4l.generator.llm import ChatModel, LlmAnswerTooLong, LlmRejected, LlmUnavailable
from propos4l.generator.prompts import ChatMessage
from propos4l.generator.requirement_review import Ask, ReviewOutcome, review_requirements
from propos4l.shared.delivery import Delivery, Publisher
from propos4l.shared.events import (
    ProposalRequirementsFound,
    ProposalRequirementsReviewed,
    RequirementMerge,
    RequirementRelabel,
    derived_event_id,
)

__all__ = ["RequirementReviewHandler", "review_ask"]

logger = logging.getLogger(__name__)


def review_ask(client: ChatModel, model: str, options: dict[str, Any]) -> Ask:
    """How the review asks `model`: a refused or cut-off answer fails its batch only (an empty answer, counted as
    failed); the server not answering propagates (the caller gives the review up)."""

    async def ask(messages: list[ChatMessage], schema: dict[str, Any]) -> str:
        try:
            answer = await client.chat(model, messages, format_schema=schema, options=options)
        except (LlmRejected, LlmAnswerTooLong) as error:  # this batch only: counted as failed
            logger.info("requirement review batch not answered", extra={"error": str(error)})
            return ""
        return answer.content

    return ask


class RequirementReviewHandler:
    """Reviews a read document's requirements with the drafting model, and reports what it changed."""

    def __init__(self, client: ChatModel | None, model: str, options: dict[str, Any], publisher: Publisher) -> None:
        self._client = client
        self._model = model
        self._options = options
        self._publisher = publisher

    async def on_requirements_found(self, delivery: Delivery) -> None:
        """Classify and merge with the model; publish the outcome (or why there was none)."""
        found = delivery.envelope.open(ProposalRequirementsFound)
        skipped: str | None = None
        outcome = ReviewOutcome()
        if self._client is None:
            skipped = "no model is configured (outline drafting): the rules' labels stand"
        else:
            try:
                outcome = await review_requirements(
                    review_ask(self._client, self._model, self._options), found.requirements, found.language
                )
            except LlmUnavailable as error:
                skipped = f"the model did not answer ({error}): the rules' labels stand"
                outcome = ReviewOutcome()
        logger.info(
            "requirements reviewed",
            extra={
                "proposal_id": str(found.proposal_id),
                "document_id": str(found.document_id),
                "relabelled": len(outcome.relabels),
                "merged": len(outcome.merges),
                "ignored": outcome.ignored,
                "skipped": skipped,
            },
        )
        await self._publisher.publish(
            ProposalRequirementsReviewed(
                event_id=derived_event_id(found.event_id, ProposalRequirementsReviewed.event_type),
                proposal_id=found.proposal_id,
                version=found.version,
                document_id=found.document_id,
                model=self._model if self._client is not None else "none",
                relabels=tuple(
                    RequirementRelabel(id=item.id, kind=item.kind, obligation=item.obligation)
                    for item in outcome.relabels
                ),
                merges=tuple(RequirementMerge(kept=item.kept, merged=item.merged) for item in outcome.merges),
                confirmed=outcome.confirmed,
                ignored=outcome.ignored,
                failed_batches=outcome.failed_batches,
                batches=outcome.batches,
                skipped=skipped,
            )
        )
