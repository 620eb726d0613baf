"""A circuit breaker per service a process calls: after a few calls in a row that the service
did not answer, the process stops calling it for a pause and answers 503 at once; then one call
at a time tries it again, and the first answer closes the circuit.

Written here rather than taken from pybreaker: pybreaker holds one lock for the whole guarded
call, which would make a multi-threaded gateway call each service one request at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tripbot.platform.logging import get_logger
from tripbot.platform.metrics import set_circuit_open

_log = get_logger("breaker")


class CircuitOpen(Exception):
    """The service's circuit is open: the call was not made."""


class CircuitBreaker:
    """Counts a service's failures in a row; open for ``pause`` seconds after ``failures``."""

    def __init__(
        self,
        target: str,
        *,
        failures: int = 3,
        pause: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.failures = failures
        self.pause = pause
        self._clock = clock
        self._lock = threading.Lock()
        self._failed = 0
        self._opened_at: float | None = None
        self._trial_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Whether calls are refused now (a trial call may be under way)."""
        with self._lock:
            return self._opened_at is not None

    def before_call(self) -> None:
        """Let a call through, or raise :class:`CircuitOpen` (one trial call after the pause)."""
        with self._lock:
            if self._opened_at is None:
                return
            now = self._clock()
            # One trial at a time; a trial that never reported back counts as failed.
            trial_running = self._trial_at is not None and now - self._trial_at < self.pause
            if trial_running or now - self._opened_at < self.pause:
                raise CircuitOpen(self.target)
            self._trial_at = now

    def succeeded(self) -> None:
        """The service answered (a refusal or a failure is an answer too)."""
        with self._lock:
            was_open = self._opened_at is not None
            self._failed, self._opened_at, self._trial_at = 0, None, None
        if was_open:
            _log.warning("circuit closed", target=self.target)
            set_circuit_open(self.target, False)

    def failed(self) -> None:
        """The service did not answer (unreachable or timed out)."""
        with self._lock:
            self._failed += 1
            trial = self._trial_at is not None
            opening = trial or (self._opened_at is None and self._failed >= self.failures)
            if opening:
                self._opened_at, self._trial_at = self._clock(), None
        if opening:
            _log.warning("circuit open", target=self.target, pause_s=self.pause)
            set_circuit_open(self.target, True)
