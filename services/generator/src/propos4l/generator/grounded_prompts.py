"""Prompts of grounded drafting: the library's passages, people and roles shown to the model as delimited data.

Each passage goes between `<<<PASSAGE id=...>>>` and `<<<END>>>` with its id, each person and rate-card role
likewise (roles by id and name only: the model never sees a rate or a price). Any run of three angle brackets in
the library's own text is cut to two, so a passage can never close its block early and speak as the prompt.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from propos4l.generator.prompts import ChatMessage, as_data, prompt_file
from propos4l.shared.events import ProposalRequest, SectionRegenerationRequested
from propos4l.shared.grounding import (
    SECTION_REQUIREMENTS_MAX,
    ContextPassage,
    ContextRequirement,
    DraftingContext,
    RateCardLine,
    RosterPerson,
)
from propos4l.shared.sections import Language, SectionKey, section_title

__all__ = [
    "END",
    "PlannedSection",
    "build_grounded_messages",
    "build_grounded_regeneration_messages",
    "build_plan_messages",
    "build_section_messages",
    "effort_details",
    "known_ids",
    "passage_block",
    "passage_short_ids",
    "person_block",
    "person_short_ids",
    "phase_details",
    "requirement_block",
    "role_block",
    "role_short_ids",
    "section_requirements",
    "short_ids",
    "team_details",
    "without_delimiters",
]

END: Final = "<<<END>>>"
_DELIMITER_RUN: Final = re.compile(r"(<{3,}|>{3,})")
_SPACE: Final = re.compile(r"\s+")
_PLACEHOLDER: Final = re.compile(
    r"\{(client_name|industry|requirements|scope|timeline|budget|passages|roster|roles|section_title|section_key"
    r"|points|details|sections|instructions|client_requirements)\}"
)
_NONE: Final = {Language.PT_BR: "(nenhum)", Language.EN: "(none)"}
_NO_INSTRUCTIONS: Final = {
    Language.PT_BR: "(nenhum: melhore a clareza e a objetividade)",
    Language.EN: "(none: improve clarity and concision)",
}
_DETAILS: Final = {
    Language.PT_BR: {
        "team": "Equipe escolhida (nomes e papéis como a consultoria os tem):",
        "effort": "Esforço planejado (horas por fase e papel; os valores são calculados pelo sistema):",
        "phases": "Fases do cronograma:",
        "hours": "h",
    },
    Language.EN: {
        "team": "Chosen team (names and roles as the consultancy has them):",
        "effort": "Planned effort (hours per phase and role; the system prices them):",
        "phases": "Timeline phases:",
        "hours": "h",
    },
}


def without_delimiters(text: str) -> str:
    """Library text that cannot open or close a data block: any run of three or more `<` or `>` becomes two."""
    return _DELIMITER_RUN.sub(lambda match: match[1][:2], text)


def _line(text: str) -> str:
    """A one-line value for a block's header or a field: no delimiters, no line breaks, no double quotes."""
    return _SPACE.sub(" ", without_delimiters(text)).replace('"', "'").strip()


def passage_block(passage: ContextPassage, short_id: str) -> str:
    """One library passage as delimited data, with the (short) id the model cites it by."""
    heading = " > ".join(_line(part) for part in passage.heading_path)
    header = f'<<<PASSAGE id={short_id} kind={_line(passage.kind)} title="{_line(passage.title)}"'
    if heading:
        header += f' section="{heading}"'
    return f"{header}>>>\n{without_delimiters(passage.text).strip()}\n{END}"


def person_block(person: RosterPerson, short_id: str) -> str:
    """One person of the roster as delimited data: id, name, role, seniority, skills, certifications."""
    fields = [
        f"name: {_line(person.name)}",
        f"role: {_line(person.role_name)}",
        f"seniority: {_line(person.seniority)}",
        f"skills: {', '.join(_line(skill) for skill in person.skills)}",
        f"certifications: {', '.join(_line(item) for item in person.certifications)}",
    ]
    return f"<<<PERSON id={short_id}>>>\n" + "\n".join(fields) + f"\n{END}"


def requirement_block(requirement: ContextRequirement, *, with_sections: bool = False) -> str:
    """One requirement of the client's document as delimited data: its id, obligation, place, and exact quote (and,
    for a whole draft's calls, the sections that should answer it)."""
    where = " ".join(
        part
        for part in (
            f"page={requirement.page}" if requirement.page else "",
            f'clause="{_line(requirement.clause)}"' if requirement.clause else "",
            f"sections={','.join(key.value for key in requirement.sections)}"
            if with_sections and requirement.sections
            else "",
        )
        if part
    )
    header = f"<<<REQUIREMENT id={requirement.id} obligation={requirement.obligation} kind={requirement.kind}"
    return f"{header}{' ' + where if where else ''}>>>\n{without_delimiters(requirement.quote)}\n{END}"


def _requirement_blocks(
    requirements: Sequence[ContextRequirement], language: Language, *, with_sections: bool = False
) -> str:
    return _blocks((requirement_block(r, with_sections=with_sections) for r in requirements), language)


def section_requirements(context: DraftingContext, key: SectionKey) -> tuple[ContextRequirement, ...]:
    """The context's requirements mapped to section `key`, at most SECTION_REQUIREMENTS_MAX (mandatory first, as the
    gateway orders them)."""
    return tuple(requirement for requirement in context.requirements_to_answer if key in requirement.sections)[
        :SECTION_REQUIREMENTS_MAX
    ]


def role_block(role: RateCardLine, short_id: str) -> str:
    """One rate-card role as delimited data: its (short) id and name, never its rate."""
    return f"<<<ROLE id={short_id}>>>\n{_line(role.role_name)}\n{END}"


def _blocks(blocks: Iterable[str], language: Language) -> str:
    text = "\n\n".join(blocks)
    return text or _NONE[language]


def _request_fields(request: ProposalRequest) -> dict[str, str]:
    language = request.language
    values = {
        "client_name": request.client_name,
        "industry": request.industry,
        "requirements": request.requirements,
        "scope": request.scope,
        "timeline": request.timeline,
        "budget": request.budget,
    }
    return {name: as_data(without_delimiters(value or ""), language) for name, value in values.items()}


def _fill(language: Language, name: str, fields: Mapping[str, str]) -> list[ChatMessage]:
    # One pass, so that braces inside the request or the library are never taken for placeholders.
    user = _PLACEHOLDER.sub(lambda match: fields.get(match[1], match[0]), prompt_file(language, name))
    return [ChatMessage("system", prompt_file(language, "system_grounded.txt")), ChatMessage("user", user)]


def _passage_blocks(passages: Sequence[ContextPassage], language: Language) -> str:
    """The passages as data blocks, numbered P1, P2... in the order given."""
    ids = {value: short for short, value in short_ids((passage.id for passage in passages), "P").items()}
    return _blocks((passage_block(passage, ids[passage.id]) for passage in passages), language)


def _context_fields(context: DraftingContext, language: Language) -> dict[str, str]:
    people = {value: short for short, value in person_short_ids(context).items()}
    roles = {value: short for short, value in role_short_ids(context).items()}
    unique_roles = {role.role_id: role for role in context.rate_card}.values()
    return {
        "passages": _passage_blocks(context.passages, language),
        "roster": _blocks((person_block(person, people[person.id]) for person in context.roster), language),
        "roles": _blocks((role_block(role, roles[role.role_id]) for role in unique_roles), language),
        "client_requirements": _requirement_blocks(context.requirements_to_answer, language, with_sections=True),
    }


def build_plan_messages(request: ProposalRequest, context: DraftingContext) -> list[ChatMessage]:
    """The messages of the first call of plan-then-write: the outline, team and effort, no section text."""
    fields = {**_request_fields(request), **_context_fields(context, request.language)}
    return _fill(request.language, "plan.txt", fields)


def build_grounded_messages(request: ProposalRequest, context: DraftingContext) -> list[ChatMessage]:
    """The messages of a grounded draft in one call: the ten sections with their sources, team and effort."""
    fields = {**_request_fields(request), **_context_fields(context, request.language)}
    return _fill(request.language, "grounded.txt", fields)


class PlannedSection:
    """What one section's own call is shown: its key points, its cited passages, and the plan's relevant part."""

    __slots__ = ("details", "key", "passages", "points", "requirements")

    def __init__(
        self,
        key: SectionKey,
        points: Sequence[str],
        passages: Sequence[ContextPassage],
        details: Sequence[str] = (),
        requirements: Sequence[ContextRequirement] = (),
    ) -> None:
        self.key = key
        self.points = tuple(points)
        self.passages = tuple(passages)
        self.details = tuple(details)
        self.requirements = tuple(requirements)


def team_details(language: Language, team: Iterable[tuple[str, str, str]]) -> list[str]:
    """Lines that show the chosen team to the team section's call: (name, roster role, project role)."""
    lines = [f"- {_line(name)} ({_line(role)}): {_line(project_role)}" for name, role, project_role in team]
    return [_DETAILS[language]["team"], *lines] if lines else []


def effort_details(language: Language, effort: Iterable[tuple[str, str, str]]) -> list[str]:
    """Lines that show the planned effort (phase, role, hours; no price) to the investment section's call."""
    hours = _DETAILS[language]["hours"]
    lines = [f"- {_line(phase)}: {_line(role)}, {amount} {hours}" for phase, role, amount in effort]
    return [_DETAILS[language]["effort"], *lines] if lines else []


def phase_details(language: Language, phases: Iterable[tuple[str, str]]) -> list[str]:
    """Lines that show the planned timeline phases (name, duration) to the timeline section's call."""
    lines = [f"- {_line(name)}: {_line(duration)}" for name, duration in phases]
    return [_DETAILS[language]["phases"], *lines] if lines else []


def build_section_messages(request: ProposalRequest, section: PlannedSection) -> list[ChatMessage]:
    """The messages of one section's call: only its points and the passages it cites."""
    language = request.language
    fields = {
        **_request_fields(request),
        "section_title": section_title(section.key, language),
        "section_key": section.key.value,
        "points": "\n".join(f"- {_line(point)}" for point in section.points) or _NONE[language],
        "passages": _passage_blocks(section.passages, language),
        "client_requirements": _requirement_blocks(section.requirements, language),
        "details": "\n".join(section.details) + ("\n" if section.details else ""),
    }
    return _fill(language, "section.txt", fields)


def build_grounded_regeneration_messages(regeneration: SectionRegenerationRequested) -> list[ChatMessage]:
    """The messages for rewriting one section with the passages retrieved again for the consultant's request."""
    request = regeneration.request
    language = request.language
    context = regeneration.context or DraftingContext()
    current = "\n\n".join(
        f"## {section.title} ({section.key.value})\n{section.content}" for section in regeneration.base_sections
    )
    fields = {
        **_request_fields(request),
        "section_title": section_title(regeneration.section, language),
        "section_key": regeneration.section.value,
        "sections": as_data(without_delimiters(current), language),
        "passages": _passage_blocks(context.passages, language),
        "client_requirements": _requirement_blocks(
            [r for r in context.requirements_to_answer if not r.sections or regeneration.section in r.sections][
                :SECTION_REQUIREMENTS_MAX
            ],
            language,
        ),
        "instructions": as_data(regeneration.instructions, language)
        if regeneration.instructions
        else _NO_INSTRUCTIONS[language],
    }
    return _fill(language, "regenerate_grounded.txt", fields)


def short_ids(ids: Iterable[uuid.UUID], prefix: str) -> dict[str, uuid.UUID]:
    """The short ids the model sees and cites instead of uuids ("P1", "P2"...), in the context's order.

    Short ids keep a schema's enums small (a grammar made from 40 uuids per enum, repeated per section, is many times
    larger: llama.cpp samples more slowly under it) and are easier for a small model to copy than 36 characters.
    """
    return {f"{prefix}{number}": value for number, value in enumerate(dict.fromkeys(ids), start=1)}


def passage_short_ids(context: DraftingContext) -> dict[str, uuid.UUID]:
    """The context's passages by short id: P1, P2..."""
    return short_ids((passage.id for passage in context.passages), "P")


def person_short_ids(context: DraftingContext) -> dict[str, uuid.UUID]:
    """The roster's people by short id: T1, T2... (T for team)."""
    return short_ids((person.id for person in context.roster), "T")


def role_short_ids(context: DraftingContext) -> dict[str, uuid.UUID]:
    """The rate card's roles by short id: R1, R2..."""
    return short_ids((role.role_id for role in context.rate_card), "R")


def known_ids(ids: Iterable[object], allowed: Mapping[str, uuid.UUID]) -> tuple[uuid.UUID, ...]:
    """The ids among `ids` (short ids the model was shown) that `allowed` knows, once each, in order."""
    kept: list[uuid.UUID] = []
    for raw in ids:
        value = allowed.get(str(raw).strip())
        if value is not None and value not in kept:
            kept.append(value)
    return tuple(kept)
