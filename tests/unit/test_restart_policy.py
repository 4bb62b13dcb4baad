"""A crashed child of the local run is restarted after a growing delay, and given up on only in a crash loop."""

from __future__ import annotations

from propos4l.shared.localrun.restarts import RestartPolicy


def test_delays_double_from_one_second_up_to_the_longest() -> None:
    policy = RestartPolicy(limit=100, window_seconds=1000.0)
    delays = [policy.crashed(now=float(moment)) for moment in range(8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_five_crashes_within_a_minute_are_a_crash_loop() -> None:
    policy = RestartPolicy()
    assert [policy.crashed(now) for now in (0.0, 5.0, 10.0, 20.0)] == [1.0, 2.0, 4.0, 8.0]
    assert policy.crashed(now=59.0) is None
    assert policy.recent_crashes == 5


def test_crashes_further_apart_than_the_window_never_give_up_and_restart_quickly() -> None:
    policy = RestartPolicy()
    for crash in range(20):
        assert policy.crashed(now=crash * 61.0) == 1.0
    assert policy.recent_crashes == 1


def test_old_crashes_leave_the_window() -> None:
    policy = RestartPolicy()
    for now in (0.0, 1.0, 2.0, 3.0):
        policy.crashed(now)
    assert policy.crashed(now=61.5) == 4.0  # the first two are more than a minute old: this is the third crash
