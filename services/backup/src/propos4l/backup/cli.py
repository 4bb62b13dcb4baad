"""`propos4l backup`: run, list, verify, drill and restore backups (BACKUP_DIR and the settings of the agent).

Everything but `run db` and `drill` works from BACKUP_DIR alone, so a restore needs no running database or agent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from propos4l.backup.catalog import CatalogEntry
    from propos4l.backup.jobs import BackupJobs
    from propos4l.shared.object_store import ObjectStore

__all__ = ["add_backup_commands", "main"]

# The `propos4l` command builds this parser for every command it runs: the backup machinery is imported only when
# a backup command runs.
_KINDS: Final = ("db", "pdfs", "templates", "library")


def add_backup_commands(parser: argparse.ArgumentParser) -> None:
    """Add the backup subcommands to `parser` (the `backup` group of the `propos4l` command)."""
    commands = parser.add_subparsers(dest="backup_command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="back up now: make, verify, prune, copy off-site")
    run.add_argument("kind", choices=_KINDS)
    run.set_defaults(func=_run)
    listing = commands.add_parser("list", help="list the backups in BACKUP_DIR")
    listing.add_argument("--kind", choices=_KINDS)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=_list)
    verify = commands.add_parser("verify", help="re-hash backups and read database dumps back in full")
    verify.add_argument("id", nargs="?", help="one backup (default: all)")
    verify.add_argument("--quick", action="store_true", help="re-hash only; skip the full read of database dumps")
    verify.set_defaults(func=_verify)
    drill = commands.add_parser("drill", help="restore the newest verified database backup into a scratch database")
    drill.set_defaults(func=_drill)
    restore = commands.add_parser(
        "restore",
        help="restore a backup: db ID --target-url URL, or pdfs|templates|library ID --to DIR or --to-url s3://...",
    )
    restore.add_argument("kind", choices=_KINDS)
    restore.add_argument("id")
    restore.add_argument("--target-url", help="db: an empty database to restore into")
    restore.add_argument("--with-globals", action="store_true", help="db: create roles first, keep owners and grants")
    restore.add_argument("--to", type=Path, help="pdfs, templates, library: a new or empty folder to restore into")
    restore.add_argument(
        "--to-url",
        help="pdfs, templates, library: a STORAGE_URL (s3://bucket/prefix) whose <prefix>/<kind>/ holds no objects "
        "yet; its endpoint is STORAGE_ENDPOINT_URL, its credentials the usual AWS variables",
    )
    restore.set_defaults(func=_restore)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m propos4l.backup.cli ...`, the same as `propos4l backup ...`."""
    parser = argparse.ArgumentParser(prog="propos4l backup", description=__doc__)
    add_backup_commands(parser)
    arguments = parser.parse_args(argv)
    return int(arguments.func(arguments))


def _say(message: str) -> None:
    print(f"propos4l backup: {message}", file=sys.stderr)


def _execute(work: Callable[[BackupJobs], Awaitable[int]], *, records: bool = True) -> int:
    """Build the jobs from the environment, run `work`, and turn errors into one line and exit code 1."""
    from contextlib import AsyncExitStack

    import asyncpg

    from propos4l.backup.jobs import BackupJobs
    from propos4l.backup.model import BackupError
    from propos4l.backup.options import Sources, bucket_sources, job_options, open_store, scratch_stores
    from propos4l.backup.pdf_records import PdfRecords
    from propos4l.backup.records import BackupRecords
    from propos4l.backup.settings import CommandSettings
    from propos4l.shared.db import create_pool
    from propos4l.shared.settings import load_settings

    settings = load_settings(CommandSettings, "backup")
    store, offsite = open_store(settings)
    sources = Sources(
        str(settings.database_url) if settings.database_url else None,
        settings.pdf_storage_dir,
        settings.templates_dir,
        settings.library_dir,
        buckets=bucket_sources(settings),
        scratch_store=scratch_stores(settings),
    )

    async def execute() -> int:
        async with AsyncExitStack() as stack:
            backup_records, pdf_records = None, None
            if records and settings.database_url is not None:
                try:
                    pool = await create_pool(str(settings.database_url), max_size=2)
                except (OSError, asyncpg.PostgresError) as error:
                    _say(f"the database does not answer ({error}); backups are not recorded in it")
                else:
                    stack.push_async_callback(pool.close)
                    backup_records, pdf_records = BackupRecords(pool), PdfRecords(pool)
            jobs = BackupJobs(
                store, sources, job_options(settings), records=backup_records, offsite=offsite, pdf_records=pdf_records
            )
            return await work(jobs)

    try:
        return asyncio.run(execute())
    except BackupError as error:
        _say(str(error))
        return 1
    except (OSError, asyncpg.PostgresError) as error:
        _say(f"{type(error).__name__}: {error}")
        return 1


def _run(arguments: argparse.Namespace) -> int:
    from propos4l.backup.model import Kind, Trigger, TriggerReason

    async def work(jobs: BackupJobs) -> int:
        result = await jobs.run(
            Kind(arguments.kind), Trigger(reason=TriggerReason.MANUAL, detail="propos4l backup run")
        )
        print(result.describe())
        return 0

    return _execute(work)


def _list(arguments: argparse.Namespace) -> int:
    from propos4l.backup.model import Kind

    async def work(jobs: BackupJobs) -> int:
        entries = await asyncio.to_thread(jobs.catalog, Kind(arguments.kind) if arguments.kind else None)
        rows = [_describe(entry) for entry in entries]
        if arguments.json:
            for row in rows:
                print(json.dumps(row, ensure_ascii=False))
            return 0
        if not rows:
            print(f"no backups in {jobs.store.root}")
            return 0
        header = ("ID", "STATUS", "FILES", "SIZE", "ADDED", "SECONDS", "VERIFIED (UTC)", "DRILL")
        table = [header] + [
            (
                row["id"],
                row["status"],
                str(row["files"] if row["files"] is not None else "-"),
                _bytes(row["size_bytes"]),
                _bytes(row["stored_bytes"]),
                f"{row['duration_ms'] / 1000:.1f}" if row["duration_ms"] is not None else "-",
                (row["verified_at"] or "-")[:19],
                _drill_cell(row),
            )
            for row in rows
        ]
        widths = [max(len(line[column]) for line in table) for column in range(len(header))]
        for line in table:
            print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        return 0

    return _execute(work, records=False)


def _verify(arguments: argparse.Namespace) -> int:
    from propos4l.backup.model import Kind

    async def work(jobs: BackupJobs) -> int:
        outcomes = await jobs.verify(arguments.id, level="hash" if arguments.quick else "full")
        failed = 0
        for outcome in outcomes:
            if outcome.unverifiable is not None:
                failed += 1
                print(f"UNCHECKED {outcome.snapshot_id}: {outcome.unverifiable}")
            elif outcome.problems:
                failed += 1
                for problem in outcome.problems:
                    print(f"FAILED {problem}")
            else:
                depth = "hashes and a full read" if outcome.level == "full" and outcome.kind is Kind.DB else "hashes"
                print(f"ok {outcome.snapshot_id} ({depth})")
        if not outcomes:
            print(f"no backups in {jobs.store.root}")
        if failed:
            _say(f"{failed} of {len(outcomes)} backups failed verification")
        return 1 if failed else 0

    return _execute(work)


def _drill(arguments: argparse.Namespace) -> int:
    async def work(jobs: BackupJobs) -> int:
        result = await jobs.drill()
        if result is None:
            _say("there is no verified database backup to drill")
            return 1
        state = "ok" if result.ok else "FAILED"
        print(f"{state} drill of {result.snapshot_id}: restored in {result.seconds:.2f} s; {result.detail}")
        return 0 if result.ok else 1

    return _execute(work)


def _restore(arguments: argparse.Namespace) -> int:
    from propos4l.backup.model import BackupError, Kind, kind_of

    kind = Kind(arguments.kind)
    try:
        if kind_of(arguments.id) is not kind:
            raise BackupError(f"{arguments.id} is a {kind_of(arguments.id)} backup, not {kind}")
    except BackupError as error:
        _say(str(error))
        return 2
    if kind is Kind.DB and (not arguments.target_url or arguments.to or arguments.to_url):
        _say("restore db needs --target-url URL (an empty database) and no --to or --to-url")
        return 2
    if kind is not Kind.DB and (
        (arguments.to is None) == (arguments.to_url is None) or arguments.target_url or arguments.with_globals
    ):
        _say(f"restore {kind} needs --to DIR (a new or empty folder) or --to-url s3://bucket/prefix, not both")
        return 2

    async def work(jobs: BackupJobs) -> int:
        if kind is Kind.DB:
            report = await jobs.restore_database(
                arguments.id, arguments.target_url, with_globals=arguments.with_globals
            )
            for note in report.notes:
                print(f"note: {note}")
            for mismatch in report.mismatches:
                print(f"MISMATCH {mismatch}")
            state = "restored" if report.ok else "restored with MISMATCHES"
            seconds = report.duration_ms / 1000
            print(f"{state} {arguments.id} into {report.database}: {len(report.tables)} tables in {seconds:.2f} s")
            return 0 if report.ok else 1
        if arguments.to_url is not None:
            into = await jobs.restore_files_to_store(arguments.id, _bucket_store(arguments.to_url, kind.value))
            summary = f"{into.files} objects, {into.bytes} bytes, each checked against its SHA-256 and read back"
            print(f"restored {arguments.id} into {into.location}: {summary}")
            return 0
        restored = await jobs.restore_files(arguments.id, arguments.to)
        summary = f"{restored.files} files, {restored.bytes} bytes, each checked against its SHA-256"
        print(f"restored {arguments.id} into {restored.target}: {summary}")
        return 0

    return _execute(work, records=False)


def _bucket_store(storage_url: str, folder: str) -> ObjectStore:
    """The `folder` (pdfs, templates, library) of a STORAGE_URL, as the services would use it."""
    from propos4l.backup.model import BackupError
    from propos4l.shared.object_store import S3Store, parse_s3_url
    from propos4l.shared.settings import StorageSettings

    try:
        location = parse_s3_url(storage_url).joined(folder)
    except ValueError as error:
        raise BackupError(str(error)) from None
    return S3Store(location, endpoint_url=StorageSettings().storage_endpoint)


def _describe(entry: CatalogEntry) -> dict[str, Any]:
    manifest, status = entry.manifest, entry.status
    verification, drill = status.verification, status.drill
    problems = [entry.problem] if entry.problem else list(verification.problems if verification else ())
    return {
        "id": entry.snapshot.id,
        "kind": entry.snapshot.kind.value,
        "status": entry.health.value,
        "created_at": manifest.created_at.isoformat() if manifest else None,
        "trigger": manifest.trigger.describe() if manifest else None,
        "files": manifest.file_count if manifest else None,
        "size_bytes": manifest.size_bytes if manifest else None,
        "stored_bytes": manifest.stored_bytes if manifest else None,
        "duration_ms": manifest.duration_ms if manifest else None,
        "source_version": manifest.source_version if manifest else None,
        "encrypted": bool(manifest and manifest.encryption),
        "verified_at": verification.checked_at.isoformat() if verification and not verification.problems else None,
        "problems": problems,
        "drill": drill.model_dump(mode="json") if drill else None,
        "offsite_at": status.offsite_at.isoformat() if status.offsite_at else None,
    }


def _bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"  # pragma: no cover - unreachable


def _drill_cell(row: dict[str, Any]) -> str:
    drill = row["drill"]
    if drill is None:
        return "-"
    return f"{'ok' if drill['ok'] else 'FAILED'} {drill['duration_ms'] / 1000:.1f} s"


if __name__ == "__main__":
    raise SystemExit(main())
