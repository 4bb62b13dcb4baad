"""HTML to PDF with WeasyPrint, and the asyncio-facing renderer that runs every render in a limited worker process."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Final

from propos4l.renderer.archive import proposal_attachment
from propos4l.renderer.document import DEFAULT_MAX_HTML_CHARS, build_html
from propos4l.renderer.errors import RenderError, RenderLimitExceeded, TemplateError, TemplateProblem
from propos4l.renderer.fetcher import TemplateUrlFetcher
from propos4l.renderer.folders import read_folder, tree_digest
from propos4l.renderer.manifest import PdfVariant
from propos4l.renderer.pool import RenderLimits, WorkerPool, WorkerRecycling
from propos4l.renderer.templates import load_template
from propos4l.renderer.watermark_markup import watermark_html
from propos4l.renderer.weasy import HTML, Attachment, ColorProfile, Document
from propos4l.shared.events import PROPOSAL_CONTENT_DEFAULT_MAX, ProposalDrafted

__all__ = [
    "DEFAULT_LARGE_CHARACTERS",
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_PDF_BYTES",
    "DEFAULT_TIMEOUT_SECONDS",
    "PdfIdentity",
    "PdfRenderer",
    "RenderedPdf",
    "proposal_characters",
    "render_drafted",
    "render_pdf_bytes",
    "weasyprint_messages",
]

DEFAULT_TIMEOUT_SECONDS: Final = 60.0
DEFAULT_MAX_PDF_BYTES: Final = 50 * 1024 * 1024
DEFAULT_MAX_PAGES: Final = 300
DEFAULT_LARGE_CHARACTERS: Final = 50_000
# WeasyPrint says this on every render where libharfbuzz-subset is missing; it is about the host, not the template.
_HOST_NOTICES: Final = ("Using fontTools instead of HarfBuzz-Subset",)
_ARCHIVAL_PROFILE: Final = "propos4l-srgb"


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """A rendered PDF document, its page count, and what WeasyPrint warned about while making it."""

    data: bytes
    pages: int
    warnings: tuple[str, ...] = ()
    template_sha256: str | None = None
    """The tree digest of the template folder it was rendered with (see `folders.tree_digest`)."""


@dataclass(frozen=True, slots=True)
class PdfIdentity:
    """What makes a render reproducible: the moment it is dated at and the identifier it carries.

    The same HTML rendered with the same identity gives the same bytes, at any time and in any process.
    """

    moment: datetime
    identifier: str

    @classmethod
    def of(cls, drafted: ProposalDrafted) -> PdfIdentity:
        """A version's identity: its draft's time, and its proposal id and version number."""
        return cls(moment=drafted.occurred_at, identifier=f"{drafted.proposal_id}/v{drafted.version}")

    @property
    def w3c_date(self) -> str:
        """The moment as the W3C date WeasyPrint reads from `<meta name=dcterms.created>`."""
        return self.moment.astimezone(UTC).isoformat(timespec="seconds")


@contextmanager
def _source_date(moment: datetime) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for the block: fontTools stamps the font subsets it embeds with it instead of now.

    The environment is the process's, so this is for the worker processes, which render one proposal at a time.
    """
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


class _PageLimit(logging.Filter):
    """Stops WeasyPrint's layout at the first page past `max_pages`.

    WeasyPrint 70 offers no page limit, but it logs "Creating layout - Page N" on its progress logger before it
    lays out page N; raising there ends the layout then, instead of after thousands of pages. The records
    themselves are dropped: they would flood the logs.
    """

    def __init__(self, max_pages: int) -> None:
        super().__init__()
        self.max_pages = max_pages

    def filter(self, record: logging.LogRecord) -> bool:
        """Raise `RenderLimitExceeded` on the page past the limit; drop every progress record."""
        if "Creating layout - Page" in str(record.msg) and record.args and isinstance(record.args, tuple):
            page = record.args[0]
            if isinstance(page, int) and page > self.max_pages:
                raise RenderLimitExceeded(
                    f"the proposal has more than {self.max_pages:,} pages, the limit (RENDER_MAX_PAGES); its layout "
                    f"was stopped at page {page:,}: shorten the proposal, or raise the limit",
                    "pages",
                )
        return False


@contextmanager
def _page_limit(max_pages: int | None) -> Iterator[None]:
    """Apply `_PageLimit` to WeasyPrint's progress logger in the block (nothing when `max_pages` is None)."""
    if max_pages is None:
        yield
        return
    progress = logging.getLogger("weasyprint.progress")
    level = progress.level
    limit = _PageLimit(max_pages)
    progress.addFilter(limit)
    progress.setLevel(logging.INFO)  # WeasyPrint's page records are INFO; a logger below that never sees them
    try:
        yield
    finally:
        progress.removeFilter(limit)
        progress.setLevel(level)


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_HOST_NOTICES):
            self.messages.append(message)


@contextmanager
def weasyprint_messages() -> Iterator[list[str]]:
    """Collect what WeasyPrint logs at WARNING and above in the block: it reports CSS and loading errors only so."""
    weasy_logger = logging.getLogger("weasyprint")
    collector = _Collector()
    propagate = weasy_logger.propagate
    weasy_logger.addHandler(collector)
    weasy_logger.propagate = False  # the caller decides what to log, once, as structured fields
    try:
        yield collector.messages
    finally:
        weasy_logger.removeHandler(collector)
        weasy_logger.propagate = propagate


def _use_srgb_output_intent(document: Document) -> None:
    """Give the document an sRGB output intent, as PDF/A needs, read from WeasyPrint's own ICC profile.

    WeasyPrint's "srgb" output intent opens that profile and never closes it (a ResourceWarning on every render);
    this reads it the same way and closes it.
    """
    with (files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as icc:
        profile = ColorProfile(icc, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))
    document.color_profiles[_ARCHIVAL_PROFILE] = profile
    document.output_intent = _ARCHIVAL_PROFILE


def render_pdf_bytes(
    html: str,
    template_dir: Path,
    *,
    strict: bool = True,
    max_bytes: int = DEFAULT_MAX_PDF_BYTES,
    identity: PdfIdentity | None = None,
    max_pages: int | None = None,
    variant: PdfVariant | None = None,
    tagged: bool = False,
    attachments: Sequence[Attachment] = (),
) -> RenderedPdf:
    """Lay out `html` with resources from `template_dir` only, and write the PDF (blocking, CPU-bound).

    `variant` asks WeasyPrint for an archival PDF ("pdf/a-3b"), `tagged` for a structure tree (accessibility), and
    `attachments` are embedded files (with PDF/A-3b, in the catalog's associated files too).

    With `strict`, a resource that was refused or missing fails the render with a `TemplateError` naming it,
    rather than leaving it silently out. A PDF larger than `max_bytes` fails with `RenderLimitExceeded`.
    With an `identity`, the PDF is dated and identified by it, and the same input gives the same bytes.
    A document of more than `max_pages` pages fails with `RenderLimitExceeded` as soon as its layout gets there.
    """
    fetcher = TemplateUrlFetcher(template_dir)
    with weasyprint_messages() as messages:
        with _page_limit(max_pages):
            document = HTML(string=html, base_url=str(fetcher.root) + "/", url_fetcher=fetcher).render()
        if max_pages is not None and len(document.pages) > max_pages:  # a layout pass the progress log missed
            raise RenderLimitExceeded(
                f"the PDF has {len(document.pages):,} pages, more than the limit of {max_pages:,} (RENDER_MAX_PAGES)",
                "pages",
            )
        options: dict[str, object] = {
            "pdf_variant": variant,
            "pdf_tags": tagged,
            "attachments": list(attachments) or None,
        }
        if variant is not None:
            _use_srgb_output_intent(document)
            options["output_intent"] = _ARCHIVAL_PROFILE  # not "srgb": WeasyPrint would open its profile again
        if identity is None:
            data = document.write_pdf(**options)  # attachments are fetched only here
        else:
            # The template's own <meta name=dcterms.created/modified> win; without them, the version's time.
            document.metadata.created = document.metadata.created or identity.w3c_date
            document.metadata.modified = document.metadata.modified or identity.w3c_date
            with _source_date(identity.moment):
                data = document.write_pdf(pdf_identifier=identity.identifier.encode(), **options)
    if strict and fetcher.problems:
        problems = [TemplateProblem(problem) for problem in dict.fromkeys(fetcher.problems)]
        summary = "; ".join(str(problem) for problem in problems[:3])
        raise TemplateError(f"the template uses resources the renderer does not serve: {summary}", problems)
    if not isinstance(data, bytes):  # pragma: no cover - write_pdf without a target always returns bytes
        raise RenderError("WeasyPrint returned no PDF data")
    if len(data) > max_bytes:
        raise RenderLimitExceeded(
            f"the PDF has {len(data):,} bytes, more than the limit of {max_bytes:,}; the template or proposal is "
            "far larger than a proposal should be",
            "pdf_size",
        )
    return RenderedPdf(data=data, pages=len(document.pages), warnings=tuple(dict.fromkeys(messages)))


def render_drafted(
    drafted: ProposalDrafted,
    templates_dir: Path,
    *,
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES,
    max_html_chars: int = DEFAULT_MAX_HTML_CHARS,
    max_pages: int | None = None,
    variant: PdfVariant | None = None,
    watermark: str | None = None,
) -> RenderedPdf:
    """Load the proposal's template, fill it in and render it (blocking); raise only `RenderError`s.

    `variant` asks for an archival PDF whatever the template's `pdf_variant` says (an export's request option);
    without it, the template's choice. `watermark` (the words of an export of a version that needs approval and
    lacks it) is laid across every page.
    """
    try:
        template = load_template(templates_dir, drafted.request.template)
        used = tree_digest(read_folder(template.path))  # which version of the template made this PDF
        html = build_html(drafted, template, max_chars=max_html_chars)
        if watermark is not None:
            html = watermark_html(html, watermark)
        identity = PdfIdentity.of(drafted)
        manifest = template.manifest
        variant = variant or manifest.pdf_variant
        archival = variant is not None
        rendered = render_pdf_bytes(
            html,
            template.path,
            max_bytes=max_pdf_bytes,
            identity=identity,
            max_pages=max_pages,
            variant=variant,
            tagged=manifest.pdf_tags,
            attachments=[proposal_attachment(drafted, manifest, identity.moment)] if archival else [],
        )
        return replace(rendered, template_sha256=used)
    except RenderError:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise RenderError(f"the PDF could not be produced: {type(exc).__name__}: {exc}") from None


def _render_job(drafted_json: str, templates_dir: str, max_pdf_bytes: int, max_pages: int) -> RenderedPdf:
    """What a worker process runs for one proposal."""
    drafted = ProposalDrafted.model_validate_json(drafted_json)
    return render_drafted(drafted, Path(templates_dir), max_pdf_bytes=max_pdf_bytes, max_pages=max_pages)


def proposal_characters(drafted: ProposalDrafted) -> int:
    """The size of a proposal as PROPOSAL_MAX_CHARACTERS counts it: the characters of all its sections."""
    return sum(len(section.content) for section in drafted.sections)


class PdfRenderer:
    """Renders proposals in limited worker processes, off the event loop; see `propos4l.renderer.pool`."""

    def __init__(
        self,
        *,
        max_workers: int = 1,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_memory_bytes: int | None = None,
        cpu_seconds: float | None = None,
        max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES,
        recycling: WorkerRecycling | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        max_characters: int = PROPOSAL_CONTENT_DEFAULT_MAX,
        large_characters: int = DEFAULT_LARGE_CHARACTERS,
    ) -> None:
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        if max_characters < 1 or large_characters < 1:
            raise ValueError("max_characters and large_characters must be at least 1")
        self.max_pages = max_pages
        self.max_characters = max_characters
        self.large_characters = large_characters
        # Proposals larger than `large_characters` share every worker but one, which stays free for smaller ones
        # (with a single worker there is none to keep).
        self.large_lanes = max(max_workers - 1, 1)
        self._large_lanes = asyncio.Semaphore(self.large_lanes)
        limits = RenderLimits(
            timeout_seconds=timeout_seconds,
            cpu_seconds=cpu_seconds,
            max_memory_bytes=max_memory_bytes,
            max_output_bytes=max_pdf_bytes,
        )
        self.pool = WorkerPool(
            max_workers=max_workers, limits=limits, preload=__name__, recycling=recycling or WorkerRecycling()
        )

    def start_workers(self) -> None:
        """Start the worker processes now (in the background) instead of on the first renders."""
        self.pool.start_workers()

    @property
    def limits(self) -> RenderLimits:
        """The limits every render runs under."""
        return self.pool.limits

    async def render(
        self, drafted: ProposalDrafted, templates_dir: Path, *, timeout_seconds: float | None = None
    ) -> RenderedPdf:
        """Render a drafted proposal to PDF in a worker; raise `RenderError` (or a subclass) on failure."""
        characters = proposal_characters(drafted)
        if characters > self.max_characters:  # refused before it takes a worker
            raise RenderLimitExceeded(
                f"the proposal's sections hold {characters:,} characters, more than the limit of "
                f"PROPOSAL_MAX_CHARACTERS ({self.max_characters:,}); shorten them"
            )
        if characters > self.large_characters:
            async with self._large_lanes:
                return await self._render_in_worker(drafted, templates_dir, timeout_seconds)
        return await self._render_in_worker(drafted, templates_dir, timeout_seconds)

    async def _render_in_worker(
        self, drafted: ProposalDrafted, templates_dir: Path, timeout_seconds: float | None
    ) -> RenderedPdf:
        rendered: RenderedPdf = await self.pool.call(
            _render_job,
            drafted.model_dump_json(),
            str(templates_dir),
            self.limits.max_output_bytes,
            self.max_pages,
            timeout_seconds=timeout_seconds,
        )
        return rendered

    def close(self) -> None:
        """Refuse new renders and stop the workers (busy ones once their render ends)."""
        self.pool.close()
