"""The end-to-end scenario in the embedded mode: every service in this process."""

from __future__ import annotations

import httpx

from tests.e2e.scenario import run_club_scenario


def test_club_scenario_embedded(http: httpx.Client) -> None:
    run_club_scenario(http)
