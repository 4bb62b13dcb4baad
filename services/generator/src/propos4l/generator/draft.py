"""The shape the model must answer in, and how an answer becomes the proposal's sections."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError

from propos4l.shared.events import SECTION_CONTENT_MAX, Section
from propos4l.shared.sections import SECTION_KEYS, Language, section_title

__all__ = ["DraftAnswer", "InvalidDraft", "draft_json_schema", "parse_draft"]


def _without_control_characters(text: object) -> object:
    """Drop NUL and other C0 controls a model may emit (keeping tabs and newlines): they cannot be stored."""
    if not isinstance(text, str):
        return text
    return "".join(char for char in text if char >= " " or char in "\t\n\r")


SectionText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SECTION_CONTENT_MAX),
    BeforeValidator(_without_control_characters),
]


class InvalidDraft(ValueError):
    """The model's answer is not valid JSON or does not match the sections' schema."""


class DraftAnswer(BaseModel):
    """The JSON object the model is asked for: one Markdown text per section key."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    executive_summary: SectionText
    context: SectionText
    solution: SectionText
    scope: SectionText
    methodology: SectionText
    timeline: SectionText
    team: SectionText
    investment: SectionText
    differentials: SectionText
    terms: SectionText

    def sections(self, language: Language) -> tuple[Section, ...]:
        """The answer as the proposal's sections, in order, titled in `language`."""
        return tuple(
            Section(key=key, title=section_title(key, language), content=getattr(self, key.value))
            for key in SECTION_KEYS
        )


def draft_json_schema() -> dict[str, Any]:
    """The JSON schema sent as Ollama's `format`, so the model's output is constrained to it."""
    return DraftAnswer.model_json_schema()


def parse_draft(content: str) -> DraftAnswer:
    """Validate the model's text as a DraftAnswer; raise InvalidDraft with a reason the model can act on."""
    try:
        data = json.loads(content)
    except json.JSONDecodeError as error:
        raise InvalidDraft(f"the answer is not valid JSON ({error.msg} at character {error.pos})") from error
    try:
        return DraftAnswer.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'answer'}: {item['msg']}" for item in error.errors()[:5]
        )
        raise InvalidDraft(f"the answer does not match the schema ({problems})") from error
