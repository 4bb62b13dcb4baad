"""The request fields a client's document states (client, object, budget ceiling, dates), for a person to confirm.

Rules over the text of an RFP or edital (issue #16): labelled lines first ("Órgão: ...", "OBJETO: ...",
"Issued by: ..."), then the usual sentences ("Constitui objeto ... a contratação de ...", "is seeking proposals
for ..."). Every field keeps the sentence it came from and its page, so the web app can show why it was filled.
The budget ceiling is a Decimal read by `propos4l.shared.budget`; nothing here guesses: a field not found is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

from propos4l.shared.budget import parse_budget
from propos4l.shared.library_text import fold_accents
from propos4l.shared.requirements import SourcePage

__all__ = ["DeadlineKind", "FoundDeadline", "FoundField", "RequestFields", "extract_request_fields", "parse_date"]

DeadlineKind = Literal["questions", "visit", "submission", "opening"]


@dataclass(frozen=True, slots=True)
class FoundField:
    """A value read from the document, with the sentence it came from and where."""

    value: str
    quote: str
    file: str
    page: int | None


@dataclass(frozen=True, slots=True)
class FoundDeadline:
    """A date the document sets for the bidder (questions, site visit, submission, opening of bids)."""

    kind: DeadlineKind
    date: date
    quote: str
    file: str
    page: int | None


@dataclass(frozen=True, slots=True)
class RequestFields:
    """What the document says of the request; every field None (or empty) when it is not found."""

    client: FoundField | None
    object: FoundField | None
    budget_ceiling: Decimal | None
    budget_currency: str | None
    budget_quote: FoundField | None
    submission_date: date | None
    deadlines: tuple[FoundDeadline, ...]


_MONTHS: Final = {
    "janeiro": 1, "fevereiro": 2, "marco": 3, "abril": 4, "maio": 5, "junho": 6, "julho": 7, "agosto": 8,
    "setembro": 9, "outubro": 10, "novembro": 11, "dezembro": 12, "january": 1, "february": 2, "march": 3,
    "april": 4, "may": 5, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10, "november": 11,
    "december": 12,
}  # fmt: skip
_MONTH_NAMES: Final = "|".join(_MONTHS)
_DATE: Final = re.compile(
    rf"\b(?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{2}})-(?P<id>\d{{2}}))\b"
    rf"|\b(?P<num>(?P<n1>\d{{1,2}})[/.](?P<n2>\d{{1,2}})[/.](?P<ny>\d{{4}}))\b"
    rf"|\b(?P<pt>(?P<pd>\d{{1,2}})(?:º|o)? de (?P<pm>{_MONTH_NAMES}) de (?P<py>\d{{4}}))\b"
    rf"|\b(?P<en>(?P<em>{_MONTH_NAMES}) (?P<ed>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<ey>\d{{4}}))\b"
    rf"|\b(?P<en2>(?P<e2d>\d{{1,2}}) (?P<e2m>{_MONTH_NAMES}),? (?P<e2y>\d{{4}}))\b"
)
_DEADLINE_KINDS: Final[tuple[tuple[DeadlineKind, re.Pattern[str]], ...]] = (
    ("questions", re.compile(r"\b(?:esclarecimentos?|impugna\w*|questions?|clarifications?|inquir\w*)\b")),
    ("visit", re.compile(r"\b(?:visita tecnica|vistoria|site visit|pre-?proposal (?:meeting|conference))\b")),
    (
        "opening",
        re.compile(
            r"\b(?:abertura d[ao]s? (?:sessao|propostas|envelopes)|sessao publica|bid opening|public opening)\b"
        ),
    ),
    (
        "submission",
        re.compile(
            r"\b(?:entrega d[ao]s? propostas?|envio d[ao]s? propostas?|recebimento d[ao]s? propostas?|"
            r"apresentacao d[ao]s? propostas?|data limite|prazo (?:final|limite)|proposals? (?:are |is )?due|"
            r"submission|submitted (?:no later than|by|before)|closing date|due date|deadline)\b"
        ),
    ),
)
_CLIENT_LABEL: Final = re.compile(
    r"^\s*(?:[oó]rg[aã]o(?: licitante| gerenciador| contratante)?|entidade(?: contratante)?|contratante|cliente|"
    r"unidade requisitante|issued by|issuing (?:agency|organi[sz]ation|authority)|client|buyer|purchaser|"
    r"contracting (?:authority|entity))\s*[:\-–—]\s*(?P<value>\S.{1,200}?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_INSTITUTION: Final = re.compile(
    r"^\s*(?P<value>(?:PREFEITURA|GOVERNO|MINIST[EÉ]RIO|SECRETARIA|TRIBUNAL|UNIVERSIDADE|COMPANHIA|AG[EÊ]NCIA|"
    r"FUNDA[CÇ][AÃ]O|INSTITUTO|C[AÂ]MARA|ASSEMBLEIA|EMPRESA|BANCO|CONSELHO|SERVI[CÇ]O|DEPARTAMENTO)\b[^\n]{3,150})$",
    re.MULTILINE,
)
_OBJECT_LABEL: Final = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?(?:objeto|do objeto|purpose|subject|scope of work|object)\s*[:\-–—]\s*"
    r"(?P<value>\S[^\n]{5,})$",
    re.IGNORECASE | re.MULTILINE,
)
_OBJECT_TRIGGER: Final = re.compile(
    r"(?:constitui (?:o )?objeto|tem (?:como|por) objeto|o objeto (?:deste|desta|do presente|da presente)[^.]{0,80}? e|"
    r"(?:is|are) (?:seeking|soliciting|requesting|inviting) (?:proposals|bids|offers)|invites? (?:proposals|bids)|"
    r"requests? proposals)\s*",
    re.IGNORECASE,
)
_BUDGET: Final = re.compile(
    r"(?P<sentence>[^.\n]*?(?:valor (?:total |global |maximo |anual )?(?:estimado|maximo|de referencia|orcado)|"
    r"preco maximo|orcamento estimado|estimativa de custo|teto|not to exceed|maximum budget|budget ceiling|"
    r"estimated (?:value|budget|cost)|available budget|budget (?:is|of))[^\n]*?"
    r"(?:r\$|us\$|usd|brl|eur|gbp|€|£|\$)\s?\d[\d.,]*[^.\n]*)",
)

_AMOUNT: Final = re.compile(
    r"(?:R\$|US\$|USD|BRL|EUR|GBP|€|£|\$)\s?\d[\d.,]*\d(?:\s*(?:mil|milh(?:ão|ões|ao|oes)|million|k)\b)?", re.IGNORECASE
)


def parse_date(text: str, *, day_first: bool = True) -> date | None:
    """The first date `text` writes ("15/03/2027", "15 de março de 2027", "March 15, 2027", "2027-03-15")."""
    return next((found for found, _ in _dates(fold_accents(text).casefold(), day_first=day_first)), None)


def _dates(folded: str, *, day_first: bool) -> Iterable[tuple[date, int]]:
    for match in _DATE.finditer(folded):
        try:
            if match["iso"]:
                yield date(int(match["iy"]), int(match["im"]), int(match["id"])), match.start()
            elif match["num"]:
                first, second = int(match["n1"]), int(match["n2"])
                day, month = (first, second) if day_first or first > 12 else (second, first)
                yield date(int(match["ny"]), month, day), match.start()
            elif match["pt"]:
                yield date(int(match["py"]), _MONTHS[match["pm"]], int(match["pd"])), match.start()
            elif match["en"]:
                yield date(int(match["ey"]), _MONTHS[match["em"]], int(match["ed"])), match.start()
            else:
                yield date(int(match["e2y"]), _MONTHS[match["e2m"]], int(match["e2d"])), match.start()
        except ValueError:
            continue  # 31/02/2027 is no date


def _is_english(pages: Sequence[SourcePage]) -> bool:
    words = " ".join(page.text for page in pages[:5]).casefold().split()
    english = sum(word in {"the", "and", "of", "shall", "must", "will", "to", "for"} for word in words)
    portuguese = sum(word in {"de", "da", "do", "e", "a", "o", "deverá", "para", "os", "das"} for word in words)
    return english > portuguese


def extract_request_fields(pages: Iterable[SourcePage]) -> RequestFields:
    """The client, object, budget ceiling and dates `pages` state, each with its quote and page."""
    listed = list(pages)
    day_first = not _is_english(listed)
    client = _first_labelled(listed[:3], _CLIENT_LABEL) or _first_labelled(listed[:2], _INSTITUTION)
    subject = _first_labelled(listed, _OBJECT_LABEL) or _object_sentence(listed)
    budget_quote = _budget(listed)
    amount = _AMOUNT.search(budget_quote.quote) if budget_quote else None
    stated = parse_budget(amount.group(0)) if amount else None
    deadlines = _deadlines(listed, day_first=day_first)
    submission = next((found.date for found in deadlines if found.kind == "submission"), None)
    if submission is None:
        submission = next((found.date for found in deadlines if found.kind == "opening"), None)
    return RequestFields(
        client=client,
        object=subject,
        budget_ceiling=stated.amount if stated else None,
        budget_currency=stated.currency if stated else None,
        budget_quote=budget_quote if stated else None,
        submission_date=submission,
        deadlines=deadlines,
    )


def _first_labelled(pages: Sequence[SourcePage], pattern: re.Pattern[str]) -> FoundField | None:
    for page in pages:
        match = pattern.search(page.text)
        if match is not None:
            value = " ".join(match["value"].split()).rstrip(".;")
            return FoundField(value, " ".join(match.group(0).split()), page.file, page.page)
    return None


def _object_sentence(pages: Sequence[SourcePage]) -> FoundField | None:
    for page in pages:
        text = " ".join(page.text.split())
        match = _OBJECT_TRIGGER.search(text)
        if match is None:
            continue
        end = text.find(". ", match.end())
        end = len(text) if end < 0 else end + 1
        start = max(text.rfind(". ", 0, match.start()) + 2, 0) if text.rfind(". ", 0, match.start()) >= 0 else 0
        value = text[match.end() : end].strip(" ,:.")
        if len(value) >= 5:
            return FoundField(value[:400], text[start:end].strip(), page.file, page.page)
    return None


def _budget(pages: Sequence[SourcePage]) -> FoundField | None:
    for page in pages:
        for line in _sentences_of(page.text):
            match = _BUDGET.search(fold_accents(line).casefold())
            if match is not None:
                return FoundField(line, line, page.file, page.page)
    return None


def _sentences_of(text: str) -> list[str]:
    """`text`'s sentences; a line ends a paragraph after a full stop, a colon or a line in capitals (a heading)."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        stripped = " ".join(line.split())
        if stripped:
            current.append(stripped)
        if not stripped or stripped.endswith((".", ";", ":")) or (stripped.isupper() and len(stripped) > 3):
            if current:
                paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return [
        part.strip()
        for paragraph in paragraphs
        for part in re.split(r"(?<=[.;])\s+(?=[A-ZÀ-Ý0-9])", paragraph)
        if part.strip()
    ]


def _deadlines(pages: Sequence[SourcePage], *, day_first: bool) -> tuple[FoundDeadline, ...]:
    found: list[FoundDeadline] = []
    seen: set[tuple[str, date]] = set()
    for page in pages:
        for sentence in _sentences_of(page.text):
            folded = fold_accents(sentence).casefold()
            dates = [when for when, _ in _dates(folded, day_first=day_first)]
            if not dates:
                continue
            kind = next((kind for kind, pattern in _DEADLINE_KINDS if pattern.search(folded)), None)
            if kind is None or (kind, dates[0]) in seen:
                continue
            seen.add((kind, dates[0]))
            found.append(FoundDeadline(kind, dates[0], sentence, page.file, page.page))
    return tuple(found)
