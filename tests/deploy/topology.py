"""The topology deploy/compose.yaml describes, started for real as processes on loopback."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.databases import POSTGRES_ADMIN_URL
from tests.deploy.compose import env_file, filled, interpolate, load
from tests.processes import Process, free_port, production_environment

HEALTH_URL = re.compile(r"http://127\.0\.0\.1:8000(?P<path>/[\w/]*)")
NOT_PROCESSES = {"postgres", "caddy", "bot", "backup", "prometheus", "grafana"}
"""Not started: PostgreSQL is the test server, Caddy is a proxy (tests/deploy/test_caddy.py runs
it), the bot needs Telegram, the backup service is a tool run by hand, Prometheus and Grafana
are the monitoring profile's."""
ONE_SHOT = {"migrate"}
"""Run to completion before the services that wait for them (service_completed_successfully)."""
BACKUPS_IN_CONTAINER = "/var/lib/tripbot/backups"


def compose_environment(database_user: str) -> dict[str, str]:
    """env.example filled in with fresh secrets and this test's database user."""
    env = filled(env_file())
    env["TRIPBOT_PUBLIC_URL"] = "http://127.0.0.1"
    env["TRIPBOT_DB_PASSWORD"] = secrets.token_hex(16)
    env["TRIPBOT_LOG_LEVEL"] = "WARNING"
    return env


@dataclass
class Topology:
    """The processes of the Compose file, rewired to loopback ports and the test server."""

    processes: dict[str, Process]
    order: list[str]
    dependencies: dict[str, list[str]]
    ready_paths: dict[str, str]
    backup_environment: dict[str, str]
    database_password: str
    jobs: dict[str, tuple[list[str], dict[str, str]]]

    def run_jobs(self) -> None:
        """Run the one-shot services (the migration, with its backup first) to completion."""
        for name, (command, env) in self.jobs.items():
            done = subprocess.run(
                [sys.executable, "-m", "tripbot", *command],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"

    def start(self) -> dict[str, float]:
        """Start every process as Compose does: each once what it depends on is healthy,
        independent ones together, after the one-shot jobs. Returns each one's seconds from
        start to healthy."""
        self.run_jobs()
        sorter = TopologicalSorter(self.dependencies)
        sorter.prepare()
        seconds: dict[str, float] = {}
        with ThreadPoolExecutor() as pool:
            while sorter.is_active():
                ready = list(sorter.get_ready())
                starts = {
                    name: pool.submit(self.processes[name].start, self.ready_paths[name], 180)
                    for name in ready
                }
                for name, started in starts.items():
                    seconds[name] = started.result()
                    sorter.done(name)
        return seconds

    def stop(self) -> None:
        """Stop every process, the last started first."""
        for name in reversed(self.order):
            self.processes[name].stop()


def _rewire_database(url: str, database_user: str, password: str) -> str:
    parts = urlsplit(url)
    admin = urlsplit(POSTGRES_ADMIN_URL)
    database = parts.path.lstrip("/").replace("tripbot", database_user, 1)
    netloc = f"{database_user}:{password}@{admin.hostname}:{admin.port or 5432}"
    return urlunsplit(("postgresql", netloc, f"/{database}", "", ""))


def build(database_user: str, logs: Path, backups: Path | None = None) -> Topology:
    """Processes as Compose would start them: same commands, same variables, same order."""
    env = compose_environment(database_user)
    compose: dict[str, Any] = interpolate(load(), env)
    services: dict[str, Any] = {
        name: service
        for name, service in compose["services"].items()
        if name not in NOT_PROCESSES | ONE_SHOT
    }
    ports = {name: free_port() for name in services}

    def rewire(variables: dict[str, str]) -> dict[str, str]:
        rewired = {}
        for key, given in variables.items():
            value = given
            for peer, port in ports.items():
                value = value.replace(f"http://{peer}:8000", f"http://127.0.0.1:{port}")
            if key.endswith("DATABASE_URL"):
                value = _rewire_database(value, database_user, env["TRIPBOT_DB_PASSWORD"])
            rewired[key] = value
        return rewired

    dependencies = {
        name: [d for d in service.get("depends_on", {}) if d in services]
        for name, service in services.items()
    }
    order = list(TopologicalSorter(dependencies).static_order())
    processes, ready = {}, {}
    for name in order:
        service = services[name]
        command: list[str] = list(service["command"])
        flags = [
            part for part in command[2:] if part not in ("--host", "0.0.0.0", "--port", "8000")
        ]
        assert command[2:] == ["--host", "0.0.0.0", "--port", "8000", *flags], command
        health = HEALTH_URL.search(" ".join(service["healthcheck"]["test"]))
        assert health, service["healthcheck"]
        ready[name] = health["path"]
        processes[name] = Process(
            name,
            [*command[:2], "--host", "127.0.0.1", *flags],
            production_environment(**rewire(service["environment"])),
            ports[name],
            logs / f"{name}.log",
        )
    backup = rewire(compose["services"]["backup"]["environment"])
    folder = str(backups or logs / "backups")
    jobs = {
        name: (
            [
                part.replace(BACKUPS_IN_CONTAINER, folder)
                for part in compose["services"][name]["command"]
            ],
            production_environment(**rewire(compose["services"][name]["environment"])),
        )
        for name in sorted(ONE_SHOT)
    }
    return Topology(
        processes,
        order,
        dependencies,
        ready,
        production_environment(**backup),
        env["TRIPBOT_DB_PASSWORD"],
        jobs,
    )
