"""Template errors and render failures name files relative to the template, never the server's absolute paths.

Any token can read a proposal's failure and a template check's answer: the folders the servers keep templates in
are none of its business.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from propos4l.renderer.checks import check_template
from propos4l.renderer.errors import RenderError
from propos4l.renderer.export import export_html
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import PACKAGED_DEFAULT_TEMPLATE, load_template
from propos4l.shared.sections import Language


def template_with_html(root: Path, name: str, html: str) -> None:
    folder = root / name
    shutil.copytree(PACKAGED_DEFAULT_TEMPLATE, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["name"] = name
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "template.html").write_text(html)


@pytest.mark.parametrize(
    ("html", "named"),
    [
        ('{% include "partials/missing.html" %}', "partials/missing.html"),
        ('<img src="file:///etc/passwd">', "passwd"),
        ('<img src="../../outside.png">', "outside.png"),
        ('<style>@import url("../../../elsewhere.css");</style><p>x</p>', "elsewhere.css"),
    ],
    ids=["include", "absolute-file", "relative-escape", "css-import"],
)
def test_a_template_error_names_files_relative_to_the_template(tmp_path: Path, html: str, named: str) -> None:
    root = tmp_path / "server-side-folder" / "templates"
    root.mkdir(parents=True)
    template_with_html(root, "leaky", html)
    messages = []
    with pytest.raises(RenderError) as check:
        check_template(root, "leaky")
    messages += [str(check.value), *(str(problem) for problem in getattr(check.value, "problems", ()))]
    try:
        export_html(sample_drafted(Language.EN, template="leaky"), root)
    except RenderError as error:
        messages.append(str(error))
    assert any(named in message for message in messages), messages
    for message in messages:
        assert str(tmp_path) not in message and "server-side-folder" not in message, message


def test_a_missing_template_is_named_without_the_folder_it_was_looked_for_in(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as error:
        load_template(tmp_path, "gone")
    assert "gone" in str(error.value) and str(tmp_path) not in str(error.value)
