"""Approval rules (issue #19): admins say which proposals need a manager's approval before they are sent."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from propos4l.gateway.approval_rules import ApprovalRule, RuleDraft
from propos4l.gateway.deps import Admin, ApprovalRules, Audit
from propos4l.gateway.problems import Problem
from propos4l.gateway.review_schemas import ApprovalRuleBody, ApprovalRuleList, ApprovalRuleView

__all__ = ["router"]

router = APIRouter(prefix="/api/approval-rules", tags=["review"])

_PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "Not signed in",
        403: "Not an admin",
        404: "No such rule",
        422: "Invalid request",
    }.items()
}


def _view(rule: ApprovalRule) -> ApprovalRuleView:
    return ApprovalRuleView(
        id=rule.id,
        name=rule.name,
        kind=rule.kind,
        threshold=format(rule.threshold, "f") if rule.threshold is not None else None,
        currency=rule.currency,
        value=rule.value,
        enabled=rule.enabled,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def _draft(body: ApprovalRuleBody) -> RuleDraft:
    return RuleDraft(
        name=body.name,
        kind=body.kind,
        threshold=body.threshold,
        currency=body.currency,
        value=body.value,
        enabled=body.enabled,
    )


@router.get("", response_model=ApprovalRuleList, responses=_PROBLEM_RESPONSES)
async def list_rules(_: Admin, rules: ApprovalRules) -> ApprovalRuleList:
    """Every approval rule, oldest first."""
    return ApprovalRuleList(items=[_view(rule) for rule in await rules.list()])


@router.post("", status_code=201, response_model=ApprovalRuleView, responses=_PROBLEM_RESPONSES)
async def create_rule(body: ApprovalRuleBody, principal: Admin, audit: Audit, rules: ApprovalRules) -> ApprovalRuleView:
    """Add a rule: a proposal matching it needs a manager's approval before it is sent."""
    rule = await rules.create(_draft(body), principal.user_id)
    await audit.record(
        "approval_rule.created", object_type="approval_rule", object_id=rule.id, details={"name": rule.name}
    )
    return _view(rule)


@router.put("/{rule_id}", response_model=ApprovalRuleView, responses=_PROBLEM_RESPONSES)
async def replace_rule(
    rule_id: uuid.UUID, body: ApprovalRuleBody, _: Admin, audit: Audit, rules: ApprovalRules
) -> ApprovalRuleView:
    """Change a rule (all its fields)."""
    rule = await rules.replace(rule_id, _draft(body))
    if rule is None:
        raise Problem(404, f"There is no approval rule {rule_id}.")
    await audit.record(
        "approval_rule.saved", object_type="approval_rule", object_id=rule.id, details={"name": rule.name}
    )
    return _view(rule)


@router.delete("/{rule_id}", status_code=204, responses=_PROBLEM_RESPONSES)
async def delete_rule(rule_id: uuid.UUID, _: Admin, audit: Audit, rules: ApprovalRules) -> Response:
    """Delete a rule."""
    if not await rules.delete(rule_id):
        raise Problem(404, f"There is no approval rule {rule_id}.")
    await audit.record("approval_rule.deleted", object_type="approval_rule", object_id=rule_id)
    return Response(status_code=204)
