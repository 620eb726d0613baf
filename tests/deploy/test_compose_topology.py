"""What ``docker compose up`` runs, run for real without Docker: every service of the Compose
file as its own ``tripbot`` process (same command, same variables, the same start order and
health checks) on loopback, over PostgreSQL databases its init script made; the end-to-end
scenario passes through the gateway, and the backup service backs them all up."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.conftest import run_initdb
from tests.deploy.topology import Topology, build
from tests.e2e.scenario import run_club_scenario
from tripbot import SERVICES

pytestmark = [pytest.mark.distributed, pytest.mark.postgres]


@pytest.fixture
def topology(postgres_role: str, tmp_path: Path) -> Iterator[Topology]:
    """The Compose topology, started in its order, each process ready by its health check."""
    topology = build(postgres_role, tmp_path)
    run_initdb(postgres_role, topology.database_password)
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()


def test_the_compose_topology_runs_the_club_scenario_and_backs_up(
    topology: Topology, tmp_path: Path
) -> None:
    assert topology.order[-1] == "gateway"
    assert set(topology.order) == {*SERVICES, "gateway"}
    gateway = topology.processes["gateway"]
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        run_club_scenario(http)
        health = http.get("/api/v1/health").json()
        assert {s["service"] for s in health["services"] if s["status"] == "ready"} == set(SERVICES)
        assert http.get("/metrics").status_code == 200

    backup = subprocess.run(
        [sys.executable, "-m", "tripbot", "backup", str(tmp_path / "backup")],
        env=topology.backup_environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert backup.returncode == 0, backup.stderr
    # The migration job found fresh databases: nothing with data to back up before migrating.
    assert not list((tmp_path / "backups").glob("pre-migrate-*"))
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert set(manifest["services"]) == {*SERVICES, "bot"}  # the bot's chats and positions too
    assert manifest["services"]["events"]["tables"]["users"]["rows"] >= 3
