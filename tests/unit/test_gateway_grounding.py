"""The gateway's side of grounded drafting without servers: the library query made from a request, which passages
are given, the budget read from text, snippets, and an edit of hours priced with the rates a version recorded."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from propos4l.gateway.drafting_context import PASSAGES_MAX, _choose, retrieval_query
from propos4l.gateway.effort_edit import UnknownRoles, reprice_effort
from propos4l.gateway.version_grounding import RateUsed, VersionGrounding, snippet
from propos4l.shared.budget import compare_with_budget, parse_budget
from propos4l.shared.effort_pricing import ProposedEffort
from propos4l.shared.events import InvestmentItem, ProposalRequest
from propos4l.shared.grounding import DraftingContext, RateCardLine
from propos4l.shared.library_search import SearchHit


def _hit(kind: str, score: float = 1.0) -> SearchHit:
    return SearchHit(uuid.uuid4(), score, "", [], kind, uuid.uuid4(), None, kind, [], None)


def test_the_query_puts_the_instructions_and_the_industry_first_then_the_most_repeated_words() -> None:
    request = ProposalRequest(
        client_name="ACME",
        industry="Saúde",
        requirements="Prontuário eletrônico. O prontuário deve integrar com o laboratório; prontuário único.",
        scope="Integração HL7",
    )
    query = retrieval_query(request, "cite a auditoria LGPD")
    assert query.words[:5] == ("cite", "auditoria", "lgpd", "saúde", "prontuário")
    assert "o" not in query.words and "7" not in query.words
    assert query.embedding_text.startswith("cite a auditoria LGPD\nSaúde\nProntuário")
    assert {"saude", "prontuario", "hl7", "acme"} <= query.request_words


def test_passages_are_the_company_profile_then_the_best_of_each_kind_then_the_best_of_any() -> None:
    company = [uuid.uuid4()]
    hits = [_hit("service") for _ in range(6)] + [_hit("case_study") for _ in range(6)]
    hits += [_hit("person"), _hit("cv"), _hit("past_proposal"), _hit("methodology")]
    chosen = _choose(hits, company)
    assert len(chosen) == PASSAGES_MAX and chosen[0] == company[0]
    kinds = {hit.passage_id: hit.kind for hit in hits}
    picked = [kinds[passage] for passage in chosen[1:]]
    assert picked.count("past_proposal") == 1 and picked.count("methodology") == 1, "each kind has its places"
    assert "person" not in picked and "cv" not in picked, "people come with the roster"
    assert _choose([], []) == []


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("R$ 500.000,00", "500000.00", "BRL"),
        ("até 300 mil reais", "300000.00", "BRL"),
        ("USD 120k", "120000.00", "USD"),
        ("between 1,200,000.50 and 900,000 dollars", "1200000.50", "USD"),
        ("150000", "150000.00", None),
    ],
)
def test_a_budget_is_read_from_the_way_people_type_it(text: str, amount: str, currency: str | None) -> None:
    stated = parse_budget(text)
    assert stated is not None and (stated.amount, stated.currency) == (Decimal(amount), currency)


def test_a_total_is_over_within_or_under_the_budget() -> None:
    assert parse_budget("a combinar") is None and compare_with_budget("", Decimal(1), "BRL") is None
    over = compare_with_budget("R$ 10.000", Decimal("11000.00"), "BRL")
    assert over is not None and (over.verdict, over.difference_percent) == ("over", Decimal("10.00"))
    within = compare_with_budget("R$ 10.000", Decimal("9000.00"), "BRL")
    assert within is not None and within.verdict == "within"
    under = compare_with_budget("R$ 10.000", Decimal("8999.99"), "BRL")
    assert under is not None and under.verdict == "under"
    assert compare_with_budget("USD 10,000", Decimal("100"), "BRL") is None, "no exchange rates"


def test_a_snippet_is_cut_at_a_word() -> None:
    assert snippet("  short   text ") == "short text"
    cut = snippet("palavra " * 100)
    assert cut.endswith("…") and len(cut) <= 300 and cut[:-1].endswith("palavra")


def test_an_edit_of_hours_uses_the_rates_used_over_the_context_and_refuses_unknown_roles() -> None:
    architect, analyst = uuid.uuid4(), uuid.uuid4()
    context = DraftingContext(
        rate_card=(
            RateCardLine(role_id=architect, role_name="Arquiteto", hourly_rate=Decimal("400.00"), currency="BRL"),
            RateCardLine(role_id=analyst, role_name="Analista"),
        )
    )
    used = RateUsed(
        role_id=architect, role_name="Arquiteto", rate_id=None, hourly_rate=Decimal("187.35"), currency="BRL"
    )
    grounding = VersionGrounding(rates_used=(used,))
    request = ProposalRequest(
        client_name="ACME", industry="Varejo", requirements="ERP", budget="R$ 1.000", discount_percent=Decimal("10")
    )
    licence = InvestmentItem(description="Licenças", quantity=Decimal(1), unit_price=Decimal("50.00"))
    edited = reprice_effort(
        [ProposedEffort("Fase 1", architect, Decimal("3.33")), ProposedEffort("Fase 1", analyst, Decimal("2"))],
        request=request,
        context=context,
        grounding=grounding,
        items=[licence],
    )
    assert [line.amount for line in edited.grounding.effort] == [Decimal("623.88"), None]
    assert edited.investment_items[-1] == licence and len(edited.investment_items) == 2
    comparison = edited.grounding.budget_comparison
    assert comparison is not None and comparison.total == Decimal("561.49"), "after the 10% discount (62.39)"
    with pytest.raises(UnknownRoles) as refused:
        reprice_effort(
            [ProposedEffort("Fase 1", uuid.uuid4(), Decimal(1))],
            request=request,
            context=context,
            grounding=grounding,
            items=[],
        )
    assert len(refused.value.role_ids) == 1


async def test_many_requests_retrieved_at_once_search_the_library_at_most_four_at_a_time() -> None:
    import asyncio

    from propos4l.gateway.drafting_context import ContextRetriever, _LibraryState

    running = most = 0

    class Counted(ContextRetriever):
        async def _read_library(self, callers: list[None]) -> list[_LibraryState]:
            return [_LibraryState(True, (), ())] * len(callers)

        async def _search(self, request: object, query: object) -> tuple[list[SearchHit], str, tuple[()]]:  # type: ignore[override]
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1
            return [], "none", ()

    retriever = Counted(None, None, None, query_timeout_seconds=1.0)  # type: ignore[arg-type]
    request = ProposalRequest(client_name="ACME", industry="Retail", requirements="ERP")
    contexts = await asyncio.gather(*(retriever.retrieve(request) for _ in range(20)))
    assert len(contexts) == 20 and most == 4
