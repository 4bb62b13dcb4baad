"""The outline of a grounded draft: per-section points and sources, team and effort, as the model plans them.

The JSON schema is built per request: passage ids, person ids and role ids are enums of what the context shows,
so a model held to the schema cannot cite a passage, pick a person or price a role it was not given; the effort has
hours and no money field at all. Parsing still drops any other id (a server without schema support may invent one).
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from propos4l.generator.draft import (
    Assumption,
    Phase,
    PhaseName,
    SectionText,
    ShortAnswer,
    parse_answer,
    without_control_characters,
)
from propos4l.generator.grounded_prompts import known_ids, passage_short_ids, person_short_ids, role_short_ids
from propos4l.shared.events import Section, TimelinePhase
from propos4l.shared.grounding import DraftingContext
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey, section_title

__all__ = [
    "EffortPick",
    "GroundedAnswer",
    "Outline",
    "PlanAnswer",
    "PlanStreamReader",
    "SectionPlan",
    "TeamPick",
    "grounded_json_schema",
    "outline_from_grounded",
    "outline_from_plan",
    "parse_grounded",
    "parse_plan",
    "plan_json_schema",
    "regeneration_json_schema",
]

MAX_POINTS: Final = 6
MAX_SOURCES: Final = 6
MAX_TEAM: Final = 8
MAX_EFFORT: Final = 40
MAX_HOURS: Final = 10_000

_STRING: Final = {"type": "string"}


def _ids_schema(ids: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "enum": ids}, "maxItems": MAX_SOURCES}


def _structured_properties(context: DraftingContext) -> dict[str, Any]:
    """Team (when there is a roster), effort (when there is a rate card), timeline phases and assumptions."""
    properties: dict[str, Any] = {}
    if context.roster:
        properties["team_members"] = {
            "type": "array",
            "maxItems": MAX_TEAM,
            "items": {
                "type": "object",
                "properties": {
                    "person_id": {"type": "string", "enum": list(person_short_ids(context))},
                    "project_role": _STRING,
                },
                "required": ["person_id", "project_role"],
            },
        }
    if context.rate_card:
        properties["effort"] = {
            "type": "array",
            "maxItems": MAX_EFFORT,
            "items": {
                "type": "object",
                "properties": {
                    "phase": _STRING,
                    "role_id": {"type": "string", "enum": list(role_short_ids(context))},
                    "hours": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_HOURS},
                },
                "required": ["phase", "role_id", "hours"],
            },
        }
    properties["timeline_phases"] = {
        "type": "array",
        "maxItems": 20,
        "items": {
            "type": "object",
            "properties": {"name": _STRING, "duration": _STRING, "deliverables": {"type": "array", "items": _STRING}},
            "required": ["name", "duration", "deliverables"],
        },
    }
    properties["assumptions"] = {"type": "array", "items": _STRING, "maxItems": 30}
    return properties


def _passage_ids(context: DraftingContext) -> list[str]:
    return list(passage_short_ids(context))


def plan_json_schema(context: DraftingContext) -> dict[str, Any]:
    """The schema of the plan: for every section its points (and the passage ids it will use, when there are any)."""
    ids = _passage_ids(context)
    section: dict[str, Any] = {
        "type": "object",
        "properties": {"points": {"type": "array", "items": _STRING, "maxItems": MAX_POINTS}},
        "required": ["points"],
    }
    if ids:
        section["properties"]["passage_ids"] = _ids_schema(ids)
        section["required"].append("passage_ids")
    keys = [key.value for key in SECTION_KEYS]
    # One definition the ten sections refer to: a grammar made from it has one rule, not ten copies of it.
    references = {key: {"$ref": "#/$defs/planned_section"} for key in keys}
    properties: dict[str, Any] = {
        "sections": {"type": "object", "properties": references, "required": keys},
        **_structured_properties(context),
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "$defs": {"planned_section": section},
    }


def grounded_json_schema(context: DraftingContext) -> dict[str, Any]:
    """The schema of a grounded draft in one call: the ten texts first (read live), then sources, team, effort."""
    ids = _passage_ids(context)
    properties: dict[str, Any] = {key.value: _STRING for key in SECTION_KEYS}
    definitions: dict[str, Any] = {}
    if ids:
        keys = [key.value for key in SECTION_KEYS]
        definitions["passage_ids"] = _ids_schema(ids)  # one grammar rule for the ten sections' sources
        properties["sources"] = {
            "type": "object",
            "properties": {key: {"$ref": "#/$defs/passage_ids"} for key in keys},
            "required": keys,
        }
    properties.update(_structured_properties(context))
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": list(properties)}
    if definitions:
        schema["$defs"] = definitions
    return schema


def regeneration_json_schema(context: DraftingContext) -> dict[str, Any]:
    """The schema of one section written again: its text, and the passage ids it used when there are any."""
    ids = _passage_ids(context)
    properties: dict[str, Any] = {"content": _STRING}
    if ids:
        properties["passage_ids"] = _ids_schema(ids)
    return {"type": "object", "properties": properties, "required": list(properties)}


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class SectionPlan(_Lenient):
    """One section's plan: key points and the passage ids it will use."""

    points: Annotated[list[ShortAnswer], Field(max_length=20)] = []
    passage_ids: Annotated[list[str], Field(max_length=50)] = []


def _cut(limit: int) -> BeforeValidator:
    """A short field a model may overfill: its first line, cut at `limit` characters (nothing is priced on it)."""

    def cut(value: object) -> object:
        cleaned = without_control_characters(value)
        return cleaned.strip().split("\n", 1)[0][:limit] if isinstance(cleaned, str) else cleaned

    return BeforeValidator(cut)


class TeamPick(_Lenient):
    """A person the model picked, by id, and what they do in this project."""

    person_id: str
    project_role: Annotated[str, _cut(300)] = ""


class EffortPick(_Lenient):
    """Hours of one rate-card role (by id) in one phase, as the model proposes them."""

    phase: Annotated[PhaseName, _cut(200)]
    role_id: str
    hours: Annotated[float, Field(gt=0, le=MAX_HOURS)]


class _Structured(_Lenient):
    team_members: Annotated[list[TeamPick], Field(max_length=MAX_EFFORT)] = []
    effort: Annotated[list[EffortPick], Field(max_length=MAX_EFFORT * 2)] = []
    timeline_phases: Annotated[list[Phase], Field(max_length=20)] = []
    assumptions: Annotated[list[Assumption], Field(max_length=30)] = []


class PlanAnswer(_Structured):
    """The JSON object the plan call answers with."""

    sections: dict[str, SectionPlan]


class GroundedAnswer(_Structured):
    """The JSON object a grounded draft in one call answers with: the ten texts and the structured parts."""

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
    sources: dict[str, list[str]] = {}

    def sections(self, language: Language) -> tuple[Section, ...]:
        """The ten texts as the proposal's sections, titled in `language`."""
        return tuple(
            Section(key=key, title=section_title(key, language), content=getattr(self, key.value))
            for key in SECTION_KEYS
        )


@dataclass(frozen=True, slots=True)
class Outline:
    """What the plan decided, reduced to what the context allows: only ids it shows, hours as Decimal."""

    points: dict[SectionKey, tuple[str, ...]] = field(default_factory=dict)
    sources: dict[SectionKey, tuple[uuid.UUID, ...]] = field(default_factory=dict)
    team: tuple[tuple[uuid.UUID, str], ...] = ()
    effort: tuple[tuple[str, uuid.UUID, Decimal], ...] = ()
    timeline_phases: tuple[TimelinePhase, ...] = ()
    assumptions: tuple[str, ...] = ()


def parse_plan(content: str, *, min_words: int = 1) -> PlanAnswer:
    """The plan call's answer, validated (InvalidDraft with a reason the model can act on)."""
    return parse_answer(PlanAnswer, content, min_words=min_words)


def parse_grounded(content: str, *, min_words: int = 1) -> GroundedAnswer:
    """A grounded one-call answer, validated (InvalidDraft with a reason the model can act on)."""
    return parse_answer(GroundedAnswer, content, min_words=min_words)


def outline_from_plan(answer: PlanAnswer, context: DraftingContext) -> Outline:
    """The plan reduced to what the context allows."""
    passages = passage_short_ids(context)
    points: dict[SectionKey, tuple[str, ...]] = {}
    sources: dict[SectionKey, tuple[uuid.UUID, ...]] = {}
    for key in SECTION_KEYS:
        planned = answer.sections.get(key.value)
        if planned is not None:
            points[key] = tuple(planned.points[:MAX_POINTS])
            sources[key] = known_ids(planned.passage_ids, passages)[:MAX_SOURCES]
    return _with_structured(Outline(points=points, sources=sources), answer, context)


def outline_from_grounded(answer: GroundedAnswer, context: DraftingContext) -> Outline:
    """A one-call grounded answer's sources and structured parts, reduced to what the context allows."""
    passages = passage_short_ids(context)
    sources = {
        key: known_ids(answer.sources.get(key.value, []), passages)[:MAX_SOURCES]
        for key in SECTION_KEYS
        if key.value in answer.sources
    }
    return _with_structured(Outline(sources=sources), answer, context)


def _with_structured(outline: Outline, answer: _Structured, context: DraftingContext) -> Outline:
    people = person_short_ids(context)
    team: dict[uuid.UUID, str] = {}
    for pick in answer.team_members:
        for person_id in known_ids([pick.person_id], people):
            team.setdefault(person_id, pick.project_role.strip())
    roles = role_short_ids(context)
    effort: dict[tuple[str, uuid.UUID], Decimal] = {}
    for line in answer.effort:
        hours = Decimal(str(round(line.hours, 2)))
        for role_id in known_ids([line.role_id], roles):
            if hours > 0:
                key = (line.phase, role_id)
                effort[key] = min(effort.get(key, Decimal(0)) + hours, Decimal(MAX_HOURS))
    phases = tuple(
        TimelinePhase(name=phase.name, duration=phase.duration, deliverables=tuple(phase.deliverables))
        for phase in answer.timeline_phases
    )
    return Outline(
        points=outline.points,
        sources=outline.sources,
        team=tuple(team.items())[:MAX_TEAM],
        effort=tuple((phase, role_id, hours) for (phase, role_id), hours in effort.items()),
        timeline_phases=phases,
        assumptions=tuple(answer.assumptions),
    )


_KEY: Final = re.compile(r'\s*,?\s*"(?P<key>[a-z_]+)"\s*:\s*')
_SECTIONS_OPEN: Final = re.compile(r'"sections"\s*:\s*\{')


class PlanStreamReader:
    """Reads the plan's section entries as they are streamed, so that a section can be written before the plan ends.

    Fed the plan's whole text so far at every call; returns the entries of `sections` that closed since the last
    call. An answer that starts again (a retry) is read again from its start.
    """

    def __init__(self) -> None:
        self._decoder = json.JSONDecoder(strict=False)
        self._position: int | None = None
        self._head = ""
        self._done = False

    def feed(self, text: str) -> list[tuple[SectionKey, SectionPlan]]:
        """The section entries completed in `text` since the last call."""
        if self._head and not text.startswith(self._head):
            self._position, self._done = None, False
        self._head = text[:64]
        if self._position is None:
            opened = _SECTIONS_OPEN.search(text)
            if opened is None:
                return []
            self._position = opened.end()
        found: list[tuple[SectionKey, SectionPlan]] = []
        while not self._done:
            key = _KEY.match(text, self._position)
            if key is None:
                self._done = text[self._position :].lstrip().startswith("}")
                break
            try:
                value, end = self._decoder.raw_decode(text, key.end())
            except ValueError:
                break  # not closed yet
            self._position = end
            if key["key"] in _SECTION_VALUES and isinstance(value, dict):
                with contextlib.suppress(ValueError):
                    found.append((SectionKey(key["key"]), SectionPlan.model_validate(value)))
        return found


_SECTION_VALUES: Final = frozenset(key.value for key in SECTION_KEYS)
