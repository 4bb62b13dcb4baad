"""The role table: every API route, called by nobody and by each role, answers as this one table says; the OpenAPI
document shows the same role. One app, one database, a few hundred in-process requests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from propos4l.gateway.access import ROLE_EXTENSION, api_routes
from propos4l.gateway.roles import Role
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

PUBLIC = "public"
V, E, M, A = Role.VIEWER, Role.EDITOR, Role.MANAGER, Role.ADMIN

# The least role each route needs (docs/architecture.md shows the same table).
ROLE_TABLE: dict[tuple[str, str], Role | str] = {
    ("GET", "/api/health"): PUBLIC,
    ("POST", "/api/auth/sign-in"): PUBLIC,
    ("GET", "/api/auth/methods"): PUBLIC,
    ("GET", "/api/auth/oidc/login"): PUBLIC,
    ("GET", "/api/auth/oidc/callback"): PUBLIC,
    ("POST", "/api/auth/invitations/accept"): PUBLIC,
    ("POST", "/api/users/invitations"): A,
    ("GET", "/api/ready"): V,
    ("GET", "/api/me"): V,
    ("PATCH", "/api/me"): V,
    ("POST", "/api/auth/sign-out"): V,
    ("POST", "/api/auth/sign-out-everywhere"): V,
    ("POST", "/api/proposals"): E,
    ("GET", "/api/proposals"): V,
    ("GET", "/api/proposals/{proposal_id}"): V,
    ("DELETE", "/api/proposals/{proposal_id}"): E,
    ("GET", "/api/proposals/{proposal_id}/pdf"): V,
    ("GET", "/api/proposals/{proposal_id}/export"): V,
    ("GET", "/api/proposals/{proposal_id}/events"): V,
    ("GET", "/api/proposals/{proposal_id}/versions"): V,
    ("GET", "/api/proposals/{proposal_id}/versions/{version}"): V,
    ("PUT", "/api/proposals/{proposal_id}/collaborators"): E,
    ("POST", "/api/proposals/{proposal_id}/sections/{key}/regenerate"): E,
    ("PUT", "/api/proposals/{proposal_id}/sections/{key}"): E,
    ("PATCH", "/api/proposals/{proposal_id}/effort"): E,
    ("GET", "/api/templates"): V,
    ("GET", "/api/templates/{name}"): V,
    ("GET", "/api/templates/{name}/files/{path:path}"): V,
    ("PUT", "/api/templates/{name}"): A,
    ("DELETE", "/api/templates/{name}"): A,
    ("POST", "/api/templates/{name}/preview"): A,
    ("GET", "/api/library/search"): V,
    ("POST", "/api/library/documents"): E,
    ("POST", "/api/library/documents/from-proposal"): E,
    ("GET", "/api/library/documents"): V,
    ("GET", "/api/library/documents/{document_id}"): V,
    ("GET", "/api/library/documents/{document_id}/passages"): V,
    ("PATCH", "/api/library/documents/{document_id}"): E,
    ("DELETE", "/api/library/documents/{document_id}"): E,
    ("GET", "/api/library/company/{language}"): V,
    ("PUT", "/api/library/company/{language}"): E,
    ("GET", "/api/library/stale"): V,
    ("GET", "/api/library/roles"): V,
    ("GET", "/api/library/roles/{role_id}"): V,
    ("POST", "/api/library/roles"): A,
    ("PUT", "/api/library/roles/{role_id}"): A,
    ("DELETE", "/api/library/roles/{role_id}"): A,
    ("POST", "/api/library/roles/{role_id}/rates"): A,
    ("GET", "/api/backups"): A,
    ("POST", "/api/tokens"): A,
    ("GET", "/api/tokens"): A,
    ("DELETE", "/api/tokens/{token_id}"): A,
    ("POST", "/api/users"): A,
    ("GET", "/api/users"): A,
    ("GET", "/api/users/directory"): V,
    ("GET", "/api/users/{user_id}"): A,
    ("PATCH", "/api/users/{user_id}"): A,
    ("PUT", "/api/users/{user_id}/password"): A,
    ("DELETE", "/api/users/{user_id}/sessions"): A,
    ("GET", "/api/audit"): A,
    ("POST", "/api/webhooks"): A,
    ("GET", "/api/webhooks"): A,
    ("GET", "/api/webhooks/{endpoint_id}"): A,
    ("PATCH", "/api/webhooks/{endpoint_id}"): A,
    ("DELETE", "/api/webhooks/{endpoint_id}"): A,
    ("POST", "/api/webhooks/{endpoint_id}/rotate-secret"): A,
    ("GET", "/api/webhooks/{endpoint_id}/deliveries"): A,
    ("POST", "/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend"): A,
    ("POST", "/api/proposals/{proposal_id}/documents"): E,
    ("GET", "/api/proposals/{proposal_id}/documents"): V,
    ("GET", "/api/proposals/{proposal_id}/requirements"): V,
    ("PUT", "/api/proposals/{proposal_id}/requirements/{requirement_id}/compliance"): E,
    ("GET", "/api/proposals/{proposal_id}/requirements/export"): V,
    ("POST", "/api/proposals/{proposal_id}/questionnaire"): V,
    ("POST", "/api/proposals/{proposal_id}/send"): E,
    ("GET", "/api/proposals/{proposal_id}/share-links"): V,
    ("DELETE", "/api/proposals/{proposal_id}/share-links/{link_id}"): E,
    ("GET", "/api/proposals/{proposal_id}/final-pdf"): V,
    ("POST", "/api/proposals/{proposal_id}/final-pdf"): E,
    ("GET", "/api/public/share/{token}"): PUBLIC,
    ("GET", "/api/public/share/{token}/pdf"): PUBLIC,
    ("POST", "/api/public/share/{token}/visits/{visit_id}"): PUBLIC,
    ("POST", "/api/public/share/{token}/accept"): PUBLIC,
    ("POST", "/api/public/share/{token}/decline"): PUBLIC,
    ("GET", "/api/public/share/{token}/final-pdf"): PUBLIC,
    ("GET", "/api/proposals/{proposal_id}/review"): V,
    ("POST", "/api/proposals/{proposal_id}/transitions"): E,
    ("GET", "/api/proposals/{proposal_id}/threads"): V,
    ("POST", "/api/proposals/{proposal_id}/threads"): E,
    ("POST", "/api/proposals/{proposal_id}/threads/{thread_id}/comments"): E,
    ("PATCH", "/api/proposals/{proposal_id}/threads/{thread_id}"): E,
    ("GET", "/api/approval-rules"): A,
    ("POST", "/api/approval-rules"): A,
    ("PUT", "/api/approval-rules/{rule_id}"): A,
    ("DELETE", "/api/approval-rules/{rule_id}"): A,
    ("POST", "/api/proposals/from-documents"): E,
    ("POST", "/api/proposals/{proposal_id}/confirm"): E,
    ("DELETE", "/api/proposals/{proposal_id}/documents/{document_id}"): E,
}
for kind in ("services", "people", "case-studies"):
    ROLE_TABLE |= {
        ("GET", f"/api/library/{kind}"): V,
        ("POST", f"/api/library/{kind}"): E,
        ("GET", f"/api/library/{kind}/{{entry_id}}"): V,
        ("PUT", f"/api/library/{kind}/{{entry_id}}"): E,
        ("DELETE", f"/api/library/{kind}/{{entry_id}}"): E,
    }

_PARAMETERS = {"version": "1", "key": "executive_summary", "language": "en", "name": "no-such-template", "path": "x"}
_NO_SUCH_ID = "00000000-0000-4000-8000-000000000000"


def concrete(path: str) -> str:
    """`path` with its parameters filled in: ids no object has, so that allowed callers change nothing."""
    return re.sub(r"\{(\w+)(:path)?\}", lambda match: _PARAMETERS.get(match[1], _NO_SUCH_ID), path)


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir)) as running:
        yield running


async def tokens_by_role(client: httpx.AsyncClient) -> dict[Role, dict[str, str]]:
    """A user of each role, and an API token of theirs with the same role."""
    headers = {}
    for role in Role:
        user = {"email": f"{role.value}@example.com", "display_name": role.value.title(), "role": role.value}
        created = await client.post("/api/users", json=user, headers=AUTH)
        assert created.status_code == 201, created.text
        token = {"name": role.value, "role": role.value, "owner_id": created.json()["id"]}
        made = await client.post("/api/tokens", json=token, headers=AUTH)
        assert made.status_code == 201, made.text
        headers[role] = {"Authorization": f"Bearer {made.json()['token']}"}
    return headers


async def test_every_route_answers_every_role_as_the_role_table_says(gateway: RunningGateway) -> None:
    routes = {(method, route.path): route for route in api_routes(gateway.app) for method in route.methods}
    assert set(routes) == set(ROLE_TABLE), "a route is missing from the role table, or the table names a gone route"
    callers = await tokens_by_role(gateway.client)
    document = gateway.app.openapi()
    wrong = []
    for (method, path), needed in sorted(ROLE_TABLE.items()):
        documented = document["paths"][path.replace(":path", "")][method.lower()][ROLE_EXTENSION]
        if documented != needed:
            wrong.append(f"{method} {path}: the OpenAPI document says {documented}, the table {needed}")
        body = {} if method in {"POST", "PUT", "PATCH"} else None
        for role in (None, *Role):
            response = await gateway.client.request(
                method, concrete(path), json=body, headers=callers[role] if role else {}
            )
            if needed == PUBLIC:
                refused = response.status_code in {401, 403}
                expected = "answered"
            elif role is None:
                refused, expected = response.status_code != 401, "401"
            elif not role.includes(Role(needed)):
                refused, expected = response.status_code != 403, "403"
            else:
                refused, expected = response.status_code in {401, 403}, "answered"
            if refused:
                wrong.append(f"{method} {path} as {role}: {response.status_code}, expected {expected}")
            elif expected == "403":
                assert response.json()["code"] == "role_required"
    assert wrong == []
