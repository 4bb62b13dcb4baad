"""Markdown (markdown-it-py), HTML (lxml) and plain text: headings give the heading path, the rest paragraphs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import lxml.etree
import lxml.html
from markdown_it import MarkdownIt
from markdown_it.token import Token

from propos4l.library.blocks import Block, Extracted, ExtractionFailed, HeadingTrail
from propos4l.shared.events import LibraryFailureCode

__all__ = ["read_html", "read_markdown", "read_text"]

_HEADING_TAGS: Final = {f"h{level}": level for level in range(1, 7)}
# Elements whose text is a paragraph of its own; text outside them (inline runs) joins the enclosing block.
_BLOCK_TAGS: Final = frozenset(
    {"p", "li", "td", "th", "dt", "dd", "blockquote", "pre", "figcaption", "caption", "div", "section", "article"}
)
_DROPPED_TAGS: Final = ("script", "style", "noscript", "template", "head", "svg", "iframe", "object")
_BLANK_LINES = re.compile(r"\n\s*\n")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _finish(blocks: list[Block], kind: str) -> Extracted:
    if not any(not block.is_heading for block in blocks):
        raise ExtractionFailed(LibraryFailureCode.NO_TEXT, f"the {kind} file has no text")
    return Extracted(pages=1, ocr_pages=0, blocks=tuple(blocks))


def _clean(text: str) -> str:
    return " ".join(text.split())


def read_text(path: Path) -> Extracted:
    """Plain text: paragraphs are separated by blank lines."""
    blocks = [
        Block(text=_clean(paragraph), heading_path=(), page=None)
        for paragraph in _BLANK_LINES.split(_decode(path))
        if paragraph.strip()
    ]
    return _finish(blocks, "text")


def read_markdown(path: Path) -> Extracted:
    """Markdown: ATX and Setext headings give the heading path; paragraphs, list items, quotes, code and table cells
    the text."""
    tokens = MarkdownIt("commonmark").enable("table").parse(_decode(path))
    trail = HeadingTrail()
    blocks: list[Block] = []
    level: int | None = None
    for token in tokens:
        if token.type == "heading_open":
            level = int(token.tag[1:])
        elif token.type == "heading_close":
            level = None
        elif token.type == "inline":
            text = _clean(_inline_text(token.children or []))
            if not text:
                continue
            if level is not None:
                blocks.append(Block(text=text, heading_path=trail.enter(level, text), page=None, is_heading=True))
            else:
                blocks.append(Block(text=text, heading_path=trail.path, page=None))
        elif token.type in ("fence", "code_block") and token.content.strip():
            blocks.append(Block(text=token.content.strip(), heading_path=trail.path, page=None))
    return _finish(blocks, "Markdown")


def _inline_text(children: list[Token]) -> str:
    """The reading text of an inline token: words of links, emphasis and image descriptions kept, markup dropped."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def read_html(path: Path) -> Extracted:
    """HTML: h1..h6 give the heading path; block elements give paragraphs; scripts and styles are dropped unread."""
    # Decoded here (UTF-8, else Windows-1252) rather than by lxml, which takes undeclared bytes for Latin-1.
    text = _XML_DECLARATION.sub("", _decode(path), count=1)
    if not text.strip():
        raise ExtractionFailed(LibraryFailureCode.NO_TEXT, "the HTML file has no text")
    try:
        root = lxml.html.fromstring(text)
    except (lxml.etree.ParserError, ValueError) as error:
        raise ExtractionFailed(LibraryFailureCode.MALFORMED, f"the HTML cannot be parsed ({error})") from None
    for element in list(root.iter(*_DROPPED_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    trail = HeadingTrail()
    blocks: list[Block] = []
    pending: list[str] = []

    def flush() -> None:
        text = _clean("".join(pending))
        pending.clear()
        if text:
            blocks.append(Block(text=text, heading_path=trail.path, page=None))

    def walk(element: lxml.html.HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _HEADING_TAGS:
            flush()
            text = _clean(element.text_content())
            if text:
                blocks.append(
                    Block(text=text, heading_path=trail.enter(_HEADING_TAGS[tag], text), page=None, is_heading=True)
                )
        else:
            if tag in _BLOCK_TAGS:
                flush()
            if element.text and isinstance(element.tag, str):
                pending.append(element.text)
            for child in element:
                walk(child)
            if tag in _BLOCK_TAGS:
                flush()
        if element.tail:
            pending.append(element.tail)

    walk(root)
    flush()
    return _finish(blocks, "HTML")
