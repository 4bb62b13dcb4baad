"""The renderer's transport edge: read a draft, render it, store the PDF, publish the result or the failure."""

from __future__ import annotations

import asyncio
import errno
import logging
import time

from propos4l.renderer.errors import RenderError
from propos4l.renderer.pdf import PdfRenderer
from propos4l.renderer.storage import PDF_CONTENT_TYPE, pdf_relative_path
from propos4l.renderer.template_versions import TemplateSource
from propos4l.shared.delivery import DeadLetter, Delivery, Publisher, dead_letter_failure
from propos4l.shared.events import (
    FailureStage,
    ProposalDrafted,
    ProposalFailed,
    ProposalRendered,
    derived_event_id,
)
from propos4l.shared.object_store import ObjectStore
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.telemetry import record_render, span

__all__ = ["RenderHandlers"]

logger = logging.getLogger(__name__)


class RenderHandlers:
    """Handlers of the renderer's consumer."""

    def __init__(
        self, renderer: PdfRenderer, publisher: Publisher, pdf_storage: ObjectStore, templates: TemplateSource
    ) -> None:
        self._renderer = renderer
        self._publisher = publisher
        self._pdf_storage = pdf_storage
        self._templates = templates

    async def on_drafted(self, delivery: Delivery) -> None:
        """Render the drafted version; a render that cannot succeed is published as a failure."""
        drafted = delivery.envelope.open(ProposalDrafted)
        template = drafted.request.template
        started = time.monotonic()
        try:
            # Traced and timed here, around the pool call: the worker process exports nothing.
            with span("render pdf", {"propos4l.template": template}) as render_span:
                # One complete version for the whole render: the live folder, or a cached download by digest.
                templates_dir = await asyncio.to_thread(self._templates.folder, template)
                rendered = await self._renderer.render(drafted, templates_dir)
                render_span.set_attribute("propos4l.pdf.pages", rendered.pages)
        except RenderError as error:
            record_render(template, "failed", time.monotonic() - started)
            logger.warning("render failed", extra={"proposal_id": str(drafted.proposal_id), "reason": str(error)})
            await self._publisher.publish(
                ProposalFailed(
                    event_id=derived_event_id(drafted.event_id, ProposalFailed.event_type),
                    proposal_id=drafted.proposal_id,
                    version=drafted.version,
                    stage=FailureStage.RENDERING,
                    detail=str(error),
                )
            )
            return
        record_render(template, "rendered", time.monotonic() - started, rendered.pages)
        if rendered.warnings:  # the template passed its check, so these are worth a look but not a failure
            logger.warning(
                "render warnings",
                extra={"proposal_id": str(drafted.proposal_id), "template": template, "warnings": rendered.warnings},
            )
        relative = pdf_relative_path(drafted.proposal_id, drafted.version)
        with span("write pdf", {"propos4l.pdf.path": relative, "propos4l.pdf.bytes": len(rendered.data)}):
            # Once a version's PDF is stored it stays: a second render publishes the stored file's hash and size.
            # The event goes out only after the upload completed: nothing is recorded for a failed one (an object
            # store's failure is a DependencyUnavailable, so the draft is held and retried, not failed).
            try:
                stored = await asyncio.to_thread(self._pdf_storage.put_once, relative, rendered.data, PDF_CONTENT_TYPE)
            except OSError as error:
                if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                # A full disk is an outage, not this draft's fault: the consumer pauses and retries it.
                raise DependencyUnavailable(
                    "pdf_storage", "no space left on the PDF storage", location=self._pdf_storage.location
                ) from error
        render_ms = int((time.monotonic() - started) * 1000)
        await self._publisher.publish(
            ProposalRendered(
                event_id=derived_event_id(drafted.event_id, ProposalRendered.event_type),
                proposal_id=drafted.proposal_id,
                version=drafted.version,
                pdf_path=stored.key,
                pdf_sha256=stored.sha256,
                pdf_bytes=stored.size,
                pages=rendered.pages,
                render_ms=render_ms,
                template_sha256=rendered.template_sha256,
            )
        )
        logger.info(
            "proposal rendered",
            extra={
                "proposal_id": str(drafted.proposal_id),
                "pages": rendered.pages,
                "render_ms": render_ms,
                "already_stored": not stored.written,
            },
        )

    async def on_dead_letter(self, dead: DeadLetter) -> None:
        """A draft the renderer gave up on: its proposal fails with the reason."""
        failure = dead_letter_failure(dead, FailureStage.RENDERING, "renderer")
        if failure is not None:
            await self._publisher.publish(failure)
