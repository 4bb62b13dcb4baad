"""The template API's request and response shapes."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

__all__ = [
    "TemplateDeleted",
    "TemplateDetail",
    "TemplateFileUpload",
    "TemplateFileView",
    "TemplateList",
    "TemplateSummary",
    "TemplateUpload",
    "TemplateVersionView",
]

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class TemplateFileUpload(BaseModel):
    """One file of a template: its `text` (UTF-8), its bytes in `base64`, or the `sha256` of a file already stored."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    base64: str | None = None
    sha256: Sha256 | None = Field(default=None, description="reuse a stored file (as listed by GET) unchanged")

    @model_validator(mode="after")
    def _exactly_one(self) -> TemplateFileUpload:
        given = [name for name in ("text", "base64", "sha256") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of text, base64 or sha256")
        if self.base64 is not None:
            try:
                base64.b64decode(self.base64, validate=True)
            except binascii.Error:
                raise ValueError("base64 is not valid base64") from None
        return self

    def content(self) -> bytes | None:
        """The file's bytes, or None when it refers to stored content by SHA-256."""
        if self.text is not None:
            return self.text.encode("utf-8")
        if self.base64 is not None:
            return base64.b64decode(self.base64)
        return None


class TemplateUpload(BaseModel):
    """A whole template: its manifest (as an object; `name` may be left out) and every other file by path."""

    model_config = ConfigDict(extra="forbid")

    manifest: dict[str, Any]
    files: Annotated[dict[str, TemplateFileUpload], Field(min_length=1, max_length=64)]


class TemplateSummary(BaseModel):
    """A template as the list shows it."""

    name: str
    version: int
    description: str
    company_name: str
    is_default: bool
    updated_at: datetime
    url: str


class TemplateFileView(BaseModel):
    """One file of a template version: its size and hash, its text when it is a text file, where to download it."""

    path: str
    size: int
    sha256: str
    media_type: str
    text: str | None = None
    url: str


class TemplateVersionView(BaseModel):
    """One change in a template's history."""

    version: int
    action: Literal["installed", "updated", "deleted"]
    tree_sha256: str | None
    created_by: str
    created_at: datetime


class TemplateDetail(TemplateSummary):
    """A version of a template: its manifest, its files, and the template's history (newest first).

    To change a template, PUT back `manifest` and its files: text files as {"text"}, the others as {"sha256"}.
    """

    current_version: int
    manifest: dict[str, Any]
    files: list[TemplateFileView]
    history: list[TemplateVersionView]


class TemplateList(BaseModel):
    """Every template there is."""

    items: list[TemplateSummary]


class TemplateDeleted(BaseModel):
    """A template was deleted: the version that records it."""

    name: str
    version: int
    deleted: Literal[True] = True
