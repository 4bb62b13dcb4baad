"""A stored PDF as a download: a local file as it is, a bucket's object streamed, or a redirect to a pre-signed URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Final

from fastapi import Response
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from propos4l.gateway.problems import Problem
from propos4l.shared.object_store import ObjectStore, ObjectStream
from propos4l.shared.outages import DependencyUnavailable

__all__ = ["pdf_download"]

logger = logging.getLogger(__name__)

_PDF: Final = "application/pdf"
_NO_CACHE: Final = {"Cache-Control": "private, max-age=0"}


async def pdf_download(
    store: ObjectStore,
    key: str,
    filename: str,
    *,
    presign_seconds: int | None = None,
    transform: Callable[[bytes], bytes] | None = None,
) -> Response:
    """The response that gives the client the PDF at `key`; a 409 problem when it is recorded but not stored.

    `presign_seconds` set (STORAGE_PRESIGN) sends a store that can sign URLs to a 307 redirect valid that long;
    the local folder has no such URLs and serves the file itself either way. `transform` (a watermark) is applied
    to the stored bytes, in a worker thread, and the result served (never a redirect then).
    """
    if transform is not None:
        return await _transformed(store, key, filename, transform)
    try:
        if presign_seconds is not None:
            url = await asyncio.to_thread(store.presigned_url, key, presign_seconds, filename, _PDF)
            if url is not None:
                return RedirectResponse(url, status_code=307, headers=_NO_CACHE)
        path = await asyncio.to_thread(store.local_path, key)
        if path is not None:
            return FileResponse(path, media_type=_PDF, filename=filename, headers=_NO_CACHE)
        stream = await asyncio.to_thread(store.open, key)
    except DependencyUnavailable as error:
        logger.warning("the PDF storage is unavailable", extra={"storage": error.location, "error": error.reason})
        raise Problem(
            503,
            "The file storage is not answering right now; try again in a few seconds.",
            headers={"Retry-After": "5"},
        ) from error
    if stream is None:
        raise Problem(409, "The PDF is recorded but missing from the PDF storage; render it again.")
    headers = {
        **_NO_CACHE,
        "Content-Length": str(stream.size),
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    return StreamingResponse(_chunks(stream), media_type=_PDF, headers=headers)


async def _transformed(store: ObjectStore, key: str, filename: str, transform: Callable[[bytes], bytes]) -> Response:
    try:
        stream = await asyncio.to_thread(store.open, key)
        if stream is None:
            raise Problem(409, "The PDF is recorded but missing from the PDF storage; render it again.")
        try:
            data = b"".join([chunk async for chunk in iterate_in_threadpool(stream.chunks)])
        finally:
            await asyncio.to_thread(stream.close)
    except DependencyUnavailable as error:
        logger.warning("the PDF storage is unavailable", extra={"storage": error.location, "error": error.reason})
        raise Problem(
            503,
            "The file storage is not answering right now; try again in a few seconds.",
            headers={"Retry-After": "5"},
        ) from error
    content = await asyncio.to_thread(transform, data)
    headers = {**_NO_CACHE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=_PDF, headers=headers)


async def _chunks(stream: ObjectStream) -> AsyncIterator[bytes]:
    try:
        async for chunk in iterate_in_threadpool(stream.chunks):
            yield chunk
    finally:
        await asyncio.to_thread(stream.close)
