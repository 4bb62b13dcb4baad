"""The rows of a version's compliance annex (issue #16): each client requirement with the status it has as the
version is made, a person's where one was set, else the automatic check of the drafted sections.

The generator makes them for the versions it drafts, the gateway for a version a person edits by hand; both from
the requirements of the version's context (`ContextRequirement.assessment` holds a person's status as it was when
the version was asked for), so the PDF shows what the web app showed then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from propos4l.shared.events import ComplianceLine, Section
from propos4l.shared.grounding import ContextRequirement
from propos4l.shared.requirement_coverage import assess
from propos4l.shared.requirements import Obligation, RequirementKind
from propos4l.shared.sections import SectionKey

__all__ = ["compliance_lines"]


def compliance_lines(
    requirements: Sequence[ContextRequirement], sections: Sequence[Section]
) -> tuple[ComplianceLine, ...]:
    """One annex row per requirement, in the context's order."""
    texts: Mapping[SectionKey, str] = {section.key: section.content for section in sections}
    lines = []
    for requirement in requirements:
        if requirement.assessment is not None:
            status, answering = requirement.assessment.status, requirement.assessment.sections
        else:
            coverage = assess(requirement.quote, RequirementKind(requirement.kind), texts)
            status, answering = coverage.status, coverage.sections
        lines.append(
            ComplianceLine(
                id=requirement.id,
                quote=requirement.quote,
                obligation=Obligation(requirement.obligation),
                page=requirement.page,
                clause=requirement.clause,
                status=status,
                sections=answering,
            )
        )
    return tuple(lines)
