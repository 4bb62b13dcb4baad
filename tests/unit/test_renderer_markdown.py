"""Model-written Markdown becomes safe HTML: no raw HTML, no script links, no remote images."""

from __future__ import annotations

import pytest

from propos4l.renderer.markdown import markdown_to_html


def test_commonmark_and_tables() -> None:
    html = markdown_to_html("Some **bold** text.\n\n- one\n- two\n\n| A | B |\n|---|--:|\n| 1 | 2 |\n")
    assert "<strong>bold</strong>" in html
    assert "<ul>" in html
    assert "<table>" in html
    assert "<th>A</th>" in html
    assert 'style="text-align:right"' in html


def test_raw_html_is_shown_as_text() -> None:
    html = markdown_to_html("<script>alert(1)</script>\n\nHello <b onclick='x()'>you</b> <style>p{}</style>")
    assert "<script" not in html
    assert "<b " not in html
    assert "<style" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onclick=" in html


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "vbscript:x", "file:///etc/passwd", "data:text/html,x", "ftp://x/y",
     "relative.html", "//evil.example/x"],
)  # fmt: skip
def test_links_outside_web_and_mail_are_not_links(url: str) -> None:
    html = markdown_to_html(f"[click]({url})")
    assert "<a " not in html
    assert "click" in html


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[site](https://example.com/a?b=1)", "https://example.com/a?b=1"),
        ("[site](http://example.com)", "http://example.com"),
        ("<https://example.com>", "https://example.com"),
        ("[mail](mailto:team@example.com)", "mailto:team@example.com"),
        ("[scope](#scope)", "#scope"),
    ],
)
def test_web_mail_and_fragment_links_are_kept(source: str, href: str) -> None:
    assert f'<a href="{href}">' in markdown_to_html(source)


@pytest.mark.parametrize(
    "source",
    ["![Diagram *one*](http://127.0.0.1:9/x.png)", "![Diagram one](https://example.com/x.png \"t\")",
     "![Diagram one](data:image/png;base64,AAAA)", "![Diagram one](local.png)"],
)  # fmt: skip
def test_images_are_never_img_tags(source: str) -> None:
    html = markdown_to_html(source)
    assert "<img" not in html
    assert "Diagram" in html


def test_image_becomes_its_alt_text() -> None:
    html = markdown_to_html("![Architecture <overview>](https://example.com/a.png)")
    assert '<span class="image-alt">Architecture &lt;overview&gt;</span>' in html


def test_headings_are_demoted_below_the_section_title() -> None:
    html = markdown_to_html("# One\n\n## Two\n\n###### Six")
    assert "<h3>One</h3>" in html
    assert "<h4>Two</h4>" in html
    assert "<h6>Six</h6>" in html
    assert "<h1>" not in html
    assert "<h2>" not in html
