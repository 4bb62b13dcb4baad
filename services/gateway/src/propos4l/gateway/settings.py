"""Gateway settings, from the environment."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from propos4l.gateway.webhook_secrets import fernet_key
from propos4l.shared.events import PROPOSAL_CONTENT_DEFAULT_MAX
from propos4l.shared.settings import (
    DatabaseSettings,
    DeliverySettings,
    EmbeddingSettings,
    ServiceSettings,
    StorageSettings,
    refuse_placeholder,
)

_ORIGIN = re.compile(r"https?://[^/\s?#]+|\*")

__all__ = ["GatewaySettings"]


class GatewaySettings(ServiceSettings, DatabaseSettings, DeliverySettings, EmbeddingSettings, StorageSettings):
    """What the gateway reads at start."""

    propos4l_admin_token: SecretStr = Field(description="Bearer token with admin rights; at least 16 characters")
    pdf_storage_dir: Path
    templates_dir: Path = Field(description="the templates folder (shared with the renderer and the backup agent)")
    library_dir: Path = Field(
        description="the library's uploaded files, content-addressed (shared with the library service and the backup "
        "agent)"
    )
    storage_presign: bool = Field(
        default=False,
        description="PDF downloads redirect (307) to a short-lived pre-signed URL of the bucket instead of "
        "streaming through the gateway",
    )
    storage_presign_seconds: Annotated[int, Field(ge=10, le=3600)] = Field(
        default=300, description="how long a pre-signed download URL is valid"
    )
    library_max_upload_mb: Annotated[int, Field(ge=1, le=1024)] = Field(
        default=50, description="the largest file the library takes; a larger upload is a 413"
    )
    proposal_document_max_mb: Annotated[int, Field(ge=1, le=1024)] = Field(
        default=50, description="the largest client document (RFP, edital) a proposal takes; a larger one is a 413"
    )
    proposal_documents_max_mb: Annotated[int, Field(ge=1, le=10_240)] = Field(
        default=200, description="the bytes of all of a proposal's client documents together; past it, a 413"
    )
    proposal_documents_max_files: Annotated[int, Field(ge=1, le=200)] = Field(
        default=20, description="how many client documents a proposal may hold; past it, a 413"
    )
    gateway_render_workers: Annotated[int, Field(ge=1, le=16)] = 1
    render_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    render_cpu_seconds: Annotated[float, Field(gt=0)] | None = None
    render_max_memory_mb: Annotated[int, Field(ge=128)] | None = 2048
    render_max_pdf_mb: Annotated[int, Field(ge=1, le=1024)] = 50
    render_max_pages: Annotated[int, Field(ge=1)] = Field(
        default=300, description="an archival PDF export whose layout passes this many pages is refused (422)"
    )
    database_connect_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        default=2.0, description="time to open a PostgreSQL connection before the request gets a 503"
    )
    database_acquire_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        default=2.0, description="time to wait for a free connection of the pool before the request gets a 503"
    )
    database_statement_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = Field(
        default=2.0,
        description="time a statement may take before the request gets a 503 (lock waits and large "
        "template writes have their own, longer limit)",
    )
    proposal_max_characters: Annotated[int, Field(ge=1_000)] = Field(
        default=PROPOSAL_CONTENT_DEFAULT_MAX,
        description="the most characters a proposal's sections may hold together; an edit past it is a 422",
    )
    render_rate_limit_per_minute: Annotated[int, Field(ge=0)] = Field(
        default=30, description="section edits and regenerations one token may ask for a minute (0: no limit)"
    )
    gateway_host: str = "127.0.0.1"
    gateway_port: Annotated[int, Field(ge=1, le=65_535)] = 8000
    max_request_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 1024 * 1024
    template_max_request_bytes: Annotated[int, Field(ge=1024, le=256 * 1024 * 1024)] = Field(
        default=32 * 1024 * 1024,
        description="body limit of template uploads and previews (a whole template as JSON, files in base64)",
    )
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("http://localhost:3000", "http://127.0.0.1:3000"),
        description="origins the web app is served from: comma-separated, or a JSON list",
    )
    outbox_poll_seconds: Annotated[float, Field(gt=0)] = 1.0
    outbox_audit_seconds: Annotated[float, Field(gt=0)] = Field(
        default=60.0, description="how often the gateway checks that recently published events are still in Redis"
    )
    stream_retention_hours: Annotated[float, Field(ge=1)] = Field(
        default=24.0, description="stream entries every consumer group is done with are kept this long, then trimmed"
    )
    event_history_retention_days: Annotated[float, Field(ge=1)] = Field(
        default=14.0,
        description="published outbox rows, processed-event ids and finished proposals' progress are kept this long",
    )
    retention_interval_seconds: Annotated[float, Field(ge=1)] = 900.0
    intake_producer_scan_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=5.0,
        description="how often the gateway compares the producers it reads with Redis's users producer-<name>: it "
        "starts reading new producers' intake streams and stops reading deleted ones'",
    )
    tracing_ui_url: str | None = Field(
        default=None,
        description="a trace's page in the tracing UI, with {trace_id} in it (Phoenix: "
        "http://host:6006/redirects/traces/{trace_id}); unset: proposals link to no trace",
        pattern=r"^https?://.*\{trace_id\}",
    )
    proposal_list_count_limit: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=1000, description="the proposal list counts matches up to this many (total_exact false beyond)"
    )
    sign_in_failure_limit: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=10, description="wrong API tokens a client address may send within the window before it must wait"
    )
    sign_in_failure_window_seconds: Annotated[float, Field(gt=0, le=86_400)] = Field(
        default=300.0, description="the window of SIGN_IN_FAILURE_LIMIT; a throttled address waits until it passes"
    )

    webhook_allowed_networks: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = Field(
        default=(),
        description="networks webhooks may reach although loopback, private or link-local (comma-separated CIDRs, "
        "e.g. 10.0.5.0/24); unset: only public addresses",
    )
    webhook_secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = Field(
        description="keys that encrypt webhook signing secrets at rest, comma-separated, newest first (each at "
        "least 32 characters: openssl rand -hex 32); the first encrypts, all decrypt; to rotate, put a new key first "
        "and drop the old one after a restart or propos4l webhooks rotate-keys"
    )
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        default=10.0, description="how long one webhook try waits for the endpoint's answer"
    )
    webhook_retry_base_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=5.0, description="the wait after a webhook's first failed try; it doubles each try (with jitter)"
    )
    webhook_retry_hours: Annotated[float, Field(gt=0, le=72)] = Field(
        default=24.0, description="a webhook delivery is retried for this long after its event, then marked failed"
    )
    webhook_disable_after_failures: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=15, description="failed tries in a row (any delivery) after which an endpoint is disabled"
    )
    webhook_max_redirects: Annotated[int, Field(ge=0, le=10)] = Field(
        default=0,
        description="307/308 redirects a webhook try follows, each target checked as the URL is (0: none followed)",
    )
    webhook_concurrency: Annotated[int, Field(ge=1, le=256)] = Field(
        default=16, description="webhook tries under way at once per gateway (one per endpoint)"
    )

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    session_idle_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = Field(
        default=120, description="a web session ends after this many minutes without a request"
    )
    session_absolute_hours: Annotated[int, Field(ge=1, le=90 * 24)] = Field(
        default=12, description="a web session ends this many hours after sign-in, however active"
    )

    oidc_issuer: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="single sign-on: the OpenID Connect issuer URL (unset: password sign-in only)",
    )
    oidc_client_id: str | None = Field(default=None, description="this app's client id at the identity provider")
    oidc_client_secret: SecretStr | None = Field(default=None, description="its client secret (unset: public client)")
    oidc_allowed_email_domains: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="e-mail domains whose people get an account at their first SSO sign-in, comma-separated "
        "(others need an account made by an admin)",
    )
    oidc_default_role: Literal["viewer", "editor", "manager"] = Field(
        default="viewer", description="the role of an account made at its first SSO sign-in"
    )
    oidc_redirect_uri: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="the callback URL registered at the provider (unset: this gateway's "
        "/api/auth/oidc/callback as the request reached it)",
    )

    web_app_url: str = Field(
        default="http://127.0.0.1:3000",
        pattern=r"^https?://",
        description="where people open the web app: invitation links point there",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="e-mail invitations through this server: smtp://user:password@host:25, smtp+starttls://... or "
        "smtps://...:465 (unset: the link is only shown to the admin)",
    )
    smtp_from: str = Field(default="propos4l@localhost", description="the sender of invitation e-mails")
    invitation_valid_days: Annotated[int, Field(ge=1, le=90)] = Field(
        default=7, description="an invitation link works once, for this many days"
    )
    share_link_days: Annotated[int, Field(ge=1, le=365)] = Field(
        default=30,
        description="a share link sent to a client works for this many days unless the sender says otherwise",
    )
    share_rate_limit_per_minute: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=60, description="calls to the public share routes one address, and one link, may make a minute"
    )
    share_code_attempts: Annotated[int, Field(ge=1, le=100)] = Field(
        default=5, description="wrong access codes a share link takes in 15 minutes before it answers 429"
    )
    share_expiry_sweep_seconds: Annotated[float, Field(ge=1, le=86_400)] = Field(
        default=300.0,
        description="how often a gateway moves sent proposals whose share links have all run out, unanswered, to "
        "expired (opening an expired link does it at once)",
    )
    signing_cert_path: Path | None = Field(
        default=None,
        description="the consultancy's PKCS#12 (.p12/.pfx, e.g. an ICP-Brasil A1) that signs accepted proposals "
        "(PAdES); unset: the final PDF is not digitally signed",
    )
    signing_cert_password: SecretStr | None = Field(default=None, description="the PKCS#12 file's password")
    signing_tsa_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="an RFC 3161 timestamp server: signatures become PAdES B-T (unset: B-B)",
    )

    @field_validator("webhook_secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("webhook_secret_keys")
    @classmethod
    def _real_keys(cls, keys: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if not keys:
            raise ValueError("at least one key is required")
        for number, key in enumerate(keys, start=1):
            text = refuse_placeholder(key.get_secret_value(), "WEBHOOK_SECRET_KEYS")
            try:
                fernet_key(text)
            except ValueError as error:
                raise ValueError(f"key {number}: {error}") from error
        return keys

    @field_validator("oidc_allowed_email_domains", mode="before")
    @classmethod
    def _domains(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().lower().lstrip("@") for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _signing_file(self) -> GatewaySettings:
        if self.signing_cert_path is not None and not self.signing_cert_path.is_file():
            raise ValueError(f"SIGNING_CERT_PATH {self.signing_cert_path} is not a readable file")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> GatewaySettings:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("OIDC_ISSUER is set: OIDC_CLIENT_ID must be set too")
        return self

    @field_validator("propos4l_admin_token")
    @classmethod
    def _real_token(cls, token: SecretStr) -> SecretStr:
        value = refuse_placeholder(token.get_secret_value(), "PROPOS4L_ADMIN_TOKEN")
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return token

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        """Origins as people write them in an environment file: a JSON list or comma-separated, each a bare origin."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError as error:
                    raise ValueError(f"not a JSON list of origins ({error})") from error
            else:
                value = [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for origin in value:
                if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
                    raise ValueError(
                        f"{origin!r} is not an origin: scheme and host (and port), such as http://localhost:3000"
                    )
        return value
