"""Templates: list and read them (and every earlier version), change, delete and preview them (admins)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import PurePosixPath
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from propos4l.gateway.deps import Admin, Outbox, Viewer, audited
from propos4l.gateway.problems import Problem, problem_response
from propos4l.gateway.settings import GatewaySettings
from propos4l.gateway.template_schemas import (
    TemplateDeleted,
    TemplateDetail,
    TemplateFileView,
    TemplateList,
    TemplateSummary,
    TemplateUpload,
    TemplateVersionView,
)
from propos4l.gateway.template_store import (
    BlobReference,
    StoredTemplate,
    TemplateConflict,
    TemplateGone,
    TemplateRejected,
    TemplateStore,
)
from propos4l.renderer.folders import TEXT_SUFFIXES
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.pool import RenderLimits, WorkerPool
from propos4l.renderer.templates import DEFAULT_TEMPLATE_NAME
from propos4l.shared.object_store import open_store
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.sections import Language

__all__ = ["Templates", "router", "template_store"]

_MIB: Final = 1024 * 1024
_INLINE_TEXT_MAX: Final = 512 * 1024
_NAME: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # fullmatch: `$` would let a final newline in
_RECONCILE_RETRY_SECONDS: Final = 15.0

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the template store inside the app's lifespan (its pool is open): install and reconcile the folders."""
    settings: GatewaySettings = app.state.settings
    memory = settings.render_max_memory_mb * _MIB if settings.render_max_memory_mb else None
    limits = RenderLimits(
        timeout_seconds=settings.render_timeout_seconds,
        cpu_seconds=settings.render_cpu_seconds,
        max_memory_bytes=memory,
        max_output_bytes=settings.render_max_pdf_mb * _MIB,
    )
    workers = WorkerPool(max_workers=settings.gateway_render_workers, limits=limits, preload="propos4l.renderer.checks")
    versions = (
        open_store(settings.storage_url, settings.storage_endpoint, "templates", settings.templates_dir)
        if settings.storage_url
        else None
    )
    store = TemplateStore(
        app.state.pool, settings.templates_dir, workers, max_pages=settings.render_max_pages, versions=versions
    )
    retrying: asyncio.Task[None] | None = None
    try:
        if await store.reconcile():
            app.state.outbox.wake()
    except DependencyUnavailable as error:  # the bucket does not answer: serve, and publish the templates once it does
        logger.warning("templates not reconciled: the object store does not answer", extra={"error": str(error)})
        retrying = asyncio.create_task(_reconcile_later(store, app), name="template reconcile")
    app.state.templates = store
    try:
        yield
    finally:
        if retrying is not None:
            retrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retrying
        store.close()


async def _reconcile_later(store: TemplateStore, app: FastAPI) -> None:
    """Reconcile again every few seconds until the object store answers."""
    while True:
        await asyncio.sleep(_RECONCILE_RETRY_SECONDS)
        try:
            if await store.reconcile():
                app.state.outbox.wake()
        except DependencyUnavailable as error:
            logger.warning("templates not reconciled yet", extra={"error": str(error)})
            continue
        logger.info("templates reconciled with the object store")
        return


router = APIRouter(
    prefix="/api/templates",
    tags=["templates"],
    lifespan=_lifespan,
    dependencies=[audited("template", reads=frozenset({"preview_template"}))],
)


def template_store(request: Request) -> TemplateStore:
    """The app's template store."""
    store: TemplateStore = request.app.state.templates
    return store


Templates = Annotated[TemplateStore, Depends(template_store)]

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        403: "Not an admin",
        404: "No such template or version",
        409: "The default template cannot be deleted",
        412: "The template changed since it was read (If-Match)",
        413: "Request body too large",
        422: "Invalid template: the problems say where (file, line, column)",
    }.items()
}


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise Problem(400, 'If-Match must be a template version as its ETag gives it, e.g. "3".')
    return int(value)


def _rejected(error: TemplateRejected, path: str) -> JSONResponse:
    limit: dict[str, Any] = {"limit": error.limit} if error.limit else {}
    return problem_response(
        422,
        str(error),
        title="Template exceeds a render limit" if error.limit else "Invalid template",
        instance=path,
        **limit,
        errors=[
            {"file": problem.file, "line": problem.line, "column": problem.column, "message": problem.message}
            for problem in error.problems
        ],
    )


def _summary(stored: StoredTemplate) -> dict[str, Any]:
    return {
        "name": stored.name,
        "version": stored.version,
        "description": stored.manifest.get("description", ""),
        "company_name": stored.manifest["brand"]["company_name"],
        "is_default": stored.name == DEFAULT_TEMPLATE_NAME,
        "updated_at": stored.updated_at,
        "url": f"/api/templates/{stored.name}",
    }


async def _detail(store: TemplateStore, stored: StoredTemplate) -> TemplateDetail:
    files = []
    for path, entry in sorted(stored.files.items()):
        text = None
        if PurePosixPath(path).suffix.lower() in TEXT_SUFFIXES and entry["size"] <= _INLINE_TEXT_MAX:
            content = await store.blob(entry["sha256"])
            text = content.decode("utf-8", errors="replace") if content is not None else None
        files.append(
            TemplateFileView(
                path=path,
                size=entry["size"],
                sha256=entry["sha256"],
                media_type=_media_type(path),
                text=text,
                url=f"/api/templates/{stored.name}/files/{path}?version={stored.version}",
            )
        )
    history = [
        TemplateVersionView.model_validate(version, from_attributes=True)
        for version in await store.history(stored.name)
    ]
    return TemplateDetail(
        **_summary(stored),
        current_version=stored.current_version,
        manifest=stored.manifest,
        files=files,
        history=history,
    )


def _media_type(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    known = {
        ".otf": "font/otf",
        ".ttf": "font/ttf",
        ".woff": "font/woff",
        ".woff2": "font/woff2",
        ".md": "text/markdown",
    }
    return known.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def _upload_parts(
    name: str, upload: TemplateUpload
) -> tuple[TemplateManifest, Mapping[str, bytes | BlobReference]] | JSONResponse:
    """The manifest (validated, named after the URL when it names nothing) and the files; a 422 when invalid."""
    manifest_data = {"name": name, **upload.manifest}
    try:
        manifest = TemplateManifest.model_validate(manifest_data)
    except ValidationError as error:
        items = [
            {"field": ".".join(["manifest", *(str(part) for part in item["loc"])]), "message": item["msg"]}
            for item in error.errors()
        ]
        summary = "; ".join(f"{item['field']} {item['message']}" for item in items[:5])
        return problem_response(422, f"The manifest is invalid: {summary}.", errors=items)
    files: dict[str, bytes | BlobReference] = {}
    for path, upload_file in upload.files.items():
        content = upload_file.content()
        files[path] = content if content is not None else BlobReference(upload_file.sha256 or "")
    return manifest, files


@router.get("", response_model=TemplateList, responses=_PROBLEMS)
async def list_templates(_: Viewer, store: Templates) -> TemplateList:
    """Every template a request can choose by name."""
    return TemplateList(items=[TemplateSummary(**_summary(stored)) for stored in await store.current()])


@router.get("/{name}", response_model=TemplateDetail, responses=_PROBLEMS)
async def get_template(
    name: str,
    response: Response,
    _: Viewer,
    store: Templates,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> TemplateDetail:
    """A template's current version (or `version`), its files, and its history; the ETag is the version."""
    _check_name(name)
    try:
        stored = await store.get(name, version)
    except TemplateGone as error:
        raise Problem(404, str(error)) from None
    response.headers["ETag"] = f'"{stored.version}"'
    return await _detail(store, stored)


@router.get(
    "/{name}/files/{path:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **_PROBLEMS},
)
async def download_template_file(
    name: str,
    path: str,
    _: Viewer,
    store: Templates,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    """One file of a template's current version (or of `version`)."""
    _check_name(name)
    try:
        stored = await store.get(name, version)
    except TemplateGone as error:
        raise Problem(404, str(error)) from None
    entry = stored.files.get(path)
    content = await store.blob(entry["sha256"]) if entry else None
    if content is None:
        raise Problem(404, f"Version {stored.version} of the template {name!r} has no file {path!r}.")
    return Response(
        content,
        media_type=_media_type(path),
        headers={"ETag": f'"{entry["sha256"] if entry else ""}"', "X-Content-Type-Options": "nosniff"},
    )


@router.put("/{name}", response_model=TemplateDetail, responses={201: {"model": TemplateDetail}, **_PROBLEMS})
async def put_template(
    name: str,
    upload: TemplateUpload,
    request: Request,
    response: Response,
    principal: Admin,
    store: Templates,
    outbox: Outbox,
    if_match: Annotated[str | None, Header()] = None,
) -> TemplateDetail | JSONResponse:
    """Create or replace a template, after checking it renders the sample proposal within the render limits.

    A template that does not parse or render is refused with 422 and the problems (file, line, column, message).
    Every change makes a new version and publishes template.changed; the same content again changes nothing.
    """
    _check_name(name)
    parts = _upload_parts(name, upload)
    if isinstance(parts, JSONResponse):
        return parts
    manifest, files = parts
    existed = await store.exists(name)
    try:
        stored, changed = await store.save(
            name, manifest, files, actor=principal.name, expected_version=_expected_version(if_match)
        )
    except TemplateRejected as error:
        return _rejected(error, request.url.path)
    except TemplateConflict as error:
        raise Problem(412 if error.precondition else 409, str(error)) from None
    if changed:
        outbox.wake()
    response.status_code = 200 if existed else 201
    response.headers["ETag"] = f'"{stored.version}"'
    response.headers["Location"] = f"/api/templates/{name}"
    return await _detail(store, stored)


@router.delete("/{name}", response_model=TemplateDeleted, responses=_PROBLEMS)
async def delete_template(
    name: str,
    principal: Admin,
    store: Templates,
    outbox: Outbox,
    if_match: Annotated[str | None, Header()] = None,
) -> TemplateDeleted:
    """Delete a template (never the default); its history stays, and a PUT brings it back as a new version."""
    _check_name(name)
    try:
        version = await store.delete(name, actor=principal.name, expected_version=_expected_version(if_match))
    except TemplateGone as error:
        raise Problem(404, str(error)) from None
    except TemplateConflict as error:
        raise Problem(412 if error.precondition else 409, str(error)) from None
    outbox.wake()
    return TemplateDeleted(name=name, version=version)


@router.post(
    "/{name}/preview",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **_PROBLEMS},
)
async def preview_template(
    name: str,
    request: Request,
    principal: Admin,
    store: Templates,
    language: Language = Language.PT_BR,
    upload: TemplateUpload | None = None,
) -> Response:
    """The sample proposal as a PDF, rendered with the stored template, or with the unsaved template in the body."""
    _check_name(name)
    parts: tuple[TemplateManifest, Mapping[str, bytes | BlobReference]] | None = None
    if upload is not None:
        checked = _upload_parts(name, upload)
        if isinstance(checked, JSONResponse):
            return checked
        parts = checked
    try:
        rendered = await store.preview(name, language, parts)
    except TemplateGone as error:
        raise Problem(404, str(error)) from None
    except TemplateRejected as error:
        return _rejected(error, request.url.path)
    return Response(
        rendered.data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}-preview-{language.value}.pdf"',
            "Cache-Control": "no-store",
            "X-Pages": str(rendered.pages),
        },
    )


def _check_name(name: str) -> None:
    """Refuse a name no template can have (before it reaches the database, which refuses NUL characters)."""
    if not _NAME.fullmatch(name):
        raise Problem(
            422,
            f"{name[:80]!r} is not a valid template name: use 1 to 64 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit.",
        )
