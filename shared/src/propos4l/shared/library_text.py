"""The text of a library passage as full-text search indexes it: accent folding, the configuration, stable ids.

PostgreSQL's `unaccent` is a contrib module that some of the servers we run do not have (the pgserver wheel), so
accents are folded here, in Python, and the passage's search text holds both forms: "migração" is found by
"migração" (stemmed by the `portuguese` configuration) and by "migracao" (typed without accents).
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from collections.abc import Iterable
from typing import Final, Literal

__all__ = [
    "LibraryLanguage",
    "content_digest",
    "document_search_text",
    "fold_accents",
    "passage_id",
    "search_config",
    "search_text",
]

LibraryLanguage = Literal["pt-BR", "en"]

_CONFIGURATIONS: Final[dict[str, str]] = {"pt-BR": "portuguese", "en": "english"}
_PASSAGE_NAMESPACE: Final = uuid.UUID("5b0e7c2a-4a51-4d57-9a7e-2f3c1d0e8b61")


def fold_accents(text: str) -> str:
    """`text` without diacritics ("migração" -> "migracao"), other characters kept as they are."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(char for char in decomposed if not unicodedata.combining(char)))


def search_config(language: str) -> str:
    """The PostgreSQL text search configuration for a library language ('pt-BR' -> 'portuguese')."""
    try:
        return _CONFIGURATIONS[language]
    except KeyError:
        raise ValueError(f"no text search configuration for language {language!r}") from None


def search_text(title: str, body: str, headings: Iterable[str] = ()) -> str:
    """What a passage's search vector is made of: title, headings and body, then all of it without accents."""
    text = "\n".join(part for part in (title, *headings, body) if part)
    folded = fold_accents(text)
    return text if folded == text else f"{text}\n{folded}"


def document_search_text(title: str, ordinal: int, body: str, headings: Iterable[str] = ()) -> str:
    """A document passage's search text: the document's title in its first passage (ordinal 0) only.

    In every passage, a query naming the document's subject matched all its sections alike and they filled the
    results (docs/adr/0012; migration 0015 rewrote the passages stored before).
    """
    return search_text(title if ordinal == 0 else "", body, headings)


def content_digest(*parts: str) -> bytes:
    """SHA-256 of a passage's content (its parts joined unambiguously): what decides whether to embed it again."""
    digest = hashlib.sha256()
    for part in parts:
        encoded = part.encode()
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.digest()


def passage_id(source_id: uuid.UUID, ordinal: int, digest: bytes) -> uuid.UUID:
    """A passage's id: the same source, position and content always give the same id (citations stay valid)."""
    return uuid.uuid5(_PASSAGE_NAMESPACE, f"{source_id}:{ordinal}:{digest.hex()}")
