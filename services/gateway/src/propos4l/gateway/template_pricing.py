"""The currency and taxes each template prices with, read from its manifest under TEMPLATES_DIR, cached per file.

A manifest is read again only when its file changes (another inode, size or time: a saved template is a new
folder swapped in), so showing a proposal costs one `stat`. A template that cannot be read (deleted, broken) is
priced with the default template's terms instead, and the terms say so.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final, Literal

from fastapi import Depends, Request

from propos4l.renderer.errors import TemplateError
from propos4l.renderer.manifest import Pricing
from propos4l.renderer.templates import DEFAULT_TEMPLATE_NAME, MANIFEST_FILE, load_template

__all__ = ["PricingSource", "PricingTerms", "TemplatePricing", "TemplatePricingReader", "template_pricing"]

logger = logging.getLogger(__name__)

PricingSource = Literal["template", "default_template", "built_in"]

_MAX_CACHED: Final = 256


@dataclass(frozen=True, slots=True)
class PricingTerms:
    """What an investment is priced with: a currency and taxes, where they came from, and why when not the template."""

    pricing: Pricing
    source: PricingSource
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Cached:
    stamp: tuple[int, int, int, int]
    pricing: Pricing


class TemplatePricingReader:
    """Reads templates' pricing from their manifests in `templates_dir`, each one again only after it changed."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self._cached: dict[str, _Cached] = {}
        self._lock = threading.Lock()  # lookups run in worker threads

    async def terms_of(self, template: str) -> PricingTerms:
        """The pricing of `template`, or of the default template (saying so) when it cannot be read; never raises."""
        return await asyncio.to_thread(self.read_terms, template)

    def read_terms(self, template: str) -> PricingTerms:
        """`terms_of`, blocking."""
        pricing = self._pricing_of(template)
        if pricing is not None:
            return PricingTerms(pricing, "template")
        if template != DEFAULT_TEMPLATE_NAME:
            fallback = self._pricing_of(DEFAULT_TEMPLATE_NAME)
            if fallback is not None:
                return PricingTerms(
                    fallback,
                    "default_template",
                    f"The template {template!r} of this proposal is no longer available; the investment is priced "
                    "with the default template's currency and taxes.",
                )
        return PricingTerms(
            Pricing(),
            "built_in",
            f"The template {template!r} of this proposal cannot be read, nor can the default template; the "
            "investment is priced in the built-in currency without taxes.",
        )

    def _pricing_of(self, template: str) -> Pricing | None:
        """The template's pricing, from the cache while its manifest file is unchanged; None when it cannot be read."""
        try:
            info = (self.templates_dir / template / MANIFEST_FILE).stat()
        except (OSError, ValueError):
            self._forget(template)
            logger.info("template manifest not found", extra={"template": template[:80]})
            return None
        # Stat before reading: a change between the two only makes the next call read the manifest again.
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        with self._lock:
            cached = self._cached.get(template)
        if cached is not None and cached.stamp == stamp:
            return cached.pricing
        try:
            pricing = load_template(self.templates_dir, template).manifest.pricing
        except (TemplateError, OSError) as error:
            self._forget(template)
            logger.info("template not readable", extra={"template": template[:80], "reason": str(error)})
            return None
        with self._lock:
            if template not in self._cached and len(self._cached) >= _MAX_CACHED:
                self._cached.pop(next(iter(self._cached)))  # the oldest entry
            self._cached[template] = _Cached(stamp, pricing)
        return pricing

    def _forget(self, template: str) -> None:
        with self._lock:
            self._cached.pop(template, None)


def template_pricing(request: Request) -> TemplatePricingReader:
    """The app's reader of templates' pricing."""
    reader: TemplatePricingReader = request.app.state.template_pricing
    return reader


TemplatePricing = Annotated[TemplatePricingReader, Depends(template_pricing)]
