"""The rate card: roles and their hourly rates. Any token reads it; only admins change it.

Amounts are Decimal end to end and strings in JSON ("350.00"); rates are history (see `rate_card`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Final

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.deps import Admin, Rates, Viewer, audited
from propos4l.gateway.library_cursor import InvalidCursor, ListPosition
from propos4l.gateway.library_schemas import ImportKey, Owner
from propos4l.gateway.problems import Problem
from propos4l.gateway.rate_card import (
    RateConflict,
    RateRecord,
    RoleDraft,
    RoleInUse,
    RoleNameTaken,
    RoleRecord,
)
from propos4l.shared.events import OptionalLongText, ShortText

__all__ = ["router"]

router = APIRouter(prefix="/api/library/roles", tags=["library"], dependencies=[audited("rate_card")])

_PROBLEMS: Final[dict[int | str, dict[str, object]]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        403: "Not an admin (only admins change the rate card)",
        404: "No such role",
        409: "A role has this name, people still have this role, or a different rate from that date exists",
        422: "Invalid request",
    }.items()
}


class RoleBody(BaseModel):
    """A role of the rate card."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText = Field(description="unique without regard to case, e.g. 'Arquiteto de soluções sênior'")
    description: OptionalLongText = ""
    owner: Owner | None = Field(default=None, description="who keeps it up to date (default: the caller's name)")
    review_by: date | None = Field(default=None, description="after this date the role is listed as stale")
    import_key: ImportKey | None = Field(
        default=None, description="a POST with a key a role already has updates that role instead (200)"
    )

    def draft(self) -> RoleDraft:
        """The role to save."""
        return RoleDraft(self.name, self.description, self.owner, self.review_by, self.import_key)


class RateBody(BaseModel):
    """An hourly rate of a role from a date on."""

    model_config = ConfigDict(extra="forbid")

    hourly_rate: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)] = Field(
        description='per hour, to the cent: send a string like "350.00"'
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = Field(
        default="BRL", description="ISO 4217 code"
    )
    valid_from: date = Field(description="the first day the rate applies (a future date is allowed)")


class RateView(BaseModel):
    """An hourly rate of a role."""

    id: uuid.UUID
    hourly_rate: Decimal = Field(description='to the cent, as a string: "350.00"')
    currency: str
    valid_from: date
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, rate: RateRecord | None) -> RateView | None:
        """The view of a rate (None for none)."""
        if rate is None:
            return None
        return cls(
            id=rate.id,
            hourly_rate=rate.hourly_rate,
            currency=rate.currency,
            valid_from=rate.valid_from,
            created_by=rate.created_by,
            created_at=rate.created_at,
        )


class RoleView(BaseModel):
    """A role with the rate that applies today and the next one, if one from a later date is known."""

    id: uuid.UUID
    name: str
    description: str
    owner: str
    review_by: date | None
    import_key: str | None
    created_at: datetime
    updated_at: datetime
    current_rate: RateView | None = Field(description="the latest rate whose valid_from is today or before")
    next_rate: RateView | None = Field(description="the earliest rate from a future date, if any")

    @classmethod
    def of(cls, role: RoleRecord) -> RoleView:
        """The view of a stored role."""
        return cls(
            id=role.id,
            name=role.name,
            description=role.description,
            owner=role.owner,
            review_by=role.review_by,
            import_key=role.import_key,
            created_at=role.created_at,
            updated_at=role.updated_at,
            current_rate=RateView.of(role.current_rate),
            next_rate=RateView.of(role.next_rate),
        )


class RoleDetail(RoleView):
    """A role with its whole rate history."""

    rates: list[RateView] = Field(description="every rate, latest valid_from first (future ones too)")


class RoleList(BaseModel):
    """A page of roles, in the order of their names."""

    items: list[RoleView]
    next_cursor: str | None = Field(description="pass as `after` for the next page; null on the last page")


async def _detail(rates: Rates, role_id: uuid.UUID) -> RoleDetail:
    role = await rates.get(role_id)
    if role is None:
        raise Problem(404, f"There is no role with id {role_id}.")
    history = [view for rate in await rates.rates(role_id) if (view := RateView.of(rate)) is not None]
    return RoleDetail(**RoleView.of(role).model_dump(), rates=history)


@router.get("", response_model=RoleList, responses=_PROBLEMS)
async def list_roles(
    _: Viewer,
    rates: Rates,
    limit: Annotated[int, Query(ge=1, le=200, description="at most this many roles")] = 100,
    after: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")] = None,
) -> RoleList:
    """The roles with their current rates, in the order of their names."""
    try:
        position = ListPosition.from_cursor(after) if after is not None else None
    except InvalidCursor as error:
        raise Problem(422, f"The {error}.") from None
    page = await rates.list(limit=limit, after=position)
    return RoleList(
        items=[RoleView.of(role) for role in page.roles],
        next_cursor=page.next_position.cursor() if page.next_position else None,
    )


@router.post(
    "",
    status_code=201,
    response_model=RoleDetail,
    responses={**_PROBLEMS, 200: {"model": RoleDetail, "description": "The role with this `import_key` was updated"}},
)
async def create_role(body: RoleBody, response: Response, principal: Admin, rates: Rates) -> RoleDetail:
    """Add a role (admins; or update the one with this `import_key`); 409 if a role has the name."""
    try:
        role, created = await rates.create(body.draft(), principal.name)
    except RoleNameTaken as error:
        raise Problem(409, str(error)) from None
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/library/roles/{role.id}"
    return await _detail(rates, role.id)


@router.get("/{role_id}", response_model=RoleDetail, responses=_PROBLEMS)
async def get_role(role_id: uuid.UUID, _: Viewer, rates: Rates) -> RoleDetail:
    """A role with its current rate and its whole rate history."""
    return await _detail(rates, role_id)


@router.put("/{role_id}", response_model=RoleDetail, responses=_PROBLEMS)
async def update_role(role_id: uuid.UUID, body: RoleBody, principal: Admin, rates: Rates) -> RoleDetail:
    """Replace a role's fields (admins); a new name is written into its people's search passages at once."""
    try:
        role = await rates.update(role_id, body.draft())
    except RoleNameTaken as error:
        raise Problem(409, str(error)) from None
    if role is None:
        raise Problem(404, f"There is no role with id {role_id}.")
    return await _detail(rates, role_id)


@router.delete("/{role_id}", status_code=204, responses=_PROBLEMS)
async def delete_role(role_id: uuid.UUID, principal: Admin, rates: Rates) -> Response:
    """Delete a role and its rates (admins); 409, naming them, while people have it."""
    try:
        deleted = await rates.delete(role_id)
    except RoleInUse as error:
        raise Problem(409, str(error)) from None
    if not deleted:
        raise Problem(404, f"There is no role with id {role_id}.")
    return Response(status_code=204)


@router.post(
    "/{role_id}/rates",
    status_code=201,
    response_model=RateView,
    responses={**_PROBLEMS, 200: {"model": RateView, "description": "The same rate from this date was already there"}},
)
async def add_rate(role_id: uuid.UUID, body: RateBody, response: Response, principal: Admin, rates: Rates) -> RateView:
    """Add a rate from `valid_from` on (admins); older rates are kept. The same rate again is a 200 that changes
    nothing; a different one from the same date is a 409."""
    try:
        added = await rates.add_rate(role_id, body.hourly_rate, body.currency, body.valid_from, principal.name)
    except RateConflict as error:
        raise Problem(409, str(error)) from None
    if added is None:
        raise Problem(404, f"There is no role with id {role_id}.")
    rate, created = added
    response.status_code = 201 if created else 200
    view = RateView.of(rate)
    assert view is not None
    return view
