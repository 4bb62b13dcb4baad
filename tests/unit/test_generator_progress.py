"""Live progress: sections read out of a JSON answer cut anywhere, read once however finely it is streamed."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import pytest

from propos4l.generator import llm
from propos4l.generator.progress import (
    PartialSections,
    PartialSectionsReader,
    ProgressReporter,
    read_partial_sections,
)
from propos4l.shared.sections import SECTION_KEYS, SectionKey

_OTHER_KEYS = ("investment_items", "assumptions", "notes", 'a "quoted" key', "executive_summary_extra")
_CHARACTERS = 'ab ç"\\/\n\t\x01{}[],:é€😀𝄞'


@dataclass
class _Field:
    """One top-level field of a generated answer, with where its string value's pieces end in the text."""

    key: str
    opened_at: int = -1  # the text's length once the value's opening quote is in
    closed_at: int = -1  # the text's length once the closing quote is in
    units: list[tuple[int, str]] = field(default_factory=list)  # (text length once in, decoded character)


def _escaped(char: str, rng: random.Random) -> str:
    """One character as JSON may write it: plainly, or escaped in one of the ways a model may choose."""
    plain = json.dumps(char, ensure_ascii=False)[1:-1]
    choice = rng.random()
    if choice < 0.3:
        return json.dumps(char, ensure_ascii=True)[1:-1]  # \uXXXX, or a surrogate pair for astral characters
    if choice < 0.4 and ord(char) < 0x10000:
        digits = f"{ord(char):04x}"
        return "\\u" + (digits.upper() if rng.random() < 0.5 else digits)
    if choice < 0.45 and char == "/":
        return "\\/"
    return plain


def _space(rng: random.Random) -> str:
    return rng.choice(["", "", " ", "\n  ", "\t", "\r\n"])


def _other_value(rng: random.Random, depth: int = 0) -> str:
    kind = rng.randrange(6 if depth < 2 else 3)
    if kind == 0:
        return rng.choice(["0", "-12.5e3", "true", "false", "null"])
    if kind in (1, 2):
        return json.dumps("".join(rng.choice(_CHARACTERS) for _ in range(rng.randrange(6))), ensure_ascii=kind == 1)
    items = [_other_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind in (3, 4):
        return "[" + ("," + _space(rng)).join(items) + "]"
    return "{" + ",".join(f'"k{index}":{_space(rng)}{item}' for index, item in enumerate(items)) + "}"


def _answer(rng: random.Random) -> tuple[str, list[_Field]]:
    """A JSON answer with section and other fields, and where its string fields' pieces end."""
    text = "{" + _space(rng)
    fields: list[_Field] = []
    keys = [*rng.sample(SECTION_KEYS, rng.randrange(len(SECTION_KEYS) + 1)), *_OTHER_KEYS]
    rng.shuffle(keys)
    for index, key in enumerate(keys[: rng.randrange(1, len(keys) + 1)]):
        if index:
            text += "," + _space(rng)
        text += json.dumps(key, ensure_ascii=rng.random() < 0.5) + _space(rng) + ":" + _space(rng)
        if key in _OTHER_KEYS and rng.random() < 0.7:
            text += _other_value(rng)
            continue
        answer_field = _Field(key)
        text += '"'
        answer_field.opened_at = len(text)
        for _ in range(rng.randrange(30)):
            char = rng.choice(_CHARACTERS)
            text += _escaped(char, rng)
            answer_field.units.append((len(text), char))
        text += '"'
        answer_field.closed_at = len(text)
        fields.append(answer_field)
    return text + _space(rng) + "}", fields


def _expected(fields: list[_Field], length: int, sections: dict[str, SectionKey]) -> PartialSections:
    """What a reader must see in the first `length` characters of a valid answer, worked out from how it was built."""
    completed: list[SectionKey] = []
    for answer_field in fields:
        if answer_field.key not in sections or answer_field.opened_at > length:
            continue
        if answer_field.closed_at <= length:
            completed.append(sections[answer_field.key])
            continue
        text = "".join(char for end, char in answer_field.units if end <= length)
        return PartialSections(tuple(completed), sections[answer_field.key], text)
    return PartialSections(tuple(completed), None, "")


def _chunks(text: str, rng: random.Random) -> list[str]:
    pieces, position = [], 0
    while position < len(text):
        size = rng.choice([1, 1, 2, 3, 4, 7, 40, 300])
        pieces.append(text[position : position + size])
        position += size
    return pieces


def _mangled(text: str, rng: random.Random) -> str:
    """The answer with a few characters dropped or added, as a model that writes broken JSON might."""
    characters = list(text)
    for _ in range(rng.randrange(1, 4)):
        position = rng.randrange(len(characters) + 1)
        if rng.random() < 0.5 and position < len(characters):
            del characters[position]
        else:
            characters.insert(position, rng.choice('{}[]":,\\u d8Dc0 x'))
    return "".join(characters)


SECTIONS = {key.value: key for key in SECTION_KEYS}


@pytest.mark.parametrize("seed", range(60))
def test_a_valid_answer_cut_anywhere_reads_as_built(seed: int) -> None:
    rng = random.Random(seed)
    text, fields = _answer(rng)
    json.loads(text)  # the generator makes valid JSON
    for length in range(len(text) + 1):
        assert read_partial_sections(text[:length]) == _expected(fields, length, SECTIONS), text[:length]


@pytest.mark.parametrize("seed", range(200))
def test_reading_piece_by_piece_equals_reading_the_whole_text_at_every_step(seed: int) -> None:
    rng = random.Random(seed)
    text, _ = _answer(rng)
    if seed % 2:
        text = _mangled(text, rng)
    fields = {"content": SectionKey.SCOPE} if seed % 5 == 0 else None
    if fields:
        text = text.replace('"scope"', '"content"')
    reader = PartialSectionsReader(fields)
    read = ""
    for piece in _chunks(text, rng):
        reader.feed(piece)
        read += piece
        assert reader.partial() == read_partial_sections(read, fields), read


async def test_the_reporter_reads_what_a_full_parse_reads_and_starts_over_on_a_new_answer() -> None:
    rng = random.Random(7)
    reports: list[tuple[PartialSections, int]] = []

    async def report(partial: PartialSections, characters: int) -> None:
        reports.append((partial, characters))

    reporter = ProgressReporter(report, interval=0.0)
    first, _ = _answer(rng)
    second = json.dumps({"context": "outra resposta " * 5, "solution": "e mais"})
    # A retry may start over with a shorter text, or with one at least as long: both must be read from the start.
    longer = second + " " * len(first)
    for answer in (first, second, longer, first):
        text = ""
        for piece in _chunks(answer, rng):
            text += piece
            await reporter(text)
            if reports:
                partial, characters = reports[-1]
                if characters == len(text):
                    assert partial == read_partial_sections(text)
        assert reports[-1][0].completed == read_partial_sections(answer).completed


async def test_a_new_section_is_reported_at_once_and_its_text_at_most_every_interval() -> None:
    reports: list[PartialSections] = []

    async def report(partial: PartialSections, _: int) -> None:
        reports.append(partial)

    reporter = ProgressReporter(report, interval=3600)
    text = ""
    for piece in ['{"executive_', 'summary": "Um', " dois", ' três", "context": "a', "b", 'c"}']:
        text += piece
        await reporter(text)
    assert reports == [
        PartialSections((), SectionKey.EXECUTIVE_SUMMARY, "Um"),
        PartialSections((SectionKey.EXECUTIVE_SUMMARY,), SectionKey.CONTEXT, "a"),
        PartialSections((SectionKey.EXECUTIVE_SUMMARY, SectionKey.CONTEXT), None, ""),
    ]


async def test_the_reporter_reads_each_character_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fed: list[int] = []
    feed = PartialSectionsReader.feed

    def counting_feed(self: PartialSectionsReader, piece: str) -> None:
        fed.append(len(piece))
        feed(self, piece)

    monkeypatch.setattr(PartialSectionsReader, "feed", counting_feed)

    async def report(_: PartialSections, __: int) -> None:
        pass

    reporter = ProgressReporter(report)
    answer, _ = _answer(random.Random(3))
    text = ""
    for piece in _chunks(answer, random.Random(4)):
        text += piece
        await reporter(text)
    assert sum(fed) == len(answer) and len(fed) > 1


@pytest.mark.parametrize("escape", ["\\u-123", "\\u+1aF", "\\u 12a", "\\u1_2a", "\\uZZZZ"])
def test_an_escape_that_is_not_four_hex_digits_reads_as_a_replacement_character(escape: str) -> None:
    partial = read_partial_sections('{"executive_summary": "a' + escape + "b")
    assert partial == PartialSections((), SectionKey.EXECUTIVE_SUMMARY, "a\ufffd" + escape[6:] + "b")


def test_the_text_feed_hands_the_answer_over_at_most_every_interval_and_at_once_for_a_quote(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(llm.time, "monotonic", lambda: now[0])
    feed = llm.TextFeed(lambda _text: None, interval=0.25)
    assert feed.due(5, "Uma s")  # the first piece at once
    now[0] += 0.1
    assert not feed.due(10, "oluçã")  # too soon, plain text
    assert feed.due(12, '",')  # a quote: a field may have ended, a new section may start
    now[0] += 0.1
    assert not feed.due(15, "abc")
    now[0] += 0.3
    assert feed.due(18, "def")  # the interval passed
    assert not feed.untold(18)  # the listener has seen it all
    assert not feed.due(20, "gh")
    assert feed.untold(20) and not feed.untold(20)  # the end hands over the rest once


def test_a_feed_without_a_listener_never_calls() -> None:
    feed = llm.TextFeed(None)
    assert not feed.due(1, '"')
    assert not feed.untold(1)
