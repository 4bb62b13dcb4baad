"""The "not approved" watermark as HTML: one fixed element across the page, for the exports laid out from HTML.

The gateway decides whether a version needs it (ADR 0023) and passes its words; an export that is rendered again at
each request (the HTML file, the archival PDF) then carries it in its own markup. A fixed element is repeated on
every page by WeasyPrint and stays over the page in a browser; it is pale and lets clicks through, so the proposal
stays readable and its links usable.
"""

from __future__ import annotations

import html
import re
from typing import Final

__all__ = ["WATERMARK_CLASS", "watermark_html"]

WATERMARK_CLASS: Final = "propos4l-watermark"

# Bold capitals of a sans are about 0.7 em wide: 40 pt keeps the 23 characters of the Portuguese words inside the
# diagonal of an A4 page's text area (and of a Letter one).
_STYLE: Final = f"""<style>
.{WATERMARK_CLASS} {{ position: fixed; top: 50%; left: 50%; margin: 0; padding: 0; z-index: 2147483647;
  transform: translate(-50%, -50%) rotate(-45deg); transform-origin: center;
  font-family: sans-serif; font-weight: bold; font-size: 40pt; line-height: 1; white-space: nowrap;
  color: rgba(190, 30, 45, 0.3); pointer-events: none; }}
@media screen {{ .{WATERMARK_CLASS} {{ font-size: 6vw; }} }}
</style>"""

_BODY_END: Final = re.compile(r"</body\s*>", re.IGNORECASE)


def watermark_html(document: str, text: str) -> str:
    """`document` (a whole HTML page) with `text` across every page, placed last in its body so it is drawn over
    the content; appended at the end when the page has no closing body tag."""
    mark = f'{_STYLE}<p class="{WATERMARK_CLASS}" role="note">{html.escape(text)}</p>'
    matches = list(_BODY_END.finditer(document))
    if not matches:
        return document + mark
    end = matches[-1].start()
    return document[:end] + mark + document[end:]
