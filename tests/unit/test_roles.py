"""Roles are ranked: each includes those below it, and a token's role is capped at its owner's."""

from __future__ import annotations

from propos4l.gateway.roles import Role


def test_each_role_includes_the_ones_below_it_and_no_higher_one() -> None:
    ranked = [Role.VIEWER, Role.EDITOR, Role.MANAGER, Role.ADMIN]
    for position, role in enumerate(ranked):
        assert [role.includes(other) for other in ranked] == [index <= position for index in range(4)]


def test_a_token_role_is_capped_at_its_owner_role() -> None:
    assert Role.ADMIN.capped_at(Role.EDITOR) is Role.EDITOR
    assert Role.VIEWER.capped_at(Role.ADMIN) is Role.VIEWER
    assert Role.MANAGER.capped_at(Role.MANAGER) is Role.MANAGER
