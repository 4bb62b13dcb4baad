"""Requirement extraction on labelled editais and RFPs: precision, recall and pages per second of the rule-based pass.

The documents are bench/fixtures/requirements/ (three written for this purpose, pt-BR and en, labels by hand; see its
README). Two paths are measured:

- `text`: the fixture's pages straight into `propos4l.shared.requirements.extract_requirements` (the client's names
  from `extract_request_fields`, as the pipeline passes them);
- `pdf`: each fixture laid out as a PDF by WeasyPrint (a page per fixture page, a paragraph per line), read back by
  the library service's `ExtractionPool` (worker process, limits) and `document_pages.source_pages`, then the same
  pass: what an uploaded PDF goes through. Pages/s counts the PDF read and the pass.

With `--model`, a third path, `rules+model`, runs the rules and then the generator's classify-and-merge pass
(`propos4l.generator.requirement_review`) with a model, side by side with `text` on the same documents, and reports
what the pass changed and refused: `--model fake` asks the test suite's fake Ollama (its quotes are never the
document's, so every answer is refused: the figures must equal the rules'), `--model openai=URL,ALIAS` a real
OpenAI-compatible server (the conformance stage's llama.cpp server, for instance), with the conformance stage's
answer limit (`--max-output-tokens`, 1200), temperature 0.4 and seed 7.

Prints one JSON line per document and path, and a total per path. Matching: tests/support/requirements_fixture.py.

Usage: python bench/bench_requirements.py [--rounds 20] [--no-pdf] [--show-errors] [--model fake|openai=URL,ALIAS]
       [--max-output-tokens 1200]
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.shared.request_fields import extract_request_fields
from propos4l.shared.requirements import Requirement, SourcePage, client_aliases, extract_requirements
from tests.support.requirements_fixture import LabelledDocument, Score, missed, read_documents, score, spurious


def requirements_of(pages: Sequence[SourcePage]) -> list[Requirement]:
    """The pipeline's rule-based pass: the request fields first, for the client's names, then the requirements."""
    fields = extract_request_fields(pages)
    names = client_aliases(fields.client.value) if fields.client else ()
    return extract_requirements(pages, names)


def report(path: str, name: str, result: Score, pages: int, seconds: float) -> dict[str, object]:
    matched = result.matched or 1
    return {
        "path": path,
        "document": name,
        "pages": pages,
        "labels": result.labels,
        "found": result.found,
        "precision": round(result.precision, 3),
        "recall": round(result.recall, 3),
        "mandatory_recall": round(result.mandatory_recall, 3),
        "obligation_accuracy": round(result.obligation_right / matched, 3),
        "kind_accuracy": round(result.kind_right / matched, 3),
        "page_accuracy": round(result.page_right / matched, 3),
        "pages_per_second": round(pages / seconds, 1) if seconds else None,
    }


def show_errors(document: LabelledDocument, found: Sequence[Requirement]) -> None:
    for label in missed(document.labels, found):
        print(f"  missed   [{label.obligation.value}] p{label.page}: {label.quote}", file=sys.stderr)
    for requirement in spurious(document.labels, found):
        print(
            f"  spurious [{requirement.obligation.value}] {requirement.location}: {requirement.quote}", file=sys.stderr
        )


def text_path(documents: Sequence[LabelledDocument], rounds: int, errors: bool) -> None:
    total: Score | None = None
    total_pages, total_seconds = 0, 0.0
    for document in documents:
        timings = []
        found: list[Requirement] = []
        for _ in range(rounds):
            started = time.perf_counter()
            found = requirements_of(document.pages)
            timings.append(time.perf_counter() - started)
        seconds = statistics.median(timings)
        result = score(document.labels, found)
        total = result if total is None else total + result
        total_pages += len(document.pages)
        total_seconds += seconds
        print(json.dumps(report("text", document.name, result, len(document.pages), seconds)))
        if errors:
            show_errors(document, found)
    if total is not None:
        print(json.dumps(report("text", "all", total, total_pages, total_seconds)))


def fixture_pdf(document: LabelledDocument) -> bytes:
    """The fixture as a PDF: a page per fixture page, a paragraph per line, headers as the first lines."""
    from tests.support.library_documents import pdf_from_html

    pages = []
    for page in document.pages:
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in page.text.splitlines() if line.strip())
        pages.append(f"<section style='break-before: page'>{paragraphs}</section>")
    style = "<style>@page { size: A4; margin: 2cm } body { font: 10pt sans-serif } p { margin: 0 0 0.5em }</style>"
    return pdf_from_html(style + "".join(pages))


async def pdf_path(documents: Sequence[LabelledDocument], rounds: int, errors: bool) -> None:
    from propos4l.library.document_pages import source_pages
    from propos4l.library.extraction import ExtractionLimits, ExtractionPool
    from propos4l.shared.library_files import PDF

    pool = ExtractionPool(1, ExtractionLimits(timeout_seconds=120, max_pages=1000), tesseract_command=None)
    pool.start()
    total: Score | None = None
    total_pages, total_seconds = 0, 0.0
    try:
        with tempfile.TemporaryDirectory() as folder:
            for document in documents:
                path = Path(folder) / f"{document.name}.pdf"
                path.write_bytes(fixture_pdf(document))
                await pool.extract(path, PDF)  # warm-up
                timings = []
                found: list[Requirement] = []
                pages = 0
                for _ in range(max(1, rounds // 4)):
                    started = time.perf_counter()
                    extracted = await pool.extract(path, PDF)
                    found = requirements_of(source_pages(f"{document.name}.txt", extracted))
                    timings.append(time.perf_counter() - started)
                    pages = extracted.pages
                seconds = statistics.median(timings)
                result = score(document.labels, found)
                total = result if total is None else total + result
                total_pages += pages
                total_seconds += seconds
                print(json.dumps(report("pdf", document.name, result, pages, seconds)))
                if errors:
                    show_errors(document, found)
    finally:
        pool.close()
    if total is not None:
        print(json.dumps(report("pdf", "all", total, total_pages, total_seconds)))


def reviewed(found: Sequence[Requirement], outcome: object) -> list[Requirement]:
    """The rules' requirements after a review: relabelled, and repeats merged into the earlier one."""
    import dataclasses

    from propos4l.generator.requirement_review import ReviewOutcome

    assert isinstance(outcome, ReviewOutcome)
    labels = {item.id: item for item in outcome.relabels}
    gone = {item.merged for item in outcome.merges}
    result = []
    for requirement in found:
        if requirement.id in gone:
            continue
        label = labels.get(requirement.id)
        if label is not None:
            requirement = dataclasses.replace(requirement, kind=label.kind, obligation=label.obligation)
        result.append(requirement)
    return result


async def model_path(documents: Sequence[LabelledDocument], model: str, rounds: int, max_output_tokens: int) -> None:
    """Rules, then rules and the model's pass, on the same documents, side by side; `rounds` passes each."""
    import contextlib

    from propos4l.generator.app import build_client, model_options
    from propos4l.generator.requirement_handlers import review_ask
    from propos4l.generator.requirement_review import review_requirements
    from propos4l.generator.settings import GeneratorSettings
    from propos4l.shared.requirement_records import records_of
    from propos4l.shared.sections import Language

    with contextlib.ExitStack() as stack:
        if model == "fake":
            from tests.support.fake_ollama import FakeOllama

            fake = stack.enter_context(FakeOllama(models=["qwen2.5:7b"]))
            values: dict[str, object] = {"ollama_url": fake.url, "ollama_model": "qwen2.5:7b"}
        else:
            url, alias = model.removeprefix("openai=").split(",", 1)
            values = {
                "llm_provider": "openai",
                "llm_base_url": url,
                "llm_model": alias,
                "llm_read_timeout_seconds": 300,
                # As the conformance stage drafts: without a limit, one batch was still unanswered after 5 minutes
                # on 2 cores (docs/benchmarks.md).
                "llm_max_output_tokens": max_output_tokens,
                "ollama_temperature": 0.4,
                "ollama_seed": 7,
            }
        settings = GeneratorSettings(redis_url="redis://127.0.0.1:1", **values)  # type: ignore[arg-type]
        client = build_client(settings)
        assert client is not None
        name = settings.llm_model if settings.llm_provider == "openai" else settings.ollama_model

        ask = review_ask(client, str(name), model_options(settings))  # as the generator's handler asks

        totals: dict[str, Score] = {}
        try:
            for document in documents:
                language = Language.EN if document.name.startswith("en") or "rfp" in document.name else Language.PT_BR
                for _ in range(rounds):
                    rules_started = time.perf_counter()
                    found = requirements_of(document.pages)
                    rules_seconds = time.perf_counter() - rules_started
                    started = time.perf_counter()
                    outcome = await review_requirements(ask, records_of(found), language)
                    model_seconds = time.perf_counter() - started
                    after = reviewed(found, outcome)
                    for path, result, seconds in (
                        ("rules", score(document.labels, found), rules_seconds),
                        ("rules+model", score(document.labels, after), rules_seconds + model_seconds),
                    ):
                        line = report(path, document.name, result, len(document.pages), seconds)
                        line |= {
                            "seconds": round(seconds, 2),
                            "model": model.split(",")[-1],
                            "relabelled": len(outcome.relabels),
                            "merged": len(outcome.merges),
                            "confirmed": outcome.confirmed,
                            "ignored": outcome.ignored,
                            "failed_batches": outcome.failed_batches,
                            "batches": outcome.batches,
                        }
                        print(json.dumps(line), flush=True)
                        totals[path] = result if path not in totals else totals[path] + result
        finally:
            await client.aclose()
        for path, result in totals.items():
            print(json.dumps(report(path, "all", result, 0, 0.0) | {"model": model.split(",")[-1]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF path (no WeasyPrint, no worker)")
    parser.add_argument("--show-errors", action="store_true", help="print missed and spurious quotes to stderr")
    parser.add_argument("--model", help="also run the model's pass: fake, or openai=URL,ALIAS")
    parser.add_argument(
        "--max-output-tokens", type=int, default=1200, help="a real server's answer limit (LLM_MAX_OUTPUT_TOKENS)"
    )
    arguments = parser.parse_args()
    documents = read_documents()
    if arguments.model:
        asyncio.run(model_path(documents, arguments.model, max(1, arguments.rounds), arguments.max_output_tokens))
        return
    text_path(documents, arguments.rounds, arguments.show_errors)
    if not arguments.no_pdf:
        asyncio.run(pdf_path(documents, arguments.rounds, arguments.show_errors))


if __name__ == "__main__":
    main()
