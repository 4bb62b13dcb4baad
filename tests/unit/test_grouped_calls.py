"""GroupedCalls: calls that arrive while one group is worked on go together in the next, each with its own outcome,
and a group's work starts only after each of its calls arrived."""

from __future__ import annotations

import asyncio

import pytest

from propos4l.shared.grouped_calls import GroupedCalls


async def test_calls_waiting_for_a_group_are_worked_on_together_in_the_next_one() -> None:
    groups: list[list[int]] = []
    first_started, release_first = asyncio.Event(), asyncio.Event()

    async def work(items: list[int]) -> list[int]:
        groups.append(list(items))
        if len(groups) == 1:
            first_started.set()
            await release_first.wait()
        return [item * 10 for item in items]

    calls = GroupedCalls(work)
    first = asyncio.create_task(calls.call(1))
    await first_started.wait()
    # These arrive while the first group is worked on: none joins it, they go together next.
    later = [asyncio.create_task(calls.call(item)) for item in (2, 3, 4)]
    await asyncio.sleep(0)
    release_first.set()
    assert await first == 10
    assert [await task for task in later] == [20, 30, 40]
    assert groups == [[1], [2, 3, 4]]


async def test_a_failed_group_fails_each_of_its_calls() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    rounds = 0

    async def work(items: list[str]) -> list[str]:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            started.set()
            await release.wait()
            return ["first"]
        raise RuntimeError("the database went away")

    calls = GroupedCalls(work)
    first = asyncio.create_task(calls.call("a"))
    await started.wait()
    failing = [asyncio.create_task(calls.call(item)) for item in ("b", "c")]
    await asyncio.sleep(0)
    release.set()
    assert await first == "first"
    for task in failing:
        with pytest.raises(RuntimeError, match="went away"):
            await task
