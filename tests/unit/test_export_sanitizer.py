"""The HTML export keeps what a proposal needs and nothing that runs or navigates by itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from propos4l.gateway.export_sanitizer import sanitize_export
from propos4l.renderer.export import export_html
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template
from propos4l.shared.sections import Language

ATTACKS = """<!DOCTYPE html><html lang="en"><head>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<title>Proposal</title>
</head><body onload="alert(1)">
<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>
<a href="javascript:alert(1)">click</a>
<a href="JaVaScRiPt&colon;alert(1)">click</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">page</a>
<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">go</button></form>
<svg><a href="#x"><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a>
<set attributeName="onclick" to="alert(1)"/><use href="https://evil.example/sprite.svg#i"/></svg>
<img src="x" onerror="alert(1)"><img src="https://tracker.example/pixel.png">
<object data="evil.swf"></object><embed src="evil.swf"><base href="https://evil.example/">
<script>alert(1)</script><p style="color: red" onclick="alert(1)">kept</p>
</body></html>"""


def test_active_content_is_removed() -> None:
    cleaned = sanitize_export(ATTACKS, "en").lower()
    for active in ("<script", "<iframe", "srcdoc", "javascript", "<form", "formaction", "http-equiv", "refresh",
                   "<animate", "<set", "<use", "onerror", "onclick", "onload", "<object", "<embed", "<base",
                   "data:text/html", "tracker.example", "evil.example"):  # fmt: skip
        assert active not in cleaned, active
    assert '<p style="color: red">kept</p>' in cleaned
    assert cleaned.startswith('<!doctype html>\n<html lang="en">')
    assert "<title>proposal</title>" in cleaned


def test_links_a_proposal_uses_are_kept() -> None:
    links = (
        '<a href="https://example.com/a?b=1">w</a><a href="http://example.com">h</a>'
        '<a href="mailto:vendas@example.com">m</a><a href="#scope">s</a>'
    )
    cleaned = sanitize_export(f"<p>{links}</p>", "pt-BR")
    for href in ("https://example.com/a?b=1", "http://example.com", "mailto:vendas@example.com", "#scope"):
        assert f'href="{href}"' in cleaned


@pytest.mark.parametrize("language", list(Language))
def test_the_default_templates_export_keeps_its_styles_tables_images_and_sections(
    tmp_path: Path, language: Language
) -> None:
    install_default_template(tmp_path)
    drafted = sample_drafted(language)
    original = export_html(drafted, tmp_path)
    cleaned = sanitize_export(original, language.value)

    def styles(document: str) -> list[str]:
        return re.findall(r"<style>(.*?)</style>", document, flags=re.DOTALL)

    assert styles(cleaned) == styles(original) and "@font-face" in "".join(styles(cleaned))
    for element in ("<table", "<tr", "<td", "<th", "<img", "<section", "<h1", "<h2", "<li"):
        assert cleaned.count(element) == original.count(element), element
    assert cleaned.count('src="data:image/svg+xml;base64,') == original.count('src="data:image/svg+xml;base64,') > 0
    for section in drafted.sections:
        assert f'id="{section.key.value}"' in cleaned
    assert cleaned.count('class="') == original.count('class="')
