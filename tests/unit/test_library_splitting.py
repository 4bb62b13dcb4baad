"""Documents are split into passages along their headings, joined up to a size, cut at sentence ends."""

from __future__ import annotations

import pytest

from propos4l.library.extraction import Block, Extracted
from propos4l.library.passages import PassageDraft, split


def _document(*blocks: Block) -> Extracted:
    return Extracted(pages=3, ocr_pages=0, blocks=blocks)


def _heading(text: str, *above: str, page: int | None = None) -> Block:
    return Block(text, tuple(above), page, is_heading=True)


def test_a_heading_starts_a_new_passage_that_keeps_its_heading_path_and_first_page() -> None:
    extracted = _document(
        Block("Texto antes de qualquer título.", (), 1),
        _heading("Proposta", page=1),
        _heading("Contexto", "Proposta", page=1),
        Block("Primeiro parágrafo.", ("Proposta", "Contexto"), 1),
        Block("Segundo parágrafo, na página dois.", ("Proposta", "Contexto"), 2),
        _heading("Equipe", "Proposta", page=2),
        Block("Um arquiteto.", ("Proposta", "Equipe"), 3),
    )

    assert split(extracted) == [
        PassageDraft(0, (), 1, "Texto antes de qualquer título."),
        PassageDraft(1, ("Proposta", "Contexto"), 1, "Primeiro parágrafo.\n\nSegundo parágrafo, na página dois."),
        PassageDraft(2, ("Proposta", "Equipe"), 3, "Um arquiteto."),
    ]


def test_paragraphs_are_joined_up_to_the_size_and_then_start_a_new_passage() -> None:
    paragraphs = [Block(f"Parágrafo {number} " + "x" * 40, ("Seção",), number) for number in range(1, 6)]
    extracted = _document(_heading("Seção"), *paragraphs)

    passages = split(extracted, max_characters=120)

    assert [passage.body.count("Parágrafo") for passage in passages] == [2, 2, 1]
    assert [passage.page for passage in passages] == [1, 3, 5]
    assert all(len(passage.body) <= 120 for passage in passages)
    assert [passage.ordinal for passage in passages] == [0, 1, 2]


def test_a_long_paragraph_is_cut_at_sentence_ends() -> None:
    sentences = [f"Frase número {number} sobre a migração de dados para a nuvem." for number in range(1, 41)]
    extracted = _document(Block(" ".join(sentences), ("Longo",), 4))

    passages = split(extracted, max_characters=300)

    assert len(passages) > 1
    assert all(len(passage.body) <= 300 for passage in passages)
    assert all(passage.body.endswith(".") for passage in passages)
    assert all(passage.heading_path == ("Longo",) and passage.page == 4 for passage in passages)
    assert " ".join(passage.body for passage in passages) == " ".join(sentences)


def test_a_sentence_longer_than_the_size_is_cut_at_spaces_and_a_huge_word_anywhere() -> None:
    text = "palavra " * 100 + "y" * 250
    passages = split(_document(Block(text, (), None)), max_characters=100)

    assert all(len(passage.body) <= 100 for passage in passages)
    assert "".join(passage.body.replace(" ", "") for passage in passages) == text.replace(" ", "")


def test_closing_quotes_stay_with_their_sentence() -> None:
    text = 'Ele disse "sim." Depois saiu. ' * 10
    passages = split(_document(Block(text, (), None)), max_characters=40)
    assert passages[0].body == 'Ele disse "sim." Depois saiu.'


def test_empty_blocks_and_headings_without_text_give_no_passage() -> None:
    extracted = _document(
        _heading("Vazio"), Block("   ", ("Vazio",), 1), _heading("Cheio"), Block("Texto.", ("Cheio",), 2)
    )
    assert split(extracted) == [PassageDraft(0, ("Cheio",), 2, "Texto.")]


def test_splitting_is_deterministic() -> None:
    blocks = tuple(Block(f"Frase {number}. " * 30, (f"S{number % 3}",), number) for number in range(30))
    extracted = _document(*blocks)
    assert split(extracted, max_characters=200) == split(extracted, max_characters=200)


def test_a_nonsense_size_is_refused() -> None:
    with pytest.raises(ValueError, match="max_characters"):
        split(_document(), max_characters=5)
