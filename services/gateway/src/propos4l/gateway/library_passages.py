"""The passages search finds for a library entry, and writing them in the entry's own transaction.

An entry's passages are rewritten whole on every save (deleted, then inserted): an entry is small, and its passage
ids are stable for identical text (`passage_id`), so citations of unchanged passages stay valid. A case study's
client is left out of its passages unless the client may be named.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

from propos4l.gateway.library_records import EntryRecord
from propos4l.gateway.library_schemas import client_label
from propos4l.shared.library_text import content_digest, passage_id, search_config, search_text

__all__ = ["PassageText", "entry_passages", "write_passages"]


@dataclass(frozen=True, slots=True)
class PassageText:
    """One passage of an entry, before it gets its id and search text."""

    title: str
    body: str
    headings: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    technologies: tuple[str, ...] = ()


_LABELS: Final[dict[str, dict[str, str]]] = {
    "pt-BR": {
        "company": "Perfil da empresa",
        "description": "Descrição",
        "positioning": "Posicionamento",
        "credentials": "Certificações e parcerias",
        "certifications": "Certificações",
        "partnerships": "Parcerias",
        "standard_terms": "Condições comerciais",
        "deliverables": "Entregáveis",
        "duration": "Duração típica",
        "weeks": "semanas",
        "industries": "Setores",
        "technologies": "Tecnologias",
        "role": "Papel",
        "seniority": "Senioridade",
        "skills": "Competências",
        "languages": "Idiomas",
        "client": "Cliente",
        "industry": "Setor",
        "problem": "Problema",
        "solution": "Solução",
        "results": "Resultados",
        "year": "Ano",
    },
    "en": {
        "company": "Company profile",
        "description": "Description",
        "positioning": "Positioning",
        "credentials": "Certifications and partnerships",
        "certifications": "Certifications",
        "partnerships": "Partnerships",
        "standard_terms": "Standard terms",
        "deliverables": "Deliverables",
        "duration": "Typical duration",
        "weeks": "weeks",
        "industries": "Industries",
        "technologies": "Technologies",
        "role": "Role",
        "seniority": "Seniority",
        "skills": "Skills",
        "languages": "Languages",
        "client": "Client",
        "industry": "Industry",
        "problem": "Problem",
        "solution": "Solution",
        "results": "Results",
        "year": "Year",
    },
}


def company_title(language: str) -> str:
    """The title of the company profile in `language`."""
    return _LABELS[language]["company"]


def entry_passages(entry: EntryRecord) -> list[PassageText]:
    """What search should find of `entry`, in order."""
    labels = _LABELS[entry.language]
    fields = entry.fields
    if entry.kind == "company":
        return _company(entry.title, fields, labels)
    if entry.kind == "service":
        return [_service(entry.title, fields, labels)]
    if entry.kind == "person":
        return [_person(entry, labels)]
    return [_case_study(entry.title, fields, entry.language, labels)]


def _lines(*pairs: tuple[str, object]) -> str:
    """'Label: value' lines of the values that are not empty (lists joined with commas)."""
    lines = []
    for label, value in pairs:
        text = ", ".join(str(item) for item in value) if isinstance(value, list | tuple) else str(value or "")
        if text.strip():
            lines.append(f"{label}: {text}" if label else text)
    return "\n".join(lines)


def _company(title: str, fields: dict[str, Any], labels: dict[str, str]) -> list[PassageText]:
    parts = [
        (labels["description"], fields.get("description", "")),
        (labels["positioning"], fields.get("positioning", "")),
        (
            labels["credentials"],
            _lines(
                (labels["certifications"], fields.get("certifications", [])),
                (labels["partnerships"], fields.get("partnerships", [])),
            ),
        ),
        (labels["standard_terms"], fields.get("standard_terms", "")),
    ]
    return [PassageText(title, body, (heading,)) for heading, body in parts if body.strip()]


def _service(title: str, fields: dict[str, Any], labels: dict[str, str]) -> PassageText:
    weeks = fields.get("typical_duration_weeks")
    body = _lines(
        ("", fields.get("description", "")),
        (labels["deliverables"], fields.get("deliverables", [])),
        (labels["duration"], f"{weeks} {labels['weeks']}" if weeks else ""),
        (labels["industries"], fields.get("industries", [])),
        (labels["technologies"], fields.get("technologies", [])),
    )
    return PassageText(
        title, body, industries=tuple(fields.get("industries", [])), technologies=tuple(fields.get("technologies", []))
    )


def _person(entry: EntryRecord, labels: dict[str, str]) -> PassageText:
    fields = entry.fields
    body = _lines(
        (labels["role"], entry.role_name or ""),
        (labels["seniority"], fields.get("seniority") or ""),
        ("", fields.get("bio", "")),
        (labels["skills"], fields.get("skills", [])),
        (labels["certifications"], fields.get("certifications", [])),
        (labels["languages"], fields.get("languages", [])),
    )
    # A person's skills double as technologies, so a technology filter finds the people who know it.
    return PassageText(entry.title, body, technologies=tuple(fields.get("skills", [])))


def _case_study(title: str, fields: dict[str, Any], language: str, labels: dict[str, str]) -> PassageText:
    body = _lines(
        (labels["client"], client_label(fields, language)),
        (labels["industry"], fields.get("industry", "")),
        (labels["problem"], fields.get("problem", "")),
        (labels["solution"], fields.get("solution", "")),
        (labels["results"], fields.get("results", "")),
        (labels["technologies"], fields.get("technologies", [])),
        (labels["year"], fields.get("year") or ""),
    )
    return PassageText(
        title, body, industries=(fields["industry"],), technologies=tuple(fields.get("technologies", []))
    )


async def write_passages(connection: asyncpg.Connection, entry: EntryRecord) -> int:
    """Replace `entry`'s passages with those `entry_passages` gives, inside the caller's transaction; how many."""
    await connection.execute("DELETE FROM library_passages WHERE entry_id = $1", entry.id)
    passages = entry_passages(entry)
    await connection.executemany(
        """INSERT INTO library_passages (id, entry_id, ordinal, kind, language, title, heading_path, body,
                                         industries, technologies, search_config, search_text, content_sha256)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::regconfig, $12, $13)""",
        _rows(entry.id, entry.kind, entry.language, passages),
    )
    return len(passages)


def _rows(entry_id: uuid.UUID, kind: str, language: str, passages: Sequence[PassageText]) -> list[tuple[object, ...]]:
    configuration = search_config(language)
    rows: list[tuple[object, ...]] = []
    for ordinal, passage in enumerate(passages):
        digest = content_digest(passage.title, *passage.headings, passage.body)
        rows.append(
            (
                passage_id(entry_id, ordinal, digest),
                entry_id,
                ordinal,
                kind,
                language,
                passage.title,
                list(passage.headings),
                passage.body,
                list(passage.industries),
                list(passage.technologies),
                configuration,
                search_text(passage.title, passage.body, passage.headings),
                digest,
            )
        )
    return rows
