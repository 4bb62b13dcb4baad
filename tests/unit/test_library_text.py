"""The passage text full-text search indexes: folded accents, configurations, stable ids."""

from __future__ import annotations

import uuid

import pytest

from propos4l.shared.library_text import (
    content_digest,
    document_search_text,
    fold_accents,
    passage_id,
    search_config,
    search_text,
)


def test_accents_are_folded_and_other_characters_kept() -> None:
    assert fold_accents("Migração de ÓRGÃOS públicos: 5.2.1 — ok") == "Migracao de ORGAOS publicos: 5.2.1 — ok"


def test_search_text_holds_the_text_and_its_folded_copy_once() -> None:
    assert search_text("Título", "migração", ["Seção"]) == "Título\nSeção\nmigração\nTitulo\nSecao\nmigracao"
    assert search_text("Title", "plain body") == "Title\nplain body"


def test_a_document_s_title_is_searched_in_its_first_passage_only() -> None:
    assert document_search_text("Proposta LGPD", 0, "Escopo.", ["Fase 1"]) == "Proposta LGPD\nFase 1\nEscopo."
    assert document_search_text("Proposta LGPD", 1, "Migração.", ["Fase 2"]) == "Fase 2\nMigração.\nFase 2\nMigracao."


def test_each_library_language_has_its_configuration() -> None:
    assert search_config("pt-BR") == "portuguese"
    assert search_config("en") == "english"
    with pytest.raises(ValueError, match="fr"):
        search_config("fr")


def test_passage_ids_are_stable_for_the_same_content_only() -> None:
    source = uuid.uuid4()
    digest = content_digest("title", "body")
    assert passage_id(source, 0, digest) == passage_id(source, 0, content_digest("title", "body"))
    assert passage_id(source, 0, digest) != passage_id(source, 1, digest)
    assert passage_id(source, 0, digest) != passage_id(source, 0, content_digest("title", "body!"))
    assert content_digest("ab", "c") != content_digest("a", "bc")
