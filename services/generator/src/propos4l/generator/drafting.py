"""Drafting a proposal: ask the provider, validate, repair once, and say clearly why when it cannot be done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from propos4l.generator.draft import (
    DraftAnswer,
    InvalidDraft,
    SectionText,
    draft_json_schema,
    parse_answer,
    parse_draft,
)
from propos4l.generator.llm import ChatModel, LlmAnswerTooLong, LlmRejected, RetryListener, TextListener
from propos4l.generator.messages import Message, say
from propos4l.generator.outline import outline_draft
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
from propos4l.shared.sections import Language

__all__ = ["Draft", "DraftFailed", "Drafter", "LlmDrafter", "OutlineDrafter", "SectionAnswer"]

logger = logging.getLogger(__name__)

Parsed = TypeVar("Parsed")


class DraftFailed(RuntimeError):
    """Drafting cannot succeed for this request; the message says why, for a person to read."""


class SectionAnswer(BaseModel):
    """The JSON object the model is asked for when it rewrites one section."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    content: SectionText


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

    async def draft(
        self, request: ProposalRequest, on_text: TextListener | None = None, on_retry: RetryListener | None = None
    ) -> Draft:
        """Draft every section of `request`."""
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
        self, request: ProposalRequest, on_text: TextListener | None = None, on_retry: RetryListener | None = None
    ) -> Draft:
        """Sections assembled from the request."""
        return self._draft(DraftContent.from_answer(outline_draft(request), request.language))

    async def regenerate(
        self,
        regeneration: SectionRegenerationRequested,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
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
    ) -> None:
        self._client = client
        self.provider = provider
        self.model = model
        self._options = options
        self._keep_alive = keep_alive
        self._min_words = min_section_words

    async def draft(
        self, request: ProposalRequest, on_text: TextListener | None = None, on_retry: RetryListener | None = None
    ) -> Draft:
        """Ask the model for every section; LlmUnavailable propagates so the caller can try again later."""
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
        answer, usage = await self._ask(
            build_regeneration_messages(regeneration),
            regeneration.request.language,
            SectionAnswer.model_json_schema(),
            lambda content: parse_answer(SectionAnswer, content, min_words=self._min_words),
            on_text,
            on_retry,
        )
        return self._draft(DraftContent.regenerated(regeneration, answer.content), usage)

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
