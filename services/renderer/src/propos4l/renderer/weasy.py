"""The parts of WeasyPrint the renderer uses, imported once with its HarfBuzz-Subset notice muted."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # WeasyPrint 70 warns at import when the optional libharfbuzz-subset is missing (it then subsets fonts with
    # fontTools instead); the warning would fail every test run under `-W error` on such hosts.
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
    from weasyprint import CSS, HTML, Attachment, Document
    from weasyprint.css import ColorProfile
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError, fetch

__all__ = [
    "CSS",
    "HTML",
    "Attachment",
    "ColorProfile",
    "Document",
    "FontConfiguration",
    "URLFetcher",
    "URLFetcherResponse",
    "URLFetchingError",
    "fetch",
]
