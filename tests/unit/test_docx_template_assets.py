"""The DOCX export takes a template's Word styles from its reference.docx and puts its logo (an SVG drawn as PNG) on
the cover."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.shared import RGBColor
from PIL import Image

from propos4l.renderer.checks import check_template
from propos4l.renderer.errors import TemplateError
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import PACKAGED_DEFAULT_TEMPLATE, install_default_template
from propos4l.renderer.word import LOGO_WIDTH_CM, export_docx
from propos4l.renderer.word_logo import LOGO_DPI
from propos4l.renderer.word_styles import REFERENCE_FILE
from propos4l.shared.sections import Language

REFERENCE_BODY = "This paragraph of the reference document is not part of any proposal"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """The default template installed into a folder of its own; the test may change its files."""
    install_default_template(tmp_path)
    return tmp_path / "default"


def manifest_of(template: Path) -> TemplateManifest:
    return TemplateManifest.model_validate_json((template / "manifest.json").read_bytes())


def opened(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def custom_reference(path: Path) -> None:
    """A reference.docx as a designer would make it: Heading 1 in Georgia, dark red; some content; no Quote style."""
    document = docx.Document()
    heading = document.styles["Heading 1"]
    heading.font.name = "Georgia"
    heading.font.color.rgb = RGBColor(0x8B, 0x00, 0x00)
    document.add_paragraph(REFERENCE_BODY)
    document.styles["Quote"].element.getparent().remove(document.styles["Quote"].element)
    document.save(str(path))


def test_a_templates_reference_docx_sets_the_heading_style_of_the_export(template: Path) -> None:
    drafted = sample_drafted(Language.EN)
    before = opened(export_docx(drafted, manifest_of(template), template))
    custom_reference(template / REFERENCE_FILE)

    document = opened(export_docx(drafted, manifest_of(template), template))

    heading = document.styles["Heading 1"]
    assert (heading.font.name, str(heading.font.color.rgb)) == ("Georgia", "8B0000")
    assert str(before.styles["Heading 1"].font.color.rgb) == "12355B"  # the default's own reference: the brand
    assert before.styles["Heading 1"].font.name != "Georgia"
    assert heading.element.pPr.numPr is not None  # the export still numbers the sections through the style
    titles = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert titles[: len(drafted.sections)] == [section.title for section in drafted.sections]
    assert REFERENCE_BODY not in "\n".join(p.text for p in document.paragraphs)
    assert "Quote" in {style.name for style in document.styles}  # a style it lacked, taken from the default


def test_the_default_template_ships_a_reference_docx_in_its_brand_colours() -> None:
    reference = docx.Document(str(PACKAGED_DEFAULT_TEMPLATE / REFERENCE_FILE))
    manifest = manifest_of(PACKAGED_DEFAULT_TEMPLATE)
    primary = manifest.brand.colors.primary.removeprefix("#").upper()
    assert str(reference.styles["Heading 1"].font.color.rgb) == primary
    assert str(reference.styles["Title"].font.color.rgb) == primary
    assert not reference.paragraphs or not any(p.text for p in reference.paragraphs)


def test_a_reference_docx_that_is_not_a_word_document_is_a_template_error(template: Path) -> None:
    (template / REFERENCE_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TemplateError, match="reference.docx is not a Word document") as raised:
        export_docx(sample_drafted(Language.EN), manifest_of(template), template)
    assert raised.value.problems[0].file == REFERENCE_FILE


def test_the_svg_logo_is_on_the_cover_as_a_png_drawn_for_print(template: Path) -> None:
    manifest = manifest_of(template)
    document = opened(export_docx(sample_drafted(Language.PT_BR), manifest, template))

    [shape] = document.inline_shapes
    assert abs(shape.width.cm - LOGO_WIDTH_CM) < 0.01
    first = document.paragraphs[0]
    assert first._p.xpath(".//pic:pic") and document.paragraphs[1].style.name == "Title"  # above the title
    [image] = [part for part in document.part.package.parts if part.content_type == "image/png"]
    picture = Image.open(io.BytesIO(image.blob))
    assert abs(picture.width - LOGO_WIDTH_CM / 2.54 * LOGO_DPI) <= 1  # 300 dpi at the width it is shown
    assert picture.mode == "RGBA"
    colours = Counter(picture.get_flattened_data())
    primary = tuple(int(manifest.brand.colors.primary[i : i + 2], 16) for i in (1, 3, 5))
    accent = tuple(int(manifest.brand.colors.accent[i : i + 2], 16) for i in (1, 3, 5))
    assert colours[(*primary, 255)] > 1_000 and colours[(*accent, 255)] > 100  # the logo's own colours, drawn
    assert colours[(255, 255, 255, 0)] > picture.width * picture.height // 4  # around it: transparent


def test_a_bitmap_logo_is_placed_as_it_is(template: Path, tmp_path: Path) -> None:
    logo = Image.new("RGB", (300, 100), (200, 30, 40))
    logo.save(template / "assets" / "logo.png")
    manifest = manifest_of(template).model_copy(
        update={"brand": manifest_of(template).brand.model_copy(update={"logo": "assets/logo.png"})}
    )
    document = opened(export_docx(sample_drafted(Language.EN), manifest, template))
    [image] = [part for part in document.part.package.parts if part.content_type == "image/png"]
    assert image.blob == (template / "assets" / "logo.png").read_bytes()


def test_a_broken_svg_logo_is_a_template_error_naming_the_file(template: Path) -> None:
    (template / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><rect", encoding="utf-8")
    with pytest.raises(TemplateError, match="assets/logo.svg") as raised:
        export_docx(sample_drafted(Language.EN), manifest_of(template), template)
    assert raised.value.problems[0].file == "assets/logo.svg"


def test_without_the_template_folder_the_export_has_the_brand_colours_and_no_logo(template: Path) -> None:
    manifest = manifest_of(template)
    shutil.rmtree(template)
    document = opened(export_docx(sample_drafted(Language.EN), manifest))
    assert not document.inline_shapes
    assert str(document.styles["Heading 1"].font.color.rgb) == "12355B"


def test_a_template_check_refuses_a_reference_docx_that_is_not_a_word_document(template: Path) -> None:
    (template / REFERENCE_FILE).write_bytes(b"not a zip at all")
    with pytest.raises(TemplateError) as raised:
        check_template(template.parent, template.name)
    assert [problem.file for problem in raised.value.problems] == [REFERENCE_FILE]
