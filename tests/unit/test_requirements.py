"""Requirements are found in an edital's or RFP's text by rules: clauses, modal verbs, kinds, stable ids, quotes."""

from __future__ import annotations

import pytest

from propos4l.shared.requirements import (
    Location,
    Obligation,
    RequirementKind,
    SourcePage,
    classify_kind,
    classify_obligation,
    extract_requirements,
    normalise_quote,
    requirement_id,
)

EDITAL_PAGE_1 = """PREFEITURA MUNICIPAL DE VALE VERDE
Pregão Eletrônico nº 12/2027 - Página 1 de 3

5. DAS OBRIGAÇÕES DA CONTRATADA
5.1 A CONTRATADA deverá manter sigilo sobre os dados a que tiver acesso. O sistema poderá ser
hospedado em nuvem pública, conforme art. 5º da Lei nº 13.709/2018.
5.2 A solução deverá:
a) permitir o cadastro de processos administrativos;
b) gerar relatórios gerenciais em PDF e CSV;
5.3 É desejável que a solução ofereça aplicativo para dispositivos móveis.
5.4 A CONTRATANTE poderá aplicar multa de até 10% sobre o valor do contrato.
5.5 A CONTRATADA prestará suporte técnico em horário comercial, de segunda a sexta-feira.
"""
EDITAL_PAGE_2 = """PREFEITURA MUNICIPAL DE VALE VERDE
Pregão Eletrônico nº 12/2027 - Página 2 de 3
5.6 É vedada a subcontratação total do objeto. A licitante não poderá apresentar mais de uma
proposta.
6. DA HABILITAÇÃO
6.1 A licitante deverá apresentar atestado de capacidade técnica emitido por pessoa jurídica de
direito público ou privado.
"""
EDITAL_PAGE_3 = """PREFEITURA MUNICIPAL DE VALE VERDE
Pregão Eletrônico nº 12/2027 - Página 3 de 3
ANEXO I - RESUMO
5.1 A CONTRATADA deverá manter sigilo sobre os dados a que tiver acesso.
"""
RFP_PAGE = """3. Technical requirements
3.1 The platform must support single sign-on through SAML 2.0 or OpenID Connect.
3.2 The Vendor shall encrypt all data at rest with AES-256. Data should be hosted in the EU.
3.3 The Contractor will provide monthly uptime reports.
3.4 The Client will provide access to the test environment.
3.5 Bidders may include optional modules in a separate annex.
3.6 Proposals must be submitted no later than 30 business days after the publication of this RFP.
"""


def _edital() -> list[SourcePage]:
    return [
        SourcePage("edital.pdf", 1, EDITAL_PAGE_1),
        SourcePage("edital.pdf", 2, EDITAL_PAGE_2),
        SourcePage("edital.pdf", 3, EDITAL_PAGE_3),
    ]


def _by_quote_start(pages: list[SourcePage]) -> dict[str, object]:
    return {requirement.quote[:30]: requirement for requirement in extract_requirements(pages)}


def test_an_edital_gives_each_binding_sentence_with_its_clause_page_and_obligation() -> None:
    found = {requirement.quote: requirement for requirement in extract_requirements(_edital())}
    sigilo = found["A CONTRATADA deverá manter sigilo sobre os dados a que tiver acesso."]
    assert (sigilo.obligation, sigilo.location) == (Obligation.MANDATORY, Location("edital.pdf", 1, "5.1"))
    hosted = found["O sistema poderá ser hospedado em nuvem pública, conforme art. 5º da Lei nº 13.709/2018."]
    assert hosted.obligation is Obligation.DESIRABLE and hosted.location.clause == "5.1"
    assert found["É desejável que a solução ofereça aplicativo para dispositivos móveis."].obligation is (
        Obligation.DESIRABLE
    )
    assert found[
        "A CONTRATADA prestará suporte técnico em horário comercial, de segunda a sexta-feira."
    ].obligation is (Obligation.MANDATORY)
    assert found["É vedada a subcontratação total do objeto."].obligation is Obligation.MANDATORY
    no_second = found["A licitante não poderá apresentar mais de uma proposta."]
    assert no_second.obligation is Obligation.MANDATORY and no_second.location == Location("edital.pdf", 2, "5.6")
    atestado = found[
        "A licitante deverá apresentar atestado de capacidade técnica emitido por pessoa jurídica de direito público "
        "ou privado."
    ]
    assert atestado.kind is RequirementKind.QUALIFICATION and atestado.heading == "DA HABILITAÇÃO"


def test_list_items_under_a_binding_lead_are_requirements_with_the_item_in_their_clause() -> None:
    found = {requirement.quote: requirement for requirement in extract_requirements(_edital())}
    cadastro = found["permitir o cadastro de processos administrativos;"]
    assert cadastro.obligation is Obligation.MANDATORY and cadastro.location.clause == "5.2 a)"
    assert found["gerar relatórios gerenciais em PDF e CSV;"].location.clause == "5.2 b)"
    assert "A solução deverá:" not in found  # the lead is read through its items


def test_the_client_s_own_duties_and_running_headers_are_not_requirements() -> None:
    quotes = [requirement.quote for requirement in extract_requirements(_edital())]
    assert not any("CONTRATANTE" in quote for quote in quotes)
    assert not any("Página" in quote or "PREFEITURA" in quote for quote in quotes)


def test_a_quote_found_twice_is_one_requirement_with_both_places() -> None:
    found = [r for r in extract_requirements(_edital()) if r.quote.startswith("A CONTRATADA deverá manter sigilo")]
    assert len(found) == 1
    assert found[0].location.page == 1 and found[0].also_at == (Location("edital.pdf", 3, "5.1"),)


def test_the_same_document_gives_the_same_ids_and_each_quote_is_in_its_page_text() -> None:
    first = extract_requirements(_edital())
    second = extract_requirements(_edital())
    assert [r.id for r in first] == [r.id for r in second]
    assert len({r.id for r in first}) == len(first)
    pages = {page.page: " ".join(page.text.split()) for page in _edital()}
    for requirement in first:
        assert requirement.location.page is not None
        here = pages[requirement.location.page]
        following = pages.get(requirement.location.page + 1, "")
        # A quote is the document's own words; one that runs onto the next page starts on its page.
        assert requirement.quote in here or requirement.quote in f"{here} {following}"


def test_an_id_depends_on_the_quote_and_clause_but_not_on_spacing_case_or_accents() -> None:
    base = requirement_id("A CONTRATADA deverá  manter sigilo.", "5.1")
    assert base == requirement_id("a contratada devera manter sigilo", "5.1")
    assert base != requirement_id("A CONTRATADA deverá manter sigilo.", "5.2")
    assert base != requirement_id("A CONTRATADA deverá manter o sigilo.", "5.1")
    assert base.startswith("REQ-") and len(base) == 16
    assert normalise_quote("  É  Vedada, a subcontratação! ") == "e vedada a subcontratacao"


def test_an_english_rfp_gives_must_shall_and_will_as_mandatory_and_should_may_as_desirable() -> None:
    found = {r.quote: r for r in extract_requirements([SourcePage("rfp.docx", None, RFP_PAGE)])}
    assert found["The platform must support single sign-on through SAML 2.0 or OpenID Connect."].obligation is (
        Obligation.MANDATORY
    )
    encrypt = found["The Vendor shall encrypt all data at rest with AES-256."]
    assert encrypt.obligation is Obligation.MANDATORY and encrypt.kind is RequirementKind.TECHNICAL
    assert encrypt.location == Location("rfp.docx", None, "3.2")
    assert found["Data should be hosted in the EU."].obligation is Obligation.DESIRABLE
    assert found["The Contractor will provide monthly uptime reports."].obligation is Obligation.MANDATORY
    assert found["Bidders may include optional modules in a separate annex."].obligation is Obligation.DESIRABLE
    deadline = found["Proposals must be submitted no later than 30 business days after the publication of this RFP."]
    assert deadline.kind is RequirementKind.DEADLINE
    assert not any(quote.startswith("The Client will") for quote in found)


@pytest.mark.parametrize(
    ("sentence", "obligation"),
    [
        ("A CONTRATADA deverá fornecer os equipamentos.", Obligation.MANDATORY),
        ("As licitantes deverão apresentar declaração.", Obligation.MANDATORY),
        ("O uso de certificado digital é obrigatório.", Obligation.MANDATORY),
        ("É vedada a participação de consórcios.", Obligation.MANDATORY),
        ("A empresa não poderá subcontratar o objeto.", Obligation.MANDATORY),
        ("Será exigida garantia contratual de 5%.", Obligation.MANDATORY),
        ("A solução poderá ser entregue em módulos.", Obligation.DESIRABLE),
        ("A CONTRATADA deverá, preferencialmente, alocar profissionais locais.", Obligation.DESIRABLE),
        ("Será considerado diferencial a certificação ISO 27001.", Obligation.DESIRABLE),
        ("The system must log every access.", Obligation.MANDATORY),
        ("The supplier shall not subcontract.", Obligation.MANDATORY),
        ("A bid bond is required.", Obligation.MANDATORY),
        ("The solution should support dark mode.", Obligation.DESIRABLE),
        ("Experience in the public sector is desirable.", Obligation.DESIRABLE),
        ("The vendor may not disclose client data.", Obligation.MANDATORY),
        ("A CONTRATANTE deverá pagar a fatura em 30 dias.", None),
        ("The Client shall review deliverables within 10 days.", None),
        ("O presente edital foi publicado no Diário Oficial.", None),
        ("This document describes the current environment.", None),
    ],
)
def test_modal_markers_decide_the_obligation_in_portuguese_and_english(
    sentence: str, obligation: Obligation | None
) -> None:
    assert classify_obligation(sentence) is obligation


@pytest.mark.parametrize(
    ("sentence", "heading", "kind"),
    [
        ("A CONTRATADA deverá entregar o sistema em 60 dias corridos.", None, RequirementKind.DEADLINE),
        ("O pagamento será efetuado mediante nota fiscal.", None, RequirementKind.COMMERCIAL),
        ("A licitante deverá apresentar certidão negativa de débitos trabalhistas.", None,
         RequirementKind.QUALIFICATION),
        ("A solução deverá suportar autenticação via LDAP e criptografia TLS 1.2.", None, RequirementKind.TECHNICAL),
        ("O sistema deverá permitir o cadastro de usuários.", None, RequirementKind.FUNCTIONAL),
        ("A CONTRATADA deverá cumprir o disposto.", "DA QUALIFICAÇÃO TÉCNICA", RequirementKind.QUALIFICATION),
        ("Prices shall be quoted in US dollars, taxes included.", None, RequirementKind.COMMERCIAL),
        ("The vendor must hold ISO 27001 certification.", None, RequirementKind.QUALIFICATION),
        ("The platform must allow users to export reports.", None, RequirementKind.FUNCTIONAL),
        ("The contractor shall do it.", None, RequirementKind.FUNCTIONAL),
    ],
)  # fmt: skip
def test_the_kind_is_the_one_whose_keywords_the_sentence_and_its_heading_name_most(
    sentence: str, heading: str | None, kind: RequirementKind
) -> None:
    assert classify_kind(sentence, heading) is kind


def test_files_are_read_one_after_another_and_clauses_do_not_leak_between_them() -> None:
    pages = [
        SourcePage("a.pdf", 1, "7.1 A CONTRATADA deverá emitir relatórios mensais.\n"),
        SourcePage("b.txt", None, "A solução deverá ter interface em português.\n"),
    ]
    found = extract_requirements(pages)
    assert [(r.location.file, r.location.clause) for r in found] == [("a.pdf", "7.1"), ("b.txt", None)]


def test_a_document_without_binding_sentences_gives_no_requirement() -> None:
    text = "1. INTRODUÇÃO\n1.1 Este documento apresenta o contexto do projeto.\n\nThe city has 40,000 residents.\n"
    assert extract_requirements([SourcePage("x.txt", None, text)]) == []
