"""The HTML export made safe to open: an allow-list of what a proposal needs, by nh3 (the Rust ammonia sanitizer).

A template is HTML an admin wrote, and the export is a file people open in a browser and forward: it keeps the
proposal's styles, tables, images (as data: URIs) and links (http, https, mailto, in-page), and nothing that runs or
navigates by itself (scripts, frames, forms, meta refresh, event handlers, SVG animation, javascript: URLs).
"""

from __future__ import annotations

import html
from typing import Final

import nh3

__all__ = ["sanitize_export"]

# Static SVG shapes (inline icons and logos); no <use>, <image>, <foreignObject>, <animate>, <set> or <script>.
_SVG_TAGS: Final = frozenset(
    {"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "defs"}
    | {"linearGradient", "radialGradient", "stop", "clipPath", "desc"}
)
_TAGS: Final = frozenset(nh3.ALLOWED_TAGS) | {"style", "title", "section", "main", "address"} | _SVG_TAGS
# Elements removed with everything inside them (the rest that is not allowed goes, its text stays).
_REMOVED_WITH_CONTENT: Final = frozenset(
    {"script", "noscript", "iframe", "frame", "frameset", "object", "embed", "template", "textarea", "select"}
)
_EVERY_TAG: Final = frozenset({"class", "id", "style", "lang", "dir", "title", "role"})
_SVG_ATTRIBUTES: Final = frozenset(
    {"viewBox", "xmlns", "width", "height", "fill", "fill-rule", "clip-rule", "stroke", "stroke-width", "opacity"}
    | {"stroke-linecap", "stroke-linejoin", "fill-opacity", "stroke-opacity", "transform", "d", "x", "y", "cx", "cy"}
    | {"r", "rx", "ry", "x1", "y1", "x2", "y2", "points", "offset", "stop-color", "stop-opacity", "gradientUnits"}
    | {
        "gradientTransform",
        "text-anchor",
        "font-size",
        "font-family",
        "font-weight",
        "clip-path",
        "preserveAspectRatio",
    }
)
_ATTRIBUTES: Final = {
    "*": set(_EVERY_TAG),
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign", "scope"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "time": {"datetime"},
    **{tag: set(_SVG_ATTRIBUTES) for tag in _SVG_TAGS},
}
_URL_SCHEMES: Final = frozenset({"http", "https", "mailto", "data"})


def _images_inline_links_out(element: str, attribute: str, value: str) -> str | None:
    """Images only as data: URIs (the export inlines the template's; a remote one would track who opens the file),
    and data: URLs only for images (a link to one is a way to smuggle a page in)."""
    is_data = value.strip().lower().startswith("data:")
    if element == "img" and attribute == "src":
        return value if value.strip().lower().startswith("data:image/") else None
    return None if is_data else value


def sanitize_export(document: str, language: str) -> str:
    """`document` (a whole HTML page) with only what the allow-list keeps, as a page in `language`.

    ammonia cleans fragments: the page's own <html>, <head> and <body> are parsed away, so the result is wrapped in
    new ones (its <title> and <style> elements stay where the parser left them, which browsers honour).
    """
    body = nh3.clean(
        document,
        tags=set(_TAGS),
        clean_content_tags=set(_REMOVED_WITH_CONTENT),
        attributes=_ATTRIBUTES,
        attribute_filter=_images_inline_links_out,
        url_schemes=set(_URL_SCHEMES),
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language, quote=True)}">\n<head>\n<meta charset="utf-8">\n'
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
