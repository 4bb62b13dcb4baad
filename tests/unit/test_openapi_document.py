"""The committed OpenAPI document, from which the web app's API types are generated, is what the gateway serves."""

from __future__ import annotations

from tests.support.openapi_document import DOCUMENT, openapi_text


def test_committed_openapi_document_is_current() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == openapi_text(), (
        "regenerate: .tools/bin/uv run --frozen python -m tests.support.openapi_document, "
        "then `npm run api-types` in frontend/"
    )
