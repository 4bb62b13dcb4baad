"""The cap on a proposal's size: the characters of all its sections together (PROPOSAL_MAX_CHARACTERS)."""

from __future__ import annotations

from collections.abc import Sequence

from propos4l.shared.events import Section
from propos4l.shared.sections import SectionKey

__all__ = ["ProposalTooLarge", "check_change_fits"]


class ProposalTooLarge(ValueError):
    """A change would make the proposal longer than its limit; the message says by how much."""


def check_change_fits(
    sections: Sequence[Section], key: SectionKey, new_content: str | None, max_characters: int
) -> None:
    """Raise `ProposalTooLarge` when changing section `key` cannot give a proposal within `max_characters`.

    An edit (`new_content`) may not grow the proposal past the limit; one that shrinks an oversize proposal is
    welcome. A regeneration (`new_content` None) is refused when the other sections alone already exceed it.
    """
    current = sum(len(section.content) for section in sections)
    others = sum(len(section.content) for section in sections if section.key != key)
    if new_content is None:
        if others > max_characters:
            raise ProposalTooLarge(
                f"the other sections already hold {others:,} characters, more than the limit of {max_characters:,} "
                "for a whole proposal; shorten them before regenerating this one"
            )
        return
    total = others + len(new_content)
    if total > max_characters and total > current:
        raise ProposalTooLarge(
            f"with this text the proposal would hold {total:,} characters, more than the limit of {max_characters:,} "
            f"for a whole proposal; shorten this section (or others) by {total - max_characters:,} characters"
        )
