"""The committed Markdown parity fixture, which the web app's tests read, is what the PDF renderer gives today."""

from __future__ import annotations

import json

from tests.support.markdown_parity import FIXTURE, fixture_text


def test_committed_markdown_parity_fixture_is_current() -> None:
    assert FIXTURE.read_text(encoding="utf-8") == fixture_text(), (
        "regenerate: .tools/bin/uv run --frozen python -m tests.support.markdown_parity"
    )


def test_parity_cases_hold_what_the_web_app_once_got_wrong() -> None:
    # The web app's hand-written renderer italicised inside words and showed tables and links as text.
    cases = {case["name"]: case["html"] for case in json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]}
    assert cases["underscores inside words stay plain"] == "<p>order_id e customer_id</p>\n"
    assert "<table>" in cases["table with alignment"]
    assert '<a href="https://example.com/a?b=1&amp;c=2">' in cases["http and https links"]
