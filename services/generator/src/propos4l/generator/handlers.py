"""The generator's transport edge: read a request, draft with live progress, publish the draft or the failure."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from propos4l.generator.drafting import Draft, Drafter, DraftFailed
from propos4l.generator.llm import LlmUnavailable, RetryListener, TextListener
from propos4l.generator.messages import Message, say
from propos4l.generator.progress import PartialSections, ProgressReporter, SectionsProgress
from propos4l.shared.compliance_annex import compliance_lines as annex_lines
from propos4l.shared.delivery import DeadLetter, Delivery, Publisher, dead_letter_failure
from propos4l.shared.events import (
    ComplianceLine,
    FailureStage,
    GenerationStarted,
    ProposalDrafted,
    ProposalEvent,
    ProposalFailed,
    ProposalProgressed,
    ProposalRequest,
    ProposalRequested,
    Section,
    SectionRegenerationRequested,
    derived_event_id,
)
from propos4l.shared.grounding import ContextPassage, DraftingContext, SectionSources
from propos4l.shared.sections import SectionKey
from propos4l.shared.telemetry import record_generation

__all__ = ["GenerationHandlers"]

logger = logging.getLogger(__name__)


class GenerationHandlers:
    """Handlers of the generator's consumers (new proposals, and sections to write again)."""

    def __init__(
        self, drafter: Drafter, publisher: Publisher, max_deliveries: int, *, progress_interval: float = 0.5
    ) -> None:
        self._drafter = drafter
        self._publisher = publisher
        self._max_deliveries = max_deliveries
        self._progress_interval = progress_interval

    async def on_requested(self, delivery: Delivery) -> None:
        """Draft every section of the requested version."""
        requested = delivery.envelope.open(ProposalRequested)
        if requested.context is not None and requested.context.empty:
            # Nothing to ground on (an empty library): drafted in one call, as before the library.
            requested = requested.model_copy(update={"context": None})
        reporter = self._reporter(requested, fields=None)
        sections = SectionsProgress(self._report(requested), interval=self._progress_interval)
        waits = self._retry_reporter(requested, requested.request)
        await self._produce(
            requested,
            requested.request,
            delivery,
            lambda: self._drafter.draft(
                requested.request, reporter, waits, context=requested.context, sections=sections
            ),
            context=requested.context,
        )

    async def on_regeneration_requested(self, delivery: Delivery) -> None:
        """Write one section again, as the new version the gateway opened."""
        regeneration = delivery.envelope.open(SectionRegenerationRequested)
        if regeneration.context is not None and regeneration.context.empty and not _grounded(regeneration):
            regeneration = regeneration.model_copy(update={"context": None})
        reporter = self._reporter(regeneration, fields={"content": regeneration.section})
        waits = self._retry_reporter(regeneration, regeneration.request)
        await self._produce(
            regeneration,
            regeneration.request,
            delivery,
            lambda: self._drafter.regenerate(regeneration, reporter, waits),
            edited_section=regeneration.section,
            context=regeneration.context,
        )

    async def on_dead_letter(self, dead: DeadLetter) -> None:
        """A request the generator gave up on: its proposal fails with the reason."""
        failure = dead_letter_failure(dead, FailureStage.GENERATION, "generator")
        if failure is not None:
            await self._publisher.publish(failure)

    async def _produce(
        self,
        cause: ProposalEvent,
        request: ProposalRequest,
        delivery: Delivery,
        work: Callable[[], Awaitable[Draft]],
        *,
        edited_section: SectionKey | None = None,
        context: DraftingContext | None = None,
    ) -> None:
        """Announce the start, do the work, publish the draft; a failure a retry cannot fix is published."""
        ids = {"proposal_id": cause.proposal_id, "version": cause.version}
        await self._publisher.publish(
            GenerationStarted(
                event_id=derived_event_id(cause.event_id, GenerationStarted.event_type),
                provider=self._drafter.provider,
                model=self._drafter.model,
                **ids,
            )
        )
        provider, model, started = self._drafter.provider, self._drafter.model, time.monotonic()
        try:
            draft = await work()
        except DraftFailed as error:
            record_generation(provider, model, "failed", time.monotonic() - started)
            await self._publish_failure(cause, str(error))
            return
        except LlmUnavailable as error:
            record_generation(provider, model, "unavailable", time.monotonic() - started)
            if delivery.deliveries < self._max_deliveries:
                raise
            await self._publish_failure(
                cause,
                say(Message.MODEL_UNAVAILABLE, request.language, deliveries=delivery.deliveries, reason=error),
            )
            return
        record_generation(draft.provider, draft.model, "drafted", time.monotonic() - started, draft.usage)
        await self._publisher.publish(
            ProposalDrafted(
                event_id=derived_event_id(cause.event_id, ProposalDrafted.event_type),
                request=request,
                sections=draft.sections,
                investment_items=draft.investment_items,
                timeline_phases=draft.timeline_phases,
                assumptions=draft.assumptions,
                provider=draft.provider,
                model=draft.model,
                ai_generated=draft.ai_generated,
                prompt_version=draft.prompt_version,
                usage=draft.usage,
                origin="regenerate" if edited_section else "draft",
                edited_section=edited_section,
                sources=draft.sources,
                team=draft.team,
                effort=draft.effort,
                flags=draft.flags,
                budget_comparison=draft.budget_comparison,
                cited_passages=cited_passages(context, draft.sources),
                compliance=compliance_lines(context, draft.sections),
                **ids,
            )
        )
        logger.info(
            "proposal drafted",
            extra={"proposal_id": str(cause.proposal_id), "version": cause.version, "provider": draft.provider},
        )

    def _reporter(self, cause: ProposalEvent, fields: dict[str, SectionKey] | None) -> TextListener:
        return ProgressReporter(self._report(cause), interval=self._progress_interval, fields=fields)

    def _report(self, cause: ProposalEvent) -> Callable[[PartialSections, int], Awaitable[None]]:
        """Publishes a section's text so far, and the sections completed, as progress of `cause`'s version."""

        async def report(partial: PartialSections, characters: int) -> None:
            await self._publisher.publish(
                ProposalProgressed(
                    proposal_id=cause.proposal_id,
                    version=cause.version,
                    section=partial.current,
                    text=partial.text,
                    completed=partial.completed,
                    characters=characters,
                )
            )

        return report

    def _retry_reporter(self, cause: ProposalEvent, request: ProposalRequest) -> RetryListener:
        """Tells the people following the draft that the model server is not answering and when it is tried again."""

        async def report(reason: str, delay: float) -> None:
            seconds = max(1, round(delay))
            await self._publisher.publish(
                ProposalProgressed(
                    proposal_id=cause.proposal_id,
                    version=cause.version,
                    section=None,
                    text="",
                    characters=0,
                    notice=say(Message.MODEL_RETRYING, request.language, seconds=seconds),
                    retry_in_seconds=seconds,
                )
            )

        return report

    async def _publish_failure(self, cause: ProposalEvent, detail: str) -> None:
        logger.warning("drafting failed", extra={"proposal_id": str(cause.proposal_id), "reason": detail})
        await self._publisher.publish(
            ProposalFailed(
                event_id=derived_event_id(cause.event_id, ProposalFailed.event_type),
                proposal_id=cause.proposal_id,
                version=cause.version,
                stage=FailureStage.GENERATION,
                detail=detail,
            )
        )


def cited_passages(context: DraftingContext | None, sources: Sequence[SectionSources]) -> tuple[ContextPassage, ...]:
    """The context's passages the sections cite, in the context's order: the PDF's annex quotes them.

    A regeneration's context is retrieved again for its one section: passages the other sections cite from the base
    version's context are not in it, and the annex then lists only what it has.
    """
    if context is None:
        return ()
    cited = {passage_id for section in sources for passage_id in section.passage_ids}
    return tuple(passage for passage in context.passages if passage.id in cited)


def compliance_lines(context: DraftingContext | None, sections: Sequence[Section]) -> tuple[ComplianceLine, ...]:
    """The context's client requirements and the status of each in the drafted version: a person's where one was
    set when the version was asked for, else the gateway's own check of the sections (`requirement_coverage.assess`):
    the PDF's compliance annex."""
    if context is None or not context.requirements:
        return ()
    return annex_lines(context.requirements, sections)


def _grounded(regeneration: SectionRegenerationRequested) -> bool:
    """Whether the version a regeneration starts from was drafted from the library."""
    return bool(regeneration.base_sources or regeneration.team or regeneration.effort)
