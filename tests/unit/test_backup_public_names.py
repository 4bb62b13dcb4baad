"""Public names of the backup package: what its modules export, and the backup ids its commands take."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import propos4l.backup

MODULES = [
    info.name
    for info in pkgutil.iter_modules(propos4l.backup.__path__, "propos4l.backup.")
    if not info.name.endswith("__main__")
]


@pytest.mark.parametrize("name", MODULES)
def test_every_public_definition_is_exported_and_every_export_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(getattr(module, "__all__", ()))
    assert exported, f"{name} has no __all__"
    assert all(hasattr(module, item) for item in exported)
    defined_here = {
        item
        for item, value in vars(module).items()
        if not item.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", None) == name
    }
    assert defined_here <= exported, f"{name} defines {sorted(defined_here - exported)} without exporting them"


def test_backup_ids_carry_their_kind_and_time() -> None:
    from datetime import UTC, datetime

    from propos4l.backup.model import BackupError, Kind, kind_of, new_snapshot_id, time_of

    moment = datetime(2026, 3, 12, 6, 0, 1, 500, tzinfo=UTC)
    backup_id = new_snapshot_id(Kind.PDFS, moment)
    assert backup_id.startswith("pdfs-20260312T060001Z-") and kind_of(backup_id) is Kind.PDFS
    assert time_of(backup_id) == moment.replace(microsecond=0)
    with pytest.raises(BackupError, match="'yesterday' is not a backup id"):
        kind_of("yesterday")
