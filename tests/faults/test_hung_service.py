"""A service that hangs (SIGSTOP: its port open, nothing answered) must not hold the rest up:
after a few calls time out the gateway stops calling it and answers 503 at once naming it,
health says which service it is, unrelated requests answer, and when the service is back a
trial call closes the circuit. Latency while it hangs is measured in bench/hung.py."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from tests.builders import Person, an_event, user_payload
from tests.e2e.test_distributed import Deployment, deployment  # noqa: F401 - the fixture
from tests.processes import Process
from tripbot.platform.client import BREAKER_FAILURES, BREAKER_PAUSE

pytestmark = [pytest.mark.chaos, pytest.mark.distributed, pytest.mark.postgres]


@contextmanager
def frozen(process: Process) -> Iterator[None]:
    """The process and its workers stopped (SIGSTOP) until the block ends."""
    assert process.popen is not None
    os.killpg(process.popen.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(process.popen.pid, signal.SIGCONT)


def someone(http: httpx.Client) -> Person:
    """A registered person with an API token."""
    body = user_payload()
    assert http.post("/api/v1/auth/register", json=body).status_code == 201
    login = {"email": body["email"], "password": body["password"]}
    token = http.post("/api/v1/auth/token", json=login).json()["token"]
    return Person(id=0, email=body["email"], headers={"Authorization": f"Bearer {token}"})


def test_a_hung_service_is_cut_off_named_and_taken_back(
    deployment: Deployment,  # noqa: F811 - the fixture
) -> None:
    with httpx.Client(base_url=deployment.gateway.url, timeout=30) as http:
        person = someone(http)
        event = an_event(http, person)
        activities = f"/api/v1/events/{event['id']}/activities"
        assert http.get(activities, headers=person.headers).status_code == 200

        with frozen(deployment.services["agenda"]):
            with ThreadPoolExecutor(BREAKER_FAILURES) as pool:
                timed_out = list(
                    pool.map(
                        lambda _: http.get(activities, headers=person.headers),
                        range(BREAKER_FAILURES),
                    )
                )
            for answer in timed_out:
                assert answer.status_code == 503
                assert answer.json()["service"] == "agenda"
            cut_off = http.get(activities, headers={**person.headers, "Accept-Language": "es"})
            assert cut_off.status_code == 503
            assert cut_off.json()["detail"] == (
                "el servicio agenda no responde en este momento; vuelve a intentarlo enseguida"
            )
            assert http.get("/api/v1/events", headers=person.headers).status_code == 200
            health = http.get("/api/v1/health")
            assert health.status_code == 503
            states = {s["service"]: s["status"] for s in health.json()["services"]}
            assert states.pop("agenda") == "unavailable"
            assert set(states.values()) == {"ready"}
            metrics = http.get("/metrics").text
            assert 'tripbot_service_circuit_open{target="agenda"} 1.0' in metrics

        deadline = time.monotonic() + BREAKER_PAUSE + 15
        while http.get(activities, headers=person.headers).status_code != 200:
            assert time.monotonic() < deadline, "the circuit never closed again"
            time.sleep(0.5)
        assert http.get("/api/v1/health").status_code == 200
        assert 'tripbot_service_circuit_open{target="agenda"} 0.0' in http.get("/metrics").text
