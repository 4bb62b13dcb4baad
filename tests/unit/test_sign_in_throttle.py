"""Failed sign-ins per address: after the limit the address waits until its oldest failure leaves the window."""

from __future__ import annotations

from propos4l.gateway.sign_in_throttle import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_waits_after_the_limit_until_its_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    throttle = SignInThrottle(3, 60, clock=clock)
    for _ in range(2):
        throttle.failed("a")
        clock.now += 10
    assert throttle.wait_seconds("a") == 0
    throttle.failed("a")  # three failures at 1000, 1010, 1020
    assert throttle.wait_seconds("a") == 60 - 20
    assert throttle.wait_seconds("b") == 0
    clock.now = 1060.5  # the first failure left the window
    assert throttle.wait_seconds("a") == 0
    throttle.failed("a")
    assert throttle.wait_seconds("a") == 10


def test_failures_older_than_the_window_are_forgotten() -> None:
    clock = Clock()
    throttle = SignInThrottle(2, 5, clock=clock)
    throttle.failed("a")
    clock.now += 6
    throttle.failed("a")
    assert throttle.wait_seconds("a") == 0
