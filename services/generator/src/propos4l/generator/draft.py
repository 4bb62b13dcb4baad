"""The shape the model must answer in, and how an answer becomes the proposal's sections."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Annotated, Any, Final, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)

from propos4l.shared.events import SECTION_CONTENT_MAX, InvestmentItem, Section, TimelinePhase
from propos4l.shared.sections import SECTION_KEYS, Language, section_title

__all__ = [
    "DraftAnswer",
    "InvalidDraft",
    "InvestmentLine",
    "Phase",
    "SectionText",
    "draft_json_schema",
    "parse_answer",
    "parse_draft",
    "with_enough_words",
    "without_control_characters",
    "word_count",
]

A = TypeVar("A", bound=BaseModel)

_WORD: Final = re.compile(r"[^\W_]+")
_FENCE: Final = re.compile(r"^```[\w-]*\s*\n(?P<body>.*?)\n?```\s*$", re.DOTALL)
MIN_WORDS_CONTEXT: Final = "min_words"


def without_control_characters(text: object) -> object:
    """Drop NUL and other C0 controls a model may emit (keeping tabs and newlines): they cannot be stored."""
    if not isinstance(text, str):
        return text
    return "".join(char for char in text if char >= " " or char in "\t\n\r")


def word_count(markdown: str) -> int:
    """The words in a Markdown text: runs of letters or digits (punctuation and markup are not words)."""
    return len(_WORD.findall(markdown))


def with_enough_words(text: str, info: ValidationInfo) -> str:
    """`text` when it says something: at least one word, and at least the `min_words` the validation was given."""
    context = info.context if isinstance(info.context, dict) else {}
    minimum = max(1, int(context.get(MIN_WORDS_CONTEXT, 1)))
    words = word_count(text)
    if words < minimum:
        raise ValueError(f"this section has {words} words; write at least {minimum}")
    return text


SectionText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=SECTION_CONTENT_MAX),
    BeforeValidator(without_control_characters),
    AfterValidator(with_enough_words),
]


class InvalidDraft(ValueError):
    """The model's answer is not valid JSON or does not match the sections' schema."""


_Clean = BeforeValidator(without_control_characters)
ShortAnswer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), _Clean]
PhaseName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Clean]
Duration = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Clean]
Assumption = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _Clean]


class InvestmentLine(BaseModel):
    """One priced line as the model proposes it; the renderer computes the totals."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    description: ShortAnswer
    quantity: Annotated[float, Field(gt=0, le=1_000_000)]
    unit_price: Annotated[float, Field(ge=0, le=10_000_000_000)]


class Phase(BaseModel):
    """One phase of the timeline as the model proposes it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: PhaseName
    duration: Duration
    deliverables: Annotated[list[ShortAnswer], Field(max_length=20)]


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
    investment_items: Annotated[list[InvestmentLine], Field(max_length=40)]
    timeline_phases: Annotated[list[Phase], Field(max_length=20)]
    assumptions: Annotated[list[Assumption], Field(max_length=30)]

    def structured(self) -> tuple[tuple[InvestmentItem, ...], tuple[TimelinePhase, ...], tuple[str, ...]]:
        """The investment lines, timeline phases and assumptions as the events carry them."""
        items = tuple(
            InvestmentItem(
                description=line.description,
                quantity=Decimal(str(round(line.quantity, 3))),
                unit_price=Decimal(str(round(line.unit_price, 2))),
            )
            for line in self.investment_items
        )
        phases = tuple(
            TimelinePhase(name=phase.name, duration=phase.duration, deliverables=tuple(phase.deliverables))
            for phase in self.timeline_phases
        )
        return items, phases, tuple(self.assumptions)

    def sections(self, language: Language) -> tuple[Section, ...]:
        """The answer as the proposal's sections, in order, titled in `language`."""
        return tuple(
            Section(key=key, title=section_title(key, language), content=getattr(self, key.value))
            for key in SECTION_KEYS
        )


def draft_json_schema() -> dict[str, Any]:
    """The JSON schema sent as Ollama's `format`, so the model's output is constrained to it."""
    return DraftAnswer.model_json_schema()


def parse_draft(content: str, *, min_words: int = 1) -> DraftAnswer:
    """Validate the model's text as a DraftAnswer; raise InvalidDraft with a reason the model can act on."""
    return parse_answer(DraftAnswer, content, min_words=min_words)


def _json_text(content: str) -> str:
    """The JSON object in a model's answer: unwrapped from a Markdown code fence or from text around it."""
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced["body"].strip()
    if not text.startswith("{"):
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            text = text[start : end + 1]
    return text


def parse_answer(answer_class: type[A], content: str, *, min_words: int = 1) -> A:
    """Validate the model's text as `answer_class`; raise InvalidDraft with a reason the model can act on.

    Parsing is lenient where models are sloppy and nothing is lost: raw newlines and tabs inside strings (JSON
    wants them escaped), a code fence around the object. Every section must hold at least `min_words` words.
    """
    try:
        data = json.loads(_json_text(content), strict=False)
    except json.JSONDecodeError as error:
        raise InvalidDraft(f"the answer is not valid JSON ({error.msg} at character {error.pos})") from error
    try:
        return answer_class.model_validate(data, context={MIN_WORDS_CONTEXT: min_words})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'answer'}: {item['msg']}" for item in error.errors()[:5]
        )
        raise InvalidDraft(f"the answer does not match the schema ({problems})") from error
