"""Which role a route needs, stated once per route (the `RoleRequired` dependency behind deps.Viewer, Editor,
Manager and Admin) and shown in the OpenAPI document as `x-required-role`."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials

from propos4l.gateway.auth import Principal, bearer_scheme, is_public_path, principal_of
from propos4l.gateway.problems import Problem
from propos4l.gateway.roles import Role

__all__ = ["ROLE_EXTENSION", "RoleRequired", "api_routes", "caller", "document_roles", "required_role"]

ROLE_EXTENSION: Final = "x-required-role"

_WHO: Final = {
    Role.ADMIN: "administrators",
    Role.MANAGER: "managers and administrators",
    Role.EDITOR: "editors, managers and administrators",
    Role.VIEWER: "signed-in users",
}


async def caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal:
    """The signed-in caller, whatever its role (a 401 problem when nobody is)."""
    return await principal_of(request, credentials)


class RoleRequired:
    """A dependency: the caller, if its role includes `role`; else a 403 problem (401 when nobody signed in)."""

    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, principal: Annotated[Principal, Depends(caller)]) -> Principal:
        """The caller with at least `role`."""
        if not principal.role.includes(self.role):
            raise Problem(
                403,
                f"Only {_WHO[self.role]} may do this; {principal.name} is signed in as {principal.role.value}.",
                code="role_required",
            )
        return principal


def required_role(route: APIRoute) -> Role | None:
    """The role `route` states (None: a public route); the highest one when its dependencies name several (an
    admin route that also records to the audit trail, which needs any signed-in caller)."""

    def walk(dependant: Dependant) -> list[Role]:
        found: list[Role] = []
        for dependency in dependant.dependencies:
            if isinstance(dependency.call, RoleRequired):
                found.append(dependency.call.role)
            found.extend(walk(dependency))
        return found

    roles = walk(route.dependant)
    return max(roles, key=lambda role: role.rank) if roles else None


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route of the app, as its routers declared it (FastAPI keeps included routers as one route each)."""
    return [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]


def document_roles(router: APIRouter) -> None:
    """Put each API route's role in its OpenAPI operation; refuse an API route that states none and is not public.

    Called on each router before the app includes it (the app copies a route's OpenAPI fields when it includes it).
    """
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        role = required_role(route)
        if role is None:
            if not is_public_path(route.path):
                methods = sorted(route.methods or ())
                raise RuntimeError(f"{methods} {route.path} states no role (deps.Viewer, Editor, ...)")
            route.openapi_extra = {**(route.openapi_extra or {}), ROLE_EXTENSION: "public"}
            continue
        route.openapi_extra = {**(route.openapi_extra or {}), ROLE_EXTENSION: role.value}
        note = f"Needs the **{role.value}** role or higher."
        if note not in (route.description or ""):  # routers are module-level: every app made in a process sees them
            route.description = f"{route.description}\n\n{note}" if route.description else note
