"""The distributed mode: each service its own process on its own port and PostgreSQL database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.databases import (
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
    worker_id,
)
from tests.e2e.guests import run_guest_scenario
from tests.e2e.scenario import run_club_scenario
from tests.processes import KEYS, Process, free_port, production_environment
from tripbot import SERVICES
from tripbot.platform.identity import SYSTEM, Destination, TokenSigner
from tripbot.platform.keys import new_key_pair, private_key

pytestmark = [pytest.mark.distributed, pytest.mark.postgres]


@dataclass
class Deployment:
    """Every service and the gateway, each as its own process."""

    services: dict[str, Process]
    gateway: Process


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    require_postgres()
    env = production_environment(TRIPBOT_SERVICE_TIMEOUT="2", TRIPBOT_FOLLOW_INTERVAL="0.2")
    services: dict[str, Process] = {}
    databases = []
    try:
        for name in SERVICES:
            database = f"tripbot_e2e_{worker_id()}_{name}"
            databases.append(database)
            url = create_postgres_database(database)
            peers = {f"TRIPBOT_{n.upper()}_URL": p.url for n, p in services.items()}
            services[name] = Process(
                name,
                ["serve", name],
                {**env, **peers, "TRIPBOT_DATABASE_URL": url},
                free_port(),
                tmp_path / f"{name}.log",
            )
            services[name].start()
        urls = {f"TRIPBOT_{n.upper()}_URL": p.url for n, p in services.items()}
        gateway = Process(
            "gateway", ["serve", "gateway"], {**env, **urls}, free_port(), tmp_path / "gateway.log"
        )
        gateway.start(ready_path="/api/v1/health")
        yield Deployment(services, gateway)
        gateway.stop()
    finally:
        for process in services.values():
            process.stop()
        for database in databases:
            drop_postgres_database(database)


def test_club_scenario_distributed(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.gateway.url, timeout=10) as http:
        run_club_scenario(http)


def test_a_claimed_guest_distributed(deployment: Deployment) -> None:
    def settle(done: Callable[[], bool]) -> None:
        # Each service's own follower reads the events feed every 0.2 s; wait for them.
        deadline = time.monotonic() + 30
        while not done():
            assert time.monotonic() < deadline, "the services did not follow guest.claimed"
            time.sleep(0.2)

    with httpx.Client(base_url=deployment.gateway.url, timeout=10) as http:
        run_guest_scenario(http, settle)


def test_a_service_down_gives_503_naming_it_and_the_rest_works(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.gateway.url, timeout=10) as http:
        deployment.services["events"].stop()

        api = http.get("/api/v1/events", headers={"Authorization": "Bearer tb_whatever"})
        assert api.status_code == 503
        assert api.headers["content-type"] == "application/problem+json"
        assert api.json()["service"] == "events"
        assert "events" in api.json()["detail"]

        health = http.get("/api/v1/health")
        assert health.status_code == 503
        assert {"service": "events", "status": "unavailable"} in health.json()["services"]

        home = http.get("/")
        assert home.status_code == 200
        assert 'lang="' in home.text

        docs = http.get("/api/v1/openapi.json")
        assert docs.status_code == 200

        deployment.services["events"].start()
        assert http.get("/api/v1/health").status_code == 200


def _feed(process: Process, authorization: str) -> httpx.Response:
    return httpx.get(f"{process.url}/feed", headers={"Authorization": authorization}, timeout=10)


def test_a_captured_token_opens_nothing_else_in_any_process(
    deployment: Deployment, tmp_path: Path
) -> None:
    """Each process holds only its own keys (tests/processes.py): a token captured on its way
    to the ledger is refused by every other service and, sent again, by the ledger itself —
    also by another process of the ledger over the same database."""
    gateway = TokenSigner("gateway", private_key(KEYS.private["gateway"]))
    ledger = deployment.services["ledger"]
    captured = gateway.header(SYSTEM, Destination.of("ledger", "GET", "/feed"))
    assert _feed(ledger, captured).status_code == 200
    again = _feed(ledger, captured)
    assert again.status_code == 401
    assert again.json()["message_id"] == "internal token already used"
    for name, process in deployment.services.items():
        if name != "ledger":
            refused = _feed(process, captured)
            assert refused.status_code == 401, name
            assert refused.json()["message_id"] == "internal token is for another call"
    second = Process(
        "ledger-2", ["serve", "ledger", "--no-migrate"], ledger.env, free_port(), tmp_path / "l2"
    )
    second.start()
    try:
        fresh = gateway.header(SYSTEM, Destination.of("ledger", "GET", "/feed"))
        assert _feed(second, fresh).status_code == 200
        replayed = _feed(ledger, fresh)  # the first process never saw it: the database did
        assert replayed.status_code == 401
        assert replayed.json()["message_id"] == "internal token already used"
    finally:
        second.stop()


def test_only_a_callers_own_key_makes_its_tokens(deployment: Deployment) -> None:
    events, gear = deployment.services["events"], deployment.services["gear"]
    # The ledger's key is good at the events service (its peer), and nowhere else.
    ledger = TokenSigner("ledger", private_key(KEYS.private["ledger"]))
    at_events = ledger.header(SYSTEM, Destination.of("events", "GET", "/feed"))
    assert _feed(events, at_events).status_code == 200
    at_gear = ledger.header(SYSTEM, Destination.of("gear", "GET", "/feed"))
    assert _feed(gear, at_gear).status_code == 401
    # Claiming to be the gateway with any key but the gateway's is refused everywhere.
    for key in (KEYS.private["ledger"], KEYS.private["agenda"], new_key_pair()[0]):
        forged = TokenSigner("gateway", private_key(key))
        for name, process in deployment.services.items():
            token = forged.header(SYSTEM, Destination.of(name, "GET", "/feed"))
            answer = _feed(process, token)
            assert answer.status_code == 401, name
            assert answer.json()["message_id"] == "internal token invalid"
