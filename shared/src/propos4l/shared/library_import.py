"""`propos4l library import FOLDER`: send a folder's library records and documents to the gateway's HTTP API.

Idempotent: every record carries an import key (see `library_import_folder`), and a POST with a key the gateway
already has updates that row; a role's rate from a date it already has is left as it is; a document whose content
the library already has counts as done. Progress goes to stderr, one line per kind; a failed record is reported
with the API's detail and the others still go.
"""

from __future__ import annotations

import mimetypes
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

import httpx

from propos4l.shared.library_import_folder import ImportFolder, ImportRecord, read_folder

__all__ = ["ImportSummary", "import_folder", "run_import"]

LIBRARY: Final = "/api/library"
_ENTRY_PATHS: Final = {"services": "services", "people": "people", "case_studies": "case-studies"}


@dataclass
class ImportSummary:
    """What an import did, per kind: created, updated (or already there), failed."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def count(self, kind: str, *, created: bool) -> None:
        """Count one record of `kind` done."""
        counts = self.created if created else self.updated
        counts[kind] = counts.get(kind, 0) + 1

    def text(self) -> str:
        """One line per kind and the failures' count."""
        kinds = dict.fromkeys([*self.created, *self.updated])
        lines = [
            f"  {kind}: {self.created.get(kind, 0)} created, {self.updated.get(kind, 0)} updated or unchanged"
            for kind in kinds
        ]
        lines.append(f"  failed: {len(self.failures)}")
        return "\n".join(lines)


class _Failed(Exception):
    """A record the API refused; the message says which and why."""


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.text[:300]}"
    detail = body.get("detail") if isinstance(body, dict) else None
    return f"{response.status_code} {detail or response.text[:300]}"


class _Importer:
    def __init__(self, client: httpx.AsyncClient, progress: TextIO) -> None:
        self._client = client
        self._progress = progress
        self.summary = ImportSummary()
        self._roles: dict[str, str] = {}  # name, case-folded -> id

    async def _send(self, method: str, path: str, **arguments: Any) -> httpx.Response:
        response = await self._client.request(method, path, **arguments)
        if response.status_code >= 400:
            raise _Failed(_detail(response))
        return response

    async def _each(
        self, kind: str, records: list[Any], send: Callable[[Any], Awaitable[bool]], name: Callable[[Any], str]
    ) -> None:
        for index, record in enumerate(records, start=1):
            try:
                created = await send(record)
            except _Failed as error:
                self.summary.failures.append(f"{kind} {name(record)}: {error}")
                print(f"propos4l library import: {kind} {name(record)}: {error}", file=self._progress)
            else:
                self.summary.count(kind, created=created)
            last = index == len(records)
            if self._progress.isatty():  # a line that counts up in place
                print(f"\r{kind} {index}/{len(records)}", end="\n" if last else "", file=self._progress, flush=True)
            elif last or index % 50 == 0:
                print(f"{kind} {index}/{len(records)}", file=self._progress, flush=True)

    async def run(self, folder: ImportFolder) -> ImportSummary:
        await self._each("company", folder.company, self._company, _where)
        await self._each("services", folder.services, lambda r: self._entry("services", r), _where)
        await self._each("roles", folder.roles, self._role, _where)
        if folder.people:
            await self._known_roles()
        await self._each("people", folder.people, self._person, _where)
        await self._each("case_studies", folder.case_studies, lambda r: self._entry("case_studies", r), _where)
        await self._each("documents", folder.documents, self._document, lambda path: str(path.name))
        return self.summary

    async def _company(self, record: ImportRecord) -> bool:
        fields = dict(record.fields)
        language = fields.pop("language", "pt-BR")
        response = await self._send("PUT", f"{LIBRARY}/company/{language}", json=fields)
        return response.status_code == 201

    async def _entry(self, kind: str, record: ImportRecord) -> bool:
        body = {**record.fields, "import_key": record.import_key}
        response = await self._send("POST", f"{LIBRARY}/{_ENTRY_PATHS[kind]}", json=body)
        return response.status_code == 201

    async def _role(self, record: ImportRecord) -> bool:
        fields = dict(record.fields)
        rates = fields.pop("rates", [])
        response = await self._send("POST", f"{LIBRARY}/roles", json={**fields, "import_key": record.import_key})
        role = response.json()
        self._roles[str(role["name"]).casefold()] = str(role["id"])
        for rate in rates:
            try:
                await self._send("POST", f"{LIBRARY}/roles/{role['id']}/rates", json=rate)
            except _Failed as error:
                raise _Failed(f"rate from {rate.get('valid_from')}: {error}") from None
        return response.status_code == 201

    async def _known_roles(self) -> None:
        """The roles the gateway has (those of the file and those before), by name."""
        after: str | None = None
        while True:
            params = {"limit": 200, **({"after": after} if after else {})}
            try:
                page = (await self._send("GET", f"{LIBRARY}/roles", params=params)).json()
            except _Failed as error:
                self.summary.failures.append(f"roles: cannot list them: {error}")
                return
            for role in page["items"]:
                self._roles[str(role["name"]).casefold()] = str(role["id"])
            after = page.get("next_cursor")
            if not after:
                return

    async def _person(self, record: ImportRecord) -> bool:
        fields = dict(record.fields)
        role = fields.pop("role", None)
        if role:
            role_id = self._roles.get(str(role).strip().casefold())
            if role_id is None:
                raise _Failed(f"the rate card has no role named {role!r} (add it to roles.json or roles.csv)")
            fields["role_id"] = role_id
        response = await self._send("POST", f"{LIBRARY}/people", json={**fields, "import_key": record.import_key})
        return response.status_code == 201

    async def _document(self, path: Path) -> bool:
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as file:
            response = await self._client.post(
                f"{LIBRARY}/documents",
                files={"file": (path.name, file, media_type)},
                data={"title": path.stem, "import_key": f"file:{path.name}"},
            )
        if response.status_code == 409 or response.status_code == 200:  # the library already has this content
            return False
        if response.status_code >= 400:
            raise _Failed(_detail(response))
        return True


def _where(record: ImportRecord) -> str:
    name = record.fields.get("name") or record.fields.get("client") or record.import_key
    return f"{name!r} ({record.source})"


async def import_folder(client: httpx.AsyncClient, folder: Path, progress: TextIO = sys.stderr) -> ImportSummary:
    """Import `folder` through `client` (a client of the gateway, with a token); raise LibraryFileError."""
    return await _Importer(client, progress).run(read_folder(folder))


async def run_import(folder: Path, url: str, token: str, progress: TextIO = sys.stderr) -> ImportSummary:
    """Import `folder` into the gateway at `url` with `token`."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120.0) as client:
        return await import_folder(client, folder, progress)
