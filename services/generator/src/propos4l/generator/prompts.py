"""The prompts sent to the model: versioned files per language, with the client's input as delimited data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Final

from propos4l.shared.events import ProposalRequest, SectionRegenerationRequested
from propos4l.shared.sections import Language, section_title

__all__ = [
    "PROMPT_VERSION",
    "ChatMessage",
    "as_data",
    "build_messages",
    "build_regeneration_messages",
    "prompt_file",
    "repair_message",
    "shorter_message",
]

PROMPT_VERSION: Final = "2026-12-06.2"

_CLOSING_TAGS: Final = re.compile(
    r"</?\s*(dados_do_cliente|client_data|proposta_atual|current_proposal|pedido_do_consultor|consultant_request)\s*>",
    re.IGNORECASE,
)
_PLACEHOLDER: Final = re.compile(
    r"\{(client_name|industry|requirements|scope|timeline|budget|section_title|section_key|sections|instructions)\}"
)
_NO_INSTRUCTIONS: Final = {
    Language.PT_BR: "(nenhum: melhore a clareza e a objetividade)",
    Language.EN: "(none: improve clarity and concision)",
}
_NOT_GIVEN: Final = {Language.PT_BR: "(não informado)", Language.EN: "(not given)"}
_REPAIR: Final = {
    Language.PT_BR: (
        "Sua resposta não é válida: {error}. Responda de novo somente com o objeto JSON completo, "
        "seguindo o esquema, com as dez seções preenchidas."
    ),
    Language.EN: (
        "Your answer is not valid: {error}. Answer again with only the complete JSON object, following the "
        "schema, with all ten sections filled in."
    ),
}

_SHORTER: Final = {
    Language.PT_BR: (
        "Sua resposta foi cortada no limite de tokens antes de terminar. Responda de novo com o objeto JSON "
        "completo, mais curto: no máximo 120 palavras por seção e listas curtas."
    ),
    Language.EN: (
        "Your answer was cut at the token limit before it was finished. Answer again with the complete JSON object, "
        "shorter: at most 120 words per section and short lists."
    ),
}


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message as Ollama and OpenAI-compatible servers take it."""

    role: str
    content: str

    def as_dict(self) -> dict[str, str]:
        """The message as JSON-ready data."""
        return {"role": self.role, "content": self.content}


def prompt_file(language: Language, name: str) -> str:
    """The prompt file `name` in `language`."""
    return resources.files("propos4l.generator.prompt_files").joinpath(language.value, name).read_text("utf-8")


def as_data(text: str | None, language: Language) -> str:
    """Client text as data: stripped of anything that could close the data block early."""
    if text is None or not text.strip():
        return _NOT_GIVEN[language]
    return _CLOSING_TAGS.sub("", text).strip()


def build_messages(request: ProposalRequest) -> list[ChatMessage]:
    """The system and request messages for drafting `request`."""
    language = request.language
    fields = {
        "client_name": as_data(request.client_name, language),
        "industry": as_data(request.industry, language),
        "requirements": as_data(request.requirements, language),
        "scope": as_data(request.scope, language),
        "timeline": as_data(request.timeline, language),
        "budget": as_data(request.budget, language),
    }
    # One pass, so that braces inside the client's own text are never taken for placeholders.
    user = _PLACEHOLDER.sub(lambda match: fields[match[1]], prompt_file(language, "request.txt"))
    return [ChatMessage("system", prompt_file(language, "system.txt")), ChatMessage("user", user)]


def build_regeneration_messages(regeneration: SectionRegenerationRequested) -> list[ChatMessage]:
    """The system and request messages for rewriting one section of an existing proposal."""
    request = regeneration.request
    language = request.language
    current = "\n\n".join(
        f"## {section.title} ({section.key.value})\n{section.content}" for section in regeneration.base_sections
    )
    fields = {
        "client_name": as_data(request.client_name, language),
        "industry": as_data(request.industry, language),
        "requirements": as_data(request.requirements, language),
        "section_title": section_title(regeneration.section, language),
        "section_key": regeneration.section.value,
        "sections": as_data(current, language),
        "instructions": as_data(regeneration.instructions, language)
        if regeneration.instructions
        else _NO_INSTRUCTIONS[language],
    }
    user = _PLACEHOLDER.sub(lambda match: fields[match[1]], prompt_file(language, "regenerate.txt"))
    return [ChatMessage("system", prompt_file(language, "system.txt")), ChatMessage("user", user)]


def repair_message(error: str, language: Language) -> ChatMessage:
    """The message that sends a validation error back to the model for one more try."""
    return ChatMessage("user", _REPAIR[language].format(error=error))


def shorter_message(language: Language) -> ChatMessage:
    """The message that asks for a shorter answer after one was cut at the token limit."""
    return ChatMessage("user", _SHORTER[language])
