"""The generator's transport edge: read a request event, draft, publish the draft or the failure."""

from __future__ import annotations

import logging

from propos4l.generator.drafting import Drafter, DraftFailed
from propos4l.generator.ollama import LlmUnavailable
from propos4l.shared.delivery import DeadLetter, Delivery, Publisher, dead_letter_failure
from propos4l.shared.events import (
    FailureStage,
    GenerationStarted,
    ProposalDrafted,
    ProposalFailed,
    ProposalRequested,
    derived_event_id,
)

__all__ = ["GenerationHandlers"]

logger = logging.getLogger(__name__)


class GenerationHandlers:
    """Handlers of the generator's consumer."""

    def __init__(self, drafter: Drafter, publisher: Publisher, max_deliveries: int) -> None:
        self._drafter = drafter
        self._publisher = publisher
        self._max_deliveries = max_deliveries

    async def on_requested(self, delivery: Delivery) -> None:
        """Draft the requested version; a failure a retry cannot fix is published, not retried."""
        requested = delivery.envelope.open(ProposalRequested)
        ids = {"proposal_id": requested.proposal_id, "version": requested.version}
        await self._publisher.publish(
            GenerationStarted(
                event_id=derived_event_id(requested.event_id, GenerationStarted.event_type),
                provider=self._drafter.provider,
                model=self._drafter.model,
                **ids,
            )
        )
        try:
            draft = await self._drafter.draft(requested.request)
        except DraftFailed as error:
            await self._publish_failure(requested, str(error))
            return
        except LlmUnavailable as error:
            if delivery.deliveries < self._max_deliveries:
                raise
            await self._publish_failure(
                requested,
                f"the model server stayed unavailable over {delivery.deliveries} deliveries: {error}",
            )
            return
        await self._publisher.publish(
            ProposalDrafted(
                event_id=derived_event_id(requested.event_id, ProposalDrafted.event_type),
                request=requested.request,
                sections=draft.sections,
                provider=draft.provider,
                model=draft.model,
                ai_generated=draft.ai_generated,
                prompt_version=draft.prompt_version,
                usage=draft.usage,
                **ids,
            )
        )
        logger.info(
            "proposal drafted",
            extra={
                "proposal_id": str(requested.proposal_id),
                "version": requested.version,
                "provider": draft.provider,
            },
        )

    async def on_dead_letter(self, dead: DeadLetter) -> None:
        """A request the generator gave up on: its proposal fails with the reason."""
        failure = dead_letter_failure(dead, FailureStage.GENERATION, "generator")
        if failure is not None:
            await self._publisher.publish(failure)

    async def _publish_failure(self, requested: ProposalRequested, detail: str) -> None:
        logger.warning("drafting failed", extra={"proposal_id": str(requested.proposal_id), "reason": detail})
        await self._publisher.publish(
            ProposalFailed(
                event_id=derived_event_id(requested.event_id, ProposalFailed.event_type),
                proposal_id=requested.proposal_id,
                version=requested.version,
                stage=FailureStage.GENERATION,
                detail=detail,
            )
        )
