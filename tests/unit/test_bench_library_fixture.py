"""The retrieval benchmark's fixture library reads through the import folder reader, is as large as the evaluation
needs, and every query's expected source exists in it."""

from __future__ import annotations

from pathlib import Path

from propos4l.library.markup_reader import read_markdown
from propos4l.shared.library_import_folder import read_folder
from tests.support.library_fixture import FIXTURE, document_language, read_queries, record_keys


def test_the_fixture_library_reads_through_the_import_folder_reader_with_the_sizes_the_evaluation_needs() -> None:
    folder = read_folder(FIXTURE)
    assert {record.fields["language"] for record in folder.company} == {"pt-BR", "en"}
    assert len(folder.services) >= 8 and len(folder.roles) >= 8
    assert len(folder.people) >= 30 and len(folder.case_studies) >= 15 and len(folder.documents) >= 10
    for records in (folder.services, folder.people, folder.case_studies):
        assert {record.fields.get("language", "pt-BR") for record in records} == {"pt-BR", "en"}
    assert {document_language(path.relative_to(FIXTURE)) for path in folder.documents} == {"pt-BR", "en"}
    assert sum(record.fields.get("anonymised", False) for record in folder.case_studies) >= 3
    for role in folder.roles:
        assert role.fields["rates"] and all(rate["currency"] == "BRL" for rate in role.fields["rates"])


def test_every_person_has_a_role_of_the_rate_card() -> None:
    folder = read_folder(FIXTURE)
    roles = {role.fields["name"] for role in folder.roles}
    assert {person.fields["role"] for person in folder.people} <= roles


def _headings(path: Path) -> set[str]:
    return {heading for block in read_markdown(path).blocks for heading in block.heading_path}


def test_every_query_expects_sources_the_fixture_has() -> None:
    queries = read_queries()
    assert len(queries) >= 40 and {query.language for query in queries} == {"pt-BR", "en"}
    assert len({query.id for query in queries}) == len(queries)
    entries = record_keys()
    for query in queries:
        assert query.expected, query.id
        for expected in query.expected:
            if not expected.startswith("document:"):
                assert expected in entries, (query.id, expected)
                continue
            path, _, heading = expected.removeprefix("document:").partition("#")
            assert (FIXTURE / path).is_file(), (query.id, path)
            assert not heading or heading in _headings(FIXTURE / path), (query.id, expected)
