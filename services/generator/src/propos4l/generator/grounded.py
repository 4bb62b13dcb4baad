"""Grounded drafting: plan, then write each section with only its own context, several at once; code does the rest.

The model plans (points and cited passages per section, team by person id, effort by role id and hours) and writes
prose. Code turns the plan into what reaches the client: sources of ids the context showed, the team as the roster
has it, the effort priced from the rate card, the investment table, the budget comparison, and the claims flagged.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from propos4l.generator.claims import flag_claims
from propos4l.generator.grounded_prompts import (
    PlannedSection,
    build_section_messages,
    effort_details,
    phase_details,
    section_requirements,
    team_details,
)
from propos4l.generator.llm import TextListener
from propos4l.generator.plan import Outline
from propos4l.generator.pricing import investment_items, missing_prices_note, price_effort, team_from_roster
from propos4l.generator.progress import SectionsProgress
from propos4l.generator.prompts import ChatMessage
from propos4l.shared.effort_pricing import budget_comparison
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
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey, section_title

__all__ = [
    "PLAN_DEPENDENT",
    "Grounding",
    "SectionScheduler",
    "SectionWriter",
    "budget_comparison",
    "first_failure_cancels",
    "ground",
    "planned_sections",
    "reground",
    "sources_of",
    "with_missing_prices",
]

Written = TypeVar("Written")


@dataclass(frozen=True, slots=True)
class Grounding:
    """What a grounded draft holds besides its usage: sections, structured parts, sources, team, effort, checks."""

    sections: tuple[Section, ...]
    investment_items: tuple[InvestmentItem, ...]
    timeline_phases: tuple[TimelinePhase, ...]
    assumptions: tuple[str, ...]
    sources: tuple[SectionSources, ...]
    team: tuple[TeamMember, ...]
    effort: tuple[EffortLine, ...]
    flags: tuple[ClaimFlag, ...]
    budget_comparison: BudgetComparison | None


def request_text(request: ProposalRequest) -> list[str]:
    """The request's own fields: figures and names the client gave are not claims to check."""
    fields = (request.client_name, request.industry, request.requirements, request.scope, request.timeline)
    return [field for field in (*fields, request.budget) if field]


def section_sources(
    key: SectionKey,
    cited: Sequence[uuid.UUID],
    context: DraftingContext,
    request: ProposalRequest,
    team: Sequence[TeamMember],
    plan_figures: Sequence[str],
) -> list[str]:
    """The texts a section's claims may stand on: its cited passages, the request, the plan's own figures."""
    passages = {passage.id: passage for passage in context.passages}
    texts = [f"{passages[i].title}\n{passages[i].text}" for i in cited if i in passages]
    texts.extend(request_text(request))
    texts.extend(plan_figures)
    if key is SectionKey.TEAM:
        roster = {person.id: person for person in context.roster}
        for member in team:
            person = roster.get(member.person_id)
            if person is not None:
                texts.append(
                    " ".join((person.name, person.role_name, person.bio, *person.skills, *person.certifications))
                )
    return texts


def sources_of(cited: dict[SectionKey, tuple[uuid.UUID, ...]]) -> tuple[SectionSources, ...]:
    """The sources of the sections that cite any passage, in the proposal's order."""
    return tuple(SectionSources(section=key, passage_ids=cited[key]) for key in SECTION_KEYS if cited.get(key))


def _plan_figures(outline: Outline) -> list[str]:
    """The plan's own figures (hours, phase durations): the proposal's numbers, not claims of experience."""
    figures = [f"{phase} {hours}" for phase, _, hours in outline.effort]
    figures.extend(f"{phase.name} {phase.duration} {' '.join(phase.deliverables)}" for phase in outline.timeline_phases)
    return figures


def ground(
    request: ProposalRequest,
    context: DraftingContext,
    sections: Sequence[Section],
    outline: Outline,
    *,
    check_claims: bool = True,
) -> Grounding:
    """The draft as it reaches the client: team from the roster, effort priced by code, sources, flags, budget."""
    language = request.language
    team = team_from_roster(outline.team, context)
    priced = price_effort(outline.effort, context.rate_card, language)
    items = investment_items(priced.lines)
    final = tuple(
        with_missing_prices(section, language)
        if section.key is SectionKey.INVESTMENT and (priced.unpriced or not items)
        else section
        for section in sections
    )
    flags: list[ClaimFlag] = []
    if check_claims:
        figures = _plan_figures(outline)
        for section in final:
            cited = outline.sources.get(section.key, ())
            texts = section_sources(section.key, cited, context, request, team, figures)
            flags.extend(flag_claims(section.key, _without_missing_prices(section.content, language), texts))
    flags.extend(priced.flags)
    return Grounding(
        sections=final,
        investment_items=items,
        timeline_phases=outline.timeline_phases,
        assumptions=outline.assumptions,
        sources=sources_of(outline.sources),
        team=team,
        effort=priced.lines,
        flags=tuple(flags),
        budget_comparison=budget_comparison(request, priced.lines),
    )


def with_missing_prices(section: Section, language: Language) -> Section:
    """The investment section with code's sentence that prices are missing (once)."""
    note = missing_prices_note(language)
    if note in section.content:
        return section
    return section.model_copy(update={"content": f"{section.content.rstrip()}\n\n{note}"})


def _without_missing_prices(content: str, language: Language) -> str:
    return content.replace(missing_prices_note(language), "")


class SectionWriter(Protocol):
    """Writes one section from its messages: the validated text and what it cost."""

    def __call__(
        self, key: SectionKey, messages: list[ChatMessage], on_text: TextListener | None
    ) -> Awaitable[tuple[str, LlmUsage]]: ...


def planned_sections(request: ProposalRequest, context: DraftingContext, outline: Outline) -> list[PlannedSection]:
    """What each section's own call is shown: its points, its cited passages, and its part of the plan."""
    language = request.language
    passages = {passage.id: passage for passage in context.passages}
    team = team_from_roster(outline.team, context)
    roles = {line.role_id: line.role_name for line in context.rate_card}
    planned: list[PlannedSection] = []
    for key in SECTION_KEYS:
        details: list[str] = []
        if key is SectionKey.TEAM:
            details = team_details(language, ((m.name, m.role_name, m.project_role) for m in team))
        elif key is SectionKey.INVESTMENT:
            details = effort_details(
                language, ((phase, roles.get(role_id, ""), str(hours)) for phase, role_id, hours in outline.effort)
            )
        elif key is SectionKey.TIMELINE:
            details = phase_details(language, ((phase.name, phase.duration) for phase in outline.timeline_phases))
        cited = [passages[i] for i in outline.sources.get(key, ()) if i in passages]
        planned.append(
            PlannedSection(key, outline.points.get(key, ()), cited, details, section_requirements(context, key))
        )
    return planned


PLAN_DEPENDENT: Final = frozenset({SectionKey.TEAM, SectionKey.INVESTMENT, SectionKey.TIMELINE})
"""Sections that need the whole plan (the team, the effort, the phases): they start once the plan is complete."""


class SectionScheduler:
    """Writes sections each in its own call, at most `concurrency` calls at once (the plan call holds one).

    A section that needs only its own entry of the plan starts as soon as that entry is streamed, while the plan is
    still being written; the team, investment and timeline sections start when the whole plan is there. A section
    started early keeps the points and sources it was written with (`used`).
    """

    def __init__(
        self,
        request: ProposalRequest,
        context: DraftingContext,
        write: SectionWriter,
        *,
        concurrency: int,
        progress: SectionsProgress | None,
    ) -> None:
        self._request = request
        self._context = context
        self._write = write
        self._progress = progress
        self.gate = asyncio.Semaphore(concurrency)
        self._tasks: dict[SectionKey, asyncio.Task[tuple[str, LlmUsage]]] = {}
        self.used: dict[SectionKey, tuple[tuple[str, ...], tuple[uuid.UUID, ...]]] = {}

    def start_early(self, key: SectionKey, points: Sequence[str], passage_ids: Sequence[uuid.UUID]) -> None:
        """Start `key` from its plan entry alone, unless it needs the whole plan or has started."""
        if key in PLAN_DEPENDENT or key in self._tasks:
            return
        self._start(key, Outline(points={key: tuple(points)}, sources={key: tuple(passage_ids)}))

    def start_rest(self, outline: Outline) -> None:
        """Start every section not started yet, from the whole plan."""
        for key in SECTION_KEYS:
            if key not in self._tasks:
                self._start(key, outline)

    def _start(self, key: SectionKey, outline: Outline) -> None:
        section = next(s for s in planned_sections(self._request, self._context, outline) if s.key is key)
        self.used[key] = (section.points, tuple(passage.id for passage in section.passages))
        self._tasks[key] = asyncio.ensure_future(self._one(section))

    async def _one(self, section: PlannedSection) -> tuple[str, LlmUsage]:
        async with self.gate:
            progress = self._progress
            listener = progress.listener(section.key) if progress is not None else None
            text, usage = await self._write(section.key, build_section_messages(self._request, section), listener)
            if progress is not None:
                await progress.finished(section.key, text)
            return text, usage

    async def results(self) -> tuple[tuple[Section, ...], list[LlmUsage]]:
        """Every section once written, in order; the first failure cancels the others."""
        language = self._request.language
        results = await first_failure_cancels([self._tasks[key] for key in SECTION_KEYS])
        sections = tuple(
            Section(key=key, title=section_title(key, language), content=text)
            for key, (text, _) in zip(SECTION_KEYS, results, strict=True)
        )
        return sections, [usage for _, usage in results]

    async def cancel(self) -> None:
        """Stop every section under way (the plan failed)."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def with_used(self, outline: Outline) -> Outline:
        """`outline` with the points and sources each section was actually written with."""
        points = {**outline.points, **{key: used[0] for key, used in self.used.items()}}
        sources = {**outline.sources, **{key: used[1] for key, used in self.used.items()}}
        return Outline(
            points=points,
            sources=sources,
            team=outline.team,
            effort=outline.effort,
            timeline_phases=outline.timeline_phases,
            assumptions=outline.assumptions,
        )


async def first_failure_cancels(work: Sequence[Awaitable[Written]]) -> list[Written]:
    """The results of `work` run together, in order; the first exception cancels the others and is raised as is."""
    tasks = [asyncio.ensure_future(item) for item in work]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failures = [task.exception() for task in tasks if task.done() and not task.cancelled()]
        error = next((failure for failure in failures if failure is not None), None)
        if error is not None:
            raise error
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def reground(regeneration: SectionRegenerationRequested, content: str, cited: Sequence[uuid.UUID]) -> Grounding:
    """A regenerated section grounded: its new sources and flags; the other sections', team and effort kept."""
    request, key = regeneration.request, regeneration.section
    language = request.language
    context = regeneration.context or DraftingContext()
    section = Section(key=key, title=section_title(key, language), content=content)
    unpriced = any(line.amount is None for line in regeneration.effort) or not regeneration.investment_items
    if key is SectionKey.INVESTMENT and unpriced:
        section = with_missing_prices(section, language)
    sections = tuple(section if base.key is key else base for base in regeneration.base_sections)
    cited_now = dict.fromkeys(cited)
    sources = {source.section: source.passage_ids for source in regeneration.base_sources}
    sources[key] = tuple(cited_now)
    passages = {passage.id: passage for passage in context.passages}
    texts = [f"{passages[i].title}\n{passages[i].text}" for i in cited_now if i in passages]
    texts.extend(request_text(request))
    texts.extend(f"{line.phase} {line.hours}" for line in regeneration.effort)
    texts.extend(f"{phase.name} {phase.duration}" for phase in regeneration.timeline_phases)
    if key is SectionKey.TEAM:
        texts.extend(f"{member.name} {member.role_name} {member.bio}" for member in regeneration.team)
    flags = [
        flag for flag in regeneration.base_flags if flag.section is not key or flag.reason == "rate_in_other_currency"
    ]
    flags.extend(flag_claims(key, _without_missing_prices(section.content, language), texts))
    return Grounding(
        sections=sections,
        investment_items=regeneration.investment_items,
        timeline_phases=regeneration.timeline_phases,
        assumptions=regeneration.assumptions,
        sources=sources_of(sources),
        team=regeneration.team,
        effort=regeneration.effort,
        flags=tuple(flags),
        budget_comparison=budget_comparison(request, regeneration.effort),
    )
