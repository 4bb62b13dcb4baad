"""The library search's query builder, snippet marks and rank fusion, without a database."""

from __future__ import annotations

import uuid

import pytest

from propos4l.shared.library_query import MAX_QUERY_WORDS, build_text_query, portuguese_root, query_words
from propos4l.shared.library_search import _START, _STOP, fuse_ranks, snippet_and_highlights


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("migração", "migra"),
        ("migracao", "migra"),
        ("migrações", "migra"),
        ("gerenciamento", "gerencia"),
        ("experiência", "experi"),
        ("abrangência", "abrang"),
        ("hospedagem", "hosped"),
        ("conversão", "conver"),
        ("são", "são"),  # a word, not a suffix: too little would be left
        ("ação", "ação"),
        ("migrar", "migrar"),
    ],
)
def test_portuguese_roots_lose_their_nominal_suffix(word: str, root: str) -> None:
    assert portuguese_root(word) == root


def test_a_word_becomes_its_stem_or_a_prefix_on_its_root_in_both_spellings() -> None:
    query = build_text_query("Migração")
    assert query is not None
    assert query.words == ("migração",)
    assert query.portuguese_all == "('migração' | 'migra':* | 'migracao')"
    assert query.english_all == "('migração' | 'migração':* | 'migracao' | 'migracao':*)"


def test_words_are_joined_by_and_for_all_and_by_or_for_any() -> None:
    query = build_text_query("nuvem, AWS")
    assert query is not None
    assert query.portuguese_all == "('nuvem' | 'nuvem':*) & ('aws')"
    assert query.portuguese_any == "('nuvem' | 'nuvem':*) | ('aws')"


def test_nothing_a_person_types_reaches_the_tsquery_syntax() -> None:
    query = build_text_query("a' & !b | c:* <-> (d) \\e")
    assert query is not None
    assert query.words == ("a", "b", "c", "d", "e")
    for text in (query.portuguese_all, query.english_any):
        assert "!" not in text and "<->" not in text and "\\" not in text
        assert text.count("'") % 2 == 0


def test_a_query_without_letters_or_digits_has_no_words() -> None:
    assert build_text_query("?! -- % _") is None
    assert query_words("") == []


def test_queries_keep_at_most_the_first_distinct_words() -> None:
    words = query_words(" ".join(f"palavra{index}" for index in range(30)) + " palavra0")
    assert len(words) == MAX_QUERY_WORDS and words[0] == "palavra0"


def test_snippet_marks_become_character_ranges_of_plain_text() -> None:
    marked = f"  A {_START}migração{_STOP} {_START}para{_STOP}\n\n a {_START}nuvem{_STOP} terminou  "
    snippet, highlights = snippet_and_highlights(marked)
    assert snippet == "A migração para a nuvem terminou"
    assert [snippet[start:end] for start, end in highlights] == ["migração para", "nuvem"]


def test_reciprocal_rank_fusion_rewards_passages_both_lists_rank() -> None:
    first, second, third = (uuid.UUID(int=number) for number in (1, 2, 3))
    fused = fuse_ranks([first, second], [second, third])
    assert [passage for passage, _ in fused] == [second, first, third]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
