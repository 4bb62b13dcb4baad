"""The proposal list at 100k proposals: the query shapes the gateway runs now against the ones it ran before.

The seeded versions have no sections: the old shape, which read every listed proposal's current version (sections
included) for a list that shows none of it, would cost more with real drafts than measured here.

Before: count(*) of every match, `client_name ILIKE '%q%'` (no index can serve it), OFFSET paging. Now: a count that
stops at PROPOSAL_LIST_COUNT_LIMIT, a word-prefix full-text search served by a GIN index, keyset paging by cursor.
Both run through the same connection, against the same seeded database, in alternation within each round, so
whatever else the machine does weighs on both. Goal: list and search p95 <= 20 ms at 100k proposals.

Prints one JSON line per round (p50 and p95 in ms per query, old and new side by side), then a summary line.

    python bench/bench_proposal_list.py [--proposals 100000] [--rounds 5] [--calls 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

import asyncpg

from propos4l.gateway.proposal_listing import ListPosition, ProposalFilters, read_page
from propos4l.gateway.repository import _PROPOSAL_COLUMNS, _SUMMARY_COLUMNS
from propos4l.shared.db import apply_migrations, create_pool
from propos4l.shared.localrun.servers import LocalPostgres

GOAL_P95_MS: Final = 20.0
PAGE_SIZE: Final = 20
COUNT_LIMIT: Final = 1000  # the default of PROPOSAL_LIST_COUNT_LIMIT
SEARCH: Final = "horizonte"  # the first word of one name in 40: 2,500 matches at 100k
RARE_SEARCH: Final = "54321"  # one client (its number), as when someone looks for a proposal they know
DEEP_PAGE: Final = 50

FIRST_WORDS: Final = (
    "Acme Banco Construtora Padaria Horizonte Cooperativa Farmácia Hospital Escola Transportes Logística Agro Metal "
    "Têxtil Clínica Hotel Mercado Indústria Editora Rede Grupo Instituto Laboratório Oficina Distribuidora Comercial "
    "Engenharia Consultoria Tecnologia Seguros Energia Mineração Papel Vidros Móveis Calçados Bebidas Alimentos "
    "Química Digital"
).split()
SECOND_WORDS: Final = "Sol Norte Sul Leste Oeste Brasil Vale Verde Azul Nova Central Paulista Mineira Gaúcha".split()
INDUSTRIES: Final = ("Varejo", "Finanças", "Saúde", "Logística", "Indústria", "Educação", "Energia", "Construção")


async def seed(pool: asyncpg.Pool, proposals: int) -> None:
    """`proposals` proposals with a first version each, created over a year, with varied names and statuses."""
    async with pool.acquire() as connection:
        await connection.execute(
            """INSERT INTO proposals (id, client_name, industry, requirements, language, template, status,
                                      created_at, updated_at)
               SELECT gen_random_uuid(),
                      ($1::text[])[1 + i % array_length($1::text[], 1)] || ' '
                        || ($2::text[])[1 + (i / 7) % array_length($2::text[], 1)] || ' ' || i,
                      ($3::text[])[1 + (i / 3) % array_length($3::text[], 1)],
                      'Portal de obras com integração ao ERP', 'pt-BR', 'default',
                      (ARRAY['ready','ready','ready','ready','ready','ready','failed','queued'])[1 + i % 8],
                      now() - make_interval(secs => (i * 317) % 31536000), now()
               FROM generate_series(1, $4) AS i""",
            list(FIRST_WORDS),
            list(SECOND_WORDS),
            list(INDUSTRIES),
            proposals,
            timeout=600,
        )
        await connection.execute(
            "INSERT INTO proposal_versions (proposal_id, version) SELECT id, 1 FROM proposals", timeout=600
        )
        await connection.execute("VACUUM ANALYZE proposals", timeout=600)
        await connection.execute("VACUUM ANALYZE proposal_versions", timeout=600)


# --- the query shapes the gateway ran before (repository.list until this benchmark's commit) ------------------------


async def old_page(connection: asyncpg.Connection, search: str | None, offset: int) -> int:
    arguments: list[Any] = []
    where = ""
    if search:
        arguments.append(f"%{search}%")
        where = "WHERE p.client_name ILIKE $1"
    total = await connection.fetchval(f"SELECT count(*) FROM proposals p {where}", *arguments)  # noqa: S608
    await connection.fetch(
        f"""SELECT {_PROPOSAL_COLUMNS}
            FROM proposals p
            LEFT JOIN proposal_versions v ON v.proposal_id = p.id AND v.version = p.current_version
            {where}
            ORDER BY p.created_at DESC, p.id DESC
            LIMIT ${len(arguments) + 1} OFFSET ${len(arguments) + 2}""",  # noqa: S608
        *arguments,
        PAGE_SIZE,
        offset,
    )
    return int(total)


# --- what the gateway runs now ---------------------------------------------------------------------------------------


async def new_page(connection: asyncpg.Connection, search: str | None, after: ListPosition | None) -> int:
    page = await read_page(
        connection,
        _SUMMARY_COLUMNS,
        ProposalFilters(search=search),
        limit=PAGE_SIZE,
        offset=0,
        after=after,
        count_limit=COUNT_LIMIT,
    )
    return page.total


async def position_of_page(connection: asyncpg.Connection, page: int) -> ListPosition:
    """Where page `page` (1-based) starts: the end of the page before it, as a client following cursors has it."""
    row = await connection.fetchrow(
        "SELECT created_at, id FROM proposals ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1",
        (page - 1) * PAGE_SIZE - 1,
    )
    assert row is not None
    return ListPosition(row["created_at"], row["id"])


async def timed_ms(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


def percentiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return {"p50": round(statistics.median(samples), 2), "p95": round(cuts[18], 2)}


async def run(proposals: int, rounds: int, calls: int) -> int:
    folder = Path(tempfile.mkdtemp(prefix="propos4l-bench-list-"))
    server = LocalPostgres(folder / "postgres")
    server.start()
    try:
        await apply_migrations(server.url)
        pool = await create_pool(server.url, max_size=2)
        try:
            started = time.perf_counter()
            await seed(pool, proposals)
            print(json.dumps({"seeded": proposals, "seconds": round(time.perf_counter() - started, 1)}))
            async with pool.acquire() as connection:
                deep = await position_of_page(connection, DEEP_PAGE)
                shapes: dict[str, tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]] = {
                    "list": (lambda: old_page(connection, None, 0), lambda: new_page(connection, None, None)),
                    "search": (lambda: old_page(connection, SEARCH, 0), lambda: new_page(connection, SEARCH, None)),
                    "search one": (
                        lambda: old_page(connection, RARE_SEARCH, 0),
                        lambda: new_page(connection, RARE_SEARCH, None),
                    ),
                    f"page {DEEP_PAGE}": (
                        lambda: old_page(connection, None, (DEEP_PAGE - 1) * PAGE_SIZE),
                        lambda: new_page(connection, None, deep),
                    ),
                }
                for old, new in shapes.values():  # warm the caches and the prepared statements
                    await old()
                    await new()
                summary: dict[str, dict[str, list[float]]] = {name: {"old": [], "new": []} for name in shapes}
                for number in range(1, rounds + 1):
                    line: dict[str, Any] = {"round": number}
                    for name, (old, new) in shapes.items():
                        samples: dict[str, list[float]] = {"old": [], "new": []}
                        for _ in range(calls):
                            samples["old"].append(await timed_ms(old))
                            samples["new"].append(await timed_ms(new))
                        line[name] = {side: percentiles(values) for side, values in samples.items()}
                        for side in ("old", "new"):
                            summary[name][side].append(line[name][side]["p95"])
                    print(json.dumps(line, ensure_ascii=False))
        finally:
            await pool.close()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    medians = {name: {side: statistics.median(p95s) for side, p95s in sides.items()} for name, sides in summary.items()}
    met = all(medians[name]["new"] <= GOAL_P95_MS for name in ("list", "search", "search one"))
    print(
        json.dumps(
            {
                "proposals": proposals,
                "median_p95_ms": medians,
                "speedup": {name: round(m["old"] / m["new"], 1) for name, m in medians.items()},
                "goal_p95_ms": GOAL_P95_MS,
                "goal_met": met,
            },
            ensure_ascii=False,
        )
    )
    return 0 if met else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--proposals", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=40, help="calls of each query shape per round")
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(run(arguments.proposals, arguments.rounds, arguments.calls)))


if __name__ == "__main__":
    main()
