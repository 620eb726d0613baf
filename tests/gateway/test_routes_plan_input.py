"""An excursion plan refuses route ids no route can have (found by the API fuzzer: a number
beyond the database's integer reached the query, a 500 in the service and a 503 at the gateway)."""

from __future__ import annotations

import httpx
import pytest

from tests.builders import a_cast_in
from tests.problems import assert_problem, invalid_fields
from tripbot.system import System


@pytest.mark.parametrize("route_id", [2**31, 2**63, -(2**70), 0])
def test_a_plan_with_an_impossible_route_id_is_invalid_input(
    system: System, http: httpx.Client, route_id: int
) -> None:
    cast = a_cast_in(system)
    url = f"/api/v1/events/{cast.event['id']}/plan"

    answer = http.put(url, json={"route_ids": [route_id]}, headers=cast.owner.headers)

    body = assert_problem(answer, 422, "invalid-input")
    assert invalid_fields(body) == {"route_ids.0"}
    assert http.get(url, headers=cast.owner.headers).json()["routes"] == []
