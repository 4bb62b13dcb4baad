"""A draft's sections answer a requirement when they hold its telling words; the check says which and where."""

from __future__ import annotations

from propos4l.shared.requirement_coverage import assess, sections_for, telling_words
from propos4l.shared.requirements import RequirementKind
from propos4l.shared.sections import SectionKey

SECTIONS = {
    SectionKey.SOLUTION: (
        "A plataforma integra-se ao Active Directory por LDAP. Os relatórios gerenciais são exportados em PDF e CSV."
    ),
    SectionKey.TEAM: "O coordenador tem certificação PMP e dez anos de experiência.",
    SectionKey.TIMELINE: "A implantação termina em 90 dias corridos após a ordem de serviço.",
    SectionKey.TERMS: "Condições gerais.",
}


def test_words_are_compared_folded_and_by_their_first_six_letters_without_stop_words_and_modals() -> None:
    assert telling_words("A CONTRATADA deverá gerar Relatórios gerenciais") == {"gerar", "relato", "gerenc"}
    assert telling_words("relatório") <= telling_words("relatórios")


def test_a_requirement_whose_words_a_mapped_section_holds_is_answered_with_its_sentence() -> None:
    coverage = assess(
        "A solução deverá gerar relatórios gerenciais exportáveis em PDF e CSV.", RequirementKind.FUNCTIONAL, SECTIONS
    )
    assert (coverage.status, coverage.sections[0]) == ("answered", SectionKey.SOLUTION)
    assert coverage.sentence == "Os relatórios gerenciais são exportados em PDF e CSV."


def test_a_requirement_half_answered_is_partial_and_one_not_in_the_text_is_not_answered() -> None:
    partial = assess(
        "A solução deverá integrar-se ao LDAP e ao barramento estadual.",
        RequirementKind.TECHNICAL,
        SECTIONS,
    )
    assert partial.status == "partial" and partial.sections[0] == SectionKey.SOLUTION
    missing = assess("É desejável aplicativo móvel para Android e iOS.", RequirementKind.FUNCTIONAL, SECTIONS)
    assert (missing.status, missing.sections, missing.sentence) == ("not_answered", (), None)


def test_a_requirement_answered_outside_its_kind_s_sections_is_still_found() -> None:
    coverage = assess(
        "O coordenador deverá possuir certificação PMP e experiência.", RequirementKind.FUNCTIONAL, SECTIONS
    )
    assert coverage.status == "answered" and coverage.sections == (SectionKey.TEAM,)
    assert sections_for(RequirementKind.DEADLINE) == (SectionKey.TIMELINE, SectionKey.TERMS)


def test_a_requirement_without_telling_words_is_not_answered() -> None:
    assert assess("A contratada deverá.", RequirementKind.FUNCTIONAL, SECTIONS).status == "not_answered"
