"""Drafting a proposal: ask the provider, validate, repair once, and say clearly why when it cannot be done."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from propos4l.generator.draft import DraftAnswer, InvalidDraft, draft_json_schema, parse_draft
from propos4l.generator.ollama import LlmRejected, OllamaClient
from propos4l.generator.outline import outline_draft
from propos4l.generator.prompts import PROMPT_VERSION, ChatMessage, build_messages, repair_message
from propos4l.shared.events import LlmUsage, ProposalRequest, Section

__all__ = ["Draft", "DraftFailed", "Drafter", "OllamaDrafter", "OutlineDrafter"]

logger = logging.getLogger(__name__)


class DraftFailed(RuntimeError):
    """Drafting cannot succeed for this request; the message says why, for a person to read."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated draft and where it came from."""

    sections: tuple[Section, ...]
    provider: str
    model: str
    ai_generated: bool
    prompt_version: str
    usage: LlmUsage


class Drafter(Protocol):
    """Something that turns a request into a draft."""

    provider: str
    model: str

    async def draft(self, request: ProposalRequest) -> Draft:
        """Draft every section of `request`."""
        ...


class OutlineDrafter:
    """Drafts without AI, from the request's own fields."""

    provider = "outline"
    model = "none"

    async def draft(self, request: ProposalRequest) -> Draft:
        """Sections assembled from the request."""
        return Draft(
            sections=outline_draft(request).sections(request.language),
            provider=self.provider,
            model=self.model,
            ai_generated=False,
            prompt_version="outline",
            usage=LlmUsage(),
        )


class OllamaDrafter:
    """Drafts with a model served by Ollama, constrained to the sections' JSON schema."""

    provider = "ollama"

    def __init__(self, client: OllamaClient, model: str, options: dict[str, object], keep_alive: str) -> None:
        self._client = client
        self.model = model
        self._options = options
        self._keep_alive = keep_alive

    async def draft(self, request: ProposalRequest) -> Draft:
        """Ask the model; when its answer is invalid, send the error back once; then give up with a reason.

        LlmUnavailable propagates: the caller decides whether to try again later.
        """
        messages: list[ChatMessage] = build_messages(request)
        schema = draft_json_schema()
        prompt_tokens = output_tokens = duration_ms = 0
        for round_number in (1, 2):
            try:
                answer = await self._client.chat(
                    self.model,
                    messages,
                    format_schema=schema,
                    options=self._options,
                    keep_alive=self._keep_alive,
                )
            except LlmRejected as error:
                raise DraftFailed(str(error)) from error
            prompt_tokens += answer.usage.prompt_tokens or 0
            output_tokens += answer.usage.output_tokens or 0
            duration_ms += answer.usage.duration_ms or 0
            try:
                parsed: DraftAnswer = parse_draft(answer.content)
            except InvalidDraft as error:
                if round_number == 2:
                    raise DraftFailed(
                        f"the model {self.model!r} did not produce a valid proposal after a repair round: {error}"
                    ) from error
                logger.warning("invalid draft, asking the model to repair it", extra={"error": str(error)})
                messages = [
                    *messages,
                    ChatMessage("assistant", answer.content[:20_000]),
                    repair_message(str(error), request.language),
                ]
                continue
            return Draft(
                sections=parsed.sections(request.language),
                provider=self.provider,
                model=self.model,
                ai_generated=True,
                prompt_version=PROMPT_VERSION,
                usage=LlmUsage(prompt_tokens=prompt_tokens, output_tokens=output_tokens, duration_ms=duration_ms),
            )
        raise AssertionError("unreachable")  # pragma: no cover
