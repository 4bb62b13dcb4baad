"""An extracted document as the requirement extractor reads it: its text page by page (issue #16).

The library's readers give paragraphs and headings (`Block`); `propos4l.shared.requirements` reads lines, where a
blank line ends a paragraph and a numbered clause or list item starts a unit. A block that ends a sentence is
followed by a blank line; one that does not (a clause's first line taken for a heading, a paragraph cut by a page
break) runs on into the next block, so the sentence is read whole and keeps the page it started on.
"""

from __future__ import annotations

from propos4l.library.blocks import Extracted
from propos4l.shared.requirements import SourcePage

__all__ = ["source_pages"]

_SENTENCE_ENDS = (".", ";", ":", "!", "?")


def source_pages(file: str, extracted: Extracted) -> list[SourcePage]:
    """The text of `extracted`, one `SourcePage` per page (one with page None for documents without pages)."""
    blocks = [(block, " ".join(block.text.split())) for block in extracted.blocks]
    blocks = [(block, text) for block, text in blocks if text]
    pages: dict[int | None, list[str]] = {}
    for position, (block, text) in enumerate(blocks):
        following = blocks[position + 1][1] if position + 1 < len(blocks) else ""
        runs_on = not text.endswith(_SENTENCE_ENDS) and (not block.is_heading or _continues(text, following))
        pages.setdefault(block.page, []).append(text + ("\n" if runs_on else "\n\n"))
    return [SourcePage(file, page, "".join(parts)) for page, parts in pages.items()]


def _continues(heading: str, following: str) -> bool:
    """Whether a block taken for a heading is a sentence's first line: a long one, or the next starts in lower case."""
    return len(heading.split()) > 8 or following[:1].islower()
