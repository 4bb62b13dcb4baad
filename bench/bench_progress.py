"""Live progress CPU per draft: the incremental reporter against the one that parsed the whole answer per chunk.

A model streams its JSON answer in small pieces; the client builds the answer (`text += piece`) and hands the whole
answer so far to the progress reporter at most every 0.25 s of the model's time and at each piece with a quote
(`TextFeed` in propos4l.generator.llm). For answers of several sizes cut into pieces of several lengths, streamed at
--tokens-per-second (a virtual clock; the CPU is measured for real), this times the CPU of one draft:

- client_alone: the client's loop with no listener (what building the answer costs, progress or not);
- calls: the client's loop with a listener that does nothing (what being called costs, whatever the reporter does);
- old: the reporter of commit 9a43a32 (bench/baseline/quadratic_progress.py), called at every piece as the clients
  did then, which parsed the whole text each call;
- new: the current reporter, which reads only what each call adds;
- full parse: one `read_partial_sections` of the final answer, new and old (the goal: new minus client_alone <= 2x
  the new full parse).

Reports fire as in production (`interval` 0.5 s, a no-op report). Rounds alternate old and new; every round is
printed as a JSON line, then a summary of the medians. The old reporter is skipped above --old-max-size (it is
quadratic: 40 KB in 4-character pieces costs it seconds, 400 KB would cost it half an hour).

Usage: python bench/bench_progress.py [--sizes 10000 40000 400000] [--pieces 4 40] [--rounds 5]
       [--tokens-per-second 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.baseline import quadratic_progress
from propos4l.generator import llm, progress
from propos4l.generator.llm import notify
from propos4l.shared.sections import SECTION_KEYS

_PARAGRAPH = (
    "A **solução** proposta integra o ERP à plataforma de comércio eletrônico, com sincronização de pedidos, "
    'estoque e preços em tempo real; o cliente mantém o "controle" das regras.\n\n- Etapa 1: descoberta\n'
    "- Etapa 2: integração (APIs REST/JSON)\n- Etapa 3: homologação e implantação assistida\n\n"
)


def answer_of_size(size: int) -> str:
    """A JSON answer like a model's: ten Markdown sections, then the structured parts; about `size` characters."""
    per_section = max(1, size // len(SECTION_KEYS))
    body = (_PARAGRAPH * (per_section // len(_PARAGRAPH) + 1))[:per_section]
    data: dict[str, object] = {key.value: body for key in SECTION_KEYS}
    data["investment_items"] = [{"description": "Desenvolvimento", "quantity": 320, "unit_price": 180.5}]
    data["timeline_phases"] = [{"name": "Descoberta", "duration": "2 semanas", "deliverables": ["Backlog"]}]
    data["assumptions"] = ["Acesso ao ERP em homologação"]
    return json.dumps(data, ensure_ascii=False, indent=1)


async def _nothing(*_: object) -> None:
    return None


def _reporter(module: Any) -> Callable[[str], Coroutine[Any, Any, None]]:
    reporter: Callable[[str], Coroutine[Any, Any, None]] = module.ProgressReporter(_nothing, interval=0.5)
    return reporter


async def _stream_each_piece(
    answer: str, piece_length: int, listener: Callable[[str], Coroutine[Any, Any, None]]
) -> float:
    """CPU seconds of one draft's calls, fed the way the clients fed them before: the listener at every piece."""
    pieces = [answer[start : start + piece_length] for start in range(0, len(answer), piece_length)]
    started = time.process_time()
    text = ""
    for piece in pieces:
        text += piece
        await notify(listener, text)
    return time.process_time() - started


async def _stream(
    answer: str,
    piece_length: int,
    listener: Callable[[str], Coroutine[Any, Any, None]] | None,
    pieces_per_second: float,
) -> float:
    """CPU seconds of one draft, fed the way the clients feed it now (`TextFeed`), at the model's speed.

    The feed hands the text over at most every `TEXT_FEED_INTERVAL_SECONDS` (0.25 s) of the model's time, and at
    each piece with a quote (where a field may start or end): a virtual clock advances by one piece's time at each
    piece, so the listener is called as often as with a real model streaming `pieces_per_second`, while the CPU is
    measured for real. `listener=None` is the client building its answer with
    no one listening: the cost every client pays, progress or not.
    """
    pieces = [answer[start : start + piece_length] for start in range(0, len(answer), piece_length)]
    clock = _VirtualClock(1 / pieces_per_second)
    real_monotonic = llm.time.monotonic
    llm.time.monotonic = clock  # type: ignore[assignment]
    try:
        started = time.process_time()
        feed = llm.TextFeed(listener)
        text = ""
        for piece in pieces:
            clock.tick()
            text += piece
            if feed.due(len(text), piece):
                await notify(listener, text)
        if feed.untold(len(text)):
            await notify(listener, text)
        return time.process_time() - started
    finally:
        llm.time.monotonic = real_monotonic  # type: ignore[assignment]


class _VirtualClock:
    """The model's time: one piece's worth per tick."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def tick(self) -> None:
        self.now += self.step

    def __call__(self) -> float:
        return self.now


def _full_parse(read: Callable[[str], object], answer: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.process_time()
        read(answer)
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark; print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 40_000, 400_000])
    parser.add_argument("--pieces", type=int, nargs="+", default=[4, 40])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--old-max-size", type=int, default=40_000)
    parser.add_argument(
        "--tokens-per-second", type=float, default=50.0, help="the model's speed, one piece a token (a fast GPU: 50)"
    )
    arguments = parser.parse_args()
    results: dict[tuple[int, int], dict[str, list[float]]] = {}
    for round_number in range(arguments.rounds):
        for size in arguments.sizes:
            answer = answer_of_size(size)
            assert progress.read_partial_sections(answer).completed == tuple(SECTION_KEYS)
            for piece_length in arguments.pieces:
                with_old = size <= arguments.old_max_size
                speed = arguments.tokens_per_second
                measured = {
                    "client_alone_s": asyncio.run(_stream(answer, piece_length, None, speed)),
                    "calls_s": asyncio.run(_stream(answer, piece_length, _nothing, speed)),
                    "old_s": asyncio.run(_stream_each_piece(answer, piece_length, _reporter(quadratic_progress)))
                    if with_old
                    else None,
                    "new_s": asyncio.run(_stream(answer, piece_length, _reporter(progress), speed)),
                    "new_full_parse_s": _full_parse(progress.read_partial_sections, answer),
                    "old_full_parse_s": _full_parse(quadratic_progress.read_partial_sections, answer),
                }
                series = results.setdefault((size, piece_length), {})
                for name, value in measured.items():
                    if value is not None:
                        series.setdefault(name, []).append(value)
                print(
                    json.dumps(
                        {
                            "round": round_number + 1,
                            "answer_chars": len(answer),
                            "piece_chars": piece_length,
                            **{name: None if value is None else round(value, 5) for name, value in measured.items()},
                        }
                    ),
                    flush=True,
                )
    for (size, piece_length), series in results.items():
        medians = {name: statistics.median(values) for name, values in series.items()}
        new, calls, alone = medians["new_s"], medians["calls_s"], medians["client_alone_s"]
        print(
            json.dumps(
                {
                    "summary": True,
                    "answer_chars": len(answer_of_size(size)),
                    "piece_chars": piece_length,
                    "rounds": arguments.rounds,
                    **{f"median_{name}": round(value, 5) for name, value in medians.items()},
                    "new_vs_new_full_parse": round(new / medians["new_full_parse_s"], 2),
                    "new_minus_calls_vs_new_full_parse": round((new - calls) / medians["new_full_parse_s"], 2),
                    "progress_vs_new_full_parse": round((new - alone) / medians["new_full_parse_s"], 2),
                    "new_vs_old_full_parse": round(new / medians["old_full_parse_s"], 2),
                    "old_vs_new": round(medians["old_s"] / new, 1) if "old_s" in medians else None,
                    "new_us_per_char": round(new / len(answer_of_size(size)) * 1e6, 3),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
