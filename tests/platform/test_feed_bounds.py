"""A service's feed refuses cursors and event ids beyond the database's integer (found by the
API fuzzer: they reached the query, a 500 on both engines)."""

from __future__ import annotations

import pytest

from tests.problems import assert_problem, invalid_fields
from tripbot import SERVICES
from tripbot.platform.db import MAX_ID
from tripbot.platform.identity import SYSTEM, Destination
from tripbot.system import System, signer_for


@pytest.mark.parametrize("name", SERVICES)
def test_a_feed_query_beyond_any_id_is_invalid_input(system: System, name: str) -> None:
    settings = system.settings
    signer = signer_for(settings)
    client = system.services[name].test_client()

    def headers() -> dict[str, str]:  # a token is good for one call only
        return {"Authorization": signer.header(SYSTEM, Destination.of(name, "GET", "/feed"))}

    for field in ("after", "event_id"):
        answer = client.get(f"/feed?{field}={MAX_ID + 1}", headers=headers())
        body = assert_problem(answer, 422, "invalid-input")
        assert invalid_fields(body) == {field}
    last = client.get(f"/feed?after={MAX_ID}&event_id={MAX_ID}", headers=headers())
    assert last.status_code == 200, last.get_data(as_text=True)
    assert last.get_json()["entries"] == []
