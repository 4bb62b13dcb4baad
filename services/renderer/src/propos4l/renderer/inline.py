"""Make a filled-in template self-contained: stylesheets inlined, images and fonts as data: URLs, scripts removed.

Only files inside the template folder are inlined (the same confinement as the PDF's URL fetcher); any other URL
(the network, `file:` outside the folder) is dropped, so the exported HTML never points anywhere.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Final
from urllib.parse import unquote, urlsplit

from propos4l.renderer.errors import RenderLimitExceeded
from propos4l.renderer.paths import PathOutsideFolder, resolve_inside

__all__ = ["DEFAULT_MAX_INLINE_BYTES", "inline_resources"]

DEFAULT_MAX_INLINE_BYTES: Final = 50 * 1024 * 1024
_DROPPED: Final = "about:invalid"
_URL_ATTRIBUTES: Final = {"img": "src", "source": "src", "video": "poster", "input": "src"}
_SRCSET_TAGS: Final = frozenset({"img", "source"})
_CSS_URL: Final = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT: Final = re.compile(
    r"""@import\s+(?:url\(\s*["']?([^"')]*)["']?\s*\)|"([^"]*)"|'([^']*)')[^;]*;""", re.IGNORECASE
)
_MEDIA_TYPES: Final = {".otf": "font/otf", ".ttf": "font/ttf", ".woff": "font/woff", ".woff2": "font/woff2"}
_MAX_IMPORT_DEPTH: Final = 5


class _Resources:
    """Reads files of one template folder as text or data: URLs, within a total size budget."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root.resolve(strict=True)
        self.remaining = max_bytes

    def _read(self, reference: str, base: PurePosixPath) -> tuple[Path, bytes] | None:
        parts = urlsplit(reference)
        if parts.scheme or parts.netloc or not parts.path:
            return None
        relative = base.parent / unquote(parts.path)
        try:
            path = resolve_inside(self.root, str(relative).lstrip("/"))
        except PathOutsideFolder:
            return None
        if not path.is_file():
            return None
        size = path.stat().st_size
        if size > self.remaining:
            raise RenderLimitExceeded(
                "the exported HTML would be larger than the limit; the template's files are too big", "export_size"
            )
        self.remaining -= size
        return path, path.read_bytes()

    def data_url(self, reference: str, base: PurePosixPath) -> str:
        """`reference` (relative to `base`) as a data: URL; data: URLs kept; anything else dropped."""
        if reference.strip().lower().startswith("data:"):
            return reference
        found = self._read(reference, base)
        if found is None:
            return _DROPPED
        path, content = found
        media_type = _MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        return f"data:{media_type or 'application/octet-stream'};base64,{base64.b64encode(content).decode()}"

    def stylesheet(self, reference: str, base: PurePosixPath, depth: int = 0) -> str:
        """A stylesheet's text with its imports inlined and its URLs made data: URLs ("" when not served)."""
        found = self._read(reference, base) if not reference.lower().startswith("data:") else None
        if found is None:
            return ""
        path, content = found
        css_base = PurePosixPath(path.relative_to(self.root).as_posix())
        return self.css(content.decode("utf-8", errors="replace"), css_base, depth)

    def css(self, text: str, base: PurePosixPath, depth: int = 0) -> str:
        """CSS text with `@import`s inlined and every `url()` made a data: URL."""

        def imported(match: re.Match[str]) -> str:
            target = next(group for group in match.groups() if group is not None)
            return self.stylesheet(target, base, depth + 1) if depth < _MAX_IMPORT_DEPTH else ""

        def url(match: re.Match[str]) -> str:
            target = next((group for group in match.groups() if group is not None), "")
            return f'url("{self.data_url(target, base)}")'

        return _CSS_URL.sub(url, _CSS_IMPORT.sub(imported, text))


class _Inliner(HTMLParser):
    """Copies HTML through, rewriting the tags that refer to other files and dropping scripts and event handlers."""

    def __init__(self, resources: _Resources) -> None:
        super().__init__(convert_charrefs=False)
        self.resources = resources
        self.out: list[str] = []
        self._in_script = False
        self._in_style = False
        self._document = PurePosixPath("template.html")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=True)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        if tag == "script":
            self._in_script = not closed
            return
        if self._in_script:
            return
        values = {name: value for name, value in attrs}
        if tag == "link":
            rel = (values.get("rel") or "").lower().split()
            href = values.get("href") or ""
            if "stylesheet" in rel and "alternate" not in rel:
                self.out.append(f"<style>{self.resources.stylesheet(href, self._document)}</style>")
            return  # attachments, icons, preloads and the rest: nothing an exported file should point to
        kept: list[tuple[str, str | None]] = []
        for name, value in attrs:
            if name.startswith("on"):
                continue
            if value is not None and name == _URL_ATTRIBUTES.get(tag):
                value = self.resources.data_url(value, self._document)
            elif value is not None and name == "srcset" and tag in _SRCSET_TAGS:
                continue  # `src` is enough for a self-contained copy
            elif value is not None and name == "href" and tag not in ("a", "area"):
                value = self.resources.data_url(value, self._document)
            elif value is not None and name == "href" and "".join(value.split()).lower().startswith("javascript:"):
                continue
            elif value is not None and name == "style":
                value = self.resources.css(value, self._document)
            kept.append((name, value))
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"' for name, value in kept
        )
        self.out.append(f"<{tag}{rendered}{' /' if closed else ''}>")
        if tag == "style" and not closed:
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
            return
        if self._in_script:
            return
        if tag == "style":
            self._in_style = False
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._in_script:
            return
        self.out.append(self.resources.css(data, self._document) if self._in_style else data)

    def handle_entityref(self, name: str) -> None:
        if not self._in_script:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self._in_script:
            self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        pass  # comments are the template author's notes, not the reader's

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        pass

    def unknown_decl(self, data: str) -> None:
        pass


def inline_resources(document: str, template_dir: Path, *, max_bytes: int = DEFAULT_MAX_INLINE_BYTES) -> str:
    """`document` (HTML filled in from the template in `template_dir`) with every resource inside it."""
    inliner = _Inliner(_Resources(template_dir, max_bytes))
    inliner.feed(document)
    inliner.close()
    return "".join(inliner.out)
