"""Schema of a template folder's `manifest.json`: its identity and the brand it prints."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from propos4l.renderer.pricing import TaxRate

__all__ = ["Brand", "BrandColors", "CompanyDetails", "PdfVariant", "Pricing", "Signatory", "Tax", "TemplateManifest"]

PdfVariant = Literal["pdf/a-3b"]
"""The archival PDF variants a template may ask for (WeasyPrint's names)."""

TAGGED_BY_DEFAULT = True

HexColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class BrandColors(BaseModel):
    """Brand colours as `#rrggbb`: primary (cover, headings), accent (rules, highlights), text, muted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    primary: HexColor
    accent: HexColor
    text: HexColor = "#1f2933"
    muted: HexColor = "#616e7c"


class CompanyDetails(BaseModel):
    """How to reach and identify the consultancy, printed on the cover and beside the signature."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    legal_name: Text | None = None
    tax_id: Text | None = Field(default=None, description='e.g. "CNPJ 12.345.678/0001-90"')
    address: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    website: Text | None = None


class Signatory(BaseModel):
    """Who signs the proposal for the consultancy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    role: Text


class Brand(BaseModel):
    """Who sends the proposal: company name and details, colours, a logo file in the template folder, a signatory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    company_name: Text
    colors: BrandColors
    logo: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$")]
    details: CompanyDetails = CompanyDetails()
    signatory: Signatory | None = None

    @field_validator("logo")
    @classmethod
    def _plain_relative_path(cls, logo: str) -> str:
        if ".." in logo.split("/"):
            raise ValueError("logo must be a path inside the template folder")
        return logo


class Tax(BaseModel):
    """A tax the consultancy adds on the discounted subtotal: its label and rate in percent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    rate: Annotated[Decimal, Field(gt=0, le=100, max_digits=6, decimal_places=4)]

    def as_rate(self) -> TaxRate:
        """The tax as the pricing module takes it."""
        return TaxRate(label=self.label, rate=self.rate)


class Pricing(BaseModel):
    """The consultancy's currency (ISO 4217) and the taxes it adds to every proposal's investment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "BRL"
    taxes: Annotated[tuple[Tax, ...], Field(max_length=10)] = ()


class TemplateManifest(BaseModel):
    """A template's `manifest.json`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    version: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)] = ""
    validity_days: Annotated[int, Field(ge=1, le=365)] = 30
    brand: Brand
    pricing: Pricing = Pricing()
    annex_case_studies: bool = Field(
        default=False, description="add an annex with the case studies the sections cite (grounded drafts)"
    )
    annex_compliance: bool = Field(
        default=True,
        description="add the compliance matrix as an annex when the draft was written with a client's requirements "
        "(proposals made from a document); false leaves it out",
    )
    pdf_variant: PdfVariant | None = Field(
        default=None,
        description='"pdf/a-3b": an archival PDF/A-3b with the proposal\'s data attached as proposal.json',
    )
    pdf_tags: bool = Field(default=TAGGED_BY_DEFAULT, description="tag the PDF (structure tree) for accessibility")
