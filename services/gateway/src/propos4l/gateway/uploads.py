"""Receiving an uploaded file for the library or a proposal: spooled under a size limit, its type told from its
content, refused with a problem a person can act on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

from fastapi import UploadFile

from propos4l.gateway.library_storage import FileTooLarge, ReceivedFile, receive
from propos4l.gateway.problems import Problem
from propos4l.shared.library_files import ACCEPTED_MEDIA_TYPES, sniff_media_type

__all__ = ["Upload", "receive_upload"]


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file of an accepted type, not yet stored (`received.discard()` when it is not kept)."""

    received: ReceivedFile
    media_type: str
    filename: str


async def receive_upload(
    folder: Path,
    file: UploadFile,
    max_mb: int,
    *,
    too_large: str,
    unreadable: Callable[[str | None], str],
    accepted: tuple[str, ...] = ACCEPTED_MEDIA_TYPES,
) -> Upload:
    """Receive `file` into a temp file of `folder`: a 413 problem past `max_mb` (`too_large` says what may be that
    big), a 415 one when its content is not a type we read (`unreadable` words it, given the file's name)."""
    try:
        received = await asyncio.to_thread(receive, folder, file.file, max_mb * 1024 * 1024)
    except FileTooLarge as error:
        raise Problem(413, f"{too_large} up to {max_mb} MB; {error}.") from None
    try:
        media_type = await asyncio.to_thread(sniff_media_type, received.head, received.temp_path)
    except BaseException:
        received.discard()
        raise
    if media_type not in accepted:
        received.discard()
        raise Problem(
            415,
            f"{unreadable(file.filename)}: its content is not one of "
            f"{', '.join(accepted)} (the type is told from the content, not the name).",
        )
    return Upload(received, media_type, PurePath(file.filename or "document").name[:300] or "document")
