"""The library search's query builder, snippet marks and rank fusion, without a database."""

from __future__ import annotations

import uuid

import pytest

from propos4l.shared.library_query import MAX_QUERY_WORDS, build_text_query, portuguese_root, query_words
from propos4l.shared.library_search import _START, _STOP, cap_per_source, fuse_ranks, snippet_and_highlights


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


def test_stop_words_are_in_neither_configuration_s_query() -> None:
    query = build_text_query("migração para the nuvem", {"para", "the"})
    assert query is not None
    assert query.words == ("migração", "para", "the", "nuvem") and query.terms == ("migração", "nuvem")
    for text in (query.portuguese_all, query.portuguese_any, query.english_all, query.english_any):
        assert "'para'" not in text and "'the'" not in text and "'nuvem'" in text
    only_stop_words = build_text_query("de para", {"de", "para"})
    assert only_stop_words is not None and only_stop_words.portuguese_any == only_stop_words.english_all == ""


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


def test_at_most_per_source_passages_of_one_source_keep_their_order() -> None:
    first, second, third, fourth = (uuid.UUID(int=number) for number in (1, 2, 3, 4))
    document, entry = uuid.UUID(int=10), uuid.UUID(int=11)
    fused = [(first, 0.4), (second, 0.3), (third, 0.2), (fourth, 0.1)]
    sources = {first: document, second: document, third: document, fourth: entry}
    assert cap_per_source(fused, sources, 2) == [(first, 0.4), (second, 0.3), (fourth, 0.1)]
    assert cap_per_source(fused, sources, 1) == [(first, 0.4), (fourth, 0.1)]
    assert cap_per_source(fused, sources, None) == fused
