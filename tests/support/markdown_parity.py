"""The Markdown cases the web app must render exactly as the PDF renderer does, and their expected HTML.

The web app (frontend/src/lib/markdown.ts) renders section Markdown with markdown-it, the JavaScript original of the
renderer's markdown-it-py, configured with the same rules. Its parity test reads the fixture this module writes: each
case's Markdown and the HTML `propos4l.renderer.markdown.markdown_to_html` gives for it. tests/unit checks the
committed fixture is current. Regenerate after changing a case or the renderer's rules:

    .tools/bin/uv run --frozen python -m tests.support.markdown_parity
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Final

from propos4l.renderer.markdown import markdown_to_html

__all__ = ["CASES", "FIXTURE", "TOP_HEADING_LEVEL", "fixture_document", "fixture_text"]

FIXTURE: Final = Path(__file__).resolve().parents[1] / "fixtures" / "markdown_parity.json"

# The web app shows a section's title as h3, so its Markdown headings start at h4.
TOP_HEADING_LEVEL: Final = 4

CASES: Final[dict[str, str]] = {
    "empty": "",
    "underscores inside words stay plain": "order_id e customer_id",
    "dunders inside words stay plain": "Use __init__ and snake__case__name, not _italic_.",
    "emphasis and code": "Some **bold**, *italic*, _italic_, ***both*** and `code_with_underscores`.",
    "escaped markers": "\\*not italic\\* and \\_not either\\_ and 2 * 3 * 4",
    "strikethrough": "~~old price~~ new price, ~single tilde~",
    "headings": "# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six\n\nSetext\n======",
    "table with alignment": (
        "| Item | Qty | Price |\n|:-----|:---:|------:|\n"
        "| Licença **anual** | 2 | R$ 1.000,00 |\n| Suporte | 1 | `R$ 500` |"
    ),
    "table with escaped pipe and empty cells": "| a | b |\n|---|---|\n| x \\| y | |\n| | z |",
    "table needs its delimiter row": "| a | b |\n| c | d |",
    "bullet and ordered lists": "- one\n- two\n  - nested\n\n3. third\n4. fourth",
    "loose list": "* first\n\n* second\n\n  continued",
    "list and table together": (
        "Entregas:\n\n- API de pedidos\n- Painel\n\n"
        "| Fase | Semanas |\n|---|---:|\n| Descoberta | 2 |\n| Construção | 6 |"
    ),
    "fenced and indented code": '```python\nprint("<b>hi</b>")\n```\n\n    indented & code',
    "blockquote and rule": "> quoted *text*\n> more\n\n---\n\nafter",
    "hard and soft breaks": "line one  \nline two\\\nline three\nline four",
    "http and https links": '[site](https://example.com/a?b=1&c=2) and [plain](http://example.com "Title")',
    "mail and fragment links": "[mail](mailto:team@example.com) [scope](#scope) [empty fragment](#)",
    "autolinks": "<https://example.com/path> and <team@example.com>",
    "bare urls are text": "see https://example.com and www.example.com",
    "reference links": "[the site][ref] and [ref]\n\n[ref]: https://example.com/ref 'Ref'",
    "script links are text": "[a](javascript:alert(1)) [b](JAVASCRIPT:alert(1)) [c](vbscript:x) [d](data:text/html,x)",
    "other schemes and relative links are text": (
        "[a](file:///etc/passwd) [b](ftp://x/y) [c](relative.html) [d](//evil.example/x) [e](/root)"
    ),
    "links without a host or address are text": "[a](http:///path) [b](mailto:) [c](https:) [d](mailto:?subject=x)",
    "unicode links": "[ação](https://exemplo.com.br/ação?q=preço) [idn](https://café.example/menu)",
    "raw html is text": "<script>alert(1)</script>\n\nHello <b onclick='x()'>you</b> <style>p{}</style> <!-- c -->",
    "html block is text": '<div class="x">\n*inside*\n</div>',
    "entities": "&amp; &copy; &#35; &nbsp; &bogus; 5 < 6 > 4 \"quoted\" 'single'",
    "typographer is off": '"quotes" -- dashes... (c) (tm) +-',
    "images are their alt text": (
        '![Diagram *one*](https://example.com/x.png "t") ![a `code` b](https://example.com/y.png) '
        "![say \"hi\" & 'bye' <now>](https://example.com/z.png) ![](https://example.com/e.png) ![local](x.png)"
    ),
    "alt text is stripped as python strips": "![\x1f\u00a0x y\u2003](https://example.com/a.png) ![\ufeffz](https://example.com/b.png)",
    "nul bytes": "a\x00b `c\x00`",
    "image inside a link": "[![logo](https://example.com/logo.png)](https://example.com)",
    "portuguese section": (
        "## Contexto\n\nA **Loja Exemplo** precisa integrar pedidos (order_id) e clientes (customer_id).\n\n"
        "1. Levantamento\n2. Integração com o ERP\n\n| Papel | Horas |\n|---|--:|\n| Arquiteto | 40 |"
    ),
    "windows line endings and tabs": "- a\r\n- b\r\n\r\n\tcode\tafter tab\r\n",
}


def _html(source: str) -> str:
    return str(markdown_to_html(source, top_heading_level=TOP_HEADING_LEVEL))


def fixture_document() -> dict[str, object]:
    """The fixture: the heading level used and, for each case, its Markdown and the renderer's HTML."""
    return {
        "generated_by": "python -m tests.support.markdown_parity",
        "top_heading_level": TOP_HEADING_LEVEL,
        "cases": [{"name": name, "markdown": source, "html": _html(source)} for name, source in CASES.items()],
    }


def fixture_text() -> str:
    """The fixture file's exact text."""
    return json.dumps(fixture_document(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(fixture_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {len(CASES)} cases to {FIXTURE}\n")
