"""A template is checked before it is accepted, and every problem says where it is: file, line, column."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from propos4l.renderer.checks import check_template, preview_template
from propos4l.renderer.errors import TemplateError, TemplateProblem
from propos4l.renderer.templates import PACKAGED_DEFAULT_TEMPLATE
from propos4l.shared.sections import Language


def variant(root: Path, name: str, change: Callable[[Path], None]) -> Path:
    folder = root / name
    shutil.copytree(PACKAGED_DEFAULT_TEMPLATE, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["name"] = name
    (folder / "manifest.json").write_text(json.dumps(manifest))
    change(folder)
    return folder


def edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        text = (folder / relative).read_text()
        assert old in text
        (folder / relative).write_text(text.replace(old, new, 1))

    return change


def problems_of(root: Path, name: str) -> list[TemplateProblem]:
    with pytest.raises(TemplateError) as error:
        check_template(root, name)
    assert error.value.problems, str(error.value)
    return list(error.value.problems)


def line_of(folder: Path, relative: str, text: str) -> int:
    return next(number for number, line in enumerate((folder / relative).read_text().splitlines(), 1) if text in line)


def test_the_default_template_passes_in_both_languages(tmp_path: Path) -> None:
    shutil.copytree(PACKAGED_DEFAULT_TEMPLATE, tmp_path / "default")
    checked = check_template(tmp_path, "default")
    assert set(checked.pages) == {"pt-BR", "en"} and min(checked.pages.values()) >= 4


def test_a_css_error_names_the_stylesheet_line_and_column(tmp_path: Path) -> None:
    folder = variant(
        tmp_path, "badcss", edit("style.css", "  line-height: 1.55;\n", "  line-heigth: 1.55;\n  color: #12;\n")
    )
    line = line_of(folder, "style.css", "line-heigth")
    problems = problems_of(tmp_path, "badcss")
    assert (problems[0].file, problems[0].line, problems[0].column) == ("style.css", line, 3)
    assert "line-heigth" in problems[0].message and "unknown property" in problems[0].message
    assert (problems[1].file, problems[1].line) == ("style.css", line + 1)
    assert "invalid value" in problems[1].message
    assert str(problems[0]) == f"style.css:{line}:3: {problems[0].message}"


def test_a_jinja_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    folder = variant(
        tmp_path, "badsyntax", edit("template.html", "{{ proposal.number }}</td>", "{{ proposal.number </td>")
    )
    line = line_of(folder, "template.html", "{{ proposal.number </td>")
    (problem,) = problems_of(tmp_path, "badsyntax")
    assert (problem.file, problem.line) == ("template.html", line)


def test_an_error_while_filling_in_names_the_file_and_line(tmp_path: Path) -> None:
    folder = variant(
        tmp_path, "undefined", edit("template.html", "{{ proposal.version }}</td>", "{{ proposal.vers }}</td>")
    )
    line = line_of(folder, "template.html", "proposal.vers }}")
    (problem,) = problems_of(tmp_path, "undefined")
    assert (problem.file, problem.line) == ("template.html", line)
    assert "has no attribute 'vers'" in problem.message


def test_an_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    def change(folder: Path) -> None:
        (folder / "partials").mkdir()
        (folder / "partials" / "cover.html").write_text("<p>ok</p>\n<p>{{ proposal.missing_field }}</p>\n")
        edit("template.html", "<body>", "<body>{% include 'partials/cover.html' %}")(folder)

    variant(tmp_path, "include", change)
    (problem,) = problems_of(tmp_path, "include")
    assert (problem.file, problem.line) == ("partials/cover.html", 2)


def test_a_missing_asset_and_a_network_url_are_named(tmp_path: Path) -> None:
    variant(
        tmp_path,
        "assets",
        edit("template.html", "<body>", '<body><img src="assets/missing.png"><img src="https://example.com/x.png">'),
    )
    problems = [str(problem) for problem in problems_of(tmp_path, "assets")]
    assert "'assets/missing.png' is not in the template folder" in problems
    assert any("refused to load 'https://example.com/x.png'" in problem for problem in problems)


def test_a_missing_font_in_a_stylesheet_is_named_with_the_stylesheet(tmp_path: Path) -> None:
    variant(tmp_path, "font", edit("style.css", "assets/fonts/Inter-Bold.otf", "assets/fonts/Nope.otf"))
    problems = problems_of(tmp_path, "font")
    assert any(p.file == "style.css" and "assets/fonts/Nope.otf" in p.message for p in problems), problems


def test_scripts_are_refused_with_their_line(tmp_path: Path) -> None:
    folder = variant(tmp_path, "script", edit("template.html", "</head>", "<script>alert(1)</script>\n</head>"))
    (problem,) = problems_of(tmp_path, "script")
    assert (problem.file, problem.line) == ("template.html", line_of(folder, "template.html", "<script>"))


def test_a_bad_manifest_is_refused_before_anything_renders(tmp_path: Path) -> None:
    def change(folder: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["pricing"]["currency"] = "reais"
        (folder / "manifest.json").write_text(json.dumps(manifest))

    variant(tmp_path, "manifest", change)
    with pytest.raises(TemplateError, match="pricing.currency"):
        check_template(tmp_path, "manifest")


@pytest.mark.parametrize("language", list(Language))
def test_preview_renders_the_sample_in_the_language(tmp_path: Path, language: Language) -> None:
    shutil.copytree(PACKAGED_DEFAULT_TEMPLATE, tmp_path / "default")
    pdf = preview_template(tmp_path, "default", language)
    assert pdf.data.startswith(b"%PDF-") and pdf.pages >= 4
    assert pdf.warnings == ()
