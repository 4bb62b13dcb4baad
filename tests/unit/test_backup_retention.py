"""Retention keeps exactly what the policy says over a simulated year, counts only verified backups, keeps a minimum."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from propos4l.backup.retention import Candidate, Health, RetentionPolicy, plan_retention

START = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)  # a Wednesday
POLICY = RetentionPolicy(daily=7, weekly=4, monthly=6, minimum=3)


def backup(moment: datetime, health: Health = Health.VERIFIED) -> Candidate:
    return Candidate(f"db-{moment:%Y%m%dT%H%M%SZ}-000000", moment, health)


def simulate(
    days: int,
    runs_per_day: int,
    policy: RetentionPolicy,
    health_of: Callable[[datetime], Health] = lambda moment: Health.VERIFIED,
) -> list[Candidate]:
    """Run a backup every 24/runs_per_day hours for `days` days, pruning after each run as the agent does."""
    kept: list[Candidate] = []
    for index in range(days * runs_per_day):
        moment = START + timedelta(hours=index * 24 / runs_per_day)
        kept.append(backup(moment, health_of(moment)))
        plan = plan_retention(kept, policy)
        kept = [candidate for candidate in kept if candidate.id in plan.keep]
    return kept


def expected_for(last: datetime, policy: RetentionPolicy) -> set[date]:
    """The days whose (last) backup the policy keeps, computed independently from the calendar."""
    days = {last.date() - timedelta(days=offset) for offset in range(policy.daily)}
    week_ends: list[date] = []
    day = last.date()
    while len(week_ends) < policy.weekly:
        if day == last.date() or day.isoweekday() == 7:
            week_ends.append(day)
        day -= timedelta(days=1)
    month_ends: list[date] = []
    day = last.date()
    while len(month_ends) < policy.monthly:
        if day == last.date() or (day + timedelta(days=1)).day == 1:
            month_ends.append(day)
        day -= timedelta(days=1)
    return days | set(week_ends) | set(month_ends)


def test_a_year_of_daily_backups_keeps_exactly_the_daily_weekly_and_monthly_ones() -> None:
    kept = simulate(365, 1, POLICY)
    last = START + timedelta(days=364)
    assert {candidate.created_at.date() for candidate in kept} == expected_for(last, POLICY)
    # 7 days, plus the Sundays and month ends the daily ones do not already cover.
    assert 7 <= len(kept) <= 7 + 4 + 6


def test_a_year_of_six_hourly_backups_keeps_the_newest_of_each_kept_day() -> None:
    kept = simulate(365, 4, POLICY)
    last = START + timedelta(days=364, hours=18)
    assert {candidate.created_at.date() for candidate in kept} == expected_for(last, POLICY)
    older_days = [candidate for candidate in kept if candidate.created_at.date() != last.date()]
    assert {candidate.created_at.hour for candidate in older_days} == {21}  # the newest run of each kept day
    newest = sorted(candidate.created_at for candidate in kept)[-3:]
    assert newest == [last - timedelta(hours=12), last - timedelta(hours=6), last]  # the minimum: 3 newest runs


def test_the_one_shot_plan_equals_the_daily_pruned_history() -> None:
    everything = [backup(START + timedelta(days=index)) for index in range(365)]
    plan = plan_retention(everything, POLICY)
    assert set(plan.keep) == {candidate.id for candidate in simulate(365, 1, POLICY)}
    assert set(plan.prune) == {candidate.id for candidate in everything} - set(plan.keep)


def test_corrupt_backups_are_never_counted_and_go_once_a_newer_verified_one_is_kept() -> None:
    days = [START + timedelta(days=index) for index in range(10)]
    candidates = [backup(day, Health.CORRUPT if index in (7, 8) else Health.VERIFIED) for index, day in enumerate(days)]
    plan = plan_retention(candidates, RetentionPolicy(daily=3, weekly=0, monthly=0, minimum=1))
    # Three verified days are kept: days 9, 6 and 5 (7 and 8 are corrupt and do not count as days).
    assert set(plan.keep) == {candidates[9].id, candidates[6].id, candidates[5].id}
    assert candidates[7].id in plan.prune and candidates[8].id in plan.prune


def test_never_fewer_than_the_minimum_even_when_the_latest_backups_failed() -> None:
    def health_of(moment: datetime) -> Health:
        return Health.CORRUPT if moment >= START + timedelta(days=355) else Health.VERIFIED

    policy = RetentionPolicy(daily=0, weekly=0, monthly=0, minimum=3)
    kept = simulate(365, 1, policy, health_of)
    verified = sorted(c.created_at.date() for c in kept if c.health is Health.VERIFIED)
    assert verified == [(START + timedelta(days=offset)).date() for offset in (352, 353, 354)]
    # The corrupt ones newer than every verified backup are kept too, for inspection: nothing newer is good.
    assert sum(1 for c in kept if c.health is Health.CORRUPT) == 10


def test_the_minimum_holds_when_the_policy_alone_would_keep_fewer() -> None:
    candidates = [backup(START + timedelta(hours=hour)) for hour in range(5)]  # one day
    plan = plan_retention(candidates, RetentionPolicy(daily=1, weekly=0, monthly=0, minimum=3))
    assert list(plan.keep) == [candidates[4].id, candidates[3].id, candidates[2].id]
    assert plan.keep[candidates[4].id] == ("daily", "minimum")


def test_unverified_backups_are_never_pruned() -> None:
    candidates = [backup(START + timedelta(days=day)) for day in range(5)]
    candidates.append(backup(START - timedelta(days=30), Health.UNVERIFIED))
    plan = plan_retention(candidates, RetentionPolicy(daily=1, weekly=0, monthly=0, minimum=1))
    assert candidates[-1].id in plan.keep
    assert plan.keep[candidates[-1].id] == ("not verified yet",)


def test_a_policy_must_keep_at_least_one() -> None:
    with pytest.raises(ValueError):
        RetentionPolicy(minimum=0)
    with pytest.raises(ValueError):
        RetentionPolicy(daily=-1)
