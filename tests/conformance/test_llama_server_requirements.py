"""The model's classify-and-merge pass over requirements with a real llama.cpp server (SmolLM2-135M, CPU).

A 135M model classifies poorly; what is asserted is the contract, not its judgement: the pass completes window by
window, every answer it takes names a requirement it was shown with that requirement's exact quote, a merge joins
only alike requirements, and no requirement is lost whatever the model answers (refusals and garbage included). The
figures (relabelled, merged, confirmed, refused) are printed for the record; bench/bench_requirements.py --model
measures precision and recall against the labels.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from propos4l.generator.app import build_client, model_options
from propos4l.generator.requirement_handlers import review_ask
from propos4l.generator.requirement_review import ReviewOutcome, review_requirements
from propos4l.generator.settings import GeneratorSettings
from propos4l.shared.request_fields import extract_request_fields
from propos4l.shared.requirement_coverage import telling_words
from propos4l.shared.requirement_records import RequirementRecord, records_of
from propos4l.shared.requirements import client_aliases, extract_requirements
from propos4l.shared.sections import Language
from tests.conformance.llama import MODEL_ALIAS, LlamaServer
from tests.support.requirements_fixture import read_documents

pytestmark = [pytest.mark.conformance, pytest.mark.timeout(1200)]

SHOWN = 9  # requirements of each document shown to the model: three windows of four, overlapping by one


def first_requirements(name: str) -> list[RequirementRecord]:
    document = next(document for document in read_documents() if document.name == name)
    fields = extract_request_fields(document.pages)
    found = extract_requirements(document.pages, client_aliases(fields.client.value) if fields.client else ())
    return list(records_of(found))[:SHOWN]


async def review(server: LlamaServer, requirements: list[RequirementRecord], language: Language) -> ReviewOutcome:
    settings = GeneratorSettings(
        redis_url="redis://127.0.0.1:1",  # type: ignore[arg-type]
        llm_provider="openai",
        llm_base_url=server.base_url,  # type: ignore[arg-type]
        llm_model=MODEL_ALIAS,
        llm_max_output_tokens=900,
        llm_read_timeout_seconds=300,
        ollama_temperature=0.2,
        ollama_seed=7,
    )
    client = build_client(settings)
    assert client is not None

    ask = review_ask(client, MODEL_ALIAS, model_options(settings))  # as the generator's handler asks
    try:
        return await review_requirements(ask, requirements, language, batch_size=4, overlap=1)
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("name", "language"),
    [("edital_pregao_protocolo", Language.PT_BR), ("rfp_transit_data_platform", Language.EN)],
)
def test_the_model_pass_keeps_every_requirement_and_takes_only_checked_answers(
    llama_server: LlamaServer, name: str, language: Language
) -> None:
    requirements = first_requirements(name)
    outcome = asyncio.run(review(llama_server, requirements, language))
    print(json.dumps({"document": name, "relabelled": len(outcome.relabels), "merged": len(outcome.merges),
                      "confirmed": outcome.confirmed, "ignored": outcome.ignored,
                      "failed_batches": outcome.failed_batches, "batches": outcome.batches}))  # fmt: skip
    assert outcome.batches == 3
    by_id = {requirement.id: requirement for requirement in requirements}
    assert {item.id for item in outcome.relabels} <= set(by_id)
    assert len(outcome.relabels) + outcome.confirmed <= len(requirements)  # one label per requirement at most
    merged = {merge.merged for merge in outcome.merges}
    for merge in outcome.merges:
        kept, gone = by_id[merge.kept], by_id[merge.merged]
        assert requirements.index(kept) < requirements.index(gone)
        assert telling_words(kept.quote) & telling_words(gone.quote)
    # A requirement leaves the list only by a checked merge, once: the rest all stand.
    assert merged <= set(by_id) and len(merged) == len(outcome.merges)
