"""The "not approved" watermark: the one rule that decides it for every format, and its HTML markup."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from propos4l.gateway.approval_rules import MatchedRule, needs_watermark
from propos4l.gateway.watermark import watermark_text
from propos4l.renderer.watermark_markup import WATERMARK_CLASS, watermark_html

DISCOUNT = MatchedRule(uuid.uuid4(), "Deep discounts", "discount_above", "discount 20% is above 10%", Decimal(10))


@pytest.mark.parametrize(
    ("matched", "approved_version", "version", "marked"),
    [
        ([DISCOUNT], None, 1, True),  # meets a rule, never approved
        ([DISCOUNT], 1, 2, True),  # an older version was approved, not this one
        ([DISCOUNT], 2, 2, False),  # this version was approved
        ([], None, 1, False),  # meets no rule
    ],
)
def test_a_version_is_marked_when_it_meets_a_rule_and_is_not_the_approved_one(
    matched: list[MatchedRule], approved_version: int | None, version: int, marked: bool
) -> None:
    assert needs_watermark(matched, approved_version, version) is marked


def test_the_words_follow_the_proposals_language() -> None:
    assert (watermark_text("pt-BR"), watermark_text("en")) == ("RASCUNHO - NÃO APROVADO", "DRAFT - NOT APPROVED")


def test_the_html_mark_is_the_last_thing_in_the_body_and_its_words_are_escaped() -> None:
    page = "<html><body><p>Proposta</p><pre>&lt;/body&gt;</pre></body>\n</html>"
    marked = watermark_html(page, "<b>A & B</b>")
    assert marked.startswith("<html><body><p>Proposta</p>")
    assert marked.endswith(f'<p class="{WATERMARK_CLASS}" role="note">&lt;b&gt;A &amp; B&lt;/b&gt;</p></body>\n</html>')
    assert watermark_html("<p>no body tag</p>", "X").startswith("<p>no body tag</p><style>")
