"""The catalogue: every stored backup with its manifest and status, in the order they were made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from propos4l.backup.model import Kind, Manifest, SnapshotStatus, time_of
from propos4l.backup.retention import Health
from propos4l.backup.store import BackupStore, CorruptSnapshot, StoredSnapshot

__all__ = ["CatalogEntry", "read_catalog"]


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A stored backup as listed: its manifest (None when unreadable), its status, and any problem reading it."""

    snapshot: StoredSnapshot
    manifest: Manifest | None
    status: SnapshotStatus
    problem: str | None

    @property
    def created_at(self) -> datetime:
        """When the backup was made (from its id when the manifest cannot be read)."""
        return self.manifest.created_at if self.manifest is not None else time_of(self.snapshot.id)

    @property
    def health(self) -> Health:
        """Corrupt when the manifest cannot be read, else what verification and drills found."""
        return Health.CORRUPT if self.problem is not None else self.status.health


def read_catalog(store: BackupStore, kind: Kind | None = None) -> list[CatalogEntry]:
    """Every stored backup (of one kind), oldest first; an unreadable manifest is listed with its problem."""
    entries = []
    for snapshot in store.list(kind):
        try:
            manifest: Manifest | None = store.manifest(snapshot)
            problem = None
        except CorruptSnapshot as error:
            manifest, problem = None, str(error)
        entries.append(CatalogEntry(snapshot, manifest, store.status(snapshot), problem))
    return sorted(entries, key=lambda entry: (entry.created_at, entry.snapshot.id))
