"""Templates for the gateway: every version in PostgreSQL, the live ones under TEMPLATES_DIR or in the object
store (STORAGE_URL), checks in workers.

A change is staged in a hidden folder, checked by rendering the sample proposal in a limited worker process, then
recorded (version row, file contents by SHA-256, the template.changed event in the outbox) and published inside one
transaction, under the template's row lock, so concurrent changes from several gateway replicas are serialised and a
version exists exactly when it was published and its event queued. Published means the live folder swapped in one
rename (ADR 0006), or, with an object store, every file uploaded by its hash before the transaction and the
template's live pointer replaced inside it (`propos4l.renderer.template_versions`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import asyncpg

from propos4l.gateway.export_sanitizer import sanitize_export
from propos4l.gateway.repository import add_to_outbox
from propos4l.renderer.checks import TemplateCheck, check_template, preview_template
from propos4l.renderer.errors import RenderError, RenderLimitExceeded, RenderTimeout, TemplateError, TemplateProblem
from propos4l.renderer.export import export_html
from propos4l.renderer.folders import (
    PREVIOUS_DEFAULT_DIGESTS,
    discard_staging,
    file_problems,
    publish_folder,
    read_folder,
    remove_folder,
    stage_folder,
    sweep_leftovers,
    tree_digest,
    upgrade_packaged_default,
)
from propos4l.renderer.manifest import PdfVariant, TemplateManifest
from propos4l.renderer.pdf import DEFAULT_MAX_PAGES, RenderedPdf, render_drafted
from propos4l.renderer.pool import WorkerPool
from propos4l.renderer.template_versions import (
    LiveVersion,
    StoredTemplates,
    live_versions,
    point_live,
    remove_live,
    upload_version,
)
from propos4l.renderer.templates import (
    DEFAULT_TEMPLATE_NAME,
    MANIFEST_FILE,
    PACKAGED_DEFAULT_TEMPLATE,
    install_default_template,
    load_template,
)
from propos4l.renderer.word import export_docx
from propos4l.shared.events import ProposalDrafted, TemplateAction, TemplateChanged
from propos4l.shared.object_store import ObjectStore
from propos4l.shared.sections import Language

__all__ = [
    "BlobReference",
    "StoredTemplate",
    "TemplateConflict",
    "TemplateGone",
    "TemplateRejected",
    "TemplateStore",
    "TemplateVersion",
    "template_exists",
]

logger = logging.getLogger(__name__)

_RECONCILE_LOCK: Final = 0x74706C73  # any constant: one gateway replica reconciles the folders at a time
_SYSTEM: Final = "system"
# Lock waits (another replica saving or reconciling) and large file writes may take longer than the pool's statement
# timeout, which is there to notice a frozen database within seconds.
_LONG_STATEMENT_SECONDS: Final = 60.0


class TemplateGone(LookupError):
    """No template of that name exists (never did, or was deleted), or it has no such version."""


class TemplateConflict(Exception):
    """The change cannot be made: the default cannot be deleted, or the template changed since it was read."""

    def __init__(self, message: str, *, precondition: bool = False) -> None:
        super().__init__(message)
        self.precondition = precondition


class TemplateRejected(Exception):
    """The template is invalid; `problems` say what is wrong and where, `limit` which render limit it hit if any."""

    def __init__(self, message: str, problems: Sequence[TemplateProblem], limit: str | None = None) -> None:
        super().__init__(message)
        self.problems = tuple(problems)
        self.limit = limit


def _rejected(error: RenderError) -> TemplateRejected:
    """A failed check or preview as a rejection: a template error, a render limit the template hit, or a crash."""
    if isinstance(error, TemplateError):
        return TemplateRejected(str(error), error.problems or (TemplateProblem(str(error)),))
    if isinstance(error, RenderTimeout):
        limit: str | None = "time"
    elif isinstance(error, RenderLimitExceeded):
        limit = error.limit
    else:  # the worker died (killed for memory by the system, a crash in a library): the template made it
        limit = None
    message = f"the template could not be rendered within the render limits: {error}"
    return TemplateRejected(message, (TemplateProblem(str(error)),), limit)


@dataclass(frozen=True, slots=True)
class BlobReference:
    """A file given by the SHA-256 of content the gateway already stores (a font kept from an earlier version)."""

    sha256: str


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    """One version in a template's history."""

    version: int
    action: str
    tree_sha256: str | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredTemplate:
    """A version of a template: its manifest and its files (path -> SHA-256 and size)."""

    name: str
    version: int
    current_version: int
    deleted: bool
    manifest: dict[str, Any]
    files: dict[str, dict[str, Any]]
    tree_sha256: str
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RecordedTemplate:
    """A recorded version of a template with the contents of its files."""

    version: int
    manifest: TemplateManifest
    files: dict[str, bytes]


async def _file_contents(connection: asyncpg.Connection, files: Mapping[str, Mapping[str, Any]]) -> dict[str, bytes]:
    """The contents of a recorded version's files (path -> {"sha256", ...}), from template_blobs."""
    rows = await connection.fetch(
        "SELECT sha256, content FROM template_blobs WHERE sha256 = ANY($1::text[])",
        sorted({entry["sha256"] for entry in files.values()}),
        timeout=_LONG_STATEMENT_SECONDS,
    )
    by_hash = {row["sha256"]: row["content"] for row in rows}
    return {path: by_hash[entry["sha256"]] for path, entry in files.items()}


def _write_files(folder: Path, files: Mapping[str, bytes]) -> None:
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _manifest_bytes(manifest: TemplateManifest) -> bytes:
    return (
        json.dumps(manifest.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False) + "\n"
    ).encode()


async def template_exists(pool: asyncpg.Pool, name: str) -> bool:
    """Whether a template of that name exists now (for those who need no store, like the intake consumer)."""
    async with pool.acquire() as connection:
        found = await connection.fetchval("SELECT NOT deleted FROM templates WHERE name = $1", name)
    return bool(found)


class TemplateStore:
    """Reads and changes templates; runs template checks, previews and HTML exports in a limited worker pool."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        templates_dir: Path,
        workers: WorkerPool,
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
        versions: ObjectStore | None = None,
    ) -> None:
        """`versions`: the object store of template versions (STORAGE_URL); without it the live folders under
        `templates_dir`, which otherwise holds only staging folders and the cache of downloaded versions."""
        self.pool = pool
        self.templates_dir = templates_dir
        self.workers = workers
        self.max_pages = max_pages
        self.versions = versions
        self._stored = StoredTemplates(versions, templates_dir) if versions is not None else None

    async def _live_folder(self, name: str) -> Path:
        """The templates folder holding the live version of `name` (a cached download with an object store)."""
        if self._stored is None:
            return self.templates_dir
        return await asyncio.to_thread(self._stored.folder, name)

    # --- reading --------------------------------------------------------------------------------------------

    async def exists(self, name: str) -> bool:
        """Whether a template of that name exists now."""
        return await template_exists(self.pool, name)

    async def current(self) -> list[StoredTemplate]:
        """Every template that exists, by name."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                f"""{_SELECT_VERSION} WHERE NOT t.deleted AND v.version = t.current_version ORDER BY t.name"""
            )
        return [_stored(row) for row in rows]

    async def get(self, name: str, version: int | None = None) -> StoredTemplate:
        """The current version of a template, or version `version` of it; raise `TemplateGone`."""
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(
                f"""{_SELECT_VERSION} WHERE t.name = $1 AND v.version = coalesce($2, t.current_version)
                      AND v.action <> 'deleted' AND ($2::integer IS NOT NULL OR NOT t.deleted)""",
                name,
                version,
            )
        if row is None:
            what = f"version {version} of the template {name!r}" if version else f"a template named {name!r}"
            raise TemplateGone(f"There is no {what}.")
        return _stored(row)

    async def history(self, name: str) -> list[TemplateVersion]:
        """Every version of a template, newest first (deletions included)."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                """SELECT version, action, tree_sha256, created_by, created_at FROM template_versions
                   WHERE name = $1 ORDER BY version DESC""",
                name,
            )
        return [TemplateVersion(**dict(row)) for row in rows]

    async def blob(self, sha256: str) -> bytes | None:
        """Stored file content by its SHA-256, or None."""
        async with self.pool.acquire() as connection:
            content: bytes | None = await connection.fetchval(
                "SELECT content FROM template_blobs WHERE sha256 = $1", sha256, timeout=_LONG_STATEMENT_SECONDS
            )
        return content

    async def manifest_of(self, name: str) -> TemplateManifest | None:
        """The manifest of the newest version of a template that had one (also after it was deleted)."""
        async with self.pool.acquire() as connection:
            manifest = await connection.fetchval(
                """SELECT manifest FROM template_versions WHERE name = $1 AND manifest IS NOT NULL
                   ORDER BY version DESC LIMIT 1""",
                name,
            )
        return None if manifest is None else TemplateManifest.model_validate(manifest)

    async def version_by_digest(
        self, name: str, tree_sha256: str, *, with_files: bool = True
    ) -> RecordedTemplate | None:
        """The newest recorded version of `name` whose files have this tree digest (with their contents unless
        `with_files` is false: the manifest alone is enough for a Markdown export); else None."""
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(
                """SELECT version, manifest, files FROM template_versions
                   WHERE name = $1 AND tree_sha256 = $2 AND manifest IS NOT NULL ORDER BY version DESC LIMIT 1""",
                name,
                tree_sha256,
            )
            if row is None:
                return None
            files = await _file_contents(connection, row["files"]) if with_files else {}
        return RecordedTemplate(row["version"], TemplateManifest.model_validate(row["manifest"]), files)

    # --- changing -------------------------------------------------------------------------------------------

    async def save(
        self,
        name: str,
        manifest: TemplateManifest,
        files: Mapping[str, bytes | BlobReference],
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> tuple[StoredTemplate, bool]:
        """Check and store a new version of `name`; return it and whether anything changed.

        Raises `TemplateRejected` (with what is wrong and where) or `TemplateConflict`.
        """
        contents = await self._contents(name, manifest, files)
        staging = await asyncio.to_thread(stage_folder, self.templates_dir, name, contents)
        try:
            await self.check(staging, name)
            uploaded = None
            if self.versions is not None:  # every file first, by hash: nothing points at them until recorded
                uploaded = await asyncio.to_thread(upload_version, self.versions, contents)
            changed = await self._record_and_publish(
                name, contents, manifest, staging, actor, expected_version, uploaded
            )
        finally:
            await asyncio.to_thread(discard_staging, staging)
        return await self.get(name), changed

    async def delete(self, name: str, *, actor: str, expected_version: int | None = None) -> int:
        """Delete a template (never the default): its folder goes, its history stays; return the new version."""
        if name == DEFAULT_TEMPLATE_NAME:
            raise TemplateConflict("The default template cannot be deleted; change it with PUT instead.")
        async with self.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(
                "SELECT current_version, deleted FROM templates WHERE name = $1 FOR UPDATE",
                name,
                timeout=_LONG_STATEMENT_SECONDS,
            )
            if row is None or row["deleted"]:
                raise TemplateGone(f"There is no template named {name!r}.")
            _check_precondition(name, row["current_version"], expected_version)
            version: int = row["current_version"] + 1
            await self._insert_version(connection, name, version, TemplateAction.DELETED, None, {}, actor)
            if self.versions is not None:
                await asyncio.to_thread(remove_live, self.versions, name)
            else:
                await asyncio.to_thread(remove_folder, self.templates_dir, name)
        logger.info("template deleted", extra={"template": name, "template_version": version, "actor": actor})
        return version

    # --- checks, previews, exports in the worker pool ----------------------------------------------------------

    async def check(self, templates_dir: Path, name: str) -> TemplateCheck:
        """Check the template `name` in `templates_dir` in a worker; raise `TemplateRejected` when it is invalid."""
        limits = self.workers.limits
        try:
            result: TemplateCheck = await self.workers.call(
                functools.partial(check_template, max_pdf_bytes=limits.max_output_bytes), templates_dir, name
            )
        except RenderError as error:
            raise _rejected(error) from None
        return result

    async def preview(
        self,
        name: str,
        language: Language,
        upload: tuple[TemplateManifest, Mapping[str, bytes | BlobReference]] | None = None,
    ) -> RenderedPdf:
        """The sample proposal in `language` rendered with the stored template, or with an unsaved `upload` of it."""
        limits = self.workers.limits
        job = functools.partial(preview_template, max_pdf_bytes=limits.max_output_bytes)
        if upload is None:
            if not await self.exists(name):
                raise TemplateGone(f"There is no template named {name!r}.")
            return await self._preview(job, await self._live_folder(name), name, language)
        contents = await self._contents(name, *upload)
        staging = await asyncio.to_thread(stage_folder, self.templates_dir, name, contents)
        try:
            return await self._preview(job, staging, name, language)
        finally:
            await asyncio.to_thread(discard_staging, staging)

    async def _preview(self, job: Any, folder: Path, name: str, language: Language) -> RenderedPdf:
        try:
            rendered: RenderedPdf = await self.workers.call(job, folder, name, language)
        except RenderError as error:
            raise _rejected(error) from None
        return rendered

    async def export_html(
        self, drafted: ProposalDrafted, template: RecordedTemplate | None = None, *, watermark: str | None = None
    ) -> str:
        """A drafted version as one self-contained HTML file, filled in by its template in a worker: the live
        folder, or `template` (a recorded version, written to a private folder for the worker to read); sanitized,
        since a template may carry active content a browser would run. `watermark`: the "not approved" words."""
        job = functools.partial(export_html, watermark=watermark)
        async with self._templates_folder(drafted.request.template, template) as folder:
            document: str = await self.workers.call(job, drafted, folder)
        return await asyncio.to_thread(sanitize_export, document, drafted.request.language.value)

    async def export_pdf(
        self,
        drafted: ProposalDrafted,
        variant: PdfVariant,
        template: RecordedTemplate | None = None,
        *,
        watermark: str | None = None,
    ) -> RenderedPdf:
        """A drafted version rendered again as an archival PDF (`variant`, with proposal.json attached), in a
        worker, from the live folder or the recorded `template`, with `watermark` (the "not approved" words) laid
        across every page when given. Never stored: the version's recorded PDF stays as it is (ADR 0011); the same
        version, template and watermark give the same bytes at every request."""
        limits = self.workers.limits
        job = functools.partial(
            render_drafted,
            max_pdf_bytes=limits.max_output_bytes,
            max_pages=self.max_pages,
            variant=variant,
            watermark=watermark,
        )
        async with self._templates_folder(drafted.request.template, template) as folder:
            rendered: RenderedPdf = await self.workers.call(job, drafted, folder)
        return rendered

    async def export_docx(
        self,
        drafted: ProposalDrafted,
        manifest: TemplateManifest,
        template: RecordedTemplate | None = None,
        *,
        watermark: str | None = None,
    ) -> bytes:
        """A drafted version as a Word document, written in a worker under the render limits (time, memory, the
        output size), with the styles of the template's reference.docx and its logo when it has them: the recorded
        `template`, else the live folder, else (the template is gone) the manifest's brand alone. `watermark`: the
        "not approved" words, on the cover and in every page's header."""
        job = functools.partial(export_docx, max_bytes=self.workers.limits.max_output_bytes, watermark=watermark)
        name = drafted.request.template
        async with self._templates_folder(name, template) as folder:
            template_dir = folder / name
            usable = await asyncio.to_thread(template_dir.is_dir)
            document: bytes = await self.workers.call(job, drafted, manifest, template_dir if usable else None)
        return document

    @contextlib.asynccontextmanager
    async def _templates_folder(self, name: str, template: RecordedTemplate | None) -> AsyncIterator[Path]:
        """The templates folder a worker reads `name` from: the live one, or a private one holding `template`."""
        if template is None:
            yield await self._live_folder(name)
            return
        with tempfile.TemporaryDirectory(prefix="propos4l-export-") as private:
            await asyncio.to_thread(_write_files, Path(private) / name, template.files)
            yield Path(private)

    def close(self) -> None:
        """Stop the worker processes."""
        self.workers.close()

    # --- start-up -------------------------------------------------------------------------------------------

    async def reconcile(self) -> int:
        """Install the default, then record every folder that differs from its recorded version; return how many.

        Folders changed by hand (or restored from a backup) become new versions; a template whose folder went
        missing is written back from its recorded version.
        """
        if self.versions is not None:
            return await self._reconcile_store(self.versions)
        await asyncio.to_thread(install_default_template, self.templates_dir)
        for leftover in await asyncio.to_thread(sweep_leftovers, self.templates_dir):
            logger.info("removed a leftover staging folder", extra={"folder": leftover})
        if await asyncio.to_thread(upgrade_packaged_default, self.templates_dir):
            logger.info("default template upgraded to the packaged version")
        recorded = 0
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock($1)", _RECONCILE_LOCK, timeout=_LONG_STATEMENT_SECONDS
            )
            known = {
                row["name"]: row
                for row in await connection.fetch(
                    """SELECT t.name, t.current_version, t.deleted, v.tree_sha256 FROM templates t
                       LEFT JOIN template_versions v ON v.name = t.name AND v.version = t.current_version"""
                )
            }
            found, broken = await asyncio.to_thread(self._scan)
            for name, contents in sorted(found.items()):
                row = known.get(name)
                if row is not None and not row["deleted"] and row["tree_sha256"] == tree_digest(contents):
                    continue
                manifest = TemplateManifest.model_validate_json(contents[MANIFEST_FILE])
                await self._record(connection, name, contents, manifest, f"{_SYSTEM} (found in TEMPLATES_DIR)")
                recorded += 1
            for name, row in sorted(known.items()):
                if row["deleted"] or name in found or name in broken:
                    continue
                logger.warning("template folder missing; writing back its recorded version", extra={"template": name})
                await self._write_back(connection, name, row["current_version"])
        return recorded

    async def _reconcile_store(self, versions: ObjectStore) -> int:
        """With an object store: record the packaged default when it is missing or an unedited earlier one, then
        make every live pointer in the store say what PostgreSQL records (a version missing from the store, after a
        restore or a failed publication, is uploaded from template_blobs; a deleted template's pointer goes)."""
        for leftover in await asyncio.to_thread(sweep_leftovers, self.templates_dir):
            logger.info("removed a leftover staging folder", extra={"folder": leftover})
        packaged = await asyncio.to_thread(read_folder, PACKAGED_DEFAULT_TEMPLATE)
        recorded = 0
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock($1)", _RECONCILE_LOCK, timeout=_LONG_STATEMENT_SECONDS
            )
            default = await connection.fetchrow(
                """SELECT t.deleted, v.tree_sha256 FROM templates t
                   LEFT JOIN template_versions v ON v.name = t.name AND v.version = t.current_version
                   WHERE t.name = $1""",
                DEFAULT_TEMPLATE_NAME,
            )
            if default is None or default["deleted"] or default["tree_sha256"] in PREVIOUS_DEFAULT_DIGESTS:
                manifest = TemplateManifest.model_validate_json(packaged[MANIFEST_FILE])
                await self._record(connection, DEFAULT_TEMPLATE_NAME, packaged, manifest, f"{_SYSTEM} (packaged)")
                recorded += 1
            known = await connection.fetch(
                """SELECT t.name, t.current_version, t.deleted, v.tree_sha256, v.files FROM templates t
                   LEFT JOIN template_versions v ON v.name = t.name AND v.version = t.current_version"""
            )
            live = await asyncio.to_thread(live_versions, versions)
            for row in known:
                name = row["name"]
                if row["deleted"]:
                    if name in live:
                        await asyncio.to_thread(remove_live, versions, name)
                    continue
                wanted = LiveVersion(name, row["current_version"], row["tree_sha256"])
                if live.get(name) == wanted:
                    continue
                logger.info("publishing a recorded template version to the object store", extra={"template": name})
                contents = await _file_contents(connection, row["files"])
                await asyncio.to_thread(upload_version, versions, contents)
                await asyncio.to_thread(point_live, versions, wanted)
        return recorded

    def _scan(self) -> tuple[dict[str, dict[str, bytes]], set[str]]:
        """Template folders that load (name -> files) and the names of those that do not."""
        found, broken = {}, set()
        for folder in sorted(self.templates_dir.iterdir()):
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            try:
                load_template(self.templates_dir, folder.name)
            except TemplateError as error:
                logger.warning("template folder not adopted", extra={"template": folder.name, "reason": str(error)})
                broken.add(folder.name)
                continue
            found[folder.name] = read_folder(folder)
        return found, broken

    async def _write_back(self, connection: asyncpg.Connection, name: str, version: int) -> None:
        files = await connection.fetchval(
            "SELECT files FROM template_versions WHERE name = $1 AND version = $2", name, version
        )
        contents = await _file_contents(connection, files)
        staging = await asyncio.to_thread(stage_folder, self.templates_dir, name, contents)
        try:
            await asyncio.to_thread(publish_folder, self.templates_dir, name, staging)
        finally:
            await asyncio.to_thread(discard_staging, staging)

    # --- internals ------------------------------------------------------------------------------------------

    async def _contents(
        self, name: str, manifest: TemplateManifest, files: Mapping[str, bytes | BlobReference]
    ) -> dict[str, bytes]:
        """The files of an upload as bytes, the manifest written as manifest.json; raise `TemplateRejected`."""
        problems = []
        if MANIFEST_FILE in files:
            problems.append(TemplateProblem("send the manifest as the `manifest` object, not as a file", MANIFEST_FILE))
        if manifest.name != name:
            problems.append(TemplateProblem(f"names the template {manifest.name!r}, not {name!r}", MANIFEST_FILE))
        references = {path: ref.sha256 for path, ref in files.items() if isinstance(ref, BlobReference)}
        stored: dict[str, bytes] = {}
        if references:
            async with self.pool.acquire() as connection:
                rows = await connection.fetch(
                    "SELECT sha256, content FROM template_blobs WHERE sha256 = ANY($1::text[])",
                    sorted(set(references.values())),
                )
            stored = {row["sha256"]: row["content"] for row in rows}
        contents: dict[str, bytes] = {}
        for path, source in files.items():
            if isinstance(source, BlobReference):
                if source.sha256 not in stored:
                    problems.append(TemplateProblem(f"no stored file has the SHA-256 {source.sha256}", path))
                    continue
                contents[path] = stored[source.sha256]
            else:
                contents[path] = source
        contents[MANIFEST_FILE] = _manifest_bytes(manifest)
        problems += file_problems(contents)
        if problems:
            raise TemplateRejected(f"template {name!r} is invalid: {problems[0]}", problems)
        return contents

    async def _record_and_publish(
        self,
        name: str,
        contents: Mapping[str, bytes],
        manifest: TemplateManifest,
        staging: Path,
        actor: str,
        expected_version: int | None,
        uploaded: str | None = None,
    ) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO templates (name, current_version, deleted) VALUES ($1, 0, true) ON CONFLICT DO NOTHING",
                name,
            )
            row = await connection.fetchrow(
                """SELECT t.current_version, t.deleted, v.tree_sha256 FROM templates t
                   LEFT JOIN template_versions v ON v.name = t.name AND v.version = t.current_version
                   WHERE t.name = $1 FOR UPDATE OF t""",
                name,
                timeout=_LONG_STATEMENT_SECONDS,
            )
            current = 0 if row["deleted"] else row["current_version"]
            _check_precondition(name, current, expected_version)
            if not row["deleted"] and row["tree_sha256"] == tree_digest(contents):
                return False  # the same template again: nothing to version, nothing to announce
            version = await self._record(connection, name, contents, manifest, actor)
            # Published inside the transaction: a failure here rolls the version back; the row lock orders replicas.
            if self.versions is not None and uploaded is not None:
                await asyncio.to_thread(point_live, self.versions, LiveVersion(name, version, uploaded))
            else:
                await asyncio.to_thread(publish_folder, self.templates_dir, name, staging)
        logger.info("template saved", extra={"template": name, "template_version": version, "actor": actor})
        return True

    async def _record(
        self,
        connection: asyncpg.Connection,
        name: str,
        contents: Mapping[str, bytes],
        manifest: TemplateManifest,
        actor: str,
    ) -> int:
        """Store a version of `name` with its files and queue its event; return the version number."""
        await connection.execute(
            "INSERT INTO templates (name, current_version, deleted) VALUES ($1, 0, true) ON CONFLICT DO NOTHING", name
        )
        row = await connection.fetchrow(
            "SELECT current_version, deleted FROM templates WHERE name = $1 FOR UPDATE",
            name,
            timeout=_LONG_STATEMENT_SECONDS,
        )
        hashes = {path: hashlib.sha256(content).hexdigest() for path, content in contents.items()}
        present = {
            record["sha256"]
            for record in await connection.fetch(
                "SELECT sha256 FROM template_blobs WHERE sha256 = ANY($1::text[])", sorted(set(hashes.values()))
            )
        }
        missing = {hashes[path]: content for path, content in contents.items() if hashes[path] not in present}
        if missing:
            await connection.executemany(
                "INSERT INTO template_blobs (sha256, size, content) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [(sha, len(content), content) for sha, content in missing.items()],
                timeout=_LONG_STATEMENT_SECONDS,
            )
        action = TemplateAction.INSTALLED if row["deleted"] else TemplateAction.UPDATED
        files = {path: {"sha256": hashes[path], "size": len(contents[path])} for path in sorted(contents)}
        version: int = row["current_version"] + 1
        await self._insert_version(
            connection, name, version, action, manifest.model_dump(mode="json"), files, actor, tree_digest(contents)
        )
        return version

    async def _insert_version(
        self,
        connection: asyncpg.Connection,
        name: str,
        version: int,
        action: TemplateAction,
        manifest: dict[str, Any] | None,
        files: dict[str, Any],
        actor: str,
        digest: str | None = None,
    ) -> None:
        await connection.execute(
            """INSERT INTO template_versions (name, version, action, manifest, files, tree_sha256, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            name,
            version,
            action.value,
            manifest,
            files,
            digest,
            actor,
        )
        await connection.execute(
            "UPDATE templates SET current_version = $2, deleted = $3, updated_at = now() WHERE name = $1",
            name,
            version,
            action is TemplateAction.DELETED,
        )
        await add_to_outbox(connection, TemplateChanged(template=name, template_version=version, action=action))


def _check_precondition(name: str, current: int, expected: int | None) -> None:
    if expected is not None and current != expected:
        raise TemplateConflict(
            f"The template {name!r} is at version {current}, not {expected}: it changed since you read it.",
            precondition=True,
        )


_SELECT_VERSION: Final = """
    SELECT t.name, t.current_version, t.deleted, t.updated_at, v.version, v.manifest, v.files, v.tree_sha256,
           v.created_by, v.created_at
    FROM templates t JOIN template_versions v ON v.name = t.name
"""


def _stored(row: asyncpg.Record) -> StoredTemplate:
    return StoredTemplate(
        name=row["name"],
        version=row["version"],
        current_version=row["current_version"],
        deleted=row["deleted"],
        manifest=row["manifest"],
        files=row["files"],
        tree_sha256=row["tree_sha256"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
