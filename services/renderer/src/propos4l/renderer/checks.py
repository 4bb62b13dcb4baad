"""Check a template folder before it is accepted: it must parse and render the sample proposal, cleanly.

Every problem is reported with where it is: the Jinja2 file and line, the stylesheet and its line and column, or
the resource the template asked for that the renderer does not serve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import jinja2

from propos4l.renderer.document import DEFAULT_MAX_HTML_CHARS, build_html, jinja_problem, sandboxed_environment
from propos4l.renderer.errors import TemplateError, TemplateProblem
from propos4l.renderer.fetcher import TemplateUrlFetcher
from propos4l.renderer.pdf import DEFAULT_MAX_PDF_BYTES, RenderedPdf, render_pdf_bytes, weasyprint_messages
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import TemplateFolder, load_template
from propos4l.renderer.weasy import CSS, FontConfiguration
from propos4l.renderer.word_styles import base_document
from propos4l.shared.sections import Language

__all__ = ["TemplateCheck", "check_template", "preview_template"]

_SCRIPT: Final = re.compile(r"<\s*script\b", re.IGNORECASE)
_CSS_POSITION: Final = re.compile(r" at (\d+):(\d+)")


@dataclass(frozen=True, slots=True)
class TemplateCheck:
    """A template that passed: the pages of the sample proposal in each language."""

    name: str
    pages: dict[str, int]


def check_template(
    templates_dir: Path,
    name: str,
    *,
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES,
    max_html_chars: int = DEFAULT_MAX_HTML_CHARS,
) -> TemplateCheck:
    """Parse every file of the template and render the sample proposal in each language (blocking).

    Raises `TemplateError` whose `problems` say what is wrong and where.
    """
    template = load_template(templates_dir, name)
    problems = [*_markup_problems(template), *_stylesheet_problems(template), *_word_styles_problems(template)]
    if problems:
        raise TemplateError(_summary(name, problems), problems)
    pages = {}
    for language in Language:
        rendered = _render_sample(template, language, max_pdf_bytes, max_html_chars)
        layout = [
            TemplateProblem(f"while laying out the {language.value} sample: {warning}") for warning in rendered.warnings
        ]
        if layout:
            raise TemplateError(_summary(name, layout), layout)
        pages[language.value] = rendered.pages
    return TemplateCheck(name=name, pages=pages)


def _word_styles_problems(template: TemplateFolder) -> list[TemplateProblem]:
    """What is wrong with the template's reference.docx (the Word export's styles), if it has one."""
    try:
        base_document(template.path, template.manifest.brand.colors)
    except TemplateError as error:
        return list(error.problems)
    return []


def preview_template(
    templates_dir: Path,
    name: str,
    language: Language,
    *,
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES,
    max_html_chars: int = DEFAULT_MAX_HTML_CHARS,
) -> RenderedPdf:
    """The sample proposal rendered with the template `name`, in `language` (blocking)."""
    return _render_sample(load_template(templates_dir, name), language, max_pdf_bytes, max_html_chars)


def _render_sample(
    template: TemplateFolder, language: Language, max_pdf_bytes: int, max_html_chars: int
) -> RenderedPdf:
    drafted = sample_drafted(language, template=template.name)
    try:
        html = build_html(drafted, template, max_chars=max_html_chars)
        return render_pdf_bytes(html, template.path, strict=True, max_bytes=max_pdf_bytes)
    except TemplateError as error:
        raise TemplateError(f"{error} (rendering the {language.value} sample)", error.problems) from None


def _summary(name: str, problems: list[TemplateProblem]) -> str:
    shown = "; ".join(str(problem) for problem in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"template {name!r} is invalid: {shown}{more}"


def _files(template: TemplateFolder, suffix: str) -> list[Path]:
    return sorted(path for path in template.path.rglob(f"*{suffix}") if path.is_file() and not path.is_symlink())


def _markup_problems(template: TemplateFolder) -> list[TemplateProblem]:
    """Jinja2 syntax errors and <script> elements in the template's HTML files."""
    environment = sandboxed_environment(template.path)
    problems = []
    for path in _files(template, ".html"):
        relative = path.relative_to(template.path).as_posix()
        source = path.read_text(encoding="utf-8", errors="replace")
        for match in _SCRIPT.finditer(source):
            line = source.count("\n", 0, match.start()) + 1
            problems.append(
                TemplateProblem(
                    "<script> is not allowed: PDFs do not run scripts, and exports must not carry them",
                    relative,
                    line,
                )
            )
        try:
            environment.parse(source, relative, str(path))
        except jinja2.TemplateSyntaxError as error:
            problems.append(jinja_problem(error, template.path))
    return problems


def _stylesheet_problems(template: TemplateFolder) -> list[TemplateProblem]:
    """What WeasyPrint rejects in each stylesheet of the folder, with the line and column it gives."""
    problems = []
    fonts = FontConfiguration()
    for path in _files(template, ".css"):
        relative = path.relative_to(template.path).as_posix()
        fetcher = TemplateUrlFetcher(template.path)
        with weasyprint_messages() as messages:
            CSS(
                string=path.read_text(encoding="utf-8", errors="replace"),
                base_url=path.as_uri(),
                url_fetcher=fetcher,
                font_config=fonts,
            )
        for message in dict.fromkeys(messages):
            position = _CSS_POSITION.search(message)
            line, column = (int(position[1]), int(position[2])) if position else (None, None)
            text = _CSS_POSITION.sub("", message) if position else message
            problems.append(TemplateProblem(text.rstrip("."), relative, line, column))
        problems.extend(TemplateProblem(problem, relative) for problem in dict.fromkeys(fetcher.problems))
    return problems
