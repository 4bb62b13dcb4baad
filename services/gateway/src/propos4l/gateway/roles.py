"""The four roles, ranked: each may do what the ones below it may (ADR 0019).

viewer reads; editor creates and edits its own proposals (and those it collaborates on) and the library; manager does
everything on every proposal; admin also manages users, tokens, templates, the rate card and backups.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role"]


class Role(StrEnum):
    """A user's or token's role."""

    VIEWER = "viewer"
    EDITOR = "editor"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Higher may do more."""
        return _RANKS[self]

    def includes(self, other: Role) -> bool:
        """Whether this role may do what `other` may."""
        return self.rank >= other.rank

    def capped_at(self, ceiling: Role) -> Role:
        """This role, or `ceiling` when this one is higher (a token never exceeds its owner)."""
        return self if ceiling.includes(self) else ceiling


_RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.MANAGER: 2, Role.ADMIN: 3}
