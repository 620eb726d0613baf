"""The end-to-end scenario in the embedded mode: every service in this process."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.e2e.guests import run_guest_scenario
from tests.e2e.scenario import run_club_scenario
from tripbot.system import System, follower_of


def test_club_scenario_embedded(http: httpx.Client) -> None:
    run_club_scenario(http)


def test_a_claimed_guest_embedded(system: System, http: httpx.Client) -> None:
    def settle(done: Callable[[], bool]) -> None:
        # In process the followers run when asked: once each, then it must hold.
        events = system.clients.transports["events"]
        for name in ("ledger", "gear", "agenda"):
            follower = follower_of(system.runtimes[name], events)
            assert follower is not None
            follower.run_once()
        assert done()

    run_guest_scenario(http, settle)
