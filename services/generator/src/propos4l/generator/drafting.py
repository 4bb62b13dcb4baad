"""Drafting a proposal: ask the provider, validate, repair once, and say clearly why when it cannot be done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from propos4l.generator.draft import (
    DraftAnswer,
    InvalidDraft,
    SectionText,
    draft_json_schema,
    parse_answer,
    parse_draft,
)
from propos4l.generator.grounded import Grounding, SectionScheduler, ground, reground
from propos4l.generator.grounded_prompts import (
    build_grounded_messages,
    build_grounded_regeneration_messages,
    build_plan_messages,
    known_ids,
    passage_short_ids,
)
from propos4l.generator.llm import ChatModel, LlmAnswerTooLong, LlmRejected, RetryListener, TextListener
from propos4l.generator.messages import Message, say
from propos4l.generator.outline import default_effort, grounded_outline_texts, outline_draft, outline_team
from propos4l.generator.plan import (
    MAX_POINTS,
    MAX_SOURCES,
    Outline,
    PlanStreamReader,
    grounded_json_schema,
    outline_from_grounded,
    outline_from_plan,
    parse_grounded,
    parse_plan,
    plan_json_schema,
    regeneration_json_schema,
)
from propos4l.generator.progress import SectionsProgress
from propos4l.generator.prompts import (
    PROMPT_VERSION,
    ChatMessage,
    build_messages,
    build_regeneration_messages,
    repair_message,
    shorter_message,
)
from propos4l.shared.events import (
    InvestmentItem,
    LlmUsage,
    ProposalRequest,
    Section,
    SectionRegenerationRequested,
    TimelinePhase,
)
from propos4l.shared.grounding import (
    BudgetComparison,
    ClaimFlag,
    DraftingContext,
    EffortLine,
    SectionSources,
    TeamMember,
)
from propos4l.shared.sections import Language, SectionKey

__all__ = ["Draft", "DraftFailed", "Drafter", "Drafting", "LlmDrafter", "OutlineDrafter", "SectionAnswer"]

Drafting = Literal["single", "plan"]
"""How a draft with a library context is written: one call, or a plan and then every section on its own."""

logger = logging.getLogger(__name__)

Parsed = TypeVar("Parsed")


class DraftFailed(RuntimeError):
    """Drafting cannot succeed for this request; the message says why, for a person to read."""


class SectionAnswer(BaseModel):
    """The JSON object the model is asked for when it rewrites one section."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    content: SectionText


class GroundedSectionAnswer(BaseModel):
    """The JSON object the model is asked for when it rewrites one section with library passages."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    content: SectionText
    passage_ids: list[str] = []


@dataclass(frozen=True, slots=True)
class DraftContent:
    """What a draft says (every section and the structured parts), whoever wrote it."""

    sections: tuple[Section, ...]
    investment_items: tuple[InvestmentItem, ...]
    timeline_phases: tuple[TimelinePhase, ...]
    assumptions: tuple[str, ...]

    @classmethod
    def from_answer(cls, answer: DraftAnswer, language: Language) -> DraftContent:
        """The sections of `answer`, titled in `language`, with its structured parts."""
        items, phases, assumptions = answer.structured()
        return cls(answer.sections(language), items, phases, assumptions)

    @classmethod
    def regenerated(cls, regeneration: SectionRegenerationRequested, content: str) -> DraftContent:
        """The base draft of `regeneration` with its section's text replaced by `content`."""
        sections = tuple(
            section.model_copy(update={"content": content}) if section.key == regeneration.section else section
            for section in regeneration.base_sections
        )
        return cls(sections, regeneration.investment_items, regeneration.timeline_phases, regeneration.assumptions)


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated draft (every section and the structured parts) and where it came from."""

    sections: tuple[Section, ...]
    investment_items: tuple[InvestmentItem, ...]
    timeline_phases: tuple[TimelinePhase, ...]
    assumptions: tuple[str, ...]
    provider: str
    model: str
    ai_generated: bool
    prompt_version: str
    usage: LlmUsage
    sources: tuple[SectionSources, ...] = ()
    team: tuple[TeamMember, ...] = ()
    effort: tuple[EffortLine, ...] = ()
    flags: tuple[ClaimFlag, ...] = ()
    budget_comparison: BudgetComparison | None = None

    def grounded(self, grounding: Grounding) -> Draft:
        """This draft's origin and usage with `grounding`'s content."""
        return Draft(
            sections=grounding.sections,
            investment_items=grounding.investment_items,
            timeline_phases=grounding.timeline_phases,
            assumptions=grounding.assumptions,
            provider=self.provider,
            model=self.model,
            ai_generated=self.ai_generated,
            prompt_version=self.prompt_version,
            usage=self.usage,
            sources=grounding.sources,
            team=grounding.team,
            effort=grounding.effort,
            flags=grounding.flags,
            budget_comparison=grounding.budget_comparison,
        )


class Drafter(Protocol):
    """Something that turns a request into a draft, and rewrites one section of a draft."""

    provider: str
    model: str

    async def draft(
        self,
        request: ProposalRequest,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
        *,
        context: DraftingContext | None = None,
        sections: SectionsProgress | None = None,
    ) -> Draft:
        """Draft every section of `request`, grounded on `context` when there is one.

        `on_text` hears an answer that holds every section; `sections` hears sections written each on its own.
        """
        ...

    async def regenerate(
        self,
        regeneration: SectionRegenerationRequested,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
    ) -> Draft:
        """The base draft with one section written again."""
        ...


class OutlineDrafter:
    """Drafts without AI, from the request's own fields."""

    provider = "outline"
    model = "none"

    async def draft(
        self,
        request: ProposalRequest,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
        *,
        context: DraftingContext | None = None,
        sections: SectionsProgress | None = None,
    ) -> Draft:
        """Sections assembled from the request; with a context, the team from the roster and a default effort."""
        answer = outline_draft(request)
        if context is None:
            return self._draft(DraftContent.from_answer(answer, request.language))
        team = outline_team(request, context)
        texts = grounded_outline_texts(request, context, team)
        answer = answer.model_copy(update=texts)
        outline = Outline(team=team, effort=default_effort(request, context, team))
        content = DraftContent.from_answer(answer, request.language)
        return self._draft(content).grounded(ground(request, context, content.sections, outline, check_claims=False))

    async def regenerate(
        self,
        regeneration: SectionRegenerationRequested,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
    ) -> Draft:
        """The section assembled from the request again (without AI there is nothing else to rewrite it with)."""
        fresh: str = getattr(outline_draft(regeneration.request), regeneration.section.value)
        if regeneration.context is None:
            return self._draft(DraftContent.regenerated(regeneration, fresh))
        base = self._draft(DraftContent.regenerated(regeneration, fresh))
        return base.grounded(reground(regeneration, fresh, ()))

    def _draft(self, content: DraftContent) -> Draft:
        return Draft(
            sections=content.sections,
            investment_items=content.investment_items,
            timeline_phases=content.timeline_phases,
            assumptions=content.assumptions,
            provider=self.provider,
            model=self.model,
            ai_generated=False,
            prompt_version="outline",
            usage=LlmUsage(),
        )


class _UsageSum:
    """Token counts and time over the rounds of one draft: a count any round did not report is unknown (None)."""

    def __init__(self) -> None:
        self._prompt: int | None = 0
        self._output: int | None = 0
        self._duration: int | None = 0

    def add(self, usage: LlmUsage) -> None:
        self._prompt = _plus(self._prompt, usage.prompt_tokens)
        self._output = _plus(self._output, usage.output_tokens)
        self._duration = _plus(self._duration, usage.duration_ms)

    def total(self) -> LlmUsage:
        return LlmUsage(prompt_tokens=self._prompt, output_tokens=self._output, duration_ms=self._duration)


def _plus(total: int | None, more: int | None) -> int | None:
    return None if total is None or more is None else total + more


class LlmDrafter:
    """Drafts with a model server (Ollama or OpenAI-compatible), constrained to the answer's JSON schema."""

    def __init__(
        self,
        client: ChatModel,
        *,
        provider: str,
        model: str,
        options: dict[str, Any],
        keep_alive: str | None,
        min_section_words: int = 1,
        drafting: Drafting = "plan",
        section_concurrency: int = 4,
    ) -> None:
        self._client = client
        self._drafting = drafting
        self._section_concurrency = section_concurrency
        self.provider = provider
        self.model = model
        self._options = options
        self._keep_alive = keep_alive
        self._min_words = min_section_words

    async def draft(
        self,
        request: ProposalRequest,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
        *,
        context: DraftingContext | None = None,
        sections: SectionsProgress | None = None,
    ) -> Draft:
        """Ask the model for every section; LlmUnavailable propagates so the caller can try again later.

        Without a context, one call writes every section (as before the library). With one, the model plans and
        then writes each section on its own, several at once (`drafting="plan"`), or does both in one call.
        """
        if context is not None and self._drafting == "plan":
            return await self._plan_then_write(request, context, sections, on_retry)
        if context is not None:
            return await self._grounded_single(request, context, on_text, on_retry)
        answer, usage = await self._ask(
            build_messages(request),
            request.language,
            draft_json_schema(),
            lambda content: parse_draft(content, min_words=self._min_words),
            on_text,
            on_retry,
        )
        return self._draft(DraftContent.from_answer(answer, request.language), usage)

    async def regenerate(
        self,
        regeneration: SectionRegenerationRequested,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
    ) -> Draft:
        """Ask the model to rewrite one section, following the consultant's instructions."""
        if regeneration.context is not None:
            return await self._regenerate_grounded(regeneration, on_text, on_retry)
        answer, usage = await self._ask(
            build_regeneration_messages(regeneration),
            regeneration.request.language,
            SectionAnswer.model_json_schema(),
            lambda content: parse_answer(SectionAnswer, content, min_words=self._min_words),
            on_text,
            on_retry,
        )
        return self._draft(DraftContent.regenerated(regeneration, answer.content), usage)

    async def _plan_then_write(
        self,
        request: ProposalRequest,
        context: DraftingContext,
        progress: SectionsProgress | None,
        on_retry: RetryListener | None,
    ) -> Draft:
        """The plan in one call, then every section in its own call, `section_concurrency` calls at once.

        Sections that need only their own entry of the plan start while the plan is still streamed.
        """

        async def write(
            key: SectionKey, messages: list[ChatMessage], on_text: TextListener | None
        ) -> tuple[str, LlmUsage]:
            answer, section_usage = await self._ask(
                messages,
                request.language,
                SectionAnswer.model_json_schema(),
                lambda content: parse_answer(SectionAnswer, content, min_words=self._min_words),
                on_text,
                on_retry,
            )
            return answer.content, section_usage

        scheduler = SectionScheduler(request, context, write, concurrency=self._section_concurrency, progress=progress)
        reader = PlanStreamReader()
        passages = passage_short_ids(context)

        def on_plan_text(text: str) -> None:
            for key, entry in reader.feed(text):
                scheduler.start_early(
                    key, entry.points[:MAX_POINTS], known_ids(entry.passage_ids, passages)[:MAX_SOURCES]
                )

        usage = _UsageSum()
        try:
            async with scheduler.gate:
                plan, plan_usage = await self._ask(
                    build_plan_messages(request, context),
                    request.language,
                    plan_json_schema(context),
                    parse_plan,
                    on_plan_text,
                    on_retry,
                )
            usage.add(plan_usage)
            outline = outline_from_plan(plan, context)
            scheduler.start_rest(outline)
            written, usages = await scheduler.results()
        except BaseException:
            await scheduler.cancel()
            raise
        for section_usage in usages:
            usage.add(section_usage)
        grounding = ground(request, context, written, scheduler.with_used(outline))
        return self._draft(DraftContent(written, (), (), ()), usage.total()).grounded(grounding)

    async def _grounded_single(
        self,
        request: ProposalRequest,
        context: DraftingContext,
        on_text: TextListener | None,
        on_retry: RetryListener | None,
    ) -> Draft:
        """Every section, its sources, the team and the effort in one call."""
        answer, usage = await self._ask(
            build_grounded_messages(request, context),
            request.language,
            grounded_json_schema(context),
            lambda content: parse_grounded(content, min_words=self._min_words),
            on_text,
            on_retry,
        )
        written = answer.sections(request.language)
        grounding = ground(request, context, written, outline_from_grounded(answer, context))
        return self._draft(DraftContent(written, (), (), ()), usage).grounded(grounding)

    async def _regenerate_grounded(
        self,
        regeneration: SectionRegenerationRequested,
        on_text: TextListener | None,
        on_retry: RetryListener | None,
    ) -> Draft:
        """One section written again with the passages retrieved for the consultant's request."""
        context = regeneration.context or DraftingContext()
        answer, usage = await self._ask(
            build_grounded_regeneration_messages(regeneration),
            regeneration.request.language,
            regeneration_json_schema(context),
            lambda content: parse_answer(GroundedSectionAnswer, content, min_words=self._min_words),
            on_text,
            on_retry,
        )
        cited = known_ids(answer.passage_ids, passage_short_ids(context))
        base = self._draft(DraftContent.regenerated(regeneration, answer.content), usage)
        return base.grounded(reground(regeneration, answer.content, cited))

    async def _ask(
        self,
        messages: list[ChatMessage],
        language: Language,
        schema: dict[str, Any],
        parse: Callable[[str], Parsed],
        on_text: TextListener | None,
        on_retry: RetryListener | None,
    ) -> tuple[Parsed, LlmUsage]:
        """Chat, validate, and on an invalid or too long answer tell the model once; then give up with a reason."""
        usage = _UsageSum()
        for round_number in (1, 2):
            try:
                answer = await self._client.chat(
                    self.model,
                    messages,
                    format_schema=schema,
                    options=self._options,
                    keep_alive=self._keep_alive,
                    on_text=on_text,
                    on_retry=on_retry,
                )
            except LlmRejected as error:
                raise DraftFailed(say(Message.MODEL_REFUSED, language, reason=error)) from error
            except LlmAnswerTooLong as error:
                if round_number == 2:
                    raise DraftFailed(
                        say(Message.MODEL_TOO_LONG, language, model=repr(self.model), reason=error)
                    ) from error
                logger.warning(
                    "the answer reached the token limit, asking for a shorter one", extra={"error": str(error)}
                )
                messages = [*messages, shorter_message(language)]
                continue
            usage.add(answer.usage)
            try:
                parsed = parse(answer.content)
            except InvalidDraft as error:
                if round_number == 2:
                    raise DraftFailed(
                        say(Message.MODEL_INVALID, language, model=repr(self.model), reason=error)
                    ) from error
                logger.warning("invalid answer, asking the model to repair it", extra={"error": str(error)})
                messages = [
                    *messages,
                    ChatMessage("assistant", answer.content[:20_000]),
                    repair_message(str(error), language),
                ]
                continue
            return parsed, usage.total()
        raise AssertionError("unreachable")  # pragma: no cover

    def _draft(self, content: DraftContent, usage: LlmUsage) -> Draft:
        return Draft(
            sections=content.sections,
            investment_items=content.investment_items,
            timeline_phases=content.timeline_phases,
            assumptions=content.assumptions,
            provider=self.provider,
            model=self.model,
            ai_generated=True,
            prompt_version=PROMPT_VERSION,
            usage=usage,
        )
