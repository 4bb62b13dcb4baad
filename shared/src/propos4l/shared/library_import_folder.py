"""The files `propos4l library import` reads from a folder: JSON or CSV records of the library, and documents.

company.json, services.json|csv, roles.json|csv (with rates), people.json|csv (the role by its name),
case_studies.json|csv, and every other file with a document extension. docs/operations.md ("Knowledge library")
describes the formats; docs/examples/library/ is an example folder. Each record gets an import key: its `id`, or a
key made of its natural key (a role's name, a person's name and role), so a second import updates the same rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "ImportFolder",
    "ImportRecord",
    "LibraryFileError",
    "read_folder",
]

DOCUMENT_EXTENSIONS: Final = frozenset({".pdf", ".docx", ".md", ".markdown", ".html", ".htm", ".txt"})
RECORD_FILES: Final = ("company", "services", "roles", "people", "case_studies")

# CSV cells that hold lists: items separated by semicolons ("AWS; Kubernetes").
_LIST_COLUMNS: Final = frozenset(
    {"deliverables", "industries", "technologies", "skills", "certifications", "partnerships", "languages"}
)
_INTEGER_COLUMNS: Final = frozenset({"typical_duration_weeks", "year"})
_BOOLEAN_COLUMNS: Final = frozenset({"active", "anonymised", "may_be_named"})
_TRUE: Final = frozenset({"true", "yes", "sim", "1", "y", "s"})
_FALSE: Final = frozenset({"false", "no", "não", "nao", "0", "n"})
_RATE_COLUMNS: Final = ("hourly_rate", "currency", "valid_from")


class LibraryFileError(ValueError):
    """A file of the folder cannot be read as the format says; the message names the file and the place."""


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One record of a file: where it came from (for messages), its import key and its fields."""

    source: str
    import_key: str
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportFolder:
    """What a folder holds, in the order it is imported."""

    company: list[ImportRecord] = field(default_factory=list)
    services: list[ImportRecord] = field(default_factory=list)
    roles: list[ImportRecord] = field(default_factory=list)
    people: list[ImportRecord] = field(default_factory=list)
    case_studies: list[ImportRecord] = field(default_factory=list)
    documents: list[Path] = field(default_factory=list)


def read_folder(folder: Path) -> ImportFolder:
    """Every record and document of `folder`; raise LibraryFileError for a file that is not as documented."""
    if not folder.is_dir():
        raise LibraryFileError(f"{folder} is not a folder")
    records: dict[str, list[ImportRecord]] = {}
    used: set[Path] = set()
    for name in RECORD_FILES:
        found = [
            folder / f"{name}.{extension}" for extension in ("json", "csv") if (folder / f"{name}.{extension}").exists()
        ]
        if len(found) > 1:
            raise LibraryFileError(f"{folder} has both {name}.json and {name}.csv; keep one")
        used.update(found)
        rows = list(_rows(found[0])) if found else []
        records[name] = _with_keys(name, rows)
    documents = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in DOCUMENT_EXTENSIONS
        and path not in used
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    return ImportFolder(**records, documents=documents)


def _rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, fields) of each record of a JSON or CSV file."""
    if path.suffix == ".json":
        yield from _json_rows(path)
    else:
        yield from _csv_rows(path)


def _json_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LibraryFileError(f"{path.name}: not valid UTF-8 JSON: {error}") from None
    if path.stem == "company" and isinstance(data, dict):  # {"pt-BR": {...}, "en": {...}}
        data = [{**profile, "language": language} for language, profile in data.items()]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LibraryFileError(f"{path.name}: expected a list of objects")
    for index, item in enumerate(data):
        yield f"{path.name} item {index + 1}", item


def _csv_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            for number, row in enumerate(csv.DictReader(file), start=2):
                where = f"{path.name} line {number}"
                if None in row:
                    raise LibraryFileError(f"{where}: more cells than the header has columns")
                yield where, {name.strip(): value for name, value in row.items() if name and value and value.strip()}
    except UnicodeDecodeError as error:
        raise LibraryFileError(f"{path.name}: not UTF-8: {error}") from None


def _cell(where: str, name: str, value: str) -> Any:
    """A CSV cell as the API takes it: lists split on semicolons, numbers and yes/no read."""
    text = value.strip()
    if name in _LIST_COLUMNS:
        return [item.strip() for item in text.split(";") if item.strip()]
    if name in _INTEGER_COLUMNS:
        try:
            return int(text)
        except ValueError:
            raise LibraryFileError(f"{where}: {name} must be a whole number, not {text!r}") from None
    if name in _BOOLEAN_COLUMNS:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise LibraryFileError(f"{where}: {name} must be true or false, not {text!r}")
    return text


def _with_keys(name: str, rows: list[tuple[str, dict[str, Any]]]) -> list[ImportRecord]:
    from_csv = [where for where, _ in rows if " line " in where]
    records: list[ImportRecord] = []
    for where, raw in rows:
        fields = {key: _cell(where, key, value) for key, value in raw.items()} if where in from_csv else dict(raw)
        explicit = fields.pop("id", None)
        key = str(explicit).strip() if explicit not in (None, "") else _natural_key(name, where, fields)
        records.append(ImportRecord(where, key, fields))
    if name == "roles":
        records = _merge_rates(records)
    keys = [record.import_key for record in records]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise LibraryFileError(f"{name}: several records share the key {duplicates[0]!r}; give them distinct ids")
    return records


def _natural_key(name: str, where: str, fields: dict[str, Any]) -> str:
    """A key made of what tells a record apart when it has no `id`."""

    def text(key: str) -> str:
        return str(fields.get(key) or "").strip().casefold()

    if name == "company":
        return text("language") or "pt-br"
    if name == "roles":
        parts = [text("name")]
    elif name == "people":
        parts = [text("name"), text("role")]
    elif name == "services":
        parts = [text("name"), text("language") or "pt-br"]
    else:
        parts = [text("client"), text("industry"), text("year"), text("language") or "pt-br"]
    if not parts[0] and name != "case_studies":
        raise LibraryFileError(f"{where}: a record needs a name (or an id)")
    return "|".join(parts)


def _merge_rates(records: list[ImportRecord]) -> list[ImportRecord]:
    """Roles with their rates: a JSON role's `rates` list, or the rate columns of CSV rows (one row per rate)."""
    merged: dict[str, ImportRecord] = {}
    for record in records:
        fields = dict(record.fields)
        rates = list(fields.pop("rates", None) or [])
        if any(column in fields for column in _RATE_COLUMNS):
            rates.append({column: fields.pop(column) for column in _RATE_COLUMNS if column in fields})
        if record.import_key in merged:
            merged[record.import_key].fields["rates"].extend(rates)
        else:
            merged[record.import_key] = ImportRecord(record.source, record.import_key, {**fields, "rates": rates})
    return list(merged.values())
