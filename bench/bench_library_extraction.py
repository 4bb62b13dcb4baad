"""Library indexing throughput: pages per second for a text PDF and for scanned (OCR) pages, through the real
ExtractionPool (worker processes, limits) and the splitter, one worker and then two.

The text PDF is made by WeasyPrint (a heading and six paragraphs a page); the scanned PDF is one WeasyPrint page of
Portuguese text rasterised at 200 dpi and saved as images by Pillow, repeated. Each measurement is the median of a few
runs, from the call to extract() to the passages. Prints JSON lines.

Usage: python bench/bench_library_extraction.py [--text-pages 100] [--ocr-pages 6] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from propos4l.library.extraction import ExtractionLimits, ExtractionPool
from propos4l.library.passages import split
from propos4l.shared.library_files import PDF
from tests.support import library_documents as documents

_OCR_TEXT = [
    "Proposta técnica de migração de dados para a nuvem",
    "A Acme Logística opera um ERP legado em servidores próprios; a migração reduz custos",
    "e o tempo de fechamento contábil, com segurança e observabilidade desde o início.",
    "Equipe: um arquiteto de soluções sênior, dois engenheiros de dados e um analista.",
    "Cronograma de doze semanas, com entregas verificáveis a cada duas semanas.",
] * 4


async def pages_per_second(
    path: Path, pages: int, workers: int, rounds: int, tesseract: str | None
) -> dict[str, float]:
    """Median pages/s reading `workers` copies of the document at once, and the passages per document."""
    pool = ExtractionPool(workers, ExtractionLimits(timeout_seconds=600, max_pages=10_000), tesseract_command=tesseract)
    pool.start()
    try:
        await pool.extract(path, PDF)  # warm-up: fonts, Tesseract's models in the page cache
        rates = []
        passages = 0
        for _ in range(rounds):
            started = time.perf_counter()
            results = await asyncio.gather(*(pool.extract(path, PDF) for _ in range(workers)))
            passages = len(split(results[0]))
            rates.append(pages * workers / (time.perf_counter() - started))
        return {"pages_per_second": round(statistics.median(rates), 2), "passages": passages}
    finally:
        pool.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--text-pages", type=int, default=100)
    parser.add_argument("--ocr-pages", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    tesseract = documents.tesseract_command()
    with tempfile.TemporaryDirectory() as folder:
        text_pdf = Path(folder) / "text.pdf"
        text_pdf.write_bytes(documents.text_pdf(arguments.text_pages))
        scanned_pdf = Path(folder) / "scanned.pdf"
        scanned_pdf.write_bytes(documents.scanned_pdf(_OCR_TEXT, pages=arguments.ocr_pages))
        for workers in (1, 2):
            result = await pages_per_second(text_pdf, arguments.text_pages, workers, arguments.rounds, tesseract)
            print(json.dumps({"document": "text_pdf", "pages": arguments.text_pages, "workers": workers, **result}))
            if tesseract is None:
                print(json.dumps({"document": "scanned_pdf", "skipped": "tesseract is not installed"}))
                continue
            result = await pages_per_second(scanned_pdf, arguments.ocr_pages, workers, arguments.rounds, tesseract)
            print(json.dumps({"document": "scanned_pdf", "pages": arguments.ocr_pages, "workers": workers, **result}))


if __name__ == "__main__":
    asyncio.run(main())
