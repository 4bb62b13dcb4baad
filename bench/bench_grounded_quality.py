"""Grounded drafting quality over the fixture consultancy: sources, people, roles and prices from the library, and the
time to a complete draft, one call against plan-then-write (issue #15).

A throwaway PostgreSQL (with pgvector when there is one: vectors from the deterministic fake embedding server, as
bench_library_retrieval.py writes them; else full text only) and Redis; the migrations; the fixture library of
bench/fixtures/library/ loaded as production loads it (tests/support/library_fixture.py). For each request of
bench/fixtures/grounded_requests.json the gateway's `ContextRetriever` builds the `DraftingContext` as it does when a
request is accepted; then the generator's `LlmDrafter` drafts it with GENERATOR_DRAFTING=single and =plan
(bench_grounded_drafting.py's `timed_draft`: the service's own client and drafter), from the fake model at a fixed
decode speed per slot with --parallel slots. Each draft is checked against the database, not against the context:

- sections citing at least one valid source (a passage the retriever gave); citations of anything else;
- every team member's name, role and bio (and that the person is active) as the library has them, by id;
- every effort line's role on the rate card, its rate the one in force, and amount == hours x rate to the cent;
- the investment items the same lines (phase and role, hours, rate) and the same total as the effort;
- the budget comparison present when the request states a budget, with the library-priced total and the right verdict;
- the flags raised, the time to the first live text and to the complete draft.

The checks are checked too: tampered copies of the first fake draft (a name, a bio, an amount off by a cent, a role
off the rate card, an item's rate, the budget comparison dropped, a citation not retrieved) must each be caught.

Every draft is a JSON line; then a summary per model and mode, and single against plan. People, roles and prices must
all be from the library: the script exits 1 when any is not (or a draft cites a passage it was not given).

When OLLAMA_URL is set and answers GET /api/tags with OLLAMA_MODEL (default qwen2.5:7b) among its models, the same
requests and contexts are drafted by that model and summarised separately (--real-requests of them); otherwise the
script says that the real-model run was skipped, and why. The fake model picks enum members mechanically (the first
passages shown, the first people of the roster), so with it the source share measures the plumbing, not a model's
judgement.

Usage: python bench/bench_grounded_quality.py [--tokens-per-second 250] [--parallel 4] [--section-concurrency 4]
       [--prose-words 150] [--requests 24] [--real-requests 24]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import asyncpg
import httpx

from bench.bench_grounded_drafting import TimedDraft, drafting_settings, timed_draft
from propos4l.gateway.drafting_context import ContextRetriever
from propos4l.gateway.rate_card import RateCard
from propos4l.generator.drafting import DraftFailed
from propos4l.generator.llm import LlmUnavailable
from propos4l.library.embedding import embed_pending
from propos4l.shared.budget import WITHIN_SHARE
from propos4l.shared.db import apply_migrations
from propos4l.shared.embeddings import EmbeddingClient
from propos4l.shared.grounding import DraftingContext
from propos4l.shared.library_text import fold_accents
from propos4l.shared.localrun.binaries import find_pgvector_bindir, find_postgres_bindir
from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis
from tests.support.fake_embeddings import FakeEmbeddingServer
from tests.support.fake_ollama import DEFAULT_MODEL, FakeOllama
from tests.support.library_fixture import GroundedRequest, fixture_summary, load_library, read_grounded_requests

FAKE_EMBEDDING_MODEL: Final = "fake-multilingual"
EMBEDDING_DIMENSIONS: Final = 1024
CENT: Final = Decimal("0.01")
MODES: Final = ("single", "plan")
_DESCRIPTION_MAX: Final = 300  # InvestmentItem.description's limit


def emit(record: dict[str, Any]) -> None:
    """One JSON line on stdout."""
    print(json.dumps(record, ensure_ascii=False, default=str), flush=True)


# --- what the library says, read from the database ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LibraryPerson:
    """A person as the library has them."""

    name: str
    role_id: uuid.UUID | None
    role_name: str | None
    seniority: str
    bio: str
    active: bool


@dataclass(frozen=True, slots=True)
class LibraryRate:
    """A rate-card role and the rate in force today (None: the role has no rate yet)."""

    role_name: str
    rate_id: uuid.UUID | None
    hourly_rate: Decimal | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class Library:
    """The people and the rate card, straight from the database (not from a drafting context)."""

    people: dict[uuid.UUID, LibraryPerson]
    rates: dict[uuid.UUID, LibraryRate]
    industries: dict[uuid.UUID, frozenset[str]]  # case studies' and services' industries, accent-folded

    def industry_match(self, context: DraftingContext, industry: str) -> bool:
        """Whether the context shows a case study or service of `industry`."""
        wanted = fold_accents(industry.strip().lower())
        return any(
            wanted in self.industries.get(passage.entry_id, frozenset())
            for passage in context.passages
            if passage.entry_id is not None
        )


async def read_library(pool: asyncpg.Pool) -> Library:
    """Every person and every role with the rate that applies today, by id."""
    people = await pool.fetch(
        """SELECT e.id, e.title, e.active, e.role_id, r.name AS role_name,
                  coalesce(e.fields->>'seniority', '') AS seniority, coalesce(e.fields->>'bio', '') AS bio
           FROM library_entries e LEFT JOIN library_roles r ON r.id = e.role_id WHERE e.kind = 'person'"""
    )
    roles = await pool.fetch(
        """SELECT r.id, r.name, t.id AS rate_id, t.hourly_rate, t.currency
           FROM library_roles r
           LEFT JOIN LATERAL (SELECT id, hourly_rate, currency FROM library_rates
                              WHERE role_id = r.id AND valid_from <= current_date
                              ORDER BY valid_from DESC LIMIT 1) t ON true"""
    )
    entries = await pool.fetch(
        """SELECT id, fields->'industry' AS industry, fields->'industries' AS industries
           FROM library_entries WHERE kind IN ('case_study', 'service')"""
    )
    industries = {}
    for row in entries:
        named = [json.loads(row["industry"])] if row["industry"] else []
        named += json.loads(row["industries"]) if row["industries"] else []
        industries[row["id"]] = frozenset(fold_accents(str(name).strip().lower()) for name in named)
    return Library(
        industries=industries,
        people={
            row["id"]: LibraryPerson(
                row["title"], row["role_id"], row["role_name"], row["seniority"], row["bio"], row["active"]
            )
            for row in people
        },
        rates={
            row["id"]: LibraryRate(row["name"], row["rate_id"], row["hourly_rate"], row["currency"]) for row in roles
        },
    )


# --- one draft checked --------------------------------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def expected_verdict(total: Decimal, budget: Decimal) -> str:
    """The budget comparison's verdict, computed here from the definition (not by the code under test)."""
    if total > budget:
        return "over"
    return "within" if total >= budget * (1 - WITHIN_SHARE) else "under"


def check_draft(item: GroundedRequest, context: DraftingContext, timed: TimedDraft, library: Library) -> dict[str, Any]:
    """The figures of one draft, each checked against the library in the database."""
    draft = timed.draft
    retrieved = {passage.id for passage in context.passages}
    cited = {source.section: source.passage_ids for source in draft.sources}
    with_source = sum(1 for section in draft.sections if any(i in retrieved for i in cited.get(section.key, ())))
    invalid_citations = sum(1 for ids in cited.values() for i in ids if i not in retrieved)
    kinds = {passage.id: passage.kind for passage in context.passages}
    cited_kinds = Counter(kinds[i] for ids in cited.values() for i in ids if i in kinds)

    people_wrong: list[str] = []
    for member in draft.team:
        person = library.people.get(member.person_id)
        if (
            person is None
            or not person.active
            or (member.name, member.role_id, member.role_name, member.seniority, member.bio)
            != (person.name, person.role_id, person.role_name, person.seniority, person.bio)
        ):
            people_wrong.append(member.name)

    roles_wrong: list[str] = []
    prices_wrong: list[str] = []
    for line in draft.effort:
        rate = library.rates.get(line.role_id)
        if rate is None or rate.role_name != line.role_name:
            roles_wrong.append(line.role_name)
            continue
        right = (
            rate.hourly_rate is not None
            and line.amount is not None
            and (line.hourly_rate, line.currency, line.rate_id) == (rate.hourly_rate, rate.currency, rate.rate_id)
            and line.amount == _cents(line.hours * rate.hourly_rate)
        )
        if not right:
            prices_wrong.append(f"{line.phase} / {line.role_name}: {line.hours} h, {line.amount}")

    priced = [line for line in draft.effort if line.amount is not None and line.hourly_rate is not None]
    total = sum((line.amount for line in priced if line.amount is not None), Decimal("0.00"))
    expected_items = [
        (f"{line.phase} — {line.role_name}"[:_DESCRIPTION_MAX], line.hours, line.hourly_rate) for line in priced
    ]
    items = [(entry.description, entry.quantity, entry.unit_price) for entry in draft.investment_items]
    items_total = sum((_cents(entry.quantity * entry.unit_price) for entry in draft.investment_items), Decimal("0.00"))
    items_consistent = items == expected_items and items_total == total

    comparison = draft.budget_comparison
    budget_stated = item.budget_amount is not None
    if item.budget_amount is None:
        budget_ok = comparison is None
    else:
        budget_ok = (
            comparison is not None
            and (comparison.budget, comparison.total, comparison.currency) == (item.budget_amount, total, "BRL")
            and comparison.verdict == expected_verdict(total, item.budget_amount)
        )
    return {
        "sections": len(draft.sections),
        "sections_with_source": with_source,
        "invalid_citations": invalid_citations,
        "cited_kinds": dict(cited_kinds),
        "team": len(draft.team),
        "people_wrong": people_wrong,
        "effort_lines": len(draft.effort),
        "roles_wrong": roles_wrong,
        "priced_lines": len(priced),
        "prices_wrong": prices_wrong,
        "investment_items": len(draft.investment_items),
        "items_consistent": items_consistent,
        "total": str(total),
        "budget_stated": budget_stated,
        "budget_comparison": (
            f"{comparison.verdict} {comparison.difference_percent}%" if comparison is not None else None
        ),
        "budget_ok": budget_ok,
        "flags": len(draft.flags),
        "flag_reasons": dict(Counter(flag.reason for flag in draft.flags)),
        "first_text_s": timed.first_text_s,
        "draft_s": timed.draft_s,
        "output_tokens": draft.usage.output_tokens,
    }


def tampered_drafts(timed: TimedDraft, stranger: uuid.UUID) -> dict[str, TimedDraft]:
    """Copies of a good draft each with one thing wrong that `check_draft` must catch (a check that cannot fail is
    no check): a person's name or bio, an amount off by a cent, a role off the rate card, an investment item's rate,
    the budget comparison dropped, a citation of a passage that was not retrieved."""
    draft = timed.draft
    member, line, entry = draft.team[0], draft.effort[0], draft.investment_items[0]
    cent = (line.amount or Decimal(0)) + CENT
    changes: dict[str, dict[str, Any]] = {
        "person_name": {"team": (member.model_copy(update={"name": member.name + " Jr."}), *draft.team[1:])},
        "person_bio": {"team": (member.model_copy(update={"bio": member.bio + " AWS Hero."}), *draft.team[1:])},
        "amount_off_by_a_cent": {"effort": (line.model_copy(update={"amount": cent}), *draft.effort[1:])},
        "role_off_the_rate_card": {"effort": (line.model_copy(update={"role_id": stranger}), *draft.effort[1:])},
        "item_rate": {
            "investment_items": (
                entry.model_copy(update={"unit_price": entry.unit_price + 1}),
                *draft.investment_items[1:],
            )
        },
        "budget_comparison_dropped": {"budget_comparison": None},
        "citation_not_retrieved": {
            "sources": (
                draft.sources[0].model_copy(update={"passage_ids": (stranger,)}),
                *draft.sources[1:],
            )
        },
    }
    return {
        name: TimedDraft(dataclasses.replace(draft, **change), timed.first_text_s, timed.draft_s)
        for name, change in changes.items()
    }


_CATCHES: Final[dict[str, Callable[[dict[str, Any]], bool]]] = {
    "person_name": lambda result: bool(result["people_wrong"]),
    "person_bio": lambda result: bool(result["people_wrong"]),
    "amount_off_by_a_cent": lambda result: bool(result["prices_wrong"]),
    "role_off_the_rate_card": lambda result: bool(result["roles_wrong"]),
    "item_rate": lambda result: not result["items_consistent"],
    "budget_comparison_dropped": lambda result: not result["budget_ok"],
    "citation_not_retrieved": lambda result: result["invalid_citations"] > 0,
}
"""Which check must catch each tampering."""


def missed_tampering(item: GroundedRequest, context: DraftingContext, timed: TimedDraft, library: Library) -> list[str]:
    """The tampered copies of a good draft the check meant for them passes (none, when the checks work)."""
    return [
        name
        for name, copy in tampered_drafts(timed, uuid.uuid4()).items()
        if not _CATCHES[name](check_draft(item, context, copy, library))
    ]


# --- a run: every request in both modes, and its summary ----------------------------------------------------------


def _share(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def summarise(label: str, results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The shares and median times of one model's drafts in one mode (failed drafts counted apart)."""
    done = [result for result in results if "error" not in result]
    team = sum(result["team"] for result in done)
    lines = sum(result["effort_lines"] for result in done)
    roles_ok = lines - sum(len(result["roles_wrong"]) for result in done)
    priced_ok = roles_ok - sum(len(result["prices_wrong"]) for result in done)
    stated = [result for result in done if result["budget_stated"]]
    first_texts = [result["first_text_s"] for result in done if result["first_text_s"] is not None]
    return {
        "summary": label,
        "drafts": len(done),
        "failed": len(results) - len(done),
        "sections_with_source_share": _share(
            sum(result["sections_with_source"] for result in done), sum(result["sections"] for result in done)
        ),
        "invalid_citations": sum(result["invalid_citations"] for result in done),
        "cited_kinds": dict(sum((Counter(result["cited_kinds"]) for result in done), Counter())),
        "people_from_library_share": _share(team - sum(len(result["people_wrong"]) for result in done), team),
        "team_members": team,
        "roles_from_rate_card_share": _share(roles_ok, lines),
        "prices_from_rate_card_share": _share(priced_ok, lines),
        "effort_lines": lines,
        "items_consistent_share": _share(sum(result["items_consistent"] for result in done), len(done)),
        "budget_comparison_share": _share(sum(result["budget_ok"] for result in stated), len(stated)),
        "requests_with_budget": len(stated),
        "flags_per_draft": round(statistics.mean(result["flags"] for result in done), 2) if done else None,
        "draft_median_s": round(statistics.median(result["draft_s"] for result in done), 2) if done else None,
        "first_text_median_s": round(statistics.median(first_texts), 2) if first_texts else None,
    }


def violations(summary: dict[str, Any]) -> list[str]:
    """What must be 100% (people, roles, prices, the investment items) and is not, or a citation not retrieved."""
    wrong = [
        name
        for name in (
            "people_from_library_share",
            "roles_from_rate_card_share",
            "prices_from_rate_card_share",
            "items_consistent_share",
        )
        if summary[name] is not None and summary[name] < 1
    ]
    if summary["invalid_citations"]:
        wrong.append("invalid_citations")
    return wrong


async def draft_all(
    label: str,
    url: str,
    model: str,
    requests: Sequence[tuple[GroundedRequest, DraftingContext]],
    library: Library,
    section_concurrency: int,
    *,
    fake: bool,
) -> list[dict[str, Any]]:
    """Draft every request in both modes (alternating), check each draft, print it; return the summaries."""
    results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    controlled = False
    for item, context in requests:
        for mode in MODES:
            settings = drafting_settings(url, mode, section_concurrency, model=model, fake=fake)
            record: dict[str, Any] = {"run": label, "request": item.id, "mode": mode}
            try:
                timed = await asyncio.to_thread(asyncio.run, timed_draft(settings, item.request, context))
            except (DraftFailed, LlmUnavailable) as error:
                record["error"] = f"{type(error).__name__}: {error}"
            else:
                record.update(check_draft(item, context, timed, library))
                if fake and not controlled and item.budget_amount is not None and timed.draft.effort:
                    controlled = True
                    missed = missed_tampering(item, context, timed, library)
                    emit({"control": "tampered copies of this draft", "request": item.id, "missed": missed})
                    if missed:
                        raise SystemExit(f"the checks missed tampered drafts: {missed}")
            results[mode].append(record)
            emit(record)
    summaries = [summarise(f"{label} {mode}", results[mode]) for mode in MODES]
    for summary in summaries:
        emit(summary)
    single, plan = (summary["draft_median_s"] for summary in summaries)
    emit(
        {
            "summary": f"{label} single against plan",
            "single_median_s": single,
            "plan_median_s": plan,
            "speedup": round(single / plan, 2) if single and plan else None,
        }
    )
    return summaries


# --- the real model, when one answers -----------------------------------------------------------------------------


def real_model() -> tuple[str, str] | str:
    """(url, model) of the Ollama server OLLAMA_URL names, when it answers with OLLAMA_MODEL; else why not."""
    url = os.environ.get("OLLAMA_URL")
    model = os.environ.get("OLLAMA_MODEL", DEFAULT_MODEL)
    if not url:
        return "OLLAMA_URL is not set"
    try:
        response = httpx.get(f"{url.rstrip('/')}/api/tags", timeout=5)
        response.raise_for_status()
        names = {entry.get("name") for entry in response.json().get("models", [])}
    except (httpx.HTTPError, ValueError) as error:
        return f"GET {url}/api/tags failed: {error!r}"
    if model not in names and f"{model}:latest" not in names:
        return f"{url} does not have {model} (it has: {', '.join(sorted(str(name) for name in names)) or 'none'})"
    return url, model


# --- the whole bench ----------------------------------------------------------------------------------------------


async def retrieve_contexts(
    pool: asyncpg.Pool, client: EmbeddingClient | None, requests: Sequence[GroundedRequest], library: Library
) -> list[tuple[GroundedRequest, DraftingContext]]:
    """Each request's context, from the gateway's retriever as production builds it."""
    retriever = ContextRetriever(pool, RateCard(pool), client, query_timeout_seconds=2.0)
    contexts = []
    for item in requests:
        started = time.perf_counter()
        context = await retriever.retrieve(item.request)
        emit(
            {
                "context": item.id,
                "search_mode": context.search_mode,
                "passages": dict(Counter(passage.kind for passage in context.passages)),
                "roster": len(context.roster),
                "rate_card": len(context.rate_card),
                "industry_match": library.industry_match(context, item.request.industry),
                "retrieval_ms": round((time.perf_counter() - started) * 1000, 1),
            }
        )
        contexts.append((item, context))
    matched = sum(library.industry_match(context, item.request.industry) for item, context in contexts)
    emit({"contexts": len(contexts), "with_a_case_study_or_service_of_the_request_s_industry": matched})
    return contexts


async def run(arguments: argparse.Namespace) -> int:
    requests = read_grounded_requests()[: arguments.requests]
    vector_bindir = find_pgvector_bindir()
    bindir = vector_bindir or find_postgres_bindir()
    folder = Path(tempfile.mkdtemp(prefix="propos4l-bench-grounded-quality-"))
    postgres = LocalPostgres(folder / "postgres", bindir=bindir)
    redis = LocalRedis(folder / "redis")
    postgres.start()
    redis.start()
    summaries: list[dict[str, Any]] = []
    try:
        database = postgres.create_database("grounded")
        await apply_migrations(database)
        started = time.perf_counter()
        loaded = await load_library(database, redis.url, folder / "data")
        pool = await asyncpg.create_pool(database, min_size=1, max_size=4)
        try:
            with FakeEmbeddingServer({FAKE_EMBEDDING_MODEL: EMBEDDING_DIMENSIONS}) as embeddings:
                async with EmbeddingClient("ollama", embeddings.url, model=FAKE_EMBEDDING_MODEL) as client:
                    embedded = await embed_pending(pool, client, FAKE_EMBEDDING_MODEL, batch_size=32)
                    emit(
                        {
                            "fixture": fixture_summary(),
                            "passages": loaded.passages,
                            "import_failures": loaded.import_failures,
                            "embedded": embedded,
                            "search": "hybrid (fake embeddings)" if vector_bindir else "full text (no pgvector)",
                            "load_seconds": round(time.perf_counter() - started, 1),
                            "requests": len(requests),
                        }
                    )
                    library = await read_library(pool)
                    contexts = await retrieve_contexts(pool, client if vector_bindir else None, requests, library)
        finally:
            await pool.close()
        with FakeOllama(parallel=arguments.parallel) as fake:
            fake.configure(tokens_per_second=arguments.tokens_per_second, prose_words=arguments.prose_words)
            emit(
                {
                    "run": "fake",
                    "tokens_per_second_per_slot": arguments.tokens_per_second,
                    "parallel": arguments.parallel,
                    "section_concurrency": arguments.section_concurrency,
                    "prose_words": arguments.prose_words,
                }
            )
            summaries += await draft_all(
                "fake", fake.url, DEFAULT_MODEL, contexts, library, arguments.section_concurrency, fake=True
            )
        real = real_model()
        if isinstance(real, str):
            emit({"run": "real", "skipped": True, "reason": real})
        else:
            url, model = real
            emit({"run": "real", "url": url, "model": model, "section_concurrency": arguments.section_concurrency})
            summaries += await draft_all(
                f"real {model}",
                url,
                model,
                contexts[: arguments.real_requests],
                library,
                arguments.section_concurrency,
                fake=False,
            )
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
    wrong = {summary["summary"]: violations(summary) for summary in summaries if violations(summary)}
    if wrong:
        emit({"result": "FAILED: people, roles and prices must all come from the library", "violations": wrong})
        return 1
    emit({"result": "every person, role and price came from the library"})
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens-per-second", type=float, default=250.0, help="the fake's decode speed per slot")
    parser.add_argument("--parallel", type=int, default=4, help="the fake's slots")
    parser.add_argument("--section-concurrency", type=int, default=4)
    parser.add_argument("--prose-words", type=int, default=150)
    parser.add_argument("--requests", type=int, default=None, help="the first N requests only")
    parser.add_argument("--real-requests", type=int, default=None, help="the first N requests for the real model")
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(run(arguments)))


if __name__ == "__main__":
    main()
