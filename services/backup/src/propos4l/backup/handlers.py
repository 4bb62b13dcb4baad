"""The agent's event handlers: a template change is backed up before its message is acknowledged."""

from __future__ import annotations

import logging

from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import Kind, Trigger, TriggerReason
from propos4l.shared.delivery import DeadLetter, Delivery
from propos4l.shared.events import TemplateChanged

__all__ = ["TemplateHandlers"]

logger = logging.getLogger(__name__)


class TemplateHandlers:
    """Backs up the templates folder when a template changes."""

    def __init__(self, jobs: BackupJobs) -> None:
        self._jobs = jobs

    async def on_template_changed(self, delivery: Delivery) -> None:
        """Back up the templates unless the newest verified backup already matches the folder (same event twice)."""
        event = delivery.envelope.open(TemplateChanged)
        detail = f"template {event.template} v{event.template_version} {event.action.value} (event {event.event_id})"
        result = await self._jobs.run(
            Kind.TEMPLATES, Trigger(reason=TriggerReason.EVENT, detail=detail), only_if_changed=True
        )
        logger.info("template change backed up", extra={"event_id": str(event.event_id), "result": result.describe()})

    async def on_dead_letter(self, dead: DeadLetter) -> None:
        """A template change that could not be backed up: the hourly reconcile will try again."""
        logger.error(
            "template change not backed up after repeated failures; the hourly reconcile will retry",
            extra={"message_id": dead.message_id, "reason": dead.reason},
        )
