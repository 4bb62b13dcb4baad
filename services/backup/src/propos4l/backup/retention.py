"""Retention: which backups to keep, counting only verified ones, and never fewer than a minimum.

The rules follow restic's `forget`: keep-daily N keeps the newest verified backup of each of the N most recent days
that have one (weeks and months likewise, ISO weeks, UTC calendar); the newest `minimum` verified backups are
always kept. A backup not yet verified is never pruned (it is still being checked); a corrupt one is never counted,
and is pruned only once a newer verified backup is kept, so the last copy there is, even a damaged one, stays.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["Candidate", "Health", "RetentionPlan", "RetentionPolicy", "plan_retention"]


class Health(StrEnum):
    """What the last verification of a backup found."""

    VERIFIED = "verified"
    CORRUPT = "corrupt"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many daily, weekly and monthly backups to keep, and the floor that always stays."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 6
    minimum: int = 3

    def __post_init__(self) -> None:
        if min(self.daily, self.weekly, self.monthly) < 0 or self.minimum < 1:
            raise ValueError("keep counts must not be negative, and at least one backup is always kept")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A backup as retention sees it: its id, when it was made, and whether it verified."""

    id: str
    created_at: datetime
    health: Health


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    """The decision: what stays (with the rules that keep it) and what goes."""

    keep: dict[str, tuple[str, ...]] = field(default_factory=dict)
    prune: tuple[str, ...] = ()


def _day(moment: datetime) -> Hashable:
    return moment.date()


def _week(moment: datetime) -> Hashable:
    year, week, _ = moment.isocalendar()
    return (year, week)


def _month(moment: datetime) -> Hashable:
    return (moment.year, moment.month)


def plan_retention(candidates: Sequence[Candidate], policy: RetentionPolicy) -> RetentionPlan:
    """Decide which of `candidates` (one kind of backup) to keep under `policy`."""
    newest_first = sorted(candidates, key=lambda candidate: (candidate.created_at, candidate.id), reverse=True)
    verified = [candidate for candidate in newest_first if candidate.health is Health.VERIFIED]
    reasons: dict[str, list[str]] = {}
    rules: tuple[tuple[str, int, Callable[[datetime], Hashable]], ...] = (
        ("daily", policy.daily, _day),
        ("weekly", policy.weekly, _week),
        ("monthly", policy.monthly, _month),
    )
    for rule, count, bucket_of in rules:
        seen: set[Hashable] = set()
        for candidate in verified:
            bucket = bucket_of(candidate.created_at)
            if bucket in seen:
                continue
            if len(seen) == count:
                break
            seen.add(bucket)
            reasons.setdefault(candidate.id, []).append(rule)
    for candidate in verified[: policy.minimum]:
        reasons.setdefault(candidate.id, []).append("minimum")
    newest_kept = max((c.created_at for c in verified if c.id in reasons), default=None)
    for candidate in newest_first:
        if candidate.health is Health.UNVERIFIED:
            reasons.setdefault(candidate.id, []).append("not verified yet")
        elif candidate.health is Health.CORRUPT and (newest_kept is None or candidate.created_at > newest_kept):
            reasons.setdefault(candidate.id, []).append("corrupt, but no newer verified backup exists")
    keep = {candidate.id: tuple(reasons[candidate.id]) for candidate in newest_first if candidate.id in reasons}
    prune = tuple(candidate.id for candidate in newest_first if candidate.id not in reasons)
    return RetentionPlan(keep=keep, prune=prune)
