"""A document's language when its uploader did not say: Portuguese or English, by counting common words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from propos4l.shared.library_text import LibraryLanguage

__all__ = ["guess_language"]

_WORD: Final = re.compile(r"[^\W\d_]+")
_PORTUGUESE: Final = frozenset(
    "a o as os um uma de do da dos das em no na nos nas por para com sem que e é são não se ao aos à às mais "
    "como mas ou seu sua seus suas este esta isso pelo pela pelos pelas entre sobre também já foi ser está".split()
)
_ENGLISH: Final = frozenset(
    "the a an of to in on for with without and or is are was were be been not this that these those it its by "
    "from as at we our you your they their which who will would can has have had also more".split()
)
_SAMPLE_WORDS: Final = 5000


def guess_language(texts: Iterable[str], default: LibraryLanguage = "pt-BR") -> LibraryLanguage:
    """'en' when the text's words are more often English stop words than Portuguese ones, else 'pt-BR' (and
    `default` when it has no stop word of either)."""
    portuguese = english = seen = 0
    for text in texts:
        for word in _WORD.findall(text.lower()):
            portuguese += word in _PORTUGUESE
            english += word in _ENGLISH
            seen += 1
            if seen >= _SAMPLE_WORDS:
                break
        if seen >= _SAMPLE_WORDS:
            break
    if portuguese == english:
        return default
    return "en" if english > portuguese else "pt-BR"
