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
from tests.processes import Process, free_port, production_environment
from tripbot import SERVICES

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
