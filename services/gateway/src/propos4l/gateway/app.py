"""Wiring of the gateway: the FastAPI app, its lifespan (pool, Redis, consumers, outbox relay), middlewares."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from propos4l.gateway.access import document_roles
from propos4l.gateway.approval_rules import ApprovalRuleStore
from propos4l.gateway.audit import AuditLog
from propos4l.gateway.auth import CSRF_HEADER, AuthenticateBeforeBody, TokenVerifier
from propos4l.gateway.client_documents import ClientDocumentRecorder, ClientDocuments
from propos4l.gateway.drafting_context import ContextRetriever
from propos4l.gateway.final_pdf import PdfSigner
from propos4l.gateway.intake import IntakeHandler
from propos4l.gateway.intake_consumers import ProducerIntake
from propos4l.gateway.invitations import InvitationStore
from propos4l.gateway.library_documents import LibraryDocuments
from propos4l.gateway.library_entries import LibraryEntries
from propos4l.gateway.library_recorder import LibraryRecorder
from propos4l.gateway.limits import BodySizeLimit
from propos4l.gateway.oidc import OidcClient, OidcConfig
from propos4l.gateway.outbox import OutboxRelay
from propos4l.gateway.problems import UnexpectedErrors, install_problem_handlers
from propos4l.gateway.progress_log import ProgressNotifier
from propos4l.gateway.rate_card import RateCard
from propos4l.gateway.rate_limit import RateLimiter
from propos4l.gateway.recorder import EventRecorder
from propos4l.gateway.repository import ProposalRepository
from propos4l.gateway.retention import RetentionKeeper
from propos4l.gateway.review_comments import CommentStore
from propos4l.gateway.routes import (
    approval_rules,
    audit,
    backups,
    document_proposals,
    events,
    exports,
    health,
    library_documents,
    library_entries,
    library_roles,
    library_search,
    proposal_documents,
    proposals,
    public_share,
    review,
    sections,
    session,
    sharing,
    sign_in,
    sso,
    templates,
    tokens,
    users,
    webhooks,
)
from propos4l.gateway.routes.public_share import ACCESS_CODE_HEADER
from propos4l.gateway.settings import GatewaySettings
from propos4l.gateway.share_answers import ShareAnswers
from propos4l.gateway.share_expiry import ExpirySweeper
from propos4l.gateway.share_links import ShareLinkStore
from propos4l.gateway.share_throttle import FailureCounter
from propos4l.gateway.sign_in_throttle import SharedSignInThrottle
from propos4l.gateway.template_pricing import TemplatePricingReader
from propos4l.gateway.tokens import TokenStore
from propos4l.gateway.users import UserStore
from propos4l.gateway.web_sessions import SessionStore
from propos4l.gateway.webhook_secrets import SecretBox
from propos4l.gateway.webhook_sender import RetryPolicy, WebhookSender
from propos4l.gateway.webhook_store import WebhookStore
from propos4l.shared.db import PoolTimeouts, create_pool
from propos4l.shared.delivery import Capacity, Consumer, DeadLetter, Publisher, default_consumer_name
from propos4l.shared.embeddings import client_from_settings
from propos4l.shared.intake import intake_envelope
from propos4l.shared.library_files import client_documents_store
from propos4l.shared.object_store import open_store
from propos4l.shared.runtime import connect_redis, consumer_options, group_consumers, run_consumers
from propos4l.shared.streams import ConsumerGroup, Stream, intake_producer
from propos4l.shared.telemetry import flush_telemetry, instrument_fastapi

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_SHARE_MISSES = 20  # unknown share tokens one address may try in 15 minutes
# Intake messages in flight at once. Their database work is grouped (GroupedCalls: at most three connections however
# many are in flight, library searches at most four, ContextRetriever), so more in flight makes larger groups: fewer
# round trips and commits a message.
_INTAKE_CONCURRENCY = 64
_WEBHOOK_QUEUE_CONCURRENCY = 32  # lifecycle events queued for webhooks at once (WebhookSender.on_lifecycle)


def _retry_policy(settings: GatewaySettings) -> RetryPolicy:
    return RetryPolicy(
        timeout_seconds=settings.webhook_timeout_seconds,
        base_seconds=settings.webhook_retry_base_seconds,
        give_up_after=timedelta(hours=settings.webhook_retry_hours),
        disable_after=settings.webhook_disable_after_failures,
        concurrency=settings.webhook_concurrency,
        max_redirects=settings.webhook_max_redirects,
        poll_seconds=min(1.0, settings.webhook_retry_base_seconds),  # a retry is not held back by the poll
    )


def create_app(settings: GatewaySettings) -> FastAPI:
    """The gateway's ASGI app; connections open in its lifespan, not here."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A signing certificate that cannot be used stops the gateway at start, with one line that says why.
        signer = (
            PdfSigner.load(
                settings.signing_cert_path,
                settings.signing_cert_password.get_secret_value() if settings.signing_cert_password else None,
                settings.signing_tsa_url,
            )
            if settings.signing_cert_path is not None
            else None
        )
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
        library_recorder = LibraryRecorder(pool)
        client_document_recorder = ClientDocumentRecorder(pool)
        relay = OutboxRelay(
            pool,
            redis,
            settings.outbox_poll_seconds,
            audit_seconds=settings.outbox_audit_seconds,
            # Younger than what the streams keep (STREAM_RETENTION_HOURS), so a missing entry was lost, not trimmed.
            audit_window=timedelta(hours=min(1.0, settings.stream_retention_hours / 2)),
        )
        recorder = EventRecorder(pool, pdf_storage, wake_outbox=relay.wake)
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
        app.state.client_documents = ClientDocuments(
            pool,
            settings.library_dir,
            client_documents_store(settings.storage_url, settings.storage_endpoint, settings.library_dir),
        )
        app.state.library_entries = LibraryEntries(pool)
        app.state.rate_card = RateCard(pool)
        app.state.context_retriever = ContextRetriever(
            pool,
            app.state.rate_card,
            app.state.embedding_client,
            query_timeout_seconds=settings.embedding_query_timeout_seconds,
        )
        app.state.users = UserStore(pool)
        app.state.sessions = SessionStore(
            pool,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
        app.state.audit = AuditLog(pool)
        app.state.review_comments = CommentStore(pool)
        app.state.approval_rules = ApprovalRuleStore(pool)
        app.state.invitations = InvitationStore(pool)
        oidc_http = httpx.AsyncClient(timeout=10.0) if settings.oidc_issuer else None
        app.state.oidc = (
            OidcClient(
                OidcConfig(
                    settings.oidc_issuer,
                    settings.oidc_client_id or "",
                    settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None,
                ),
                pool,
                oidc_http,
            )
            if settings.oidc_issuer and oidc_http is not None
            else None
        )
        app.state.token_verifier.throttle.connect(redis)
        app.state.account_throttle.connect(redis)
        app.state.token_verifier.store = app.state.tokens
        app.state.token_verifier.sessions = app.state.sessions
        app.state.render_rate_limiter = RateLimiter(redis, name="renders", limit=settings.render_rate_limit_per_minute)
        app.state.share_links = ShareLinkStore(pool)
        app.state.share_answers = ShareAnswers(pool, pdf_storage, signer=signer)
        share_limit = settings.share_rate_limit_per_minute
        app.state.share_address_limiter = RateLimiter(redis, name="share-address", limit=share_limit)
        app.state.share_link_limiter = RateLimiter(redis, name="share-link", limit=share_limit)
        app.state.share_misses = FailureCounter(redis, name="share-miss", limit=_SHARE_MISSES, window_seconds=900)
        app.state.share_code_failures = FailureCounter(
            redis, name="share-code", limit=settings.share_code_attempts, window_seconds=900
        )
        notifier = ProgressNotifier(str(settings.database_url))
        await notifier.start()
        app.state.notifier = notifier
        intake = IntakeHandler(pool, app.state.proposals, app.state.context_retriever, relay, Publisher(redis))
        app.state.webhooks = WebhookStore(
            pool, SecretBox([key.get_secret_value() for key in settings.webhook_secret_keys])
        )
        resealing = await app.state.webhooks.reseal()  # secrets from before encryption, or under an older key
        if resealing.resealed:
            logger.info("webhook secrets re-encrypted with the newest key", extra={"endpoints": resealing.resealed})
        sender = WebhookSender(app.state.webhooks, _retry_policy(settings), settings.webhook_allowed_networks)
        app.state.webhook_sender = sender

        async def on_dead_letter(dead: DeadLetter) -> None:
            if dead.stream == Stream.INTAKE_PROPOSAL_REQUESTED.value or intake_producer(dead.stream):
                await intake.on_dead_letter(dead)
            else:
                await recorder.on_dead_letter(dead)

        name = default_consumer_name("gateway")
        options = consumer_options(settings, concurrency=4)
        intake_options = replace(options, concurrency=_INTAKE_CONCURRENCY)
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
                Stream.INTAKE_PROPOSAL_REQUESTED: intake.on_requested,
                Stream.PROPOSAL_DOCUMENT_PROGRESSED: client_document_recorder.on_progressed,
                Stream.PROPOSAL_DOCUMENT_READ: client_document_recorder.on_read,
                Stream.PROPOSAL_DOCUMENT_FAILED: client_document_recorder.on_failed,
                Stream.PROPOSAL_REQUIREMENTS_REVIEWED: client_document_recorder.on_reviewed,
            },
            consumer=name,
            on_dead_letter=on_dead_letter,
            options=options,
            readers={Stream.INTAKE_PROPOSAL_REQUESTED: intake_envelope},
            # Many intake messages at once, so that their proposals are committed together (IntakeWriter).
            options_for={Stream.INTAKE_PROPOSAL_REQUESTED: intake_options},
        )
        # Each producer's own intake stream, one consumer each, all sharing the intake's handler slots.
        intake_capacity = Capacity(_INTAKE_CONCURRENCY)
        producer_intake = ProducerIntake(
            redis,
            lambda streams: Consumer(
                redis,
                stream=streams.intake,
                group=ConsumerGroup.GATEWAY,
                consumer=name,
                handler=intake.handler_for(streams.producer),
                on_dead_letter=on_dead_letter,
                options=intake_options,
                capacity=intake_capacity,
                reader=intake_envelope,
            ),
            scan_seconds=settings.intake_producer_scan_seconds,
        )
        # Webhooks read the lifecycle stream as a group of their own, and send from their own task: a slow endpoint
        # holds up neither the pipeline's consumers nor other endpoints.
        webhook_consumers = group_consumers(
            redis,
            ConsumerGroup.WEBHOOKS,
            {Stream.PROPOSAL_LIFECYCLE: sender.on_lifecycle},
            consumer=name,
            on_dead_letter=None,
            # Queuing a delivery is one grouped insert for every event read together (and sending is the sender
            # task's): many at once make the groups, and an intake burst's `accepted` events, cheap.
            options=replace(options, concurrency=_WEBHOOK_QUEUE_CONCURRENCY),
        )
        retention = RetentionKeeper(
            pool,
            redis,
            stream_keep=timedelta(hours=settings.stream_retention_hours),
            records_keep=timedelta(days=settings.event_history_retention_days),
            interval_seconds=settings.retention_interval_seconds,
            more_streams=lambda: {
                stream: groups for streams in producer_intake.streams() for stream, groups in streams.groups().items()
            },
        )
        stop = asyncio.Event()
        background = [
            asyncio.create_task(run_consumers(consumers, stop), name="gateway consumers"),
            asyncio.create_task(producer_intake.run(stop), name="producer intake"),
            asyncio.create_task(run_consumers(webhook_consumers, stop), name="webhook consumers"),
            asyncio.create_task(sender.run(stop), name="webhook sender"),
            asyncio.create_task(relay.run(stop), name="outbox relay"),
            asyncio.create_task(retention.run(stop), name="retention"),
            asyncio.create_task(
                ExpirySweeper(pool, interval_seconds=settings.share_expiry_sweep_seconds).run(stop),
                name="share expiry sweep",
            ),
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
            if oidc_http is not None:
                await oidc_http.aclose()
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
        SharedSignInThrottle("address", settings.sign_in_failure_limit, settings.sign_in_failure_window_seconds),
    )
    # Password sign-ins are also counted per account (an attacker spreading guesses over many addresses). Both count
    # in Redis once the lifespan has connected it, for every replica at once.
    app.state.account_throttle = SharedSignInThrottle(
        "account", settings.sign_in_failure_limit, settings.sign_in_failure_window_seconds
    )
    install_problem_handlers(app)
    for router in (
        health.router,
        proposals.router,
        sections.router,
        events.router,
        backups.router,
        templates.router,
        exports.router,
        tokens.router,
        library_search.router,
        session.router,
        library_documents.router,
        library_entries.router,
        library_roles.router,
        sign_in.router,
        sso.router,
        users.router,
        audit.router,
        webhooks.router,
        proposal_documents.router,
        sharing.router,
        public_share.router,
        review.router,
        approval_rules.router,
        document_proposals.router,
    ):
        document_roles(router)  # each route's role, in the OpenAPI document (and none without one)
        app.include_router(router)
    app.add_middleware(AuthenticateBeforeBody, verifier=app.state.token_verifier)  # inside CORS: refusals carry it
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_allowed_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        # the web app's session cookie goes with its requests; never with a wildcard origin
        allow_credentials="*" not in settings.cors_allowed_origins,
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID", "If-Match", CSRF_HEADER, ACCESS_CODE_HEADER],
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
            ("/api/proposals/*/documents", (settings.proposal_document_max_mb + 1) * 1024 * 1024),
        ],
    )
    app.add_middleware(UnexpectedErrors)  # around every other middleware of ours, so none lets an error escape
    instrument_fastapi(app)  # outermost, so the request span covers the middlewares too (no-op when telemetry is off)
    return app
