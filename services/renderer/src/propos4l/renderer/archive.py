"""The proposal's structured data as JSON, attached to its archival (PDF/A-3b) PDF so the archive keeps both."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from propos4l.renderer.document import investment_currency, priced_investment
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.pricing import Quote
from propos4l.renderer.weasy import Attachment
from propos4l.shared.events import ProposalDrafted

__all__ = ["ATTACHMENT_NAME", "DATA_SCHEMA_VERSION", "proposal_attachment", "proposal_data"]

ATTACHMENT_NAME: Final = "proposal.json"
DATA_SCHEMA_VERSION: Final = 1


def _amount(value: Decimal) -> str:
    """Money as a decimal string ("1234.50"): exact, unlike a JSON number."""
    return f"{value:f}"


def _investment(priced: Quote | None, currency: str) -> dict[str, Any] | None:
    if priced is None:
        return None
    return {
        "currency": currency,
        "items": [
            {
                "description": line.description,
                "quantity": _amount(line.quantity),
                "unit_price": _amount(line.unit_price),
                "amount": _amount(line.amount),
            }
            for line in priced.lines
        ],
        "subtotal": _amount(priced.subtotal),
        "discount_percent": None if priced.discount_percent is None else _amount(priced.discount_percent),
        "discount": _amount(priced.discount),
        "net": _amount(priced.net),
        "taxes": [
            {"label": tax.label, "rate": _amount(tax.rate), "amount": _amount(tax.amount)} for tax in priced.taxes
        ],
        "total": _amount(priced.total),
    }


def proposal_data(drafted: ProposalDrafted, manifest: TemplateManifest) -> dict[str, Any]:
    """What the PDF shows, as data: the version, its sections (Markdown), the priced investment and the timeline.

    Totals are the ones the investment table prints (`pricing.quote`), with amounts as exact decimal strings.
    """
    request = drafted.request
    return {
        "schema_version": DATA_SCHEMA_VERSION,
        "proposal_id": str(drafted.proposal_id),
        "version": drafted.version,
        "drafted_at": drafted.occurred_at.isoformat(),
        "language": request.language.value,
        "client_name": request.client_name,
        "industry": request.industry,
        "template": {"name": manifest.name, "version": manifest.version},
        "sections": [
            {"key": section.key.value, "title": section.title, "content": section.content}
            for section in drafted.sections
        ],
        "investment": _investment(priced_investment(drafted, manifest), investment_currency(drafted, manifest)),
        "timeline": [
            {"name": phase.name, "duration": phase.duration, "deliverables": list(phase.deliverables)}
            for phase in drafted.timeline_phases
        ],
    }


def proposal_attachment(drafted: ProposalDrafted, manifest: TemplateManifest, moment: datetime) -> Attachment:
    """`proposal_data` as the PDF's `proposal.json` ("Data" relationship), dated `moment` so renders repeat."""
    text = json.dumps(proposal_data(drafted, manifest), ensure_ascii=False, indent=2, sort_keys=True)
    return Attachment(
        string=text.encode(),
        name=ATTACHMENT_NAME,
        description="The proposal's structured data: sections, investment and timeline",
        created=moment.astimezone(UTC),
        modified=moment.astimezone(UTC),
        relationship="Data",
    )
