"""Wiring of the backup agent: it connects to what it will back up and waits for its schedules."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path

from propos4l.backup.settings import BackupSettings
from propos4l.shared.db import create_pool
from propos4l.shared.runtime import connect_redis

__all__ = ["BackupUnavailable", "check_dependencies", "serve"]

logger = logging.getLogger(__name__)


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


async def serve(settings: BackupSettings, stop: asyncio.Event) -> None:
    """Check the dependencies (retrying while they come up), then idle until `stop` is set."""
    while not stop.is_set():
        try:
            state = await check_dependencies(settings)
        except BackupUnavailable:
            raise
        except Exception as error:
            logger.warning("backup agent waiting for its dependencies", extra={"error": str(error)})
            try:
                await asyncio.wait_for(stop.wait(), timeout=2.0)
            except TimeoutError:
                pass
            continue
        logger.info("backup agent ready", extra=state)
        break
    await stop.wait()
    logger.info("backup agent stopped")
