"""Wiring of the gateway: the FastAPI app, its lifespan (pool, Redis, consumers, outbox relay), middlewares."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from propos4l.gateway.auth import AuthenticateBeforeBody, TokenVerifier
from propos4l.gateway.drafting_context import ContextRetriever
from propos4l.gateway.library_documents import LibraryDocuments
from propos4l.gateway.library_entries import LibraryEntries
from propos4l.gateway.library_recorder import LibraryRecorder
from propos4l.gateway.limits import BodySizeLimit
from propos4l.gateway.outbox import OutboxRelay
from propos4l.gateway.problems import UnexpectedErrors, install_problem_handlers
from propos4l.gateway.progress_log import ProgressNotifier
from propos4l.gateway.rate_card import RateCard
from propos4l.gateway.rate_limit import RateLimiter
from propos4l.gateway.recorder import EventRecorder
from propos4l.gateway.repository import ProposalRepository
from propos4l.gateway.retention import RetentionKeeper
from propos4l.gateway.routes import (
    backups,
    events,
    exports,
    health,
    library_documents,
    library_entries,
    library_roles,
    library_search,
    proposals,
    sections,
    session,
    templates,
    tokens,
)
from propos4l.gateway.settings import GatewaySettings
from propos4l.gateway.sign_in_throttle import SignInThrottle
from propos4l.gateway.template_pricing import TemplatePricingReader
from propos4l.gateway.tokens import TokenStore
from propos4l.shared.db import PoolTimeouts, create_pool
from propos4l.shared.delivery import default_consumer_name
from propos4l.shared.embeddings import client_from_settings
from propos4l.shared.object_store import open_store
from propos4l.shared.runtime import connect_redis, consumer_options, group_consumers, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream
from propos4l.shared.telemetry import flush_telemetry, instrument_fastapi

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway's ASGI app; connections open in its lifespan, not here."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            str(settings.database_url),
            max_size=settings.database_pool_max_size,
            timeouts=PoolTimeouts(
                connect_seconds=settings.database_connect_timeout_seconds,
                acquire_seconds=settings.database_acquire_timeout_seconds,
                statement_seconds=settings.database_statement_timeout_seconds,
            ),
        )
        redis = connect_redis(str(settings.redis_url))
        pdf_storage = open_store(settings.storage_url, settings.storage_endpoint, "pdfs", settings.pdf_storage_dir)
        recorder = EventRecorder(pool, pdf_storage)
        library_recorder = LibraryRecorder(pool)
        relay = OutboxRelay(
            pool,
            redis,
            settings.outbox_poll_seconds,
            audit_seconds=settings.outbox_audit_seconds,
            # Younger than what the streams keep (STREAM_RETENTION_HOURS), so a missing entry was lost, not trimmed.
            audit_window=timedelta(hours=min(1.0, settings.stream_retention_hours / 2)),
        )
        app.state.pool, app.state.redis, app.state.outbox = pool, redis, relay
        app.state.pdf_storage = pdf_storage
        app.state.embedding_client = client_from_settings(settings)
        app.state.proposals = ProposalRepository(pool)
        app.state.tokens = TokenStore(pool)
        app.state.library_documents = LibraryDocuments(
            pool,
            settings.library_dir,
            open_store(settings.storage_url, settings.storage_endpoint, "library", settings.library_dir),
        )
        app.state.library_entries = LibraryEntries(pool)
        app.state.rate_card = RateCard(pool)
        app.state.context_retriever = ContextRetriever(
            pool,
            app.state.rate_card,
            app.state.embedding_client,
            query_timeout_seconds=settings.embedding_query_timeout_seconds,
        )
        app.state.token_verifier.store = app.state.tokens
        app.state.render_rate_limiter = RateLimiter(redis, name="renders", limit=settings.render_rate_limit_per_minute)
        notifier = ProgressNotifier(str(settings.database_url))
        await notifier.start()
        app.state.notifier = notifier
        name = default_consumer_name("gateway")
        options = consumer_options(settings, concurrency=4)
        consumers = group_consumers(
            redis,
            ConsumerGroup.GATEWAY,
            {
                Stream.GENERATION_STARTED: recorder.on_generation_started,
                Stream.PROPOSAL_DRAFTED: recorder.on_drafted,
                Stream.PROPOSAL_RENDERED: recorder.on_rendered,
                Stream.PROPOSAL_FAILED: recorder.on_failed,
                Stream.PROPOSAL_PROGRESSED: recorder.on_progressed,
                Stream.LIBRARY_DOCUMENT_INDEXED: library_recorder.on_indexed,
                Stream.LIBRARY_DOCUMENT_FAILED: library_recorder.on_failed,
            },
            consumer=name,
            on_dead_letter=recorder.on_dead_letter,
            options=options,
        )
        retention = RetentionKeeper(
            pool,
            redis,
            stream_keep=timedelta(hours=settings.stream_retention_hours),
            records_keep=timedelta(days=settings.event_history_retention_days),
            interval_seconds=settings.retention_interval_seconds,
        )
        stop = asyncio.Event()
        background = [
            asyncio.create_task(run_consumers(consumers, stop), name="gateway consumers"),
            asyncio.create_task(relay.run(stop), name="outbox relay"),
            asyncio.create_task(retention.run(stop), name="retention"),
        ]
        logger.info("gateway started", extra={"port": settings.gateway_port})
        try:
            yield
        finally:
            stop.set()
            await notifier.stop()
            results = await asyncio.gather(*background, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    logger.error("background task failed", exc_info=result)
            await redis.aclose()
            if app.state.embedding_client is not None:
                await app.state.embedding_client.aclose()
            await pool.close()
            logger.info("gateway stopped")
            flush_telemetry()  # uvicorn ends the process with the signal it caught, before any code after it runs

    app = FastAPI(
        title="Propos4l API",
        version="0.1.0",
        summary="Draft commercial and technical proposals with an LLM and render them to PDF.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.template_pricing = TemplatePricingReader(settings.templates_dir)
    app.state.token_verifier = TokenVerifier(
        settings.propos4l_admin_token.get_secret_value(),
        SignInThrottle(settings.sign_in_failure_limit, settings.sign_in_failure_window_seconds),
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(proposals.router)
    app.include_router(sections.router)
    app.include_router(events.router)
    app.include_router(backups.router)
    app.include_router(templates.router)
    app.include_router(exports.router)
    app.include_router(tokens.router)
    app.include_router(library_search.router)
    app.include_router(session.router)
    app.include_router(library_documents.router)
    app.include_router(library_entries.router)
    app.include_router(library_roles.router)
    app.add_middleware(AuthenticateBeforeBody, verifier=app.state.token_verifier)  # inside CORS: refusals carry it
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_allowed_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "If-Match"],
        expose_headers=["Location", "ETag", "Content-Disposition", "X-Pages"],
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        larger=[
            ("/api/templates/", settings.template_max_request_bytes),
            # the file, plus room for the multipart framing and the form's other fields; the file's own limit is
            # checked as it is received, with a 413 that names it
            ("/api/library/documents", (settings.library_max_upload_mb + 1) * 1024 * 1024),
        ],
    )
    app.add_middleware(UnexpectedErrors)  # around every other middleware of ours, so none lets an error escape
    instrument_fastapi(app)  # outermost, so the request span covers the middlewares too (no-op when telemetry is off)
    return app
