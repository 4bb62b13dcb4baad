"""Every schema sent to a model compiles, with llama.cpp's own converter, into a grammar under a fixed budget.

llama.cpp (and Ollama, which uses its converter) turns a JSON schema into a GBNF grammar; bounds such as
`maxLength: 40000` expand into one rule per repetition: the first draft schema made a 3.2 MB grammar that crashed
the server. The converter is the one llama-cpp-python ships (`llama_cpp.llama_grammar.json_schema_to_gbnf`), run in
the llama.cpp server's own environment.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from propos4l.generator.draft import draft_json_schema
from propos4l.generator.drafting import SectionAnswer
from propos4l.generator.plan import grounded_json_schema, plan_json_schema, regeneration_json_schema
from propos4l.generator.schemas import model_schema, strict_json_schema
from propos4l.shared.grounding import ContextPassage, DraftingContext, RateCardLine, RosterPerson
from tests.support.grounding import stable_id

pytestmark = pytest.mark.conformance

GRAMMAR_BUDGET_BYTES = 8 * 1024
_CONVERT = """
import json, sys
from llama_cpp.llama_grammar import json_schema_to_gbnf
schemas = json.load(sys.stdin)
print(json.dumps({name: len(json_schema_to_gbnf(json.dumps(schema)).encode()) for name, schema in schemas.items()}))
"""


def _grammar_sizes(python: Path, schemas: dict[str, dict[str, Any]]) -> dict[str, int]:
    done = subprocess.run(
        [str(python), "-c", _CONVERT], input=json.dumps(schemas), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sizes: dict[str, int] = json.loads(done.stdout)
    return sizes


def _largest_context() -> DraftingContext:
    """A drafting context as large as the gateway makes one: 12 passages, 40 people, and a rate card of 30 roles."""
    roles = [RateCardLine(role_id=stable_id(f"role/{n}"), role_name=f"Papel {n}") for n in range(30)]
    return DraftingContext(
        passages=tuple(
            ContextPassage(id=stable_id(f"passage/{n}"), kind="case_study", title=f"Caso {n}", text="texto")
            for n in range(12)
        ),
        roster=tuple(
            RosterPerson(
                id=stable_id(f"person/{n}"),
                name=f"Pessoa {n}",
                role_id=roles[n % len(roles)].role_id,
                role_name=roles[n % len(roles)].role_name,
                seniority="senior",
            )
            for n in range(40)
        ),
        rate_card=tuple(roles),
    )


def _sent_schemas() -> dict[str, dict[str, Any]]:
    """Each schema as it goes on the wire: Ollama's `format` and json_object's schema, and json_schema's strict one."""
    sent: dict[str, dict[str, Any]] = {}
    context = _largest_context()
    for name, schema in (
        ("draft", draft_json_schema()),
        ("section", SectionAnswer.model_json_schema()),
        ("plan", plan_json_schema(context)),
        ("grounded", grounded_json_schema(context)),
        ("regeneration", regeneration_json_schema(context)),
    ):
        sent[f"{name}/shape"] = model_schema(schema)
        sent[f"{name}/strict"] = strict_json_schema(model_schema(schema))
    return sent


def test_every_schema_we_send_compiles_into_a_small_grammar(llama_interpreter: Path) -> None:
    sizes = _grammar_sizes(llama_interpreter, _sent_schemas())
    assert set(sizes) == {
        f"{name}/{kind}"
        for name in ("draft", "section", "plan", "grounded", "regeneration")
        for kind in ("shape", "strict")
    }
    oversized = {name: size for name, size in sizes.items() if size > GRAMMAR_BUDGET_BYTES}
    assert not oversized, f"grammars over {GRAMMAR_BUDGET_BYTES} bytes: {oversized}"


def test_the_budget_catches_the_schema_that_crashed_the_server(llama_interpreter: Path) -> None:
    """The schema with our validation bounds (what was sent before) is far over the budget: the check can fail."""
    sizes = _grammar_sizes(llama_interpreter, {"draft/bounded": draft_json_schema()})
    assert sizes["draft/bounded"] > 100 * GRAMMAR_BUDGET_BYTES
