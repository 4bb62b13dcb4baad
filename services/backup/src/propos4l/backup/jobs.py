"""Backup jobs, the same for the agent and the CLI: make, verify, prune, copy off-site; drill; verify; restore."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from propos4l.backup.blocking import Cancellation, run_blocking
from propos4l.backup.bucket_trees import (
    RestoredObjects,
    current_bucket_version,
    restore_into_store,
    snapshot_bucket,
)
from propos4l.backup.catalog import CatalogEntry, read_catalog
from propos4l.backup.database import RestoreFailed, RestoreReport, dump_database, restore_database, scratch_database
from propos4l.backup.model import (
    Artifact,
    BackupError,
    DatabaseInfo,
    Drill,
    Encryption,
    FileEntry,
    Kind,
    Manifest,
    Trigger,
    kind_of,
    new_snapshot_id,
    utc_now,
)
from propos4l.backup.offsite import OffsiteCopy
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.pdf_records import PdfRecords, RecordedPdf, pdf_record_mismatches
from propos4l.backup.pgtools import libpq_target
from propos4l.backup.records import BackupRecords, KindStatus, snapshot_row
from propos4l.backup.retention import Candidate, Health, plan_retention
from propos4l.backup.store import BackupStore, StoredSnapshot
from propos4l.backup.trees import RestoredTree, current_tree_version, restore_tree, snapshot_tree
from propos4l.backup.verify import Level, ObjectChecks, VerifyOutcome, record_verification, verify_snapshot
from propos4l.shared.object_store import ObjectStore
from propos4l.shared.outages import DependencyUnavailable

__all__ = ["BackupJobs", "DrillResult", "RunResult"]

logger = logging.getLogger(__name__)

_TREE_KINDS = (Kind.PDFS, Kind.TEMPLATES, Kind.LIBRARY)


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a backup run did."""

    kind: Kind
    snapshot_id: str
    created: bool
    manifest: Manifest | None
    seconds: float
    pruned: tuple[str, ...] = ()
    repaired: tuple[str, ...] = ()
    offsite: tuple[str, ...] = ()
    offsite_error: str | None = None
    record_mismatches: tuple[str, ...] = ()
    """PDFs whose stored bytes differ from what the gateway recorded (see `pdf_records`)."""

    def describe(self) -> str:
        """One line for logs and the CLI."""
        if not self.created:
            return f"{self.kind} unchanged since {self.snapshot_id}, which verified again"
        assert self.manifest is not None
        parts = [
            f"{self.snapshot_id} verified: {self.manifest.file_count} files, {self.manifest.size_bytes} bytes "
            f"({self.manifest.stored_bytes} new) in {self.seconds:.1f} s"
        ]
        if self.pruned:
            parts.append(f"pruned {', '.join(self.pruned)}")
        if self.offsite:
            parts.append(f"copied off-site {', '.join(self.offsite)}")
        if self.offsite_error:
            parts.append(f"off-site copy failed: {self.offsite_error}")
        if self.record_mismatches:
            parts.append(
                f"{len(self.record_mismatches)} stored PDFs differ from their records: "
                + "; ".join(self.record_mismatches[:5])
            )
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class DrillResult:
    """A restore drill: the backup, whether it restored with every row count matching, and how long it took."""

    snapshot_id: str
    ok: bool
    seconds: float
    detail: str
    report: RestoreReport | None


class BackupJobs:
    """Runs backup jobs against one store; one job at a time per process, and per store across processes."""

    def __init__(
        self,
        store: BackupStore,
        sources: Sources,
        options: JobOptions,
        *,
        records: BackupRecords | None = None,
        offsite: OffsiteCopy | None = None,
        pdf_records: PdfRecords | None = None,
    ) -> None:
        self.store = store
        self.sources = sources
        self.options = options
        self.records = records
        self.offsite = offsite
        self.pdf_records = pdf_records
        self._lock = asyncio.Lock()

    # Backups.

    async def run(self, kind: Kind, trigger: Trigger, *, only_if_changed: bool = False) -> RunResult:
        """Back up `kind`, verify the result, prune by retention, and copy off-site; record every outcome."""
        started = utc_now()
        clock = time.monotonic()
        snapshot_id = new_snapshot_id(kind, started)
        touched = {kind}
        try:
            async with self._locked(exclusive=True):
                # Named once the store is ours, so that ids and times order backups as they were made.
                started, clock = utc_now(), time.monotonic()
                snapshot_id = new_snapshot_id(kind, started)
                if only_if_changed and kind in _TREE_KINDS:
                    unchanged = await run_blocking(lambda cancellation: self._confirm_unchanged(kind, cancellation))
                    if unchanged is not None:
                        return RunResult(kind, unchanged, False, None, time.monotonic() - clock)
                recorded = await self._recorded_pdfs() if kind is Kind.PDFS else None  # read before the files
                snapshot, manifest, added = await self._create(kind, snapshot_id, trigger, started, clock)
                checks = ObjectChecks()
                repaired = await run_blocking(
                    lambda cancellation: self._verify_new(snapshot, manifest, added, checks, cancellation)
                )
                pruned = await run_blocking(
                    lambda cancellation: self._prune(kind, checks, cancellation, verified=snapshot.id)
                )
                offsite, offsite_error = await run_blocking(
                    lambda cancellation: self._copy_offsite(pruned, cancellation)
                )
                touched.update(kind_of(uploaded) for uploaded in offsite)
            mismatches = pdf_record_mismatches(manifest.files, recorded) if recorded is not None else ()
            if mismatches:
                logger.error(
                    "stored PDFs differ from what the gateway recorded",
                    extra={"backup_id": snapshot_id, "count": len(mismatches), "problems": mismatches[:50]},
                )
            result = RunResult(
                kind,
                snapshot_id,
                True,
                manifest,
                time.monotonic() - clock,
                tuple(snapshot.id for snapshot in pruned[0]),
                repaired,
                tuple(offsite),
                offsite_error,
                mismatches,
            )
            logger.info(
                "backup made",
                extra={
                    "backup_id": snapshot_id,
                    "kind": kind.value,
                    "seconds": round(result.seconds, 3),
                    "result": result.describe(),
                },
            )
            return result
        except BackupError as error:
            await self._record_failure(snapshot_id, kind, trigger, started, str(error))
            raise
        except Exception as error:  # recorded and reported like any failure; retried by the caller
            await self._record_failure(snapshot_id, kind, trigger, started, f"{type(error).__name__}: {error}")
            raise BackupError(f"{kind} backup failed: {type(error).__name__}: {error}") from error
        finally:
            await self.sync_records(sorted(touched))

    async def _create(
        self, kind: Kind, snapshot_id: str, trigger: Trigger, started: datetime, clock: float
    ) -> tuple[StoredSnapshot, Manifest, tuple[str, ...]]:
        """Write a new snapshot into staging and publish it; nothing of it remains if this fails."""
        store = self.store
        staging = await asyncio.to_thread(store.stage, snapshot_id)
        added: tuple[str, ...] = ()
        try:
            if kind is Kind.DB:
                url = self.sources.database()
                dump = await dump_database(
                    url,
                    store,
                    staging,
                    preferred_bindir=self.options.preferred_bindir,
                    command_timeout=self.options.command_timeout,
                )
                info = dump.info
                manifest = self._manifest(
                    snapshot_id,
                    kind,
                    trigger,
                    started,
                    clock,
                    source=libpq_target(url)[0],
                    source_version=f"PostgreSQL {info.server_version}, schema {info.schema_version}",
                    artifacts=dump.artifacts,
                    database=info,
                )
            else:
                bucket = self.sources.bucket(kind)
                if bucket is not None:
                    scratch = self.store.root / ".bucket-scratch"
                    tree = await run_blocking(
                        lambda cancellation: snapshot_bucket(store, bucket, scratch, cancellation),
                        abandon=lambda abandoned: store.remove_objects(abandoned.added_objects),
                    )
                else:
                    root = self.sources.folder(kind)
                    tree = await run_blocking(
                        lambda cancellation: snapshot_tree(store, root, cancellation),
                        abandon=lambda abandoned: store.remove_objects(abandoned.added_objects),
                    )
                added = tree.added_objects
                manifest = self._manifest(
                    snapshot_id,
                    kind,
                    trigger,
                    started,
                    clock,
                    source=self.sources.describe(kind),
                    source_version=tree.version,
                    files=tree.files,
                    added_objects=len(tree.added_objects),
                    added_bytes=tree.added_bytes,
                )
            snapshot = await asyncio.to_thread(store.publish, staging, manifest)
        except BaseException:
            await asyncio.to_thread(store.remove_objects, added)
            await asyncio.to_thread(store.discard, staging)
            raise
        return snapshot, manifest, added

    async def _recorded_pdfs(self) -> dict[str, RecordedPdf] | None:
        """The gateway's record of every PDF, or None (no check) without a database or when it does not answer."""
        if self.pdf_records is None:
            return None
        try:
            return await self.pdf_records.read()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            logger.warning(
                "PDFs not checked against their records: the database does not answer", extra={"error": str(error)}
            )
            return None

    def _manifest(
        self,
        snapshot_id: str,
        kind: Kind,
        trigger: Trigger,
        started: datetime,
        clock: float,
        *,
        source: str,
        source_version: str,
        artifacts: tuple[Artifact, ...] = (),
        database: DatabaseInfo | None = None,
        files: tuple[FileEntry, ...] = (),
        added_objects: int = 0,
        added_bytes: int = 0,
    ) -> Manifest:
        cipher = self.store.cipher
        return Manifest(
            id=snapshot_id,
            kind=kind,
            created_at=started,
            finished_at=utc_now(),
            duration_ms=int((time.monotonic() - clock) * 1000),
            trigger=trigger,
            host=socket.gethostname(),
            source=source,
            source_version=source_version,
            encryption=Encryption(key_id=cipher.key_id) if cipher is not None else None,
            artifacts=artifacts,
            files=files,
            database=database,
            added_objects=added_objects,
            added_bytes=added_bytes,
        )

    def _verify_new(
        self,
        snapshot: StoredSnapshot,
        manifest: Manifest,
        added: tuple[str, ...],
        checks: ObjectChecks,
        cancellation: Cancellation,
    ) -> tuple[str, ...]:
        """Verify a new snapshot fully, repairing damaged objects from the source; remove it if it stays bad."""
        try:
            outcome = self._verify(snapshot, "full", checks, cancellation)
            repaired: list[str] = []
            # Damaged objects are rewritten from a folder's files; a bucket's are not (the run fails and is retried).
            if outcome.bad_objects and manifest.kind in _TREE_KINDS and self.sources.bucket(manifest.kind) is None:
                root = self.sources.folder(manifest.kind)
                by_hash = {entry.sha256: entry.path for entry in manifest.files}
                for sha256 in outcome.bad_objects:
                    if self.store.repair_object(root / by_hash[sha256], sha256, cancellation):
                        repaired.append(sha256)
                        checks.results.pop(sha256, None)
                        logger.warning(
                            "damaged object rewritten from its source file",
                            extra={"object": self.store.describe_object(sha256), "file": by_hash[sha256]},
                        )
                if repaired:
                    outcome = self._verify(snapshot, "full", checks, cancellation)
            if not outcome.ok:
                raise BackupError(
                    f"{snapshot.id} failed verification: {'; '.join(outcome.problems) or outcome.unverifiable}"
                )
            record_verification(self.store, snapshot, outcome)
            return tuple(repaired)
        except BaseException:
            with contextlib.suppress(OSError):
                self.store.remove(snapshot)
            self.store.remove_objects(added)
            raise

    def _verify(
        self, snapshot: StoredSnapshot, level: Level, checks: ObjectChecks, cancellation: Cancellation
    ) -> VerifyOutcome:
        return verify_snapshot(
            self.store,
            snapshot,
            level=level,
            cancellation=cancellation,
            checks=checks,
            preferred_bindir=self.options.preferred_bindir,
            timeout=self.options.command_timeout,
        )

    def _confirm_unchanged(self, kind: Kind, cancellation: Cancellation) -> str | None:
        """The newest verified backup's id if the folder still matches it and it verifies again; else None."""
        bucket = self.sources.bucket(kind)
        if bucket is not None:
            current = current_bucket_version(bucket, self.store.root / ".bucket-scratch", cancellation)
        else:
            current = current_tree_version(self.sources.folder(kind), cancellation)
        for entry in reversed(self.catalog(kind)):
            if entry.health is not Health.VERIFIED or entry.manifest is None:
                continue
            if entry.manifest.source_version != current:
                return None
            outcome = self._verify(entry.snapshot, "hash", ObjectChecks(), cancellation)
            status = record_verification(self.store, entry.snapshot, outcome)
            if not outcome.ok:
                logger.error(
                    "backup failed verification", extra={"backup_id": entry.snapshot.id, "problems": outcome.problems}
                )
                return None
            self.store.write_status(entry.snapshot, status.model_copy(update={"confirmed_at": utc_now()}))
            return entry.snapshot.id
        return None

    def _prune(
        self, kind: Kind, checks: ObjectChecks, cancellation: Cancellation, *, verified: str
    ) -> tuple[list[StoredSnapshot], list[Path]]:
        """Re-verify the other backups of `kind` by hash, then delete what retention does not keep and unused objects.

        `verified` is the backup this run just verified in full.
        """
        candidates = []
        for entry in self.catalog(kind):
            health = entry.health
            if entry.problem is None and entry.snapshot.id != verified:
                outcome = self._verify(entry.snapshot, "hash", checks, cancellation)
                if outcome.unverifiable is None:
                    health = record_verification(self.store, entry.snapshot, outcome).health
                if outcome.problems:
                    logger.error(
                        "backup failed verification",
                        extra={"backup_id": entry.snapshot.id, "problems": outcome.problems},
                    )
            candidates.append(Candidate(entry.snapshot.id, entry.created_at, health))
        plan = plan_retention(candidates, self.options.policy)
        pruned = []
        for snapshot_id in plan.prune:
            snapshot = self.store.find(snapshot_id)
            self.store.remove(snapshot)
            pruned.append(snapshot)
            logger.info("backup pruned", extra={"backup_id": snapshot_id, "kind": kind.value})
        removed: list[Path] = []
        if kind in _TREE_KINDS:
            removed = self._collect_garbage()
        return pruned, removed

    def _collect_garbage(self) -> list[Path]:
        """Delete objects no file snapshot references; skipped while any manifest is unreadable (it may need them)."""
        referenced: set[str] = set()
        for kind in _TREE_KINDS:
            for entry in self.catalog(kind):
                if entry.manifest is None:
                    logger.warning(
                        "unused objects kept: a manifest is unreadable", extra={"backup_id": entry.snapshot.id}
                    )
                    return []
                referenced.update(file.sha256 for file in entry.manifest.files)
        objects = self.store.object_hashes()
        removed = [objects[sha256] for sha256 in self.store.collect_garbage(referenced)]
        if removed:
            logger.info("unused objects removed", extra={"count": len(removed)})
        return removed

    def _copy_offsite(
        self, pruned: tuple[list[StoredSnapshot], list[Path]], cancellation: Cancellation
    ) -> tuple[list[str], str | None]:
        """Mirror what was pruned, then upload verified backups the bucket lacks; failures are reported, not fatal.

        Deletions the bucket missed (it did not answer) are kept in the store and tried again on the next run.
        """
        if self.offsite is None:
            return [], None
        snapshots, objects = pruned
        errors = []
        removals = self.store.pending_offsite_removals() + [
            self.store.relative(path) for path in [*(snapshot.path for snapshot in snapshots), *objects]
        ]
        try:
            if removals:
                self.offsite.remove(removals)
            self.store.set_pending_offsite_removals([])
        except BackupError as error:
            self.store.set_pending_offsite_removals(removals)
            errors.append(str(error))
        uploaded: list[str] = []
        try:
            verified = [
                (entry.snapshot, entry.manifest)
                for entry in self.catalog()
                if entry.health is Health.VERIFIED and entry.manifest is not None
            ]
            uploaded = self.offsite.upload(verified, cancellation)
            now = utc_now()
            for snapshot, _ in verified:
                if snapshot.id in uploaded:
                    status = self.store.status(snapshot)
                    self.store.write_status(snapshot, status.model_copy(update={"offsite_at": now}))
        except BackupError as error:
            errors.append(str(error))
        if errors:
            logger.error("off-site copy failed", extra={"target": self.offsite.target.describe(), "errors": errors})
        return uploaded, "; ".join(errors) or None

    # Drills, verification, restores.

    async def drill(self) -> DrillResult | None:
        """Restore the newest verified database backup into a scratch database and compare every table's rows."""
        server_url = self.options.drill_server_url or self.sources.database()
        async with self._locked(exclusive=True):
            entries = [entry for entry in self.catalog(Kind.DB) if entry.health is Health.VERIFIED and entry.manifest]
            if not entries:
                logger.info("no verified database backup to drill yet")
                return None
            entry = entries[-1]
            assert entry.manifest is not None
            clock = time.monotonic()
            report: RestoreReport | None = None
            at_fault = False
            try:
                async with scratch_database(server_url) as scratch_url:
                    report = await restore_database(
                        self.store,
                        entry.snapshot,
                        entry.manifest,
                        scratch_url,
                        preferred_bindir=self.options.preferred_bindir,
                        command_timeout=self.options.command_timeout,
                    )
                at_fault = not report.ok
                detail = "; ".join(report.mismatches) or f"{len(report.tables)} tables, every row count matches"
            except RestoreFailed as error:
                at_fault, detail = True, str(error)
            except (BackupError, OSError, asyncpg.PostgresError) as error:
                detail = f"the drill could not run: {error}"
            seconds = time.monotonic() - clock
            ok = report is not None and report.ok
            drill = Drill(at=utc_now(), ok=ok, duration_ms=int(seconds * 1000), detail=detail, backup_at_fault=at_fault)
            status = self.store.status(entry.snapshot)
            await asyncio.to_thread(self.store.write_status, entry.snapshot, status.model_copy(update={"drill": drill}))
        await self.sync_records([Kind.DB])
        log = logger.info if ok else logger.error
        log(
            "restore drill",
            extra={"backup_id": entry.snapshot.id, "ok": ok, "seconds": round(seconds, 3), "detail": detail},
        )
        return DrillResult(entry.snapshot.id, ok, seconds, detail, report)

    async def drill_files(self, kind: Kind) -> DrillResult | None:
        """Restore the newest verified backup of a file kind into a scratch folder (every file checked against its
        SHA-256 as it is written), or, for a kind kept in a bucket, into a scratch prefix of that bucket (each object
        read back and checked); record the drill on it, and remove the scratch copy."""
        async with self._locked(exclusive=True):
            entries = [entry for entry in self.catalog(kind) if entry.health is Health.VERIFIED and entry.manifest]
            if not entries:
                logger.info("no verified backup to drill yet", extra={"kind": kind.value})
                return None
            entry = entries[-1]
            manifest = entry.manifest
            assert manifest is not None
            clock = time.monotonic()
            try:
                scratch_store = self.sources.scratch_store
                if self.sources.bucket(kind) is not None and scratch_store is not None:
                    target = scratch_store(f".restore-drills/{kind.value}-{uuid.uuid4().hex[:12]}")
                    into = await self._restore_into(manifest, target, remove_after=True)
                    files, size = into.files, into.bytes
                    where = f" into {into.location}"
                else:
                    with tempfile.TemporaryDirectory(prefix=f".drill-{kind.value}-", dir=self.store.root) as scratch:
                        restored = await run_blocking(
                            lambda cancellation: restore_tree(
                                self.store, manifest, Path(scratch) / "restored", cancellation
                            )
                        )
                    files, size, where = restored.files, restored.bytes, ""
                ok, at_fault = True, False
                detail = f"{files} files, {size} bytes{where}, every hash matches"
            except BackupError as error:
                ok, at_fault, detail = False, True, str(error)
            except (OSError, DependencyUnavailable) as error:
                ok, at_fault, detail = False, False, f"the drill could not run: {error}"
            seconds = time.monotonic() - clock
            drill = Drill(at=utc_now(), ok=ok, duration_ms=int(seconds * 1000), detail=detail, backup_at_fault=at_fault)
            status = self.store.status(entry.snapshot)
            await asyncio.to_thread(self.store.write_status, entry.snapshot, status.model_copy(update={"drill": drill}))
        await self.sync_records([kind])
        (logger.info if ok else logger.error)(
            "restore drill",
            extra={"backup_id": entry.snapshot.id, "ok": ok, "seconds": round(seconds, 3), "detail": detail},
        )
        return DrillResult(entry.snapshot.id, ok, seconds, detail, None)

    async def verify(self, snapshot_id: str | None = None, *, level: Level = "full") -> list[VerifyOutcome]:
        """Verify one backup or all of them, recording what is found."""
        async with self._locked(exclusive=False):
            snapshots = [self.store.find(snapshot_id)] if snapshot_id else self.store.list()
            checks = ObjectChecks()

            def check(cancellation: Cancellation) -> list[VerifyOutcome]:
                outcomes = []
                for snapshot in snapshots:
                    outcome = self._verify(snapshot, level, checks, cancellation)
                    record_verification(self.store, snapshot, outcome)
                    outcomes.append(outcome)
                return outcomes

            outcomes = await run_blocking(check)
        await self.sync_records(sorted({snapshot.kind for snapshot in snapshots}))
        return outcomes

    async def restore_database(self, snapshot_id: str, target_url: str, *, with_globals: bool = False) -> RestoreReport:
        """Restore a database backup into an empty database."""
        async with self._locked(exclusive=False):
            snapshot = self.store.find(snapshot_id)
            if snapshot.kind is not Kind.DB:
                raise BackupError(f"{snapshot_id} is a {snapshot.kind} backup: restore it with --to DIR")
            manifest = await asyncio.to_thread(self.store.manifest, snapshot)
            return await restore_database(
                self.store,
                snapshot,
                manifest,
                target_url,
                preferred_bindir=self.options.preferred_bindir,
                command_timeout=self.options.command_timeout,
                with_globals=with_globals,
            )

    async def restore_files(self, snapshot_id: str, target: Path) -> RestoredTree:
        """Restore a PDF or template backup into a new folder, byte for byte."""
        async with self._locked(exclusive=False):
            snapshot = self.store.find(snapshot_id)
            if snapshot.kind is Kind.DB:
                raise BackupError(f"{snapshot_id} is a database backup: restore it with --target-url URL")
            manifest = await asyncio.to_thread(self.store.manifest, snapshot)
            return await run_blocking(lambda cancellation: restore_tree(self.store, manifest, target, cancellation))

    async def restore_files_to_store(self, snapshot_id: str, target: ObjectStore) -> RestoredObjects:
        """Restore a PDF, template or library backup into an empty object store prefix (a bucket), object by
        object, each checked against its hash on the way in and read back."""
        async with self._locked(exclusive=False):
            snapshot = self.store.find(snapshot_id)
            if snapshot.kind is Kind.DB:
                raise BackupError(f"{snapshot_id} is a database backup: restore it with --target-url URL")
            manifest = await asyncio.to_thread(self.store.manifest, snapshot)
            return await self._restore_into(manifest, target, remove_after=False)

    async def _restore_into(self, manifest: Manifest, target: ObjectStore, *, remove_after: bool) -> RestoredObjects:
        scratch = self.store.root / ".bucket-scratch"

        def restore(cancellation: Cancellation) -> RestoredObjects:
            try:
                return restore_into_store(self.store, manifest, target, scratch, cancellation)
            finally:
                if remove_after:
                    for key in list(target.keys()):
                        target.delete(key)

        return await run_blocking(restore)

    # Catalogue and records.

    async def recover(self) -> list[str]:
        """Remove what interrupted runs left in staging (a crash mid-backup leaves no partial artifact behind)."""
        async with self._locked(exclusive=True):
            return await asyncio.to_thread(self.store.clean_staging)

    def catalog(self, kind: Kind | None = None) -> list[CatalogEntry]:
        """Every stored backup (of one kind), oldest first."""
        return read_catalog(self.store, kind)

    async def sync_records(self, kinds: list[Kind] | None = None) -> None:
        """Mirror the store into the backups table; a database that does not answer is logged, not fatal."""
        if self.records is None:
            return
        for kind in kinds or list(Kind):
            entries = await asyncio.to_thread(self.catalog, kind)
            rows = [
                snapshot_row(
                    entry.snapshot.id,
                    kind,
                    entry.manifest,
                    entry.status,
                    problem=entry.problem,
                    manifest_sha256=self.store.manifest_sha256(entry.snapshot),
                )
                for entry in entries
            ]
            try:
                await self.records.mirror(kind, rows)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                logger.warning(
                    "could not record backups in the database", extra={"kind": kind.value, "error": str(error)}
                )

    async def status(self) -> list[KindStatus]:
        """The metric values of every kind, from the database's record."""
        if self.records is None:
            return []
        return await self.records.status(utc_now())

    async def _record_failure(
        self, snapshot_id: str, kind: Kind, trigger: Trigger, started: datetime, error: str
    ) -> None:
        logger.error("backup failed", extra={"backup_id": snapshot_id, "kind": kind.value, "error": error})
        if self.records is None:
            return
        try:
            await self.records.record_failure(snapshot_id, kind, trigger, started, utc_now(), error)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as failure:
            logger.warning("could not record the failure in the database", extra={"error": str(failure)})

    @contextlib.asynccontextmanager
    async def _locked(self, *, exclusive: bool) -> AsyncIterator[None]:
        """One job at a time in this process; across processes, the store's file lock."""
        async with self._lock:
            descriptor = await run_blocking(
                lambda cancellation: self.store.acquire_lock(
                    exclusive=exclusive, timeout=self.options.lock_timeout, cancellation=cancellation
                ),
                abandon=self.store.release_lock,
            )
            try:
                yield
            finally:
                self.store.release_lock(descriptor)
