"""The gateway's OpenAPI document, written to docs/openapi.json: the web app's API types are generated from it.

The document comes from the gateway's own FastAPI app (`create_app(...).openapi()`), built with throwaway settings:
nothing connects, since connections open in the app's lifespan, which never runs here. tests/unit checks the
committed file is current; frontend/scripts/api-types.mjs turns it into frontend/src/lib/api-schema.ts. Regenerate
after changing a route or a response model (then `npm run api-types` in frontend/):

    .tools/bin/uv run --frozen python -m tests.support.openapi_document
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from propos4l.gateway.app import create_app
from propos4l.gateway.settings import GatewaySettings

__all__ = ["DOCUMENT", "openapi_document", "openapi_text"]

DOCUMENT: Final = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document the gateway serves at /openapi.json."""
    with tempfile.TemporaryDirectory() as folder:
        settings = GatewaySettings(
            database_url="postgresql://openapi:unused@127.0.0.1:9/openapi",
            redis_url="redis://127.0.0.1:9/0",
            propos4l_admin_token="openapi-document-only",
            webhook_secret_keys="b3BlbmFwaS1kb2N1bWVudC1vbmx5LTMyLWJ5dGVzLi4=",
            pdf_storage_dir=Path(folder),
            templates_dir=Path(folder),
            library_dir=Path(folder),
        )
        return create_app(settings).openapi()


def openapi_text() -> str:
    """The committed file's exact text."""
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    DOCUMENT.write_text(openapi_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOCUMENT}\n")
