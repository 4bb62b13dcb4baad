"""Splitting extracted text into passages, the unit search finds and cites.

A heading starts a new passage; paragraphs under it are joined while they fit `max_characters`; a paragraph longer
than that is cut at sentence ends (at spaces, then anywhere, only when a sentence alone is too long). Each passage
keeps the headings above it and the page it starts on. The same blocks always give the same passages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from propos4l.library.blocks import Extracted

__all__ = ["PassageDraft", "split"]

_PARAGRAPH_SEPARATOR: Final = "\n\n"
# A sentence ends at . ! ? or … (optionally followed by a closing quote or bracket) before whitespace.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+")


@dataclass(frozen=True, slots=True)
class PassageDraft:
    """A passage before it is stored: its position in the document, headings, starting page and text."""

    ordinal: int
    heading_path: tuple[str, ...]
    page: int | None
    body: str


def split(extracted: Extracted, *, max_characters: int = 1500) -> list[PassageDraft]:
    """The passages of a document, in reading order, each body at most `max_characters` long."""
    if max_characters < 20:
        raise ValueError("max_characters must be at least 20")
    passages: list[PassageDraft] = []
    heading_path: tuple[str, ...] = ()
    pieces: list[str] = []
    length = 0
    page: int | None = None

    def flush() -> None:
        nonlocal length
        if pieces:
            body = _PARAGRAPH_SEPARATOR.join(pieces)
            passages.append(PassageDraft(ordinal=len(passages), heading_path=heading_path, page=page, body=body))
            pieces.clear()
            length = 0

    for block in extracted.blocks:
        text = " ".join(block.text.split())
        if not text:
            continue
        if block.is_heading:
            flush()
            heading_path = (*block.heading_path, text)
            continue
        if block.heading_path != heading_path:  # a reader that emits no heading blocks, or text above the first
            flush()
            heading_path = block.heading_path
        for piece in _pieces(text, max_characters):
            joined = length + len(_PARAGRAPH_SEPARATOR) + len(piece) if pieces else len(piece)
            if joined > max_characters:
                flush()
                joined = len(piece)
            if not pieces:
                page = block.page
            pieces.append(piece)
            length = joined
    flush()
    return passages


def _pieces(text: str, max_characters: int) -> Iterator[str]:
    """`text` whole when it fits, else runs of whole sentences that each fit."""
    if len(text) <= max_characters:
        yield text
        return
    run = ""
    for sentence in _sentences(text, max_characters):
        if run and len(run) + 1 + len(sentence) <= max_characters:
            run = f"{run} {sentence}"
            continue
        if run:
            yield run
        run = sentence
    if run:
        yield run


def _sentences(text: str, max_characters: int) -> Iterator[str]:
    """The sentences of `text`; one longer than `max_characters` is cut at spaces, a word longer than that anywhere."""
    for sentence in _SENTENCE_END.split(text):
        if not sentence:
            continue
        if len(sentence) <= max_characters:
            yield sentence
            continue
        line = ""
        for word in sentence.split(" "):
            while len(word) > max_characters:
                if line:
                    yield line
                    line = ""
                yield word[:max_characters]
                word = word[max_characters:]
            if line and len(line) + 1 + len(word) > max_characters:
                yield line
                line = word
            else:
                line = f"{line} {word}" if line else word
        if line:
            yield line
