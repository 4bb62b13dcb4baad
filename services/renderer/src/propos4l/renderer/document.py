"""Fill a template folder's Jinja2 template with a drafted proposal, giving the HTML to print."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from propos4l.renderer.errors import TemplateError
from propos4l.renderer.labels import format_date, labels_for
from propos4l.renderer.markdown import markdown_to_html
from propos4l.renderer.paths import PathOutsideFolder, resolve_inside
from propos4l.renderer.templates import TEMPLATE_FILE, TemplateFolder
from propos4l.shared.events import ProposalDrafted

__all__ = ["build_html", "proposal_number"]


class _FolderLoader(jinja2.FileSystemLoader):
    """Loads templates from one folder only; symlinks leading outside it are refused."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), followlinks=False)
        self._folder = folder

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """Return a template's source after checking it stays inside the folder."""
        try:
            resolve_inside(self._folder, template)
        except PathOutsideFolder:
            raise jinja2.TemplateNotFound(template, f"{template!r} is outside the template folder") from None
        return super().get_source(environment, template)


def proposal_number(drafted: ProposalDrafted) -> str:
    """The short, human-friendly number of a proposal, taken from its id."""
    return drafted.proposal_id.hex[:8].upper()


def build_html(drafted: ProposalDrafted, template: TemplateFolder) -> str:
    """Render the template's `template.html` for a drafted proposal; raise `TemplateError` on a template bug."""
    environment = ImmutableSandboxedEnvironment(
        loader=_FolderLoader(template.path),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    try:
        return environment.get_template(TEMPLATE_FILE).render(_context(drafted, template))
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template.name!r} could not be filled in: {exc}") from None


def _context(drafted: ProposalDrafted, template: TemplateFolder) -> dict[str, Any]:
    request = drafted.request
    language = request.language
    labels = labels_for(language)
    day = drafted.occurred_at.date()
    manifest = template.manifest
    return {
        "lang": language.value,
        "labels": labels,
        "brand": manifest.brand,
        "template": {"name": manifest.name, "version": manifest.version},
        "ai_generated": drafted.ai_generated,
        "proposal": {
            "id": str(drafted.proposal_id),
            "number": proposal_number(drafted),
            "version": drafted.version,
            "client_name": request.client_name,
            "industry": request.industry,
            "date": format_date(day, language),
            "valid_until": format_date(day + timedelta(days=manifest.validity_days), language),
            "created": drafted.occurred_at.isoformat(),
            "description": f"{labels.document_title}: {request.client_name} ({request.industry})",
            "keywords": ", ".join((labels.keywords, request.industry, request.client_name)),
        },
        "sections": [
            {
                "key": section.key.value,
                "number": number,
                "title": section.title,
                "html": markdown_to_html(section.content),
            }
            for number, section in enumerate(drafted.sections, start=1)
        ],
    }
