"""Template folders: the packaged default installs atomically; loading checks name, files and manifest."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from propos4l.renderer.errors import TemplateError, TemplateNotFound
from propos4l.renderer.templates import (
    PACKAGED_DEFAULT_TEMPLATE,
    install_default_template,
    load_template,
)


def test_install_copies_the_default_and_loads(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    install_default_template(templates)
    template = load_template(templates, "default")
    assert template.name == "default"
    assert template.path == (templates / "default").resolve()
    assert template.manifest.name == "default"
    assert template.manifest.brand.company_name
    assert (template.path / template.manifest.brand.logo).is_file()
    assert [p.name for p in templates.iterdir()] == ["default"]  # no staging folder left behind


def test_install_keeps_an_existing_default(tmp_path: Path) -> None:
    install_default_template(tmp_path)
    (tmp_path / "default" / "style.css").write_text("/* customised */")
    install_default_template(tmp_path)
    assert (tmp_path / "default" / "style.css").read_text() == "/* customised */"


@pytest.mark.parametrize("name", ["../x", "..", "Default", "", "-x", "a/b", "a" * 65, "default\n", "x.y"])
def test_refuses_bad_names(tmp_path: Path, name: str) -> None:
    install_default_template(tmp_path)
    with pytest.raises(TemplateError, match="not a valid template name"):
        load_template(tmp_path, name)


def test_refuses_unknown_names(tmp_path: Path) -> None:
    install_default_template(tmp_path)
    with pytest.raises(TemplateNotFound, match="no template named 'corporate'"):
        load_template(tmp_path, "corporate")


def _copy_default(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(PACKAGED_DEFAULT_TEMPLATE, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["name"] = name
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_loads_another_template(tmp_path: Path) -> None:
    _copy_default(tmp_path, "corporate")
    assert load_template(tmp_path, "corporate").manifest.name == "corporate"


@pytest.mark.parametrize("missing", ["manifest.json", "template.html", "assets/logo.svg"])
def test_refuses_a_folder_missing_a_file(tmp_path: Path, missing: str) -> None:
    (_copy_default(tmp_path, "corporate") / missing).unlink()
    with pytest.raises(TemplateError, match="has no file"):
        load_template(tmp_path, "corporate")


def test_refuses_a_manifest_symlinked_outside(tmp_path: Path) -> None:
    folder = _copy_default(tmp_path, "corporate")
    outside = tmp_path / "elsewhere.json"
    (folder / "manifest.json").rename(outside)
    os.symlink(outside, folder / "manifest.json")
    with pytest.raises(TemplateError, match="outside its folder"):
        load_template(tmp_path, "corporate")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "other"}, "names it 'other'"),
        ({"brand": {"company_name": "X", "colors": {"primary": "red", "accent": "#000000"}, "logo": "a.svg"}},
         "brand.colors.primary"),
        ({"brand": {"company_name": "X", "colors": {"primary": "#000000", "accent": "#000000"},
                    "logo": "../x.svg"}}, "brand.logo"),
        ({"unexpected": 1}, "unexpected"),
    ],
)  # fmt: skip
def test_refuses_an_invalid_manifest(tmp_path: Path, change: dict[str, object], message: str) -> None:
    folder = _copy_default(tmp_path, "corporate")
    manifest = json.loads((folder / "manifest.json").read_text()) | change
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TemplateError, match=message):
        load_template(tmp_path, "corporate")


def test_refuses_a_manifest_that_is_not_json(tmp_path: Path) -> None:
    folder = _copy_default(tmp_path, "corporate")
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(TemplateError, match="manifest of template 'corporate' is invalid"):
        load_template(tmp_path, "corporate")
