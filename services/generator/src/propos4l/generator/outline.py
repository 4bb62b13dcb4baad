"""The `outline` provider: sections built from the request itself, without AI, so the path runs anywhere.

With a drafting context it also fills the team from the roster's best matches by skill and the effort from a
default plan, priced by the same code as a model's plan.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from decimal import Decimal
from typing import Final

from propos4l.generator.draft import DraftAnswer
from propos4l.shared.events import ProposalRequest
from propos4l.shared.grounding import DraftingContext
from propos4l.shared.sections import Language

__all__ = ["OUTLINE_NOTICE", "default_effort", "grounded_outline_texts", "outline_draft", "outline_team"]

OUTLINE_NOTICE: Final = {
    Language.PT_BR: "*Rascunho montado a partir do pedido, sem IA: revise e complete antes de enviar.*",
    Language.EN: "*Draft assembled from the request, without AI: review and complete it before sending.*",
}

_TEXT: Final = {
    Language.PT_BR: {
        "executive_summary": "Esta proposta apresenta à **{client}**, do setor de {industry}, uma solução para "
        "as necessidades descritas no pedido.",
        "context": "Necessidades informadas pelo cliente:\n\n{requirements}",
        "solution": "A solução atenderá aos requisitos acima, com arquitetura, tecnologias e integrações a "
        "detalhar na fase de descoberta.",
        "scope": "{scope}",
        "methodology": "- Descoberta e alinhamento\n- Desenho da solução\n- Implementação em ciclos curtos\n"
        "- Homologação e implantação\n- Operação assistida",
        "timeline": "{timeline}",
        "team": "- Gerente de projeto\n- Arquiteto de soluções\n- Desenvolvedores\n- Analista de qualidade",
        "investment": "{budget}",
        "differentials": "- Experiência no setor de {industry}\n- Entregas incrementais e transparentes",
        "terms": "- Validade desta proposta: 30 dias\n- Valores e prazos confirmados após a descoberta\n"
        "- Informações tratadas com confidencialidade",
        "missing": "A definir com o cliente.",
    },
    Language.EN: {
        "executive_summary": "This proposal presents **{client}**, in the {industry} industry, a solution to the "
        "needs described in the request.",
        "context": "Needs stated by the client:\n\n{requirements}",
        "solution": "The solution will meet the requirements above, with architecture, technologies and "
        "integrations detailed during discovery.",
        "scope": "{scope}",
        "methodology": "- Discovery and alignment\n- Solution design\n- Implementation in short cycles\n"
        "- Acceptance and go-live\n- Assisted operation",
        "timeline": "{timeline}",
        "team": "- Project manager\n- Solution architect\n- Developers\n- Quality analyst",
        "investment": "{budget}",
        "differentials": "- Experience in the {industry} industry\n- Incremental, transparent delivery",
        "terms": "- This proposal is valid for 30 days\n- Figures and dates confirmed after discovery\n"
        "- Information handled confidentially",
        "missing": "To be agreed with the client.",
    },
}


def outline_draft(request: ProposalRequest) -> DraftAnswer:
    """Sections filled from the request's own fields; the summary says it was written without AI."""
    text = _TEXT[request.language]
    missing = text["missing"]
    values = {
        "client": request.client_name,
        "industry": request.industry,
        "requirements": request.requirements,
        "scope": request.scope or missing,
        "timeline": request.timeline or missing,
        "budget": request.budget or missing,
    }
    sections = {key: _fill(template, values) for key, template in text.items() if key != "missing"}
    sections["executive_summary"] += "\n\n" + OUTLINE_NOTICE[request.language]
    return DraftAnswer.model_validate({**sections, "investment_items": [], "timeline_phases": [], "assumptions": []})


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


MAX_OUTLINE_TEAM: Final = 5
MAX_OUTLINE_ROLES: Final = 3
_WORD: Final = re.compile(r"[^\W_]+")
_DEFAULT_PHASES: Final = {
    Language.PT_BR: (("Descoberta", Decimal(40)), ("Implementação", Decimal(160)), ("Implantação", Decimal(40))),
    Language.EN: (("Discovery", Decimal(40)), ("Implementation", Decimal(160)), ("Go-live", Decimal(40))),
}
_GROUNDED_TEXT: Final = {
    Language.PT_BR: {
        "team": "Equipe proposta, da consultoria:",
        "no_team": "Papéis necessários: gerente de projeto, arquiteto de soluções, desenvolvedores e analista de "
        "qualidade (pessoas a definir).",
        "investment": "O investimento segue o esforço estimado por fase e papel, com os valores da tabela de "
        "preços da consultoria; veja a tabela de investimento.",
        "project_role": "{role} no projeto",
    },
    Language.EN: {
        "team": "Proposed team, from the consultancy:",
        "no_team": "Roles needed: project manager, solution architect, developers and quality analyst (people to "
        "be named).",
        "investment": "The investment follows the estimated effort per phase and role, at the consultancy's rate "
        "card; see the investment table.",
        "project_role": "{role} on the project",
    },
}


def _folded_words(text: str) -> set[str]:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return set(_WORD.findall(plain))


def outline_team(request: ProposalRequest, context: DraftingContext) -> tuple[tuple[uuid.UUID, str], ...]:
    """The roster's best matches for the request by skill overlap (ties in roster order), at most five.

    With no skill in common, one person per role (the first in the roster), at most three: a team to start from.
    """
    wanted = _folded_words(" ".join(filter(None, (request.industry, request.requirements, request.scope))))
    template = _GROUNDED_TEXT[request.language]["project_role"]
    scored = []
    for position, person in enumerate(context.roster):
        skills = [*person.skills, *person.certifications]
        score = sum(1 for skill in skills if _folded_words(skill) and _folded_words(skill) <= wanted)
        scored.append((-score, position, person))
    matched = [person for score, _, person in sorted(scored, key=lambda item: item[:2]) if score < 0]
    if not matched:
        seen: set[uuid.UUID] = set()
        for person in context.roster:
            if person.role_id not in seen and len(matched) < MAX_OUTLINE_ROLES:
                seen.add(person.role_id)
                matched.append(person)
    return tuple((person.id, template.format(role=person.role_name)) for person in matched[:MAX_OUTLINE_TEAM])


def default_effort(
    request: ProposalRequest, context: DraftingContext, team: tuple[tuple[uuid.UUID, str], ...]
) -> tuple[tuple[str, uuid.UUID, Decimal], ...]:
    """A default plan: each default phase, fixed hours for each of up to three rate-card roles (the team's first)."""
    roles_of_team = {person.id: person.role_id for person in context.roster}
    card = [line.role_id for line in context.rate_card]
    ordered = [roles_of_team[person_id] for person_id, _ in team if roles_of_team.get(person_id) in card]
    roles = list(dict.fromkeys([*ordered, *card]))[:MAX_OUTLINE_ROLES]
    return tuple((phase, role_id, hours) for phase, hours in _DEFAULT_PHASES[request.language] for role_id in roles)


def grounded_outline_texts(
    request: ProposalRequest, context: DraftingContext, team: tuple[tuple[uuid.UUID, str], ...]
) -> dict[str, str]:
    """The team and investment sections without AI, from the roster and the rate card."""
    text = _GROUNDED_TEXT[request.language]
    roster = {person.id: person for person in context.roster}
    people = [roster[person_id] for person_id, _ in team if person_id in roster]
    if people:
        team_text = text["team"] + "\n\n" + "\n".join(f"- **{p.name}**: {p.role_name}" for p in people)
    else:
        team_text = text["no_team"]
    return {"team": team_text, "investment": text["investment"]}
