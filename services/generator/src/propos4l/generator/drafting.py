"""Drafting a proposal: ask the provider, validate, repair once, and say clearly why when it cannot be done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from propos4l.generator.draft import (
    DraftAnswer,
    InvalidDraft,
    draft_json_schema,
    parse_answer,
    parse_draft,
    without_control_characters,
)
from propos4l.generator.llm import ChatModel, LlmRejected, TextListener
from propos4l.generator.outline import outline_draft
from propos4l.generator.prompts import (
    PROMPT_VERSION,
    ChatMessage,
    build_messages,
    build_regeneration_messages,
    repair_message,
)
from propos4l.shared.events import (
    SECTION_CONTENT_MAX,
    InvestmentItem,
    LlmUsage,
    ProposalRequest,
    Section,
    SectionRegenerationRequested,
    TimelinePhase,
)
from propos4l.shared.sections import Language

__all__ = ["Draft", "DraftFailed", "Drafter", "LlmDrafter", "OutlineDrafter", "SectionAnswer"]

logger = logging.getLogger(__name__)

Parsed = TypeVar("Parsed")


class DraftFailed(RuntimeError):
    """Drafting cannot succeed for this request; the message says why, for a person to read."""


class SectionAnswer(BaseModel):
    """The JSON object the model is asked for when it rewrites one section."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    content: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=SECTION_CONTENT_MAX),
        BeforeValidator(without_control_characters),
    ]


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


class Drafter(Protocol):
    """Something that turns a request into a draft, and rewrites one section of a draft."""

    provider: str
    model: str

    async def draft(self, request: ProposalRequest, on_text: TextListener | None = None) -> Draft:
        """Draft every section of `request`."""
        ...

    async def regenerate(
        self, regeneration: SectionRegenerationRequested, on_text: TextListener | None = None
    ) -> Draft:
        """The base draft with one section written again."""
        ...


class OutlineDrafter:
    """Drafts without AI, from the request's own fields."""

    provider = "outline"
    model = "none"

    async def draft(self, request: ProposalRequest, on_text: TextListener | None = None) -> Draft:
        """Sections assembled from the request."""
        return self._draft(DraftContent.from_answer(outline_draft(request), request.language))

    async def regenerate(
        self, regeneration: SectionRegenerationRequested, on_text: TextListener | None = None
    ) -> Draft:
        """The section assembled from the request again (without AI there is nothing else to rewrite it with)."""
        fresh: str = getattr(outline_draft(regeneration.request), regeneration.section.value)
        return self._draft(DraftContent.regenerated(regeneration, fresh))

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


class LlmDrafter:
    """Drafts with a model server (Ollama or OpenAI-compatible), constrained to the answer's JSON schema."""

    def __init__(
        self, client: ChatModel, *, provider: str, model: str, options: dict[str, Any], keep_alive: str | None
    ) -> None:
        self._client = client
        self.provider = provider
        self.model = model
        self._options = options
        self._keep_alive = keep_alive

    async def draft(self, request: ProposalRequest, on_text: TextListener | None = None) -> Draft:
        """Ask the model for every section; LlmUnavailable propagates so the caller can try again later."""
        answer, usage = await self._ask(
            build_messages(request), request.language, draft_json_schema(), parse_draft, on_text
        )
        return self._draft(DraftContent.from_answer(answer, request.language), usage)

    async def regenerate(
        self, regeneration: SectionRegenerationRequested, on_text: TextListener | None = None
    ) -> Draft:
        """Ask the model to rewrite one section, following the consultant's instructions."""
        answer, usage = await self._ask(
            build_regeneration_messages(regeneration),
            regeneration.request.language,
            SectionAnswer.model_json_schema(),
            lambda content: parse_answer(SectionAnswer, content),
            on_text,
        )
        return self._draft(DraftContent.regenerated(regeneration, answer.content), usage)

    async def _ask(
        self,
        messages: list[ChatMessage],
        language: Language,
        schema: dict[str, Any],
        parse: Callable[[str], Parsed],
        on_text: TextListener | None,
    ) -> tuple[Parsed, LlmUsage]:
        """Chat, validate, and on an invalid answer send the error back once; then give up with a reason."""
        prompt_tokens = output_tokens = duration_ms = 0
        for round_number in (1, 2):
            try:
                answer = await self._client.chat(
                    self.model,
                    messages,
                    format_schema=schema,
                    options=self._options,
                    keep_alive=self._keep_alive,
                    on_text=on_text,
                )
            except LlmRejected as error:
                raise DraftFailed(str(error)) from error
            prompt_tokens += answer.usage.prompt_tokens or 0
            output_tokens += answer.usage.output_tokens or 0
            duration_ms += answer.usage.duration_ms or 0
            try:
                parsed = parse(answer.content)
            except InvalidDraft as error:
                if round_number == 2:
                    raise DraftFailed(
                        f"the model {self.model!r} did not produce a valid proposal after a repair round: {error}"
                    ) from error
                logger.warning("invalid answer, asking the model to repair it", extra={"error": str(error)})
                messages = [
                    *messages,
                    ChatMessage("assistant", answer.content[:20_000]),
                    repair_message(str(error), language),
                ]
                continue
            usage = LlmUsage(prompt_tokens=prompt_tokens, output_tokens=output_tokens, duration_ms=duration_ms)
            return parsed, usage
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
