"""Wiring of the backup agent: the store, the schedules, the template-change consumer, the metrics."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Final

from propos4l.backup.handlers import TemplateHandlers
from propos4l.backup.jobs import BackupJobs
from propos4l.backup.metrics import BackupMetrics
from propos4l.backup.model import BackupError, Kind, Trigger, TriggerReason, utc_now
from propos4l.backup.options import Sources, bucket_sources, job_options, open_store, scratch_stores
from propos4l.backup.pdf_records import PdfRecords
from propos4l.backup.records import BackupRecords
from propos4l.backup.retention import Health
from propos4l.backup.schedule import Job, Scheduler, first_delay
from propos4l.backup.settings import BackupSettings
from propos4l.shared.aio import wait_event
from propos4l.shared.db import create_pool
from propos4l.shared.delivery import default_consumer_name
from propos4l.shared.health import HealthServer, Readiness
from propos4l.shared.runtime import connect_redis, consumer_options, group_consumers, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream

__all__ = ["BackupUnavailable", "check_dependencies", "check_writable", "serve"]

logger = logging.getLogger(__name__)

_METRICS_REFRESH_SECONDS: Final = 60.0
_DEPENDENCY_RETRY_SECONDS: Final = 2.0


class BackupUnavailable(RuntimeError):
    """Something the backup agent needs does not answer or cannot be written."""


def check_writable(folder: Path) -> None:
    """Create `folder` if needed and prove a file can be written and removed in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(descriptor)
        os.unlink(name)
    except OSError as error:
        raise BackupUnavailable(f"BACKUP_DIR {folder} is not writable: {error}") from error


async def check_dependencies(settings: BackupSettings) -> dict[str, str]:
    """Connect to PostgreSQL and Redis and check the backup folder; report each one's state."""
    check_writable(settings.backup_dir)
    pool = await create_pool(str(settings.database_url), max_size=1)
    try:
        server_version = await pool.fetchval("SHOW server_version")
    finally:
        await pool.close()
    redis = connect_redis(str(settings.redis_url))
    try:
        await redis.ping()
    finally:
        await redis.aclose()
    return {"postgres": str(server_version), "redis": "ok", "backup_dir": str(settings.backup_dir)}


async def _wait_for_dependencies(
    settings: BackupSettings, readiness: Readiness, stop: asyncio.Event
) -> dict[str, str] | None:
    while not stop.is_set():
        try:
            return await check_dependencies(settings)
        except BackupUnavailable:
            raise
        except Exception as error:
            readiness.set_not_ready(f"waiting for PostgreSQL and Redis: {error}")
            logger.warning("backup agent waiting for its dependencies", extra={"error": str(error)})
            await wait_event(stop, _DEPENDENCY_RETRY_SECONDS)
    return None


async def serve(settings: BackupSettings, stop: asyncio.Event) -> None:
    """Run the agent until `stop` is set: schedules, the template-change consumer, the metrics, the health check."""
    readiness = Readiness()
    health = HealthServer(readiness, settings.health_port) if settings.health_port is not None else None
    if health is not None:
        await health.start()
    try:
        await _serve(settings, readiness, stop)
    finally:
        if health is not None:
            await health.stop()
    logger.info("backup agent stopped")


async def _serve(settings: BackupSettings, readiness: Readiness, stop: asyncio.Event) -> None:
    state = await _wait_for_dependencies(settings, readiness, stop)
    if state is None:
        return
    store, offsite = open_store(settings)
    pool = await create_pool(str(settings.database_url), max_size=2)
    redis = connect_redis(str(settings.redis_url))
    try:
        drill_url = str(settings.backup_drill_database_url) if settings.backup_drill_database_url else None
        jobs = BackupJobs(
            store,
            Sources(
                str(settings.database_url),
                settings.pdf_storage_dir,
                settings.templates_dir,
                settings.library_dir,
                buckets=bucket_sources(settings),
                scratch_store=scratch_stores(settings),
            ),
            job_options(settings, drill_url),
            records=BackupRecords(pool),
            offsite=offsite,
            pdf_records=PdfRecords(pool),
        )
        removed = await jobs.recover()
        if removed:
            logger.warning("removed what interrupted backups left behind", extra={"entries": removed})
        await jobs.sync_records()
        metrics = BackupMetrics(
            {
                Kind.DB: settings.backup_db_interval_seconds,
                Kind.PDFS: settings.backup_pdfs_interval_seconds,
                Kind.TEMPLATES: settings.backup_templates_reconcile_seconds,  # each reconcile confirms or backs up
                **({Kind.LIBRARY: settings.backup_library_interval_seconds} if settings.library_dir else {}),
            }
        )
        metrics.register()
        handlers = TemplateHandlers(jobs)
        consumers = group_consumers(
            redis,
            ConsumerGroup.BACKUP,
            {Stream.TEMPLATE_CHANGED: handlers.on_template_changed},
            consumer=default_consumer_name("backup"),
            on_dead_letter=handlers.on_dead_letter,
            options=consumer_options(settings),
        )
        scheduler = Scheduler(
            await _schedules(settings, jobs, metrics),
            retry_base=settings.backup_retry_base_seconds,
            retry_max=settings.backup_retry_max_seconds,
        )
        logger.info(
            "backup agent ready",
            extra={
                **state,
                "encrypted": store.cipher is not None,
                "offsite": offsite.target.describe() if offsite else None,
            },
        )
        readiness.set_ready(**state)
        async with asyncio.TaskGroup() as group:
            group.create_task(run_consumers(consumers, stop), name="template changes")
            group.create_task(scheduler.run(stop), name="schedules")
            group.create_task(_refresh_metrics(jobs, metrics, stop), name="metrics")
    finally:
        await redis.aclose()
        await pool.close()


async def _schedules(settings: BackupSettings, jobs: BackupJobs, metrics: BackupMetrics) -> list[Job]:
    """The agent's jobs, each first due one interval after its last success (at once when there is none)."""
    catalog = await asyncio.to_thread(jobs.catalog)
    now = utc_now()
    clock = time.monotonic()

    def last_verified(kind: Kind) -> float:
        times = [
            entry.created_at for entry in catalog if entry.snapshot.kind is kind and entry.health is Health.VERIFIED
        ]
        interval = {
            Kind.DB: settings.backup_db_interval_seconds,
            Kind.LIBRARY: settings.backup_library_interval_seconds,
        }.get(kind, settings.backup_pdfs_interval_seconds)
        return clock + first_delay(max(times, default=None), interval, now)

    async def refreshed(work: Awaitable[object]) -> None:
        try:
            await work
        finally:
            await _refresh_once(jobs, metrics)

    async def backup(kind: Kind, reason: TriggerReason, only_if_changed: bool = False) -> None:
        await refreshed(jobs.run(kind, Trigger(reason=reason), only_if_changed=only_if_changed))

    async def drill() -> None:
        async def run() -> None:
            if await jobs.drill() is None:
                raise BackupError("no verified database backup to drill yet")
            if settings.library_dir is not None:
                await jobs.drill_files(Kind.LIBRARY)  # the uploads restore too, each file checked by its hash
            if settings.storage_url is not None:
                # PDFs and template versions in a bucket are drilled into a scratch prefix of the bucket itself.
                await jobs.drill_files(Kind.PDFS)
                await jobs.drill_files(Kind.TEMPLATES)

        await refreshed(run())

    schedules = [
        Job(
            "db backup",
            settings.backup_db_interval_seconds,
            lambda: backup(Kind.DB, TriggerReason.SCHEDULE),
            last_verified(Kind.DB),
        ),
        Job(
            "pdfs backup",
            settings.backup_pdfs_interval_seconds,
            lambda: backup(Kind.PDFS, TriggerReason.SCHEDULE),
            last_verified(Kind.PDFS),
        ),
        Job(
            "templates reconcile",
            settings.backup_templates_reconcile_seconds,
            lambda: backup(Kind.TEMPLATES, TriggerReason.RECONCILE, only_if_changed=True),
            clock,
        ),
    ]
    if settings.library_dir is not None:
        # Its files never change (content-addressed, write-once): a backup stores only the new ones.
        schedules.append(
            Job(
                "library backup",
                settings.backup_library_interval_seconds,
                lambda: backup(Kind.LIBRARY, TriggerReason.SCHEDULE, only_if_changed=True),
                last_verified(Kind.LIBRARY),
            )
        )
    if settings.backup_drill_interval_seconds > 0:
        drills = [entry.status.drill.at for entry in catalog if entry.snapshot.kind is Kind.DB and entry.status.drill]
        due = clock + first_delay(max(drills, default=None), settings.backup_drill_interval_seconds, now)
        schedules.append(Job("restore drill", settings.backup_drill_interval_seconds, drill, due))
    return schedules


async def _refresh_once(jobs: BackupJobs, metrics: BackupMetrics) -> None:
    try:
        metrics.update(await jobs.status())
    except Exception as error:  # metrics must never stop backups
        logger.warning("could not read the backup status", extra={"error": str(error)})


async def _refresh_metrics(jobs: BackupJobs, metrics: BackupMetrics, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await _refresh_once(jobs, metrics)
        await wait_event(stop, _METRICS_REFRESH_SECONDS)
