"""Schema of a template folder's `manifest.json`: its identity and the brand it prints."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

__all__ = ["Brand", "BrandColors", "TemplateManifest"]

HexColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class BrandColors(BaseModel):
    """Brand colours as `#rrggbb`: primary (cover, headings), accent (rules, highlights), text, muted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    primary: HexColor
    accent: HexColor
    text: HexColor = "#1f2933"
    muted: HexColor = "#616e7c"


class Brand(BaseModel):
    """Who sends the proposal: company name, colours and a logo file inside the template folder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_name: Text
    colors: BrandColors
    logo: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$")]

    @field_validator("logo")
    @classmethod
    def _plain_relative_path(cls, logo: str) -> str:
        if ".." in logo.split("/"):
            raise ValueError("logo must be a path inside the template folder")
        return logo


class TemplateManifest(BaseModel):
    """A template's `manifest.json`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    version: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)] = ""
    validity_days: Annotated[int, Field(ge=1, le=365)] = 30
    brand: Brand
