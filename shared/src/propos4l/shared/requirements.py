"""The requirements of a client's document (an RFP, a "termo de referência", an edital), found by rules.

A rule-based pass (issue #16, ADR 0020): the text is cut into units at numbered clauses ("5.2.1"), list items
("a)", "I -", bullets) and blank lines, units into sentences, and a sentence with a modal marker is a requirement:
mandatory ("deverá", "obrigatório", "é vedado", "must", "shall", "required") or desirable ("desejável",
"preferencialmente", "should", "preferably"; "poderá"/"may" only when no mandatory marker is there). A sentence
whose subject is the contracting party ("a CONTRATANTE poderá", "the Client shall") states the client's duty, not
the bidder's, and is left out. List items under a lead sentence that ends in ":" and carries a modal inherit its
obligation. The kind (functional, technical, qualification, commercial, deadline) is the one whose keywords the
sentence (and, with half the weight, its section heading) names most.

Every requirement keeps its quote exactly as the document has it (whitespace runs read as one space) with the
file, page and clause it was found at. Its id is derived from the normalised quote and the clause, so the same
document always gives the same ids; a quote found twice (an annex repeating a clause) is one requirement with
both places.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from propos4l.shared.library_text import fold_accents

__all__ = [
    "Location",
    "Obligation",
    "Requirement",
    "RequirementKind",
    "SourcePage",
    "classify_kind",
    "classify_obligation",
    "client_aliases",
    "extract_requirements",
    "normalise_quote",
    "requirement_id",
]


class Obligation(StrEnum):
    """Whether the document demands a requirement or only prefers it."""

    MANDATORY = "mandatory"
    DESIRABLE = "desirable"


class RequirementKind(StrEnum):
    """What a requirement is about."""

    FUNCTIONAL = "functional"  # what the solution does or the supplier delivers: features, services, reports
    TECHNICAL = "technical"  # how it is built and run: architecture, security, performance, integration, hosting
    QUALIFICATION = "qualification"  # legal and qualification: who may bid, what they must prove or declare
    COMMERCIAL = "commercial"  # price, payment, guarantees, penalties, invoicing
    DEADLINE = "deadline"  # dates and time limits: submission, start, delivery, duration


@dataclass(frozen=True, slots=True)
class SourcePage:
    """The text of one page of a client's file (`page` None for files without pages)."""

    file: str
    page: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Location:
    """Where a quote is: file, page and clause number ("5.2.1", "5.3 b)"; None outside numbered clauses)."""

    file: str
    page: int | None
    clause: str | None


@dataclass(frozen=True, slots=True)
class Requirement:
    """A requirement found in a client's document: its quote, where it is first found and every other place."""

    id: str
    quote: str
    obligation: Obligation
    kind: RequirementKind
    location: Location
    heading: str | None = None
    also_at: tuple[Location, ...] = field(default=())


# --- markers ------------------------------------------------------------------------------------------------------
# Every pattern runs on text folded to lower case without accents ("deverá" -> "devera").

_NEGATED_PERMISSION: Final = re.compile(r"\b(?:nao|nem) (?:se )?(?:poder|pode)\w*|\bmay not\b|\bcannot\b|\bcan not\b")
_STRONG_DESIRABLE: Final = re.compile(
    r"\b(?:desejave(?:l|is)|preferencial(?:mente)?|recomenda-se|recomendave(?:l|is)|facultativ[oa]s?|"
    r"opciona(?:l|is|lmente)|sera(?:o)? considerad[oa]s? (?:como )?diferencia(?:l|is)|diferencia(?:l|is)|sugere-se|"
    r"should|desirable|preferabl[ey]|preferred|optional(?:ly)?|(?:is|are) encouraged|recommended|nice to have|"
    r"ideally|an advantage|a plus)\b"
)
_MANDATORY: Final = re.compile(
    r"\b(?:dever(?:a|ao|ia|iam)?|deve(?:m|rao)?|obrigatori(?:o|a|os|as|amente)|(?:e|sao|fica|ficam) (?:vedad|proibid)"
    r"[oa]s?|vedad[oa]s?|proibid[oa]s?|(?:fica|ficam|esta|estao) obrigad[oa]s?|obriga(?:-se| se)|obrigam-se|"
    r"(?:e|sera|serao|sao) exigid[oa]s?|exige-se|exigir-se-a|(?:e|sera) (?:necessari[oa]|indispensavel|"
    r"imprescindivel)|compete a|cabe a|cabera a|compromete-se|comprometem-se|tera que|terao que|tem que|"
    r"se obriga(?:m)?|devendo|sujeitara|sujeitarao|implicara|must|shall|(?:is|are|will be|be) required|"
    r"required to|mandatory|(?:is|are) prohibited|(?:is|are) not "
    r"(?:permitted|allowed)|will not be accepted|needs? to|has to|have to|(?:is|are) obliged)\b"
)
# "Os serviços serão prestados", "the services will be delivered": what is said of the services in the future binds.
_SERVICES_FUTURE: Final = re.compile(
    r"\b(?:os servicos|o servico|os treinamentos|o treinamento|o atendimento|a implantacao|as entregas|os produtos|"
    r"the services?|the deliverables?|the training|the work)\s+(?:[\w,]+\s+){0,6}?(?:sera|serao|\w{3,}ra|\w{3,}rao|"
    r"will)\b"
)
_WEAK_DESIRABLE: Final = re.compile(r"\b(?:podera|poderao|pode|podem|may|can)\b")
_SUPPLIER: Final = (
    r"(?:contratad[oa]s?|licitantes?|proponentes?|fornecedor(?:es)?|empresa contratada|adjudicatari[oa]|"
    r"contractors?|vendors?|suppliers?|bidders?|proposers?|offerors?|respondents?|consultants?|service providers?|"
    r"providers?|firms?)"
)
# "A CONTRATADA prestará", "the Vendor will provide": an actor bound in the future tense is bound.
_SUPPLIER_FUTURE: Final = re.compile(
    rf"\b{_SUPPLIER}\s+(?:\w+\s+)?(?:\w{{2,}}ra|\w{{2,}}rao|will)\b(?!\s+(?:ser\s+)?(?:desclassificad|inabilitad))"
)
_SUPPLIER_WORDS: Final = re.compile(rf"\b{_SUPPLIER}\b")
_CLIENT_WORDS: Final = re.compile(
    r"\b(?:contratante|administracao|orgao|pregoeir[oa]|comissao|prefeitura|municipio|secretaria|tribunal|"
    r"agente de contratacao|fiscal do contrato|gestor do contrato|the client|the buyer|the purchaser|the agency|"
    r"the authority|the city|the county|the committee|the evaluation committee|the owner|the department|"
    r"the university|the board|the company reserves|we will|we reserve)\b"
)

_KIND_KEYWORDS: Final[dict[RequirementKind, re.Pattern[str]]] = {
    RequirementKind.DEADLINE: re.compile(
        r"\b(?:prazos?|cronograma|dias (?:uteis|corridos)|\d+ \(?[a-z ]*\)? ?dias|ate o dia|data (?:limite|"
        r"de entrega|de inicio|da sessao)|deadlines?|no later than|business days|calendar days|working days|"
        r"\d+ days|within \w+ \(?\d*\)? ?(?:days|weeks|months)|(?:days|weeks|months) (?:after|of|from)|"
        r"by (?:january|february|march|april|may|june|july|august|september|october|november|december)|"
        r"due (?:by|on)|due date|duration|ate a data|\d{1,2}/\d{1,2}/\d{4}|"
        r"(?:\d+|\w+) (?:semanas|meses|weeks|months))\b"
    ),
    RequirementKind.COMMERCIAL: re.compile(
        r"\b(?:preco|precos|valor(?:es)?|pagamentos?|pag[oa]s?|faturas?|faturamento|nota fiscal|notas fiscais|multas?|"
        r"reajuste|descontos?|planilha de custos|custos?|tributos|impostos|bdi|garantia contratual|garantia de "
        r"execucao|caucao|seguro-garantia|moeda|reais|r\$|prices?|pricing|costs?|fees?|payments?|invoices?|"
        r"invoicing|penalt(?:y|ies)|discounts?|currency|taxes|budget|rates?|fixed-price|performance bond|"
        r"price proposal|cost proposal|commercial|cotar|cotacao|lote unico|quoted?)\b"
    ),
    RequirementKind.QUALIFICATION: re.compile(
        r"\b(?:habilitacao|certid(?:ao|oes)|atestados?|capacidade tecnica|cnpj|regularidade|trabalhista|fgts|inss|"
        r"balanco patrimonial|patrimonio liquido|declaracao|declarar|registro (?:no|na|em|profissional|comercial)|"
        r"crea|conselho|contrato social|lei|trabalhistas|previdenciari\w*|fiscais|formacao|graduacao|degree|"
        r"confidencialidade|confidentiality|licitar|participar|signed|assinad\w*|authori[sz]ed to bind|"
        r"compl(?:y|iance)|cumpr\w*|agreement|soc ?2|iso(?:/iec)? ?\d+|"
        r"leis|decreto|lgpd|sancao|sancoes|inidone\w*|consorcio|procuracao|subcontrata\w*|certificacao|"
        r"comprovar|comprovacao|experiencia|qualifica\w*|incorporation|certificates?|certifications?|"
        r"certified|insurance|licen[cs]e[ds]?|registered|references?|financial statements|audited|conflicts? of "
        r"interest|laws?|regulations?|gdpr|legal|notari[sz]ed|power of attorney|subcontract\w*|eligib\w*|"
        r"experience|proof|demonstrate|qualifications?|curricul\w*|cv|resumes?)\b"
    ),
    RequirementKind.TECHNICAL: re.compile(
        r"\b(?:infraestrutura|servidor(?:es)? (?:de aplicacao|web|fisicos|virtuais)|nuvem|cloud|banco de dados|"
        r"databases?|apis?|rest|integra(?:cao|coes|r|da|do|rse|r-se)|integrat\w*|incidentes?|incidents?|severidade|severity|"
        r"prioridade|priority|chamados|tickets?|niveis? (?:minimos )?de servico|service levels?|tempo medio|segundos|"
        r"seconds|minutes|recovery point|recovery time|responded|resolved|solucionad\w*|patch\w*|itil|formats?|"
        r"formatos?|parquet|open-source|"
        r"seguranca|security|criptografi\w*|encrypt\w*|tls|https|backups?|disponibilidade|availability|uptime|sla|"
        r"desempenho|performance|latencia|latency|tempo de resposta|response time|escalabilidade|scalab\w*|"
        r"arquitetura|architecture|hospeda\w*|hosting|hosted|navegador(?:es)?|browsers?|sso|ldap|active directory|"
        r"oauth|saml|openid|logs?|trilha de auditoria|audit trail|monitora\w*|monitoring|redundan\w*|data ?center|"
        r"containers?|kubernetes|linux|postgresql|codigo-fonte|codigo fonte|source code|open source|padroes|"
        r"standards?|protocolos?|protocols?|autenticacao|authentication|wcag|acessibilidade|accessibility|"
        r"interoperab\w*|compativel|compatible|mobile|responsiv\w*|recuperacao de desastres|disaster recovery|"
        r"rpo|rto|concurrent|simultane\w*|usuarios simultaneos)\b"
    ),
    RequirementKind.FUNCTIONAL: re.compile(
        r"\b(?:permit(?:ir|a|am)|possibilit\w*|allow\w*|enabl\w*|cadastr\w*|consult\w*|relatorios?|reports?|"
        r"reporting|dashboards?|painel|paineis|exib\w*|display\w*|ger(?:ar|e|em)|generat\w*|notifica\w*|"
        r"notif\w*|usuarios?|users?|perfis|fluxos?|workflows?|treinamento|training|capacitacao|suporte|support|"
        r"migra\w*|entreg\w*|deliver\w*|funcionalidades?|features?|pesquis\w*|search|export\w*|import\w*|"
        r"emitir|agend\w*|schedul\w*|capacit\w*)\b"
    ),
}
# Ties go to the first kind in this order.
_KIND_ORDER: Final = (
    RequirementKind.DEADLINE,
    RequirementKind.COMMERCIAL,
    RequirementKind.QUALIFICATION,
    RequirementKind.TECHNICAL,
    RequirementKind.FUNCTIONAL,
)

# --- structure ----------------------------------------------------------------------------------------------------

_CLAUSE: Final = re.compile(
    r"^\s*(?:(?:cl[áa]usula|item|se[çc][ãa]o|section|clause)\s+)?"
    r"(?P<number>\d{1,3}(?:\.\d{1,3}){1,5}\.?|\d{1,3}[.)])\s+(?=[\"“(A-ZÀ-Ý])"
)
_ITEM: Final = re.compile(r"^\s*(?P<label>[a-z]\)|[a-z]\.|[IVXL]{1,6}\s*[-–—.)]|[-•▪●◦*])\s+(?=\S)")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[\"“(]?[A-ZÀ-Ý0-9])")
_ABBREVIATION: Final = re.compile(
    r"(?:\b(?:art|arts|inc|n|no|nos|nº|sr|sra|srs|dr|dra|etc|min|max|fl|fls|pag|p|pp|vol|cap|ltda|s\.a|obs|mr|mrs|ms|"
    r"vs|approx|dept|co|corp|ltd|st|jr|e\.g|i\.e|u\.s|par|al|tel|av|cf|ex|op|ref|sec|id)|\b[A-Z])\.$",
    re.IGNORECASE,
)
# Where a reader ran clauses or list items together on one line ("...documentos: a) ato constitutivo; b) prova"):
# before a numbered clause after a sentence's end or a heading in capitals, before a list item after ":" or ";".
_RUN_TOGETHER: Final = re.compile(
    r"(?:(?<=[.;:!?])|(?<=[A-ZÀ-Ý]{3}))\s+(?=\d{1,3}(?:\.\d{1,3}){1,5}\.?\s+[\"“(A-ZÀ-Ý])"
    r"|(?<=[:;])\s+(?=(?:[a-z]\)|[a-z]\.|[IVXL]{1,6}\s*[-–—])\s+\S)"
)
_HEADING: Final = re.compile(r"^[^a-zà-ÿ]*[A-ZÀ-Ý][^a-zà-ÿ]{2,}$")
_MAX_QUOTE: Final = 2_000
_NOT_ACRONYMS: Final = frozenset({"DE", "DA", "DO", "DOS", "DAS", "THE", "AND", "FOR", "CITY", "STATE"})
# A lead sentence ("Constituem obrigações da CONTRATADA:") whose items are the supplier's duties.
_DUTY_LEAD: Final = re.compile(
    r"\b(?:obrigac(?:ao|oes)|requisitos?|exigencias?|responsabilidades?|deveres|requirements?|obligations?|"
    r"responsibilities|duties|servicos compreendem|escopo|scope|deliverables|entregaveis)\b"
)
# A line that repeats at the top or bottom of most pages (digits aside) is a running header or footer.
_EDGE_LINES: Final = 2


def normalise_quote(quote: str) -> str:
    """A quote as ids and merging compare it: lower case, no accents, punctuation and whitespace runs as one space."""
    folded = fold_accents(quote).casefold()
    return " ".join(re.sub(r"[^\w%$]+", " ", folded).split())


def requirement_id(quote: str, clause: str | None) -> str:
    """A requirement's stable id: the same quote at the same clause always gives the same id ("REQ-" + 12 hex)."""
    digest = hashlib.sha256(f"{clause or ''}\x1f{normalise_quote(quote)}".encode()).hexdigest()
    return f"REQ-{digest[:12].upper()}"


def client_aliases(client_name: str) -> tuple[str, ...]:
    """How a document may name its client: the name, and each acronym in it ("Companhia ... — CESAL": "CESAL")."""
    name = " ".join(client_name.split())
    if not name:
        return ()
    acronyms = re.findall(r"\b[A-ZÀ-Ý]{3,}\b", name)
    if name.isupper():
        acronyms = [word for word in acronyms if len(word) <= 6 and word not in _NOT_ACRONYMS]
    return tuple(dict.fromkeys((name, *acronyms)))


def _aliases_pattern(aliases: Iterable[str]) -> re.Pattern[str] | None:
    words = [re.escape(fold_accents(alias).casefold()) for alias in aliases if alias.strip()]
    return re.compile(rf"\b(?:{'|'.join(words)})\b") if words else None


def classify_obligation(sentence: str, client_names: Iterable[str] = ()) -> Obligation | None:
    """Mandatory, desirable, or None when `sentence` binds nobody (no modal marker, or it binds the client).

    `client_names`: how this document names its client besides the usual words ("a CESAL deverá" binds the client).
    """
    return _obligation(sentence, _aliases_pattern(client_names))


def _obligation(sentence: str, client: re.Pattern[str] | None) -> Obligation | None:
    folded = fold_accents(sentence).casefold()
    markers = [
        (match.start(), obligation)
        for pattern, obligation in (
            (_NEGATED_PERMISSION, Obligation.MANDATORY),
            (_MANDATORY, Obligation.MANDATORY),
            (_SUPPLIER_FUTURE, Obligation.MANDATORY),
            (_SERVICES_FUTURE, Obligation.MANDATORY),
            (_STRONG_DESIRABLE, Obligation.DESIRABLE),
            (_WEAK_DESIRABLE, Obligation.DESIRABLE),
        )
        if (match := pattern.search(folded)) is not None
    ]
    if not markers:
        return None
    first_marker = min(position for position, _ in markers)
    subject = folded[:first_marker]
    names_client = _CLIENT_WORDS.search(subject) or (client is not None and client.search(subject))
    if names_client and not _SUPPLIER_WORDS.search(subject):
        return None
    if _NEGATED_PERMISSION.search(folded):
        return Obligation.MANDATORY
    if _STRONG_DESIRABLE.search(folded):
        return Obligation.DESIRABLE
    if any(pattern.search(folded) for pattern in (_MANDATORY, _SUPPLIER_FUTURE, _SERVICES_FUTURE)):
        return Obligation.MANDATORY
    return Obligation.DESIRABLE


def classify_kind(sentence: str, heading: str | None = None) -> RequirementKind:
    """The kind whose keywords `sentence` names most (each counts 2) and `heading` names (each counts 1)."""
    text = fold_accents(sentence).casefold()
    heading_text = fold_accents(heading or "").casefold()
    scores = {
        kind: 2 * len(pattern.findall(text)) + len(pattern.findall(heading_text))
        for kind, pattern in _KIND_KEYWORDS.items()
    }
    best = max(scores.values())
    if best == 0:
        return RequirementKind.FUNCTIONAL
    return next(kind for kind in _KIND_ORDER if scores[kind] == best)


# --- extraction ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Unit:
    """A clause, list item or paragraph being read: its text pieces with the page each starts on."""

    file: str
    clause: str | None
    heading: str | None
    item: bool
    pieces: list[tuple[int | None, str]]

    def text_with_pages(self) -> tuple[str, list[tuple[int, int | None]]]:
        """The unit's text with single spaces, and (offset, page) where each page's text starts."""
        text = ""
        starts: list[tuple[int, int | None]] = []
        for page, piece in self.pieces:
            words = " ".join(piece.split())
            if not words:
                continue
            if text:
                text += " "
            starts.append((len(text), page))
            text += words
        return text, starts


def _page_at(starts: Sequence[tuple[int, int | None]], offset: int) -> int | None:
    page = starts[0][1] if starts else None
    for start, start_page in starts:
        if start > offset:
            break
        page = start_page
    return page


def _sentences(text: str) -> list[tuple[int, str]]:
    """`text` cut into sentences (offset, sentence), not after abbreviations, numbers or initials."""
    sentences: list[tuple[int, str]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].rstrip('"”)')
        if _ABBREVIATION.search(candidate.rsplit(" ", 1)[-1]):
            continue
        sentences.append((start, text[start : match.start()]))
        start = match.end()
    if start < len(text):
        sentences.append((start, text[start:]))
    return [(offset, sentence.strip()) for offset, sentence in sentences if sentence.strip()]


def _units(pages: Iterable[SourcePage]) -> Iterable[_Unit]:
    """The document's clauses, list items and paragraphs in reading order, each with its clause and heading."""
    clause: str | None = None
    heading: str | None = None
    current: _Unit | None = None
    current_file: str | None = None
    for page in pages:
        if page.file != current_file:
            if current is not None:
                yield current
            current, clause, heading, current_file = None, None, None, page.file
        for line in (part for raw in page.text.splitlines() for part in _RUN_TOGETHER.split(raw)):
            stripped = line.strip()
            if not stripped:
                if current is not None and not current.item:
                    yield current
                    current = None
                continue
            clause_match = _CLAUSE.match(stripped)
            item_match = None if clause_match else _ITEM.match(stripped)
            if clause_match is not None:
                if current is not None:
                    yield current
                clause = clause_match["number"].rstrip(".)")
                body = stripped[clause_match.end() :]
                if _is_heading(body):
                    heading, current = body, None
                    continue
                current = _Unit(page.file, clause, heading, False, [(page.page, body)])
            elif item_match is not None:
                if current is not None:
                    yield current
                label = item_match["label"].strip()
                item_clause = f"{clause} {label}" if clause and label[0].isalnum() else clause
                current = _Unit(page.file, item_clause, heading, True, [(page.page, stripped[item_match.end() :])])
            elif current is None and _is_heading(stripped):
                heading = stripped
            elif current is None:
                current = _Unit(page.file, clause, heading, False, [(page.page, stripped)])
            else:
                current.pieces.append((page.page, stripped))
    if current is not None:
        yield current


def _is_heading(text: str) -> bool:
    """A line in capitals without a sentence's end ("DAS OBRIGAÇÕES DA CONTRATADA"), or a short title line."""
    if _HEADING.match(text) and not text.rstrip().endswith((".", ";")):
        return True
    words = text.split()
    return 0 < len(words) <= 8 and text[0].isupper() and not re.search(r"[.;:,!?]$", text) and not _has_modal(text)


def _has_modal(text: str) -> bool:
    folded = fold_accents(text).casefold()
    return any(pattern.search(folded) for pattern in (_MANDATORY, _STRONG_DESIRABLE, _WEAK_DESIRABLE, _SUPPLIER_FUTURE))


def _lead_obligation(sentence: str, client: re.Pattern[str] | None) -> Obligation | None:
    """What a lead sentence (ending in ":") makes of its items: its own obligation, or mandatory for a duty list."""
    obligation = _obligation(sentence, client)
    if obligation is not None:
        return obligation
    folded = fold_accents(sentence).casefold()
    if _DUTY_LEAD.search(folded) and not (_CLIENT_WORDS.search(folded) and not _SUPPLIER_WORDS.search(folded)):
        return Obligation.MANDATORY
    return None


def _without_running_lines(pages: Sequence[SourcePage]) -> list[SourcePage]:
    """`pages` without the running headers and footers: lines at a page's edge that most pages of a file repeat."""
    by_file: dict[str, list[SourcePage]] = {}
    for page in pages:
        by_file.setdefault(page.file, []).append(page)
    running: set[tuple[str, str]] = set()
    for file, file_pages in by_file.items():
        if len(file_pages) < 3:
            continue
        counts: dict[str, int] = {}
        for page in file_pages:
            lines = [line.strip() for line in page.text.splitlines() if line.strip()]
            for shape in {_line_shape(line) for line in (*lines[:_EDGE_LINES], *lines[-_EDGE_LINES:])}:
                counts[shape] = counts.get(shape, 0) + 1
        running.update((file, shape) for shape, count in counts.items() if count * 2 >= len(file_pages))
    if not running:
        return list(pages)
    return [
        SourcePage(
            page.file,
            page.page,
            "\n".join(line for line in page.text.splitlines() if (page.file, _line_shape(line.strip())) not in running),
        )
        for page in pages
    ]


def _line_shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def extract_requirements(pages: Iterable[SourcePage], client_names: Iterable[str] = ()) -> list[Requirement]:
    """The requirements in `pages` (in reading order, files one after another), duplicates merged by quote.

    `client_names`: the client's names and acronyms (`client_aliases`), so that its own duties are left out.
    """
    client = _aliases_pattern(client_names)
    found: dict[str, Requirement] = {}
    lead_obligation: Obligation | None = None
    lead_clause: str | None = None
    for unit in _units(_without_running_lines(list(pages))):
        text, starts = unit.text_with_pages()
        if not text:
            continue
        base_clause = unit.clause.split(" ", 1)[0] if unit.clause else None
        if not unit.item:
            lead_obligation, lead_clause = None, base_clause
        for offset, sentence in _sentences(text):
            obligation = _obligation(sentence, client)
            if obligation is None and unit.item and lead_clause == base_clause:
                obligation = lead_obligation
            if not unit.item and sentence.endswith(":"):
                lead_obligation = _lead_obligation(sentence, client)
                continue  # a lead is read through its items
            if obligation is None:
                continue
            quote = sentence[:_MAX_QUOTE]
            location = Location(unit.file, _page_at(starts, offset), unit.clause)
            key = normalise_quote(quote)
            if key in found:
                earlier = found[key]
                found[key] = Requirement(
                    earlier.id,
                    earlier.quote,
                    earlier.obligation,
                    earlier.kind,
                    earlier.location,
                    earlier.heading,
                    (*earlier.also_at, location),
                )
                continue
            found[key] = Requirement(
                requirement_id(quote, unit.clause),
                quote,
                obligation,
                classify_kind(sentence, unit.heading),
                location,
                unit.heading,
            )
    return list(found.values())
