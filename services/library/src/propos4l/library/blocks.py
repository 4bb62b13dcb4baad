"""What extraction produces: text blocks in reading order with their headings and pages, or a reason it failed."""

from __future__ import annotations

from dataclasses import dataclass

from propos4l.shared.events import LibraryFailureCode

__all__ = ["Block", "Extracted", "ExtractionFailed", "HeadingTrail"]


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph-ish piece of text in reading order.

    `heading_path` holds the enclosing headings, outermost first: for a paragraph, every heading above it; for a
    heading (`is_heading`), the headings above that heading, not the heading itself.
    """

    text: str
    heading_path: tuple[str, ...]
    page: int | None  # 1-based page for PDFs, None otherwise
    is_heading: bool = False


@dataclass(frozen=True, slots=True)
class Extracted:
    """A document's text: how many pages it has, how many of them were read by OCR, and its blocks."""

    pages: int
    ocr_pages: int
    blocks: tuple[Block, ...]


class ExtractionFailed(Exception):
    """A document whose text cannot be extracted, with a code the web app words and a reason a person can act on."""

    def __init__(self, code: LibraryFailureCode, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.code.value}: {self.reason}"


class HeadingTrail:
    """The headings above the current point of a document, as levels (1 outermost) are met in reading order."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []

    @property
    def path(self) -> tuple[str, ...]:
        """The headings now open, outermost first."""
        return tuple(title for _, title in self._levels)

    def enter(self, level: int, title: str) -> tuple[str, ...]:
        """Open a heading at `level` (closing those at the same or a deeper level); return the headings above it."""
        while self._levels and self._levels[-1][0] >= level:
            self._levels.pop()
        above = self.path
        self._levels.append((level, title))
        return above
