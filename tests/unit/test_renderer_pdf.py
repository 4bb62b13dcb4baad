"""Drafted proposals render to PDFs a reader can use, and the rendering never reaches outside the template."""

from __future__ import annotations

import io
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from propos4l.renderer.document import build_html
from propos4l.renderer.errors import TemplateError
from propos4l.renderer.labels import labels_for
from propos4l.renderer.pdf import RenderedPdf, render_drafted, render_pdf_bytes
from propos4l.renderer.sample import main as sample_main
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import TemplateFolder, install_default_template, load_template
from propos4l.shared.events import ProposalDrafted, Section
from propos4l.shared.sections import Language, SectionKey


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    return path


@pytest.fixture(scope="module")
def default_template(templates_dir: Path) -> TemplateFolder:
    return load_template(templates_dir, "default")


@pytest.fixture(scope="module")
def rendered(default_template: TemplateFolder) -> dict[Language, tuple[ProposalDrafted, RenderedPdf]]:
    result = {}
    for language in Language:
        drafted = sample_drafted(language)
        result[language] = (drafted, render_pdf_bytes(build_html(drafted, default_template), default_template.path))
    return result


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.3)
    yield sock
    sock.close()


def _pages(pdf: RenderedPdf) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == pdf.pages
    return [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _with_content(drafted: ProposalDrafted, key: SectionKey, content: str) -> ProposalDrafted:
    sections = tuple(
        Section(key=s.key, title=s.title, content=content) if s.key is key else s for s in drafted.sections
    )
    return drafted.model_copy(update={"sections": sections})


@pytest.mark.parametrize("language", list(Language))
def test_client_titles_and_content_are_in_the_text(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]], language: Language
) -> None:
    drafted, pdf = rendered[language]
    assert pdf.data.startswith(b"%PDF-")
    text = _flat(" ".join(_pages(pdf)))
    assert drafted.request.client_name in text
    assert drafted.request.industry in text
    for section in drafted.sections:
        assert section.title in text
        first_words = _flat(re.sub(r"[*#>|`\[\]()-]", " ", section.content))[:40]
        assert first_words.split()[0] in text


@pytest.mark.parametrize("language", list(Language))
def test_contents_page_numbers_match_where_sections_start(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]], language: Language
) -> None:
    drafted, pdf = rendered[language]
    pages = _pages(pdf)
    contents = _flat(pages[1])
    assert labels_for(language).contents in contents
    for number, section in enumerate(drafted.sections, start=1):
        heading = rf"{number:02d}\s*{re.escape(section.title)}"
        listed = re.search(heading + r"\s+(\d+)", contents)
        assert listed, f"{section.title!r} is not in the contents"
        starts = [i + 1 for i, page in enumerate(pages[2:], start=2) if re.search(heading, _flat(page))]
        assert starts, f"{section.title!r} heading not found"
        assert int(listed[1]) == starts[0]


@pytest.mark.parametrize(
    ("language", "footer", "cover_words"),
    [
        (
            Language.PT_BR,
            "Página {page} de {pages}",
            ["Proposta comercial", "Preparado para", "29 de novembro de 2026"],
        ),
        (Language.EN, "Page {page} of {pages}", ["Commercial proposal", "Prepared for", "November 29, 2026"]),
    ],
)
def test_cover_and_running_footer(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]],
    language: Language,
    footer: str,
    cover_words: list[str],
) -> None:
    drafted, pdf = rendered[language]
    pages = [_flat(page) for page in _pages(pdf)]
    assert pdf.pages >= 3
    cover = pages[0]
    for words in cover_words:
        assert words.lower() in cover.lower()
    assert drafted.proposal_id.hex[:8].upper() in cover
    assert footer.split()[0] not in cover  # no page footer on the cover
    for page in range(2, pdf.pages + 1):
        assert footer.format(page=page, pages=pdf.pages) in pages[page - 1]
        assert drafted.request.client_name in pages[page - 1]  # running header


def test_pdf_metadata_and_language(rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]]) -> None:
    drafted, pdf = rendered[Language.PT_BR]
    reader = PdfReader(io.BytesIO(pdf.data))
    assert reader.metadata is not None
    assert reader.metadata.title == f"Proposta comercial – {drafted.request.client_name}"
    assert reader.metadata.author == "Propos4l Consultoria"
    assert drafted.request.client_name in (reader.metadata.subject or "")
    assert str(reader.root_object["/Lang"]) == "pt-BR"
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "01 Sumário executivo" in titles


@pytest.mark.parametrize(
    ("language", "label"),
    [
        (Language.PT_BR, "Rascunho gerado sem IA (modo outline)"),
        (Language.EN, "Draft produced without AI (outline mode)"),
    ],
)
def test_outline_mode_label_on_the_cover(default_template: TemplateFolder, language: Language, label: str) -> None:
    assert label not in build_html(sample_drafted(language), default_template)
    drafted = sample_drafted(language, ai_generated=False)
    pdf = render_pdf_bytes(build_html(drafted, default_template), default_template.path)
    assert label in _flat(_pages(pdf)[0])


def test_html_document_shape(default_template: TemplateFolder) -> None:
    drafted = sample_drafted(Language.EN)
    html = build_html(drafted, default_template)
    assert '<html lang="en">' in html
    for section in drafted.sections:
        assert f'id="{section.key.value}"' in html
        assert f'href="#{section.key.value}"' in html
    assert '<meta name="author" content="Propos4l Consultoria">' in html


def test_raw_html_in_the_request_and_sections_is_literal_text(default_template: TemplateFolder) -> None:
    base = sample_drafted(Language.EN)
    hostile = "<script>alert('x')</script> and <b>bold</b> and <style>body{display:none}</style>"
    drafted = _with_content(base, SectionKey.SCOPE, hostile)
    drafted = drafted.model_copy(
        update={"request": base.request.model_copy(update={"client_name": "ACME <img src=x onerror=y>"})}
    )
    html = build_html(drafted, default_template)
    assert "<script>" not in html
    assert "<img src=x" not in html
    text = _flat(" ".join(_pages(render_pdf_bytes(html, default_template.path))))
    assert "<script>alert('x')</script>" in text
    assert "<b>bold</b>" in text
    assert "<style>body{display:none}</style>" in text
    assert "ACME <img src=x onerror=y>" in text


def test_markdown_images_and_links_make_no_connection(
    default_template: TemplateFolder, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    content = (
        f"Architecture: ![Target architecture](http://127.0.0.1:{port}/arch.png)\n\n"
        f"See [our site](http://127.0.0.1:{port}/site) and <http://127.0.0.1:{port}/auto>."
    )
    drafted = _with_content(sample_drafted(Language.EN), SectionKey.SOLUTION, content)
    text = _flat(" ".join(_pages(render_pdf_bytes(build_html(drafted, default_template), default_template.path))))
    assert "Target architecture" in text
    assert "our site" in text
    with pytest.raises(TimeoutError):
        listener.accept()


def test_a_template_cannot_reach_outside_its_folder(
    templates_dir: Path, tmp_path: Path, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    folder = tmp_path / "sneaky"
    shutil.copytree(templates_dir / "default", folder)
    (folder / "manifest.json").write_text((folder / "manifest.json").read_text().replace('"default"', '"sneaky"'))
    (tmp_path / "secret.txt").write_text("top secret")
    extra = (
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
        f'<link rel="attachment" href="{(tmp_path / "secret.txt").as_uri()}">'
        '<link rel="attachment" href="../secret.txt">'
        '<link rel="attachment" href="file:///etc/hostname">'
        '<link rel="attachment" href="assets/logo.svg" title="logo">'
    )
    body = f'<img src="{(tmp_path / "secret.txt").as_uri()}"><img src="http://127.0.0.1:{port}/x.png">'
    html = (folder / "template.html").read_text()
    html = html.replace("</head>", extra + "</head>").replace("<body>", "<body>" + body)
    (folder / "template.html").write_text(html)
    template = load_template(tmp_path, "sneaky")
    pdf = render_pdf_bytes(build_html(sample_drafted(Language.EN), template), template.path)
    attachments = PdfReader(io.BytesIO(pdf.data)).attachments
    assert list(attachments) == ["logo.svg"]  # only the file inside the folder was embedded
    assert b"top secret" not in pdf.data
    with pytest.raises(TimeoutError):
        listener.accept()


def test_a_template_bug_is_a_template_error(templates_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "buggy"
    shutil.copytree(templates_dir / "default", folder)
    (folder / "manifest.json").write_text((folder / "manifest.json").read_text().replace('"default"', '"buggy"'))
    (folder / "template.html").write_text("<p>{{ proposal.no_such_field }}</p>")
    base = sample_drafted(Language.EN)
    drafted = base.model_copy(update={"request": base.request.model_copy(update={"template": "buggy"})})
    with pytest.raises(TemplateError, match="could not be filled in"):
        render_drafted(drafted, tmp_path)


def test_the_sandbox_blocks_python_internals(templates_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    shutil.copytree(templates_dir / "default", folder)
    (folder / "manifest.json").write_text((folder / "manifest.json").read_text().replace('"default"', '"evil"'))
    (folder / "template.html").write_text("{{ labels.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match="could not be filled in"):
        build_html(sample_drafted(Language.EN), load_template(tmp_path, "evil"))


def test_sample_command_writes_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795962600")  # main() would otherwise set it for the whole run
    assert sample_main([str(tmp_path / "out")]) == 0
    for language in Language:
        data = (tmp_path / "out" / f"sample-proposal-{language.value}.pdf").read_bytes()
        assert data.startswith(b"%PDF-")
    assert sample_main([]) == 2
