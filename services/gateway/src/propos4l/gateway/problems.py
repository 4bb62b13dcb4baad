"""RFC 9457 problem details: every error the API returns, in one shape, mapped once at the edge."""

from __future__ import annotations

import logging
import socket
from http import HTTPStatus
from typing import Any, Final

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from propos4l.gateway.asgi import WatchedSend
from propos4l.shared.field_errors import field_errors
from propos4l.shared.outages import DependencyUnavailable

__all__ = [
    "PROBLEM_JSON",
    "UNAVAILABLE",
    "Problem",
    "UnexpectedErrors",
    "install_problem_handlers",
    "problem_response",
    "unavailable_response",
]

logger = logging.getLogger(__name__)

PROBLEM_JSON: Final = "application/problem+json"

_RETRY_AFTER_SECONDS: Final = 5
# PostgreSQL or Redis down, restarting or full: a 503 the client may retry, not an unexpected 500.
UNAVAILABLE: Final[tuple[type[Exception], ...]] = (
    ConnectionError,  # refused, reset: a server that is down or restarting
    socket.gaierror,  # its host name does not resolve (yet)
    TimeoutError,  # no connection free in time
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    RedisConnectionError,
    RedisTimeoutError,
    DependencyUnavailable,  # the object store (STORAGE_URL) failed or does not answer
)


class Problem(Exception):
    """An error to report to the client as problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.code = code
        """a stable name of the problem a client may word in its language (sent as `code` when set)"""

    @property
    def extensions(self) -> dict[str, str]:
        """The members the problem adds to RFC 9457's."""
        return {"code": self.code} if self.code else {}


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(error: RequestValidationError) -> tuple[int, str, list[dict[str, Any]]]:
    details = error.errors()
    items = [item.model_dump(exclude_none=True) for item in field_errors(details, skip=frozenset({"body"}))]
    if any(item.get("type") == "json_invalid" for item in details):
        return 400, "The request body is not valid JSON.", items
    summary = "; ".join(f"{item['field']} {item['message']}" for item in items[:5])
    return 422, f"The request is invalid: {summary}.", items


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error the app can raise to problem+json (unexpected errors: the `UnexpectedErrors` middleware)."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(
            error.status,
            error.detail,
            title=error.title,
            instance=request.url.path,
            headers=error.headers,
            **error.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        status, detail, items = _validation_errors(error)
        return problem_response(status, detail, instance=request.url.path, errors=items)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
        if error.status_code == 404 and detail == "Not Found":
            detail = f"There is no resource at {request.url.path}."
        if error.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return problem_response(error.status_code, detail, instance=request.url.path, headers=dict(error.headers or {}))

    async def _unavailable(request: Request, error: Exception) -> JSONResponse:
        return unavailable_response(request.url.path, error)

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)


def unavailable_response(path: str, error: Exception) -> JSONResponse:
    """The 503 problem for a dependency that does not answer (one of `UNAVAILABLE`), logged."""
    if isinstance(error, DependencyUnavailable) and error.dependency == "object_storage":
        which = "The file storage"
    elif isinstance(error, RedisError):
        which = "Redis"
    elif isinstance(error, asyncpg.PostgresError):
        which = "The database"
    else:
        which = "The database or Redis"
    logger.warning("a dependency is unavailable", extra={"path": path, "error": str(error)[:300]})
    return problem_response(
        503,
        f"{which} is not answering right now; try again in a few seconds.",
        title="Service Unavailable",
        instance=path,
        headers={"Retry-After": str(_RETRY_AFTER_SECONDS)},
    )


class UnexpectedErrors:
    """ASGI middleware: an error no handler mapped is logged and answered with a 500 problem, and goes no further.

    Not an exception handler for Exception: Starlette runs that one in its ServerErrorMiddleware, which re-raises
    after replying, and the server then closes the client's keep-alive connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; turn an unexpected error into a 500 problem+json if nothing was sent yet."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watched = WatchedSend(send)
        try:
            await self.app(scope, receive, watched)
        except Exception:
            path = scope.get("path", "")
            logger.exception("unhandled error", extra={"path": path})
            if watched.response_started:  # half a response went out: only closing the connection tells the client
                raise
            response = problem_response(500, "An unexpected error occurred; it has been logged.", instance=path)
            await response(scope, receive, send)
