"""deploy/compose.yaml: valid against the Compose specification's schema, consistent with the
code (commands, variables, health checks), and its PostgreSQL init script run for real."""

from __future__ import annotations

import json
import re
import secrets
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from tests.databases import POSTGRES_ADMIN_URL
from tests.deploy.compose import (
    COMPOSE_FILE,
    KEY_VARIABLES,
    MissingVariable,
    env_file,
    filled,
    interpolate,
    load,
    required_variables,
)
from tests.deploy.conftest import DEPLOY, SETTINGS_VARIABLES, run_initdb
from tripbot import SERVICES

TRIPBOT_SERVICES = [*SERVICES, "gateway", "bot", "backup", "migrate"]
ONE_SHOT = ("backup", "migrate")
COMPOSE_ONLY_VARIABLES = {"TRIPBOT_DB_USER", "TRIPBOT_DB_PASSWORD", "TRIPBOT_SITE_ADDRESS"}
"""Variables of the PostgreSQL and Caddy containers, not of TripBot's processes."""


def compose_schema() -> dict[str, Any]:
    """The Compose specification's JSON schema, as check-jsonschema vendors it (Apache-2.0)."""
    path = files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def example_environment() -> dict[str, str]:
    """env.example filled in the way the operator is told to."""
    return filled(env_file())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The Compose file, interpolated with a filled-in env.example."""
    interpolated: dict[str, Any] = interpolate(load(), example_environment())
    return interpolated


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = compose_schema()
    validator = validator_for(schema)(schema, format_checker=FormatChecker())
    for document in (load(), compose):
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_every_required_secret_is_in_the_env_example_and_refused_when_missing() -> None:
    required = required_variables()
    assert {
        "TRIPBOT_SECRET_KEY",
        "TRIPBOT_INTERNAL_SECRET",
        "POSTGRES_PASSWORD",
        "TRIPBOT_DB_PASSWORD",
        "TRIPBOT_PUBLIC_URL",
    } <= required
    assert required <= set(env_file())
    for name in required:
        env = example_environment()
        del env[name]
        with pytest.raises(MissingVariable, match=name):
            interpolate(load(), env)


def test_services_run_as_the_code_expects(compose: dict[str, Any]) -> None:
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate", "--backup-to", "/var/lib/tripbot/backups"]
    assert migrate["restart"] == "no"
    assert "/var/lib/tripbot/backups" in migrate["volumes"][0]
    assert {f"TRIPBOT_{n.upper()}_DATABASE_URL" for n in (*SERVICES, "bot")} <= set(
        migrate["environment"]
    )
    for name in SERVICES:
        service = services[name]
        assert service["command"] == [
            "serve",
            name,
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
            "--no-migrate",
        ]
        url = urlsplit(service["environment"]["TRIPBOT_DATABASE_URL"])
        assert (url.hostname, url.path) == ("postgres", f"/tripbot_{name}")
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
        assert service["volumes"][0].endswith(":/var/lib/tripbot/backups:ro")
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        for peer in SERVICES:
            assert service["environment"][f"TRIPBOT_{peer.upper()}_URL"] == f"http://{peer}:8000"
    gateway = services["gateway"]
    assert gateway["command"] == ["serve", "gateway", "--host", "0.0.0.0", "--port", "8000"]
    assert "/api/v1/health" in " ".join(gateway["healthcheck"]["test"])
    assert gateway["depends_on"] == {name: {"condition": "service_healthy"} for name in SERVICES}
    assert services["caddy"]["depends_on"] == {"gateway": {"condition": "service_healthy"}}
    bot = services["bot"]
    assert bot["command"] == ["bot", "--host", "0.0.0.0", "--port", "8000"]
    assert bot["profiles"] == ["bot"]
    assert {"TRIPBOT_BOT_TOKEN", *(f"TRIPBOT_{n.upper()}_URL" for n in SERVICES)} <= set(
        bot["environment"]
    )
    # The webhook: Caddy reaches the bot's webhook port on the Compose network.
    assert bot["environment"]["TRIPBOT_BOT_WEBHOOK_PORT"] == "8443"
    assert bot["expose"] == ["8443"]
    assert {"TRIPBOT_BOT_WEBHOOK_URL", "TRIPBOT_BOT_WEBHOOK_SECRET"} <= set(bot["environment"])


def test_monitoring_is_a_profile_reading_the_shipped_rules_and_dashboard(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
        assert all(p.startswith("127.0.0.1:") for p in services[name]["ports"]), name
    configs = compose["configs"]
    assert configs["prometheus-config"]["file"] == "./monitoring/prometheus/prometheus.yml"
    assert configs["prometheus-alerts"]["file"] == "./monitoring/prometheus/alerts.yml"
    targets = {c["target"] for c in services["prometheus"]["configs"]}
    assert targets == {
        "/etc/prometheus/prometheus.yml",
        "/etc/prometheus/alerts.yml",
        "/run/secrets/metrics_token",
    }
    for _, source in (
        (c["source"], configs[c["source"]]) for c in services["prometheus"]["configs"]
    ):
        if "file" in source:
            assert (DEPLOY / source["file"]).is_file(), source
    mounted = {v.split(":")[0] for v in services["grafana"]["volumes"]}
    assert {"./monitoring/grafana/provisioning", "./monitoring/grafana/dashboards"} <= mounted
    for folder in mounted - {"grafana-data"}:
        assert (DEPLOY / folder).is_dir(), folder


def test_tripbot_containers_are_locked_down_and_health_checked_without_curl(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    images = {services[name]["image"] for name in TRIPBOT_SERVICES}
    assert len(images) == 1  # one image, the command picks the process
    for name in TRIPBOT_SERVICES:
        service = services[name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert service["init"] is True, name
        if name not in ONE_SHOT:
            test = service["healthcheck"]["test"]
            assert test[:3] == ["CMD", "python", "-c"], name
            assert "urllib" in test[3], name
    for name, service in services.items():
        assert "healthcheck" in service or name in (
            "caddy",
            *ONE_SHOT,
            "prometheus",
            "grafana",
        ), name


def test_every_variable_a_process_gets_is_one_it_reads(compose: dict[str, Any]) -> None:
    for name in TRIPBOT_SERVICES:
        given = set(compose["services"][name]["environment"])
        assert given <= SETTINGS_VARIABLES, (name, given - SETTINGS_VARIABLES)
    env_names = {n for n in env_file() if n.startswith("TRIPBOT_")}
    documented = re.findall(r"^# (TRIPBOT_[A-Z_]+)=", (DEPLOY / "env.example").read_text(), re.M)
    compose_level = {
        *KEY_VARIABLES,  # each goes into one container's TRIPBOT_INTERNAL_* variables
        "TRIPBOT_IMAGE",
        "TRIPBOT_BUILD_CONTEXT",
        "TRIPBOT_BACKUP_DIR",
        "TRIPBOT_PUBLISH_ADDRESS",
        "TRIPBOT_HTTP_ADDRESS",
        "TRIPBOT_METRICS_RETENTION",
    }
    assert env_names | set(documented) <= (
        SETTINGS_VARIABLES | COMPOSE_ONLY_VARIABLES | compose_level
    )


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used = {
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert (
        used
        == declared
        == {
            "postgres-data",
            "caddy-data",
            "caddy-config",
            "backups",
            "prometheus-data",
            "grafana-data",
        }
    )


def test_the_init_script_makes_one_database_per_service_owned_by_tripbot(
    postgres_role: str,
) -> None:
    password = secrets.token_hex(16)
    run_initdb(postgres_role, password)
    with psycopg.connect(POSTGRES_ADMIN_URL) as admin:
        owned: dict[str, str] = dict(
            admin.execute(
                "SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname LIKE %s",
                (f"{postgres_role}_%",),
            ).fetchall()
        )
    names = [*SERVICES, "bot"]
    assert owned == {f"{postgres_role}_{name}": postgres_role for name in names}


def test_the_compose_file_names_the_databases_the_init_script_makes() -> None:
    script = (DEPLOY / "postgres" / "initdb.sh").read_text()
    found = re.search(r"TRIPBOT_DB_SERVICES:=([a-z ]+)\}", script)
    assert found
    made = set(found[1].split())
    named = set(re.findall(r"@postgres:5432/tripbot_([a-z]+)", COMPOSE_FILE.read_text()))
    assert named == made
