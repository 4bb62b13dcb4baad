"""Model-written Markdown to safe HTML: CommonMark and tables, no raw HTML, no remote images."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

__all__ = ["ALLOWED_LINK_SCHEMES", "markdown_to_html", "parse_markdown"]

ALLOWED_LINK_SCHEMES: Final = frozenset({"http", "https", "mailto"})


class _SafeRenderer(RendererHTML):
    """HTML renderer that writes images as their alt text, so nothing is ever fetched."""

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        """Render an image as its escaped alt text."""
        alt = self.renderInlineAsText(tokens[idx].children, options, env).strip()
        return f'<span class="image-alt">{escape(alt)}</span>' if alt else ""


class _SafeMarkdown(MarkdownIt):
    """CommonMark with tables and strikethrough, raw HTML off, links limited to web and mail."""

    def __init__(self) -> None:
        super().__init__(
            "commonmark", {"html": False, "linkify": False, "typographer": False}, renderer_cls=_SafeRenderer
        )
        self.enable(["table", "strikethrough"])

    def validateLink(self, url: str) -> bool:
        """Accept absolute http(s) and mailto links and in-document fragments only."""
        if url.startswith("#"):
            return len(url) > 1
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        if parts.scheme.lower() in {"http", "https"}:
            return bool(parts.netloc)
        return parts.scheme.lower() == "mailto" and bool(parts.path)


_MD: Final = _SafeMarkdown()


def _demote_headings(tokens: list[Token], top_level: int) -> None:
    shift = top_level - 1
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + shift, 6)}"


def markdown_to_html(text: str, *, top_heading_level: int = 3) -> Markup:
    """Render Markdown to HTML that is safe to put in a template; `# x` becomes `<h{top_heading_level}>`."""
    tokens = _MD.parse(text)
    _demote_headings(tokens, top_heading_level)
    return Markup(_MD.renderer.render(tokens, _MD.options, {}))  # noqa: S704 - raw HTML is off, all text escaped


def parse_markdown(text: str) -> list[Token]:
    """The tokens of Markdown as the PDF reads it (same rules, same link check), for other writers such as DOCX."""
    return _MD.parse(text)
