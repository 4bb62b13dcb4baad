"""The `outline` provider: sections built from the request itself, without AI, so the path runs anywhere."""

from __future__ import annotations

from typing import Final

from propos4l.generator.draft import DraftAnswer
from propos4l.shared.events import ProposalRequest
from propos4l.shared.sections import Language

__all__ = ["OUTLINE_NOTICE", "outline_draft"]

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
