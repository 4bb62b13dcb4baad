"""The full-text query of a library search, built from the words a person typed (docs/adr/0012).

PostgreSQL's `portuguese` Snowball stemmer leaves a noun and its verb apart ('migração' -> 'migraçã', 'migrar' ->
'migr'), so each query word becomes a group of alternatives: the word itself (stemmed by the configuration), its
accent-folded form, and a prefix term on its root, the word without a Portuguese nominal suffix (-ção, -mento, -ência,
...), stemmed by the configuration too ('migra' -> 'migr':*, which 'migrar', 'migrado' and 'migração' all start
with). English words get their stem and a prefix on it. The groups are text for `to_tsquery`, made only of quoted
lexemes of letters and digits: nothing a person types reaches the tsquery syntax.

The words that are stop words in either language (PostgreSQL's own lists: the caller asks the server) are left out
of both configurations' queries: each configuration drops its own, but 'para', 'em' and 'de' would otherwise be
English terms, and 'the' and 'of' Portuguese ones.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from propos4l.shared.library_text import fold_accents

__all__ = [
    "MAX_QUERY_WORDS",
    "PORTUGUESE_NOMINAL_SUFFIXES",
    "TextQuery",
    "build_text_query",
    "portuguese_root",
    "query_words",
]

MAX_QUERY_WORDS: Final = 12
_WORD: Final = re.compile(r"[^\W_]+")  # letters and digits, as PostgreSQL's parser reads a word
# Longest first: "ções" before "ção", "mentos" before "mento". The accent-folded spellings follow the same rule.
PORTUGUESE_NOMINAL_SUFFIXES: Final = (
    "ências",
    "âncias",
    "mentos",
    "agens",
    "ência",
    "ância",
    "mento",
    "ções",
    "sões",
    "agem",
    "ção",
    "são",
)
_FOLDED_SUFFIXES: Final = tuple(dict.fromkeys(fold_accents(suffix) for suffix in PORTUGUESE_NOMINAL_SUFFIXES))
_MIN_ROOT: Final = 4  # characters a root keeps after its suffix went ("são" alone is a word, not a suffix)
_MIN_PREFIX: Final = 5  # shorter roots as prefixes would match too much ("cas":* finds casa, casamento, cascata)


@dataclass(frozen=True, slots=True)
class TextQuery:
    """`to_tsquery` inputs per configuration: every word (`_all`) and at least one (`_any`); empty without words.

    `words` are all the words typed; `terms` those searched for (stop words left out).
    """

    words: tuple[str, ...]
    terms: tuple[str, ...]
    portuguese_all: str
    portuguese_any: str
    english_all: str
    english_any: str


def query_words(text: str) -> list[str]:
    """The distinct lower-case words of `text`, at most MAX_QUERY_WORDS, in order."""
    return list(dict.fromkeys(word.lower() for word in _WORD.findall(text)))[:MAX_QUERY_WORDS]


def portuguese_root(word: str) -> str:
    """`word` without a Portuguese nominal suffix ('migração' -> 'migra', 'gerenciamento' -> 'gerencia')."""
    for suffix in (*PORTUGUESE_NOMINAL_SUFFIXES, *_FOLDED_SUFFIXES):
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_ROOT:
            return word[: -len(suffix)]
    return word


def _lexeme(word: str, *, prefix: bool = False) -> str:
    """A quoted tsquery lexeme (quotes and backslashes escaped, though words hold neither)."""
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{quoted}:*" if prefix else quoted


def _portuguese_group(word: str) -> str:
    alternatives: list[str] = []
    for form in dict.fromkeys((word, fold_accents(word))):
        alternatives.append(_lexeme(form))
        root = portuguese_root(form)
        if len(root) >= _MIN_PREFIX:
            alternatives.append(_lexeme(root, prefix=True))
    return "(" + " | ".join(dict.fromkeys(alternatives)) + ")"


def _english_group(word: str) -> str:
    alternatives: list[str] = []
    for form in dict.fromkeys((word, fold_accents(word))):
        alternatives.append(_lexeme(form))
        if len(form) >= _MIN_PREFIX:
            alternatives.append(_lexeme(form, prefix=True))
    return "(" + " | ".join(dict.fromkeys(alternatives)) + ")"


def build_text_query(text: str, stop_words: Collection[str] = frozenset()) -> TextQuery | None:
    """The full-text query of `text` without `stop_words`, or None when it has no word (only punctuation or spaces).

    `stop_words` are the words of `text` that are a stop word in Portuguese or in English: neither query has them.
    """
    words = query_words(text)
    if not words:
        return None
    terms = [word for word in words if word not in stop_words]
    portuguese = [_portuguese_group(word) for word in terms]
    english = [_english_group(word) for word in terms]
    return TextQuery(
        words=tuple(words),
        terms=tuple(terms),
        portuguese_all=" & ".join(portuguese),
        portuguese_any=" | ".join(portuguese),
        english_all=" & ".join(english),
        english_any=" | ".join(english),
    )
