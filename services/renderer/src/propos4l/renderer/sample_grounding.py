"""The sample proposal's grounding: a small team from a roster, effort priced from a rate card, cited case studies.

Template previews and checks render the sample, so a template shows its team cards, effort table and annex there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from propos4l.shared.effort_pricing import ProposedEffort, price_effort
from propos4l.shared.grounding import (
    BudgetComparison,
    ContextPassage,
    EffortLine,
    RateCardLine,
    SectionSources,
    TeamMember,
)
from propos4l.shared.sections import Language, SectionKey

__all__ = ["SampleGrounding", "sample_budget_comparison", "sample_grounding"]

_NAMESPACE: Final = uuid.UUID("9b8f7c52-1e0a-4c3d-8f6e-2a1b3c4d5e6f")
_CENT: Final = Decimal("0.01")
_WITHIN_SHARE: Final = Decimal("0.10")


def _id(*names: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "/".join(names))


@dataclass(frozen=True, slots=True)
class SampleGrounding:
    """What a grounded draft of the sample carries besides its sections."""

    team: tuple[TeamMember, ...]
    effort: tuple[EffortLine, ...]
    sources: tuple[SectionSources, ...]
    cited_passages: tuple[ContextPassage, ...]


_RATES: Final[dict[Language, tuple[tuple[str, str], ...]]] = {
    Language.PT_BR: (
        ("Gerente de projeto", "240.00"),
        ("Arquiteta de soluções", "280.00"),
        ("Desenvolvedor sênior", "210.00"),
        ("Designer de produto", "190.00"),
        ("Analista de qualidade", "160.00"),
    ),
    Language.EN: (
        ("Project manager", "225.00"),
        ("Solutions architect", "265.00"),
        ("Senior developer", "195.00"),
        ("Product designer", "175.00"),
        ("QA analyst", "150.00"),
    ),
}
# Hours per phase and role; priced, they add up to the amounts the sample always had (R$ 331.500,00 and
# R$266,137.50 before discount and taxes), so the documented totals stay.
_EFFORT: Final[dict[Language, tuple[tuple[str, int, str], ...]]] = {
    Language.PT_BR: (
        ("Descoberta", 0, "40"), ("Descoberta", 1, "60"), ("Descoberta", 3, "80"),
        ("Desenho", 1, "80"), ("Desenho", 3, "120"),
        ("Construção", 2, "600"), ("Construção", 1, "120"), ("Construção", 4, "160"), ("Construção", 0, "96"),
        ("Implantação", 2, "94"), ("Implantação", 4, "40"), ("Implantação", 0, "43"),
    ),
    Language.EN: (
        ("Discovery", 0, "32"), ("Discovery", 1, "48"), ("Discovery", 3, "64"),
        ("Design", 1, "64"), ("Design", 3, "100"),
        ("Build", 2, "560"), ("Build", 1, "100"), ("Build", 4, "120"), ("Build", 0, "80"),
        ("Rollout", 2, "96"), ("Rollout", 4, "20"), ("Rollout", 0, "22"), ("Rollout", 3, "12.5"),
    ),
}  # fmt: skip
# Name, role (index in the rate card), seniority, role in this project, bio.
_TEAM: Final[dict[Language, tuple[tuple[str, int, str, str, str], ...]]] = {
    Language.PT_BR: (
        ("Helena Duarte", 0, "senior",
         "Ponto único de contato; conduz o comitê quinzenal e responde por prazos e riscos.",
         "Gerente de projetos há 14 anos, dez deles no agronegócio. Conduziu a implantação de sistemas de gestão em "
         "seis cooperativas do Sul e do Centro-Oeste. Certificada PMP."),
        ("Camila Rocha", 1, "principal", "Desenho técnico da plataforma e integração com o ERP legado.",
         "Arquiteta de soluções com foco em integração de sistemas legados e arquitetura em nuvem. Liderou a "
         "integração de ERP na Laticínios Bom Pasto, com sincronização a cada 10 minutos."),
        ("Bruno Teixeira", 2, "senior", "Lidera a construção dos portais e da camada de integração.",
         "Desenvolvedor com 9 anos de experiência em Python e TypeScript, responsável pelo portal do cooperado da "
         "Cooperativa Serra Azul."),
        ("Lívia Martins", 3, "mid", "Pesquisa com usuários nas unidades e protótipos navegáveis.",
         "Designer de produto, conduz pesquisas de campo com produtores rurais e equipes de armazém."),
    ),
    Language.EN: (
        ("Helena Duarte", 0, "senior", "Single point of contact; runs the steering committee, owns schedule and risks.",
         "Project manager for 14 years, ten of them in logistics and supply chain. Led operations-platform rollouts "
         "for six distribution networks. PMP certified."),
        ("Camila Rocha", 1, "principal", "Technical design and the warehouse-system integration.",
         "Solutions architect focused on legacy integration and cloud architecture. Led the warehouse-system "
         "integration at Contoso Freight, synchronising every 10 minutes."),
        ("Bruno Teixeira", 2, "senior", "Leads the build of the portals and the integration layer.",
         "Developer with 9 years of Python and TypeScript, who built the customer portal of Fabrikam Distribution."),
        ("Lívia Martins", 3, "mid", "User research at the centres and clickable prototypes.",
         "Product designer who runs field research with drivers and warehouse teams."),
    ),
}  # fmt: skip
_CASE_STUDIES: Final[dict[Language, tuple[tuple[str, str], ...]]] = {
    Language.PT_BR: (
        ("Portal do cooperado na Cooperativa Serra Azul",
         "Cliente: Cooperativa Serra Azul\nSetor: Agronegócio\n"
         "Problema: Cooperados sem acesso a extratos de entrega e saldos; atendimento por telefone sobrecarregado.\n"
         "Solução: Portal web e aplicativo com extrato, saldos e agendamento de descargas, integrados ao ERP.\n"
         "Resultados: 62% menos ligações ao atendimento em seis meses; 4.100 cooperados ativos no portal.\n"
         "Tecnologias: Python, TypeScript, PostgreSQL\nAno: 2024"),
        ("Integração de ERP legado na Laticínios Bom Pasto",
         "Cliente: Laticínios Bom Pasto\nSetor: Indústria de alimentos\n"
         "Problema: ERP de 2009 sem interface de integração; estoques conferidos à mão entre três fábricas.\n"
         "Solução: Camada de integração que sincroniza cadastros e movimentos a cada 10 minutos.\n"
         "Resultados: Fechamento mensal de 9 para 4 dias; divergências de estoque 80% menores.\nAno: 2023"),
    ),
    Language.EN: (
        ("Customer portal at Fabrikam Distribution",
         "Client: Fabrikam Distribution\nIndustry: Logistics\n"
         "Problem: Customers called in to track shipments; the service desk was overloaded.\n"
         "Solution: A web portal with shipment tracking, delivery slots and proof of delivery, on the existing WMS.\n"
         "Results: 58% fewer service calls in six months; 2,300 active customer accounts.\n"
         "Technologies: Python, TypeScript, PostgreSQL\nYear: 2024"),
        ("Warehouse-system integration at Contoso Freight",
         "Client: Contoso Freight\nIndustry: Logistics\n"
         "Problem: A 2010 warehouse system with no integration interface; stock reconciled by hand across sites.\n"
         "Solution: An integration layer synchronising master data and stock movements every 10 minutes.\n"
         "Results: Month-end close down from 8 to 3 days; 75% fewer stock discrepancies.\nYear: 2023"),
    ),
}  # fmt: skip
_SERVICE: Final[dict[Language, tuple[str, str]]] = {
    Language.PT_BR: ("Implantação de plataformas de operações", "Levantamento, construção e implantação assistida."),
    Language.EN: ("Operations platform delivery", "Discovery, build and assisted rollout."),
}


def sample_grounding(language: Language) -> SampleGrounding:
    """The sample's team, priced effort, sources and the passages they cite, in `language`."""
    rate_card = tuple(
        RateCardLine(
            role_id=_id("role", role),
            role_name=role,
            rate_id=_id("rate", role),
            hourly_rate=Decimal(rate),
            currency="BRL",
        )
        for role, rate in _RATES[language]
    )
    priced = price_effort(
        (ProposedEffort(phase, rate_card[role].role_id, Decimal(hours)) for phase, role, hours in _EFFORT[language]),
        rate_card,
    )
    team = tuple(
        TeamMember(
            person_id=_id("person", name),
            name=name,
            role_id=rate_card[role].role_id,
            role_name=rate_card[role].role_name,
            seniority=seniority,
            bio=bio,
            project_role=project_role,
        )
        for name, role, seniority, project_role, bio in _TEAM[language]
    )
    studies = tuple(
        ContextPassage(
            id=_id("passage", title), kind="case_study", title=title, text=text, entry_id=_id("entry", title)
        )
        for title, text in _CASE_STUDIES[language]
    )
    service_title, service_text = _SERVICE[language]
    service = ContextPassage(id=_id("passage", service_title), kind="service", title=service_title, text=service_text)
    sources = (
        SectionSources(section=SectionKey.EXECUTIVE_SUMMARY, passage_ids=(studies[0].id,)),
        SectionSources(section=SectionKey.SOLUTION, passage_ids=(service.id, studies[1].id)),
        SectionSources(section=SectionKey.DIFFERENTIALS, passage_ids=(studies[0].id, studies[1].id)),
    )
    return SampleGrounding(team=team, effort=priced.lines, sources=sources, cited_passages=(*studies, service))


def sample_budget_comparison(budget: Decimal, total: Decimal, currency: str) -> BudgetComparison:
    """The comparison the generator makes (`within`: not above and at most 10% below), for the sample."""
    difference = ((total - budget) / budget * 100).quantize(_CENT, rounding=ROUND_HALF_UP)
    if total > budget:
        verdict = "over"
    elif total >= budget * (1 - _WITHIN_SHARE):
        verdict = "within"
    else:
        verdict = "under"
    return BudgetComparison(
        budget=budget, total=total, currency=currency, verdict=verdict, difference_percent=difference
    )
