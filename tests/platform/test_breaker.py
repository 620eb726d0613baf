"""The circuit breaker's rules, on a clock the test moves."""

from __future__ import annotations

import pytest

from tripbot.platform.breaker import CircuitBreaker, CircuitOpen
from tripbot.platform.metrics import REGISTRY


class Clock:
    """Seconds that pass only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def a_breaker(clock: Clock, target: str = "agenda") -> CircuitBreaker:
    """A breaker that opens after 3 failures in a row, for 15 seconds."""
    return CircuitBreaker(target, failures=3, pause=15.0, clock=clock)


def circuit_open_metric(target: str) -> float | None:
    """What this process exports about the target's circuit."""
    return REGISTRY.get_sample_value("tripbot_service_circuit_open", {"target": target})


def test_it_opens_after_failures_in_a_row_only() -> None:
    clock = Clock()
    breaker = a_breaker(clock, "events-a")
    for _ in range(2):
        breaker.before_call()
        breaker.failed()
    breaker.succeeded()  # an answer in between starts the count again
    for _ in range(2):
        breaker.before_call()
        breaker.failed()
    assert not breaker.is_open
    breaker.failed()
    assert breaker.is_open
    assert circuit_open_metric("events-a") == 1
    with pytest.raises(CircuitOpen):
        breaker.before_call()


def test_after_the_pause_one_trial_call_goes_through_and_an_answer_closes_it() -> None:
    clock = Clock()
    breaker = a_breaker(clock, "gear-a")
    for _ in range(3):
        breaker.failed()
    clock.now += 14.9
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 0.2
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # others wait for it
    breaker.succeeded()
    assert not breaker.is_open
    assert circuit_open_metric("gear-a") == 0
    breaker.before_call()


def test_a_failed_trial_opens_it_for_another_pause() -> None:
    clock = Clock()
    breaker = a_breaker(clock, "ledger-a")
    for _ in range(3):
        breaker.failed()
    clock.now += 15
    breaker.before_call()
    breaker.failed()
    assert breaker.is_open
    clock.now += 10
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 5
    breaker.before_call()


def test_a_trial_that_never_reports_back_does_not_keep_it_open_for_ever() -> None:
    clock = Clock()
    breaker = a_breaker(clock, "routes-a")
    for _ in range(3):
        breaker.failed()
    clock.now += 15
    breaker.before_call()  # its caller died without saying how it went
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.now += 15
    breaker.before_call()
