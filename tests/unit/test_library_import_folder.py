"""Reading a library import folder: JSON and CSV records, import keys, rates merged into roles, documents found."""

from __future__ import annotations

from pathlib import Path

import pytest

from propos4l.shared.cli import main
from propos4l.shared.library_import_folder import LibraryFileError, read_folder

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "library"


def test_the_example_folder_reads_with_keys_from_ids_or_natural_keys() -> None:
    folder = read_folder(EXAMPLE)
    assert [record.import_key for record in folder.company] == ["pt-br", "en"]
    assert [record.import_key for record in folder.services] == ["svc-migracao", "svc-dados", "data platform|en"]
    assert folder.services[0].fields["technologies"] == ["AWS", "Terraform", "Kubernetes"]
    assert folder.services[0].fields["typical_duration_weeks"] == 12 and "review_by" not in folder.services[2].fields
    assert folder.roles[0].import_key == "arquiteto de soluções sênior"
    assert [rate["hourly_rate"] for rate in folder.roles[0].fields["rates"]] == ["320.00", "350.00"]
    assert folder.people[0].import_key == "joana prado|arquiteto de soluções sênior"
    assert folder.people[1].fields["active"] is True  # "sim"
    assert [record.import_key for record in folder.case_studies] == ["case-varejo-2025", "case-banco-2024"]
    assert [path.name for path in folder.documents] == ["metodologia.md"]


def test_csv_roles_give_one_role_per_name_with_a_rate_per_row(tmp_path: Path) -> None:
    (tmp_path / "roles.csv").write_text(
        "name,hourly_rate,currency,valid_from\nAnalista,100.00,BRL,2025-01-01\nanalista,110.00,BRL,2026-01-01\n"
    )
    [role] = read_folder(tmp_path).roles
    assert role.fields["rates"] == [
        {"hourly_rate": "100.00", "currency": "BRL", "valid_from": "2025-01-01"},
        {"hourly_rate": "110.00", "currency": "BRL", "valid_from": "2026-01-01"},
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.csv", "name,active\nAna,talvez\n", "active must be true or false"),
        ("services.csv", "name,typical_duration_weeks\nX,seis\n", "whole number"),
        ("people.json", '{"name": "Ana"}', "a list of objects"),
        ("people.json", "[{", "not valid UTF-8 JSON"),
        ("services.json", '[{"id": "a", "name": "X"}, {"id": "a", "name": "Y"}]', "share the key 'a'"),
        ("people.csv", "name,bio\n,sem nome\n", "needs a name"),
    ],
)
def test_a_malformed_file_is_refused_with_where(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(LibraryFileError, match=message):
        read_folder(tmp_path)


def test_json_and_csv_of_the_same_records_are_refused(tmp_path: Path) -> None:
    (tmp_path / "people.json").write_text("[]")
    (tmp_path / "people.csv").write_text("name\n")
    with pytest.raises(LibraryFileError, match="both people.json and people.csv"):
        read_folder(tmp_path)


def test_the_import_command_wants_a_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PROPOS4L_TOKEN", raising=False)
    assert main(["library", "import", str(EXAMPLE)]) == 2
    assert "--token" in capsys.readouterr().err
