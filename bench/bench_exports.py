"""Export time per page: the PDF as the renderer writes it, the archival PDF/A-3b export and the DOCX export.

For three documents (the sample proposal, pt-BR, default template; a long one, its sections' Markdown repeated; and
one whose scope is a list of 5,000 items, the case that was once quadratic in the DOCX writer and is no longer
guarded by a timed test),
each round times, one after the other in one process, with the same template folder:

- pdf: `render_drafted` as the renderer runs it for every version (tagged, the template's default);
- pdf/a-3b: `render_drafted(variant="pdf/a-3b")` as `GET /export?format=pdf&variant=pdf/a-3b` runs it (tagged,
  sRGB output intent, proposal.json attached);
- docx: `export_docx` with the template's folder (reference.docx styles, the logo rasterised) as `format=docx`.

Pages are the PDF's pages (the same content; a DOCX has no pages until a word processor lays it out); with
LibreOffice installed (`make libreoffice`) its page count of the DOCX is printed too. One warm-up of each, then
`--rounds` rounds, the three kinds interleaved so that noise from other work on the machine falls on all alike.
Prints one JSON line per round (every kind side by side) and a summary line per document with the medians.

Usage: python bench/bench_exports.py [--rounds 5] [--repeat 6] [--items 5000]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pypdf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.renderer.pdf import render_drafted
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template, load_template
from propos4l.renderer.word import export_docx
from propos4l.shared.events import ProposalDrafted, Section
from propos4l.shared.sections import Language, SectionKey
from tests.support.libreoffice import converted_to_pdf, soffice

KINDS = ("pdf", "pdf/a-3b", "docx")


def long_proposal(repeat: int) -> ProposalDrafted:
    """The sample with each section's Markdown written `repeat` times (within a section's 40,000 characters)."""
    sample = sample_drafted(Language.PT_BR)
    sections = tuple(
        Section(key=s.key, title=s.title, content="\n\n".join([s.content] * repeat)[:40_000]) for s in sample.sections
    )
    return sample.model_copy(update={"sections": sections})


def list_heavy_proposal(items: int) -> ProposalDrafted:
    """The sample with its scope a list of `items` short items (5,000 fill a section's 40,000 characters)."""
    sample = sample_drafted(Language.PT_BR)
    listed = "\n".join(f"- {number:04d}" for number in range(items))
    sections = [
        Section(key=s.key, title=s.title, content=listed if s.key == SectionKey.SCOPE else s.content)
        for s in sample.sections
    ]
    return sample.model_copy(update={"sections": sections})


def exporters(drafted: ProposalDrafted, templates: Path) -> dict[str, Callable[[], bytes]]:
    template = templates / "default"
    manifest = load_template(templates, "default").manifest
    return {
        "pdf": lambda: render_drafted(drafted, templates).data,
        "pdf/a-3b": lambda: render_drafted(drafted, templates, variant="pdf/a-3b").data,
        "docx": lambda: export_docx(drafted, manifest, template),
    }


def libreoffice_pages(docx: bytes) -> int | None:
    """LibreOffice's page count of the DOCX (converted to PDF headless), or None without LibreOffice."""
    program = soffice()
    if program is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-exports-lo-") as folder:
        source = Path(folder) / "proposal.docx"
        source.write_bytes(docx)
        return len(pypdf.PdfReader(converted_to_pdf(source, program)).pages)


def bench(name: str, drafted: ProposalDrafted, templates: Path, rounds: int) -> None:
    export = exporters(drafted, templates)
    outputs = {kind: export[kind]() for kind in KINDS}  # warm-up: fonts loaded, caches filled
    pages = len(pypdf.PdfReader(io.BytesIO(outputs["pdf"])).pages)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for number in range(1, rounds + 1):
        line: dict[str, object] = {"document": name, "round": number, "pages": pages}
        for kind in KINDS:
            started = time.perf_counter()
            export[kind]()
            elapsed = (time.perf_counter() - started) * 1000
            times[kind].append(elapsed)
            line[f"{kind}_ms"] = round(elapsed)
            line[f"{kind}_ms_per_page"] = round(elapsed / pages, 1)
        print(json.dumps(line), flush=True)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    summary: dict[str, object] = {
        "document": name,
        "summary": True,
        "pages": pages,
        "docx_pages_libreoffice": libreoffice_pages(outputs["docx"]),
        **{f"{kind}_bytes": len(outputs[kind]) for kind in KINDS},
        **{f"{kind}_median_ms": round(value) for kind, value in medians.items()},
        **{f"{kind}_median_ms_per_page": round(value / pages, 1) for kind, value in medians.items()},
        "pdfa_vs_pdf": round(statistics.median(a / p for a, p in zip(times["pdf/a-3b"], times["pdf"], strict=True)), 2),
        "docx_vs_pdf": round(statistics.median(d / p for d, p in zip(times["docx"], times["pdf"], strict=True)), 2),
    }
    print(json.dumps(summary), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=6, help="how often the long document repeats each section")
    parser.add_argument("--items", type=int, default=5_000, help="list items in the list-heavy document's scope")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as folder:
        templates = Path(folder)
        install_default_template(templates)
        bench("sample", sample_drafted(Language.PT_BR), templates, arguments.rounds)
        bench(f"long (x{arguments.repeat})", long_proposal(arguments.repeat), templates, arguments.rounds)
        bench(f"list ({arguments.items} items)", list_heavy_proposal(arguments.items), templates, arguments.rounds)


if __name__ == "__main__":
    main()
