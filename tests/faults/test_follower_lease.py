"""Two processes of the gear service (each with several worker processes) over one PostgreSQL
database: exactly one follows the events service's feed at a time; when it is killed, the other
takes the lease over and follows on, from the cursor, missing nothing."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import event_payload, user_payload
from tests.e2e.test_distributed import Deployment, deployment  # noqa: F401 - the fixture
from tests.processes import Process, free_port

pytestmark = [pytest.mark.chaos, pytest.mark.distributed, pytest.mark.postgres]
GEAR_FOLLOWS_EVENTS = {"reader": "gear", "source": "events"}


def sample(process: Process, name: str) -> float | None:
    """A gear-follows-events series of a process's /metrics (summed over its workers)."""
    text = httpx.get(process.url + "/metrics", timeout=5).text
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels.items() >= GEAR_FOLLOWS_EVENTS.items():
                return found.value
    return None


def leaders(processes: list[Process]) -> list[float]:
    """Each process's leader gauge (0 for one that has not said yet)."""
    return [sample(p, "tripbot_feed_follower_leader") or 0.0 for p in processes]


def wait_for(condition: object, timeout: float, what: str) -> float:
    """Wait until ``condition()``; the seconds it took."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < timeout, f"not within {timeout}s: {what}"
        time.sleep(0.1)
    return time.monotonic() - started


def changed_and_deleted_event(http: httpx.Client, headers: dict[str, str]) -> None:
    """Changes in the events feed: an event made, then deleted."""
    event = http.post("/api/v1/events", json=event_payload(), headers=headers)
    assert event.status_code == 201, event.text
    deleted = http.delete(f"/api/v1/events/{event.json()['id']}", headers=headers)
    assert deleted.status_code == 204, deleted.text


def test_one_gear_process_follows_and_another_takes_over_when_it_is_killed(
    deployment: Deployment,  # noqa: F811 - the fixture
) -> None:
    first = deployment.services["gear"]
    second = Process(
        "gear-2",
        ["serve", "gear", "--workers", "2"],
        {**first.env, "TRIPBOT_FOLLOW_INTERVAL": "0.2"},
        free_port(),
        first.log.with_name("gear-2.log"),
    )
    second.start()
    gears = [first, second]
    try:
        with httpx.Client(base_url=deployment.gateway.url, timeout=10) as http:
            body = user_payload()
            assert http.post("/api/v1/auth/register", json=body).status_code == 201
            login = {"email": body["email"], "password": body["password"]}
            token = http.post("/api/v1/auth/token", json=login)
            headers = {"Authorization": f"Bearer {token.json()['token']}"}

            wait_for(lambda: sum(leaders(gears)) == 1, 30, "one leader")
            for _ in range(10):  # and it stays one
                assert sorted(leaders(gears)) == [0.0, 1.0]
                time.sleep(0.1)
            leader = gears[leaders(gears).index(1.0)]
            standby = gears[1 - gears.index(leader)]
            changed_and_deleted_event(http, headers)
            wait_for(
                lambda: (
                    sample(leader, "tripbot_feed_lag_changes") == 0
                    and (sample(standby, "tripbot_feed_lag_changes") is None)
                ),
                30,
                "the leader caught up, the other followed nothing",
            )

            leader.crash()  # every process of it killed at once: no goodbye
            took = wait_for(lambda: leaders([standby]) == [1.0], 60, "the other took over")
            changed_and_deleted_event(http, headers)
            wait_for(
                lambda: sample(standby, "tripbot_feed_lag_changes") == 0,
                30,
                "the new leader follows from the cursor",
            )
            assert took < 30
    finally:
        second.stop()
