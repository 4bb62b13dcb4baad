"""Liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from propos4l.gateway.deps import Viewer
from propos4l.gateway.problems import problem_response

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["health"])

_CHECK_TIMEOUT_SECONDS = 1.5  # with the pool's release timeout (0.5 s), a frozen server's 503 comes in 2 s
_RETRY_AFTER_SECONDS = 5


@router.get("/health", summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    """Always 200 while the process runs."""
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: PostgreSQL and Redis answer", response_model=None)
async def ready(request: Request, _: Viewer) -> dict[str, Any] | JSONResponse:
    """200 when PostgreSQL and Redis both answer, else 503 naming the one that does not."""
    postgres, redis = await asyncio.gather(_check(_postgres(request)), _check(request.app.state.redis.ping()))
    checks = {"postgres": postgres, "redis": redis}
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        return problem_response(
            503,
            f"Not ready: {', '.join(f'{name} ({checks[name]})' for name in failing)}.",
            instance="/api/ready",
            headers={"Retry-After": str(_RETRY_AFTER_SECONDS)},
            checks=checks,
        )
    return {"status": "ready", "checks": checks}


async def _postgres(request: Request) -> object:
    async with request.app.state.pool.acquire() as connection:
        return await connection.fetchval("SELECT 1")


async def _check(probe: Any) -> str:
    try:
        async with asyncio.timeout(_CHECK_TIMEOUT_SECONDS):
            await probe
    except TimeoutError:
        return "timed out"
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:200]
    return "ok"
