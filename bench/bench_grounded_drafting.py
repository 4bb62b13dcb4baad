"""Time to a complete grounded draft: one call against plan-then-write, with the fake model at a fixed speed.

The fake model (tests/support/fake_ollama.py) decodes at --tokens-per-second in each of its --parallel slots (a
model server's decode rate per slot is about fixed until its batch is full) and writes about --prose-words words per
section. For each round, in alternation:

- single: one call that writes the ten sections, their sources, the team and the effort (GENERATOR_DRAFTING=single);
- plan: a plan call (points and sources per section, team, effort), then the ten sections each in its own call,
  --section-concurrency at once (GENERATOR_DRAFTING=plan, the default).

Both get the same library context and go through the same LlmDrafter and Ollama client as the service. Every round is
printed as a JSON line (time to the first live text, time to the complete draft, output tokens), then the medians and
the speed-up. Prompt processing is not modelled by the fake (the plan's section calls each re-read the request, which a
real server does at prefill speed, typically 10-50x the decode speed).

Usage: python bench/bench_grounded_drafting.py [--tokens-per-second 60] [--parallel 4] [--rounds 3]
       [--prose-words 150] [--section-concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.generator.app import build_client, build_drafter
from propos4l.generator.drafting import Draft
from propos4l.generator.progress import PartialSections, ProgressReporter, SectionsProgress
from propos4l.generator.settings import GeneratorSettings
from propos4l.shared.events import ProposalRequest
from propos4l.shared.grounding import DraftingContext
from tests.support.fake_ollama import DEFAULT_MODEL, FakeOllama
from tests.support.grounding import grounding_context

REQUEST = ProposalRequest(
    client_name="Rede Horizonte",
    industry="Varejo",
    requirements="Migração do ERP SAP para a nuvem, integração com o e-commerce e painéis de vendas por loja.",
    scope="120 lojas, dois centros de distribuição",
    timeline="6 meses",
    budget="R$ 900.000,00",
)


@dataclass(frozen=True, slots=True)
class TimedDraft:
    """A complete draft and how long it took: to the first live text, and to the whole draft."""

    draft: Draft
    first_text_s: float | None
    draft_s: float


def drafting_settings(
    url: str, mode: str, section_concurrency: int, *, model: str = DEFAULT_MODEL, fake: bool = True
) -> GeneratorSettings:
    """The generator's settings for drafting in `mode` from the Ollama server at `url` (the fake: short sections)."""
    settings = GeneratorSettings(
        redis_url="redis://localhost:6379/0",  # not used: the drafter alone is timed
        llm_provider="ollama",
        ollama_url=url,
        ollama_model=model,
        generator_drafting=mode,
        generator_section_concurrency=section_concurrency,
        llm_read_timeout_seconds=600,
    )
    return settings.model_copy(update={"llm_min_section_words": 20}) if fake else settings


async def timed_draft(settings: GeneratorSettings, request: ProposalRequest, context: DraftingContext) -> TimedDraft:
    """One draft of `request` on `context` through the service's own client and drafter, timed."""
    client = build_client(settings)
    assert client is not None
    drafter = build_drafter(settings, client)
    started = time.monotonic()
    first_text: list[float] = []

    async def report(partial: PartialSections, characters: int) -> None:
        if partial.text and not first_text:
            first_text.append(time.monotonic() - started)

    try:
        draft = await drafter.draft(
            request,
            ProgressReporter(report, interval=0.5),
            context=context,
            sections=SectionsProgress(report, interval=0.5),
        )
    finally:
        await client.aclose()
    return TimedDraft(draft, round(first_text[0], 2) if first_text else None, round(time.monotonic() - started, 2))


async def one_draft(fake: FakeOllama, mode: str, section_concurrency: int) -> dict[str, Any]:
    """One complete draft in `mode`: seconds to the first live text and to the draft, and its output tokens."""
    timed = await timed_draft(drafting_settings(fake.url, mode, section_concurrency), REQUEST, grounding_context())
    return {
        "mode": mode,
        "first_text_s": timed.first_text_s,
        "draft_s": timed.draft_s,
        "output_tokens": timed.draft.usage.output_tokens,
        "effort_lines": len(timed.draft.effort),
        "team": len(timed.draft.team),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens-per-second", type=float, default=60.0)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--section-concurrency", type=int, default=4)
    parser.add_argument("--prose-words", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    results: dict[str, list[dict[str, Any]]] = {"single": [], "plan": []}
    with FakeOllama(parallel=arguments.parallel) as fake:
        fake.configure(tokens_per_second=arguments.tokens_per_second, prose_words=arguments.prose_words)
        for round_number in range(1, arguments.rounds + 1):
            for mode in ("single", "plan"):
                result = await asyncio.to_thread(asyncio.run, one_draft(fake, mode, arguments.section_concurrency))
                results[mode].append(result)
                print(json.dumps({"round": round_number, **result}), flush=True)
    single = statistics.median(r["draft_s"] for r in results["single"])
    plan = statistics.median(r["draft_s"] for r in results["plan"])
    summary = {
        "tokens_per_second_per_slot": arguments.tokens_per_second,
        "parallel": arguments.parallel,
        "section_concurrency": arguments.section_concurrency,
        "prose_words": arguments.prose_words,
        "single_median_s": single,
        "plan_median_s": plan,
        "speedup": round(single / plan, 2),
        "single_first_text_median_s": statistics.median(r["first_text_s"] or 0 for r in results["single"]),
        "plan_first_text_median_s": statistics.median(r["first_text_s"] or 0 for r in results["plan"]),
        "goal": ">= 2x at parallel 4",
    }
    print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
