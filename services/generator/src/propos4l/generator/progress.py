"""Live progress: the sections read out of the model's partial JSON, reported at most every so often."""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from propos4l.shared.sections import SectionKey

__all__ = ["PartialSections", "PartialSectionsReader", "ProgressReporter", "SectionsProgress", "read_partial_sections"]

_ESCAPES: Final = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_SECTION_FIELDS: Final[Mapping[str, SectionKey]] = {key.value: key for key in SectionKey}
# Searched from C, so that a run of plain characters costs one call instead of one Python step per character.
_NOT_SPACE: Final = re.compile(r"[^ \t\r\n]")
_STRING_SPECIAL: Final = re.compile(r'["\\]')
_VALUE_SPECIAL: Final = re.compile(r'["\[\]{},]')
_HEX4: Final = re.compile(r"[0-9A-Fa-f]{4}")
# How much of the previous answer the reporter remembers to tell a continuation from a restarted answer.
_MARK_LENGTH: Final = 32


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
    reader = PartialSectionsReader(fields)
    reader.feed(partial)
    return reader.partial()


class _Step(enum.Enum):
    """Where the reader is in the top-level object."""

    OPEN = "before the opening brace"
    KEY = "before a key"
    KEY_TEXT = "inside a key"
    COLON = "after a key"
    VALUE = "before a value"
    SECTION_TEXT = "inside a section's string"
    OTHER_TEXT = "inside another field's string"
    OTHER_VALUE = "inside a value that is not a string"
    OTHER_VALUE_TEXT = "inside a string within a value that is not a string"
    COMMA = "after a value"
    END = "past anything that could count"


class PartialSectionsReader:
    """The reader behind `read_partial_sections`, fed the answer piece by piece and reading each piece once.

    Feeding the pieces of a text one after another gives what `read_partial_sections` gives for the whole text,
    at every step; only a cut escape (at most 11 characters) is kept back until the next piece.
    """

    def __init__(self, fields: Mapping[str, SectionKey] | None = None) -> None:
        self._sections = fields if fields is not None else _SECTION_FIELDS
        self._step = _Step.OPEN
        self._pending = ""
        self._key_parts: list[str] = []
        self._text_parts: list[str] = []
        self._value_depth = 0
        self.completed: tuple[SectionKey, ...] = ()
        self.current: SectionKey | None = None

    @property
    def text(self) -> str:
        """The current section's text so far ("" when no section is being written)."""
        if len(self._text_parts) > 1:
            self._text_parts[:] = ["".join(self._text_parts)]
        return self._text_parts[0] if self._text_parts else ""

    def partial(self) -> PartialSections:
        """What the answer read so far holds."""
        return PartialSections(self.completed, self.current, self.text if self.current is not None else "")

    def feed(self, piece: str) -> None:
        """Read the next piece of the answer."""
        if self._step is _Step.SECTION_TEXT and not self._pending and '"' not in piece and "\\" not in piece:
            # Most pieces are plain text inside a section: worth the shortcut, as the model streams a token a piece.
            self._text_parts.append(piece)
            return
        text = self._pending + piece if self._pending else piece
        position, length = 0, len(text)
        while position < length:
            step = self._step
            if step in _STRING_STEPS:
                position, closed = self._read_string(text, position)
                if not closed:
                    break
                self._close_string(step)
            elif step is _Step.OTHER_VALUE:
                position = self._read_other_value(text, position)
            elif step is _Step.END:
                position = length
            else:
                found = _NOT_SPACE.search(text, position)
                if found is None:
                    position = length
                    break
                position = self._read_punctuation(step, text, found.start())
        self._pending = text[position:]

    def _read_punctuation(self, step: _Step, text: str, position: int) -> int:
        """Take the character a step waits for at `position`; anything else ends the reading."""
        char = text[position]
        if step is _Step.VALUE:
            if char != '"':
                self._step, self._value_depth = _Step.OTHER_VALUE, 0
                return position  # the value's own first character, read as part of it
            key = "".join(self._key_parts)
            if key in self._sections:
                self._step, self.current, self._text_parts = _Step.SECTION_TEXT, self._sections[key], []
            else:
                self._step = _Step.OTHER_TEXT
            return position + 1
        expected, following = _PUNCTUATION[step]
        if char != expected:
            self._step = _Step.END
            return position
        if following is _Step.KEY_TEXT:
            self._key_parts = []
        self._step = following
        return position + 1

    def _read_string(self, text: str, position: int) -> tuple[int, bool]:
        """Decode a string's characters from `position`: (where reading stopped, whether the string closed)."""
        parts = (
            self._key_parts
            if self._step is _Step.KEY_TEXT
            else self._text_parts
            if self._step is _Step.SECTION_TEXT
            else None
        )
        length = len(text)
        while True:
            found = _STRING_SPECIAL.search(text, position)
            if found is None:
                if parts is not None and position < length:
                    parts.append(text[position:])
                return length, False
            special = found.start()
            if parts is not None and special > position:
                parts.append(text[position:special])
            if text[special] == '"':
                return special + 1, True
            if special + 1 >= length:
                return special, False  # cut after the backslash: the rest arrives with the next piece
            code = text[special + 1]
            if code == "u":
                decoded = _unicode_escape(text, special)
                if decoded is None:
                    return special, False  # cut inside the escape
                char, consumed = decoded
            else:
                char, consumed = _ESCAPES.get(code, code), 2
            if parts is not None:
                parts.append(char)
            position = special + consumed

    def _close_string(self, step: _Step) -> None:
        if step is _Step.KEY_TEXT:
            self._step = _Step.COLON
        elif step is _Step.OTHER_VALUE_TEXT:
            self._step = _Step.OTHER_VALUE
        else:
            if step is _Step.SECTION_TEXT and self.current is not None:
                self.completed = (*self.completed, self.current)
                self.current, self._text_parts = None, []
            self._step = _Step.COMMA

    def _read_other_value(self, text: str, position: int) -> int:
        """Skip a number, literal, array or object up to the comma or brace that ends it."""
        found = _VALUE_SPECIAL.search(text, position)
        if found is None:
            return len(text)
        position = found.start()
        char = text[position]
        if char == '"':
            self._step = _Step.OTHER_VALUE_TEXT
        elif char in "[{":
            self._value_depth += 1
        elif self._value_depth == 0:
            self._step = _Step.COMMA  # a comma, or the brace that closes the object: read by the next step
            return position
        elif char != ",":
            self._value_depth -= 1
        return position + 1


_STRING_STEPS: Final = frozenset({_Step.KEY_TEXT, _Step.SECTION_TEXT, _Step.OTHER_TEXT, _Step.OTHER_VALUE_TEXT})
_PUNCTUATION: Final[Mapping[_Step, tuple[str, _Step]]] = {
    _Step.OPEN: ("{", _Step.KEY),
    _Step.KEY: ('"', _Step.KEY_TEXT),
    _Step.COLON: (":", _Step.VALUE),
    _Step.COMMA: (",", _Step.KEY),
}


def _hex(digits: str) -> int | None:
    if len(digits) < 4:
        return None
    # Exactly four hex digits: int() alone would also take "-123" or " 1_2", and chr() of a negative number raises.
    return int(digits, 16) if _HEX4.fullmatch(digits) else 0xFFFD


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
    """Turns the growing answer into progress reports: on a new section at once, otherwise every `interval` s.

    Called with the whole answer so far at every streamed piece; it reads only what was added since the last call,
    so a draft costs about one read of the answer, however finely the model streams it.
    """

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
        self._reader = PartialSectionsReader(fields)
        self._read_length = 0
        self._head = ""
        self._tail = ""

    async def __call__(self, text: str) -> None:
        """Look at the answer so far; report when there is something new worth telling."""
        length, read, tail = len(text), self._read_length, self._tail
        # A retry starts the answer again. Remembering the whole previous text to compare would keep a second
        # reference to the client's growing string, and `text += piece` would then copy it at every piece: the
        # length, the first and the last characters read tell a continuation from a new answer instead.
        if length < read or not text.startswith(tail, read - len(tail)) or not text.startswith(self._head):
            self._reader, read = PartialSectionsReader(self._fields), 0
        reader = self._reader
        reader.feed(text[read:])
        if read < _MARK_LENGTH:
            self._head = text[:_MARK_LENGTH]
        self._read_length, self._tail = length, text[-_MARK_LENGTH:]
        current, last = reader.current, self._last
        if current is None and (last is None or reader.completed == last.completed):
            return
        now = time.monotonic()
        if last is not None and current == last.current and now - self._last_time < self._interval:
            return  # the same section as last reported, too soon to report its text again
        partial = reader.partial()
        self._last, self._last_time = partial, now
        await self._report(partial, length)


class SectionsProgress:
    """Live progress of sections written at once, each by its own answer (`{"content": ...}`).

    Every report names one section and that section's text so far; `completed` accumulates the sections finished,
    in the proposal's order, and `characters` counts the text of every answer so far. Each section's reports are
    throttled on their own (a new section is reported at once), so sections written side by side all grow live.
    """

    def __init__(self, report: Callable[[PartialSections, int], Awaitable[None]], *, interval: float = 0.5) -> None:
        self._report = report
        self._interval = interval
        self._completed: set[SectionKey] = set()
        self._characters: dict[SectionKey, int] = {}

    @property
    def completed(self) -> tuple[SectionKey, ...]:
        """The sections finished so far, in the proposal's order."""
        return tuple(key for key in SectionKey if key in self._completed)

    def listener(self, section: SectionKey) -> Callable[[str], Awaitable[None]]:
        """The listener of `section`'s answer: told the answer so far, it reports the section's text."""

        async def report(partial: PartialSections, characters: int) -> None:
            self._characters[section] = characters
            if partial.current is None:
                return  # the text is closed: `finished` reports it whole
            await self._report(PartialSections(self.completed, section, partial.text), self.characters)

        return ProgressReporter(report, interval=self._interval, fields={"content": section})

    @property
    def characters(self) -> int:
        """The characters of every section's answer so far."""
        return sum(self._characters.values())

    async def finished(self, section: SectionKey, text: str) -> None:
        """`section` is written (and valid): report it completed, with its whole text."""
        self._completed.add(section)
        self._characters[section] = max(self._characters.get(section, 0), len(text))
        await self._report(PartialSections(self.completed, section, text), self.characters)
