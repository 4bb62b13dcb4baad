"""The progress reporter as it was before it read answers incrementally (commit 9a43a32), kept to measure against.

Each call parses the whole answer so far again; bench/bench_progress.py times it next to the current reporter.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from propos4l.shared.sections import SectionKey

__all__ = ["PartialSections", "ProgressReporter", "read_partial_sections"]

_ESCAPES: Final = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_SECTION_FIELDS: Final[Mapping[str, SectionKey]] = {key.value: key for key in SectionKey}


@dataclass(frozen=True, slots=True)
class PartialSections:
    """What a partial answer holds so far: finished sections, and the one being written with its text."""

    completed: tuple[SectionKey, ...]
    current: SectionKey | None
    text: str


def read_partial_sections(partial: str, fields: Mapping[str, SectionKey] | None = None) -> PartialSections:
    """Read the top-level string fields of a JSON object that is still being written.

    Tolerant by design: the text is cut anywhere (mid-key, mid-escape). Only the ten section keys count (or the
    `fields` given, each standing for a section); other fields (the structured parts) are skipped.
    """
    sections = fields if fields is not None else _SECTION_FIELDS
    reader = _Reader(partial)
    completed: list[SectionKey] = []
    current: SectionKey | None = None
    text = ""
    if not reader.expect("{"):
        return PartialSections((), None, "")
    while True:
        key, key_done = reader.string()
        if key is None or not key_done or not reader.expect(":"):
            break
        reader.skip_space()
        if reader.peek() == '"':
            value, value_done = reader.string()
            if key in sections and value is not None:
                if value_done:
                    completed.append(sections[key])
                    current, text = None, ""
                else:
                    current, text = sections[key], value
            if not value_done:
                break
        elif not reader.skip_value():
            break
        if not reader.expect(","):
            break
    return PartialSections(tuple(completed), current, text)


class _Reader:
    """A cursor over partial JSON text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def skip_space(self) -> None:
        while self.position < len(self.text) and self.text[self.position] in " \t\r\n":
            self.position += 1

    def peek(self) -> str:
        return self.text[self.position] if self.position < len(self.text) else ""

    def expect(self, char: str) -> bool:
        self.skip_space()
        if self.peek() == char:
            self.position += 1
            return True
        return False

    def string(self) -> tuple[str | None, bool]:
        """A JSON string at the cursor: (its decoded text so far, whether it closed)."""
        self.skip_space()
        if self.peek() != '"':
            return None, False
        self.position += 1
        parts: list[str] = []
        text, length = self.text, len(self.text)
        while self.position < length:
            char = text[self.position]
            if char == '"':
                self.position += 1
                return "".join(parts), True
            if char == "\\":
                if self.position + 1 >= length:
                    break
                code = text[self.position + 1]
                if code == "u":
                    decoded = _unicode_escape(text, self.position)
                    if decoded is None:
                        break  # cut inside the escape: the rest arrives with the next chunk
                    char_text, consumed = decoded
                    parts.append(char_text)
                    self.position += consumed
                    continue
                parts.append(_ESCAPES.get(code, code))
                self.position += 2
                continue
            parts.append(char)
            self.position += 1
        return "".join(parts), False

    def skip_value(self) -> bool:
        """Skip a non-string value (number, literal, array, object); False when it is not finished."""
        depth = 0
        while self.position < len(self.text):
            char = self.text[self.position]
            if char == '"':
                _, closed = self.string()
                if not closed:
                    return False
                continue
            if char in "[{":
                depth += 1
            elif char in "]}":
                if depth == 0:
                    return True
                depth -= 1
            elif char == "," and depth == 0:
                return True
            self.position += 1
        return False


def _hex(digits: str) -> int | None:
    if len(digits) < 4:
        return None
    try:
        return int(digits, 16)
    except ValueError:
        return 0xFFFD


def _unicode_escape(text: str, position: int) -> tuple[str, int] | None:
    """Decode a \\uXXXX escape (or a surrogate pair of them) at `position`: (text, length), or None when cut."""
    high = _hex(text[position + 2 : position + 6])
    if high is None:
        return None
    if 0xDC00 <= high <= 0xDFFF:
        return "\ufffd", 6
    if not 0xD800 <= high <= 0xDBFF:
        return chr(high), 6
    if len(text) < position + 8:
        return None
    if text[position + 6 : position + 8] != "\\u":
        return "\ufffd", 6
    low = _hex(text[position + 8 : position + 12])
    if low is None:
        return None
    if not 0xDC00 <= low <= 0xDFFF:
        return "\ufffd", 6
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), 12


class ProgressReporter:
    """Turns the growing answer into progress reports: on a new section at once, otherwise every `interval` s."""

    def __init__(
        self,
        report: Callable[[PartialSections, int], Awaitable[None]],
        *,
        interval: float = 0.5,
        fields: Mapping[str, SectionKey] | None = None,
    ) -> None:
        self._report = report
        self._fields = fields
        self._interval = interval
        self._last_time = 0.0
        self._last: PartialSections | None = None

    async def __call__(self, text: str) -> None:
        """Look at the answer so far; report when there is something new worth telling."""
        partial = read_partial_sections(text, self._fields)
        if partial.current is None and (self._last is None or partial.completed == self._last.completed):
            return
        now = time.monotonic()
        new_section = self._last is None or partial.current != self._last.current
        if not new_section and now - self._last_time < self._interval:
            return
        self._last, self._last_time = partial, now
        await self._report(partial, len(text))
