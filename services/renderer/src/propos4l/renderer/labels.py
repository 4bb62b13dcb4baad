"""Fixed words of a proposal document in each language, and dates written the way each language writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from propos4l.shared.sections import Language

__all__ = ["Labels", "format_date", "labels_for", "seniority_word"]


@dataclass(frozen=True, slots=True)
class Labels:
    """The words a template needs around the model-written sections."""

    document_title: str
    prepared_for: str
    prepared_by: str
    industry: str
    proposal_number: str
    version: str
    date: str
    valid_until: str
    contents: str
    page: str
    of: str
    draft_without_ai: str
    confidential: str
    keywords: str
    # timeline table
    phase: str
    duration: str
    deliverables: str
    # investment table
    item: str
    quantity: str
    unit_price: str
    amount: str
    subtotal: str
    discount: str
    total: str
    taxes_note: str
    amounts_in: str
    # the team, from the roster
    team_role: str
    seniority: str
    project_role: str
    # the effort table, priced from the rate card
    hours: str
    hourly_rate: str
    phase_subtotal: str
    total_hours: str
    unpriced_roles: str
    unpriced_note: str
    # the budget the request states, compared with the total
    budget_within: str
    budget_equal: str
    budget_under: str
    budget_over: str
    budget_compared_before_taxes: str
    budget_compared: str
    # the annex of case studies cited
    annex: str
    case_studies_annex: str
    case_studies_intro: str
    cited_in: str
    # the annex of the client's requirements and how the proposal answers them
    compliance_annex: str
    compliance_intro: str
    compliance_requirement: str
    compliance_clause: str
    compliance_status: str
    compliance_section: str
    compliance_page: str
    compliance_mandatory: str
    compliance_desirable: str
    compliance_answered: str
    compliance_partial: str
    compliance_not_answered: str
    compliance_not_applicable: str
    # assumptions, validity and signatures
    assumptions: str
    validity_note: str
    acceptance: str
    acceptance_note: str
    for_company: str
    for_client: str
    name: str
    role: str
    signature_date: str
    contact: str


_LABELS: Final[dict[Language, Labels]] = {
    Language.PT_BR: Labels(
        document_title="Proposta comercial",
        prepared_for="Preparado para",
        prepared_by="Preparado por",
        industry="Setor",
        proposal_number="Proposta nº",
        version="Versão",
        date="Data",
        valid_until="Válida até",
        contents="Sumário",
        page="Página",
        of="de",
        draft_without_ai="Rascunho gerado sem IA (modo outline)",
        confidential="Documento confidencial, de uso exclusivo do destinatário.",
        keywords="proposta comercial, consultoria de TI",
        phase="Fase",
        duration="Duração",
        deliverables="Entregas",
        item="Item",
        quantity="Qtd.",
        unit_price="Valor unitário",
        amount="Valor",
        subtotal="Subtotal",
        discount="Desconto",
        total="Total",
        taxes_note="Impostos calculados sobre o subtotal com desconto.",
        amounts_in="Valores em",
        team_role="Função",
        seniority="Senioridade",
        project_role="Papel no projeto",
        hours="Horas",
        hourly_rate="Valor/hora",
        phase_subtotal="Subtotal",
        total_hours="Total de horas",
        unpriced_roles="Sem valor/hora no cartão de taxas: {roles}.",
        unpriced_note="Essas linhas ainda não têm preço e não entram no total.",
        budget_within="Dentro do orçamento informado ({budget}): {percent} abaixo.",
        budget_equal="No valor do orçamento informado ({budget}).",
        budget_under="Abaixo do orçamento informado ({budget}) em {percent}.",
        budget_over="Acima do orçamento informado ({budget}) em {percent}.",
        budget_compared_before_taxes="Comparação feita com o valor sem impostos ({total}).",
        budget_compared="Comparação feita com {total}.",
        annex="Anexo",
        case_studies_annex="Casos de sucesso citados",
        case_studies_intro="Projetos anteriores citados nesta proposta, como constam da nossa biblioteca.",
        cited_in="Citado em",
        compliance_annex="Matriz de conformidade",
        compliance_intro="Os requisitos do documento do cliente, citados como constam dele, e onde esta proposta os "
        "atende (verificação automática na redação).",
        compliance_requirement="Requisito",
        compliance_clause="Cláusula",
        compliance_status="Situação",
        compliance_section="Seção",
        compliance_page="p.",
        compliance_mandatory="obrigatório",
        compliance_desirable="desejável",
        compliance_answered="Atendido",
        compliance_partial="Parcial",
        compliance_not_answered="Não atendido",
        compliance_not_applicable="Não se aplica",
        assumptions="Premissas",
        validity_note="Esta proposta é válida até {date}.",
        acceptance="Aceite",
        acceptance_note="De acordo com os termos e condições desta proposta.",
        for_company="Pela contratada",
        for_client="Pela contratante",
        name="Nome",
        role="Cargo",
        signature_date="Data",
        contact="Contato",
    ),
    Language.EN: Labels(
        document_title="Commercial proposal",
        prepared_for="Prepared for",
        prepared_by="Prepared by",
        industry="Industry",
        proposal_number="Proposal no.",
        version="Version",
        date="Date",
        valid_until="Valid until",
        contents="Contents",
        page="Page",
        of="of",
        draft_without_ai="Draft produced without AI (outline mode)",
        confidential="Confidential: intended solely for the addressee.",
        keywords="commercial proposal, IT consulting",
        phase="Phase",
        duration="Duration",
        deliverables="Deliverables",
        item="Item",
        quantity="Qty",
        unit_price="Unit price",
        amount="Amount",
        subtotal="Subtotal",
        discount="Discount",
        total="Total",
        taxes_note="Taxes are computed on the discounted subtotal.",
        amounts_in="Amounts in",
        team_role="Role",
        seniority="Seniority",
        project_role="Role in this project",
        hours="Hours",
        hourly_rate="Hourly rate",
        phase_subtotal="Subtotal",
        total_hours="Total hours",
        unpriced_roles="No rate on the rate card: {roles}.",
        unpriced_note="Those lines are not priced yet and are not included in the total.",
        budget_within="Within the stated budget ({budget}): {percent} below.",
        budget_equal="Exactly the stated budget ({budget}).",
        budget_under="Under the stated budget ({budget}) by {percent}.",
        budget_over="Over the stated budget ({budget}) by {percent}.",
        budget_compared_before_taxes="Compared before taxes ({total}).",
        budget_compared="Compared amount: {total}.",
        annex="Annex",
        case_studies_annex="Case studies cited",
        case_studies_intro="Past projects this proposal cites, as our library records them.",
        cited_in="Cited in",
        compliance_annex="Compliance matrix",
        compliance_intro="The requirements of the client's document, quoted as it states them, and where this "
        "proposal answers them (automatic check at drafting).",
        compliance_requirement="Requirement",
        compliance_clause="Clause",
        compliance_status="Status",
        compliance_section="Section",
        compliance_page="p.",
        compliance_mandatory="mandatory",
        compliance_desirable="desirable",
        compliance_answered="Answered",
        compliance_partial="Partial",
        compliance_not_answered="Not answered",
        compliance_not_applicable="Not applicable",
        assumptions="Assumptions",
        validity_note="This proposal is valid until {date}.",
        acceptance="Acceptance",
        acceptance_note="Agreed to the terms and conditions of this proposal.",
        for_company="For the supplier",
        for_client="For the client",
        name="Name",
        role="Title",
        signature_date="Date",
        contact="Contact",
    ),
}

_SENIORITY: Final[dict[Language, dict[str, str]]] = {
    Language.PT_BR: {"junior": "Júnior", "mid": "Pleno", "senior": "Sênior", "principal": "Principal"},
    Language.EN: {"junior": "Junior", "mid": "Mid-level", "senior": "Senior", "principal": "Principal"},
}

_MONTHS: Final[dict[Language, tuple[str, ...]]] = {
    Language.PT_BR: (
        "janeiro", "fevereiro", "março", "abril", "maio", "junho",
        "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
    ),
    Language.EN: (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def labels_for(language: Language) -> Labels:
    """Return the document words for a language."""
    return _LABELS[language]


def format_date(day: date, language: Language) -> str:
    """Write a date in full: "29 de novembro de 2026" in pt-BR, "November 29, 2026" in en."""
    month = _MONTHS[language][day.month - 1]
    if language is Language.PT_BR:
        return f"{day.day} de {month} de {day.year}"
    return f"{month} {day.day}, {day.year}"


def seniority_word(seniority: str, language: Language) -> str:
    """A roster's seniority ("senior") as `language` writes it ("Sênior"); a value not known is kept as it is."""
    return _SENIORITY[language].get(seniority.strip().lower(), seniority.strip())
