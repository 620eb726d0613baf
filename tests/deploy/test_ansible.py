"""deploy/ansible: ansible-lint's production profile finds nothing, both playbooks parse, and
the role's templates render right for one host and for the three-machine split."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.databases import IN_CI
from tests.deploy.conftest import DEPLOY, ROOT, tool
from tripbot import SERVICES
from tripbot.platform.keys import new_key_pair, private_key, public_text

KEY_CALLERS = ("gateway", "system", "routes", "gear", "ledger", "agenda")
"""The callers with a key pair (the events service calls nobody)."""

ANSIBLE = DEPLOY / "ansible"
COLLECTIONS = ROOT / ".venv" / "share" / "ansible-collections"
SPLIT: dict[str, dict[str, Any]] = {
    "front": {"tripbot_services": ["gateway", "caddy"], "tripbot_private_address": "10.0.0.10"},
    "trips": {
        "tripbot_services": ["events", "routes", "agenda"],
        "tripbot_private_address": "10.0.0.11",
    },
    "gear": {"tripbot_services": ["gear", "ledger"], "tripbot_private_address": "10.0.0.12"},
}


@pytest.fixture(scope="module")
def ansible_env() -> dict[str, str]:
    """The environment the Ansible tools run in: offline, with the project's collections."""
    if not (COLLECTIONS / ".installed").exists():
        message = "the Ansible collections are not installed (make setup installs them)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LINT_SKIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }


def test_ansible_lint_production_profile_finds_nothing(ansible_env: dict[str, str]) -> None:
    result = subprocess.run(
        [tool("ansible-lint"), "--offline", "--profile", "production", "--strict"],
        cwd=ANSIBLE,
        env=ansible_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failure(s), 0 warning(s)" in result.stdout + result.stderr


@pytest.mark.parametrize("playbook", ["site.yml", "aws.yml"])
def test_the_playbooks_pass_the_syntax_check(playbook: str, ansible_env: dict[str, str]) -> None:
    result = subprocess.run(
        [tool("ansible-playbook"), "--syntax-check", playbook],
        cwd=ANSIBLE,
        env=ansible_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


RENDER_TASKS = """
- name: Render the role's templates here, as the host would get them
  ansible.builtin.template:
    src: "{{ item }}.j2"
    dest: "{{ render_to }}/{{ inventory_hostname }}.{{ item }}"
    mode: "0600"
  loop: [env, tripbot-backup.sh]
"""
SECRETS = {
    "tripbot_secret_key": "k" * 40,
    "tripbot_internal_secret": "i" * 40,
    "tripbot_internal_keys": {caller: new_key_pair()[0] for caller in KEY_CALLERS},
    "tripbot_postgres_password": "p" * 20,
    "tripbot_db_password": "d" * 20,
}


def render_role(tmp_path: Path, hosts: dict[str, dict[str, Any]], env: dict[str, str]) -> Path:
    """Render env.j2 and the backup script for every host of an inventory, locally: a role
    with the tripbot role's defaults, vars and templates, so precedence is the real one."""
    role = ANSIBLE / "roles" / "tripbot"
    copy = tmp_path / "roles" / "render"
    (copy / "tasks").mkdir(parents=True)
    (copy / "tasks" / "main.yml").write_text(RENDER_TASKS)
    for part in ("defaults", "vars", "templates", "filter_plugins"):
        (copy / part).symlink_to(role / part)
    inventory = {
        "tripbot": {"hosts": hosts, "vars": {"ansible_python_interpreter": sys.executable}}
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "render.yml").write_text(
        "- {name: Render, hosts: tripbot, connection: local, gather_facts: false, roles: [render]}"
    )
    extra = {**SECRETS, "render_to": str(tmp_path)}
    result = subprocess.run(
        [tool("ansible-playbook"), "-i", "inventory.yml", "-e", json.dumps(extra), "render.yml"],
        cwd=tmp_path,
        env={**env, "ANSIBLE_CONFIG": "", "ANSIBLE_ROLES_PATH": str(tmp_path / "roles")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path


def env_lines(path: Path) -> dict[str, str]:
    """KEY=value lines of a rendered env file."""
    return dict(
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    )


def test_one_host_gets_its_secrets_and_no_peer_addresses(
    tmp_path: Path, ansible_env: dict[str, str]
) -> None:
    out = render_role(tmp_path, {"solo": {}}, ansible_env)
    env = env_lines(out / "solo.env")
    assert env["TRIPBOT_SECRET_KEY"] == "k" * 40
    assert env["TRIPBOT_BUILD_CONTEXT"] == "/opt/tripbot/src"
    peers = [key for key in env if key.endswith("_URL")]
    assert peers == ["TRIPBOT_PUBLIC_URL", "TRIPBOT_BOT_WEBHOOK_URL"]  # no peer service
    script = (out / "solo.tripbot-backup.sh").read_text()
    assert all(f"--service {name}" in script for name in SERVICES)
    assert "head -z -n -14" in script


def test_split_hosts_reach_each_others_services_on_the_private_network(
    tmp_path: Path, ansible_env: dict[str, str]
) -> None:
    out = render_role(tmp_path, SPLIT, ansible_env)
    front = env_lines(out / "front.env")
    assert front["TRIPBOT_PUBLISH_ADDRESS"] == "10.0.0.10"
    assert front["TRIPBOT_EVENTS_URL"] == "http://10.0.0.11:8101"
    assert front["TRIPBOT_LEDGER_URL"] == "http://10.0.0.12:8104"
    assert {k for k in front if k.endswith("_URL")} == {
        "TRIPBOT_PUBLIC_URL",
        "TRIPBOT_BOT_WEBHOOK_URL",
        *(f"TRIPBOT_{s.upper()}_URL" for s in SERVICES),
    }
    gear = env_lines(out / "gear.env")
    assert gear["TRIPBOT_EVENTS_URL"] == "http://10.0.0.11:8101"
    assert "TRIPBOT_GEAR_URL" not in gear  # its own: the compose default, on its own network
    gear_backup = (out / "gear.tripbot-backup.sh").read_text()
    assert "--service gear --service ledger" in gear_backup
    assert "--service events" not in gear_backup


def test_each_host_holds_the_private_keys_of_what_it_runs_and_every_public_key(
    tmp_path: Path, ansible_env: dict[str, str]
) -> None:
    out = render_role(tmp_path, SPLIT, ansible_env)
    keys: dict[str, str] = SECRETS["tripbot_internal_keys"]  # type: ignore[assignment]
    runs = {"front": {"gateway"}, "trips": {"routes", "agenda"}, "gear": {"gear", "ledger"}}
    for host, callers in runs.items():
        env = env_lines(out / f"{host}.env")
        for caller in KEY_CALLERS:
            held = env[f"TRIPBOT_{caller.upper()}_PRIVATE_KEY"]
            assert (held == keys[caller]) == (caller in callers), (host, caller)
            expected = public_text(private_key(keys[caller]).public_key())
            assert env[f"TRIPBOT_{caller.upper()}_PUBLIC_KEY"] == expected


def test_a_bot_token_starts_the_bot_on_the_gateways_host_with_its_webhook(
    tmp_path: Path, ansible_env: dict[str, str]
) -> None:
    alone = env_lines(render_role(tmp_path / "none", {"solo": {}}, ansible_env) / "solo.env")
    assert "COMPOSE_PROFILES" not in alone  # no token, no bot, no monitoring asked
    token = {
        "tripbot_bot_token": "123:abc",
        "tripbot_bot_webhook_url": "https://tripbot.example.org/telegram",
        "tripbot_bot_webhook_secret": "s" * 40,
        "tripbot_monitoring": True,
    }
    hosts = {name: {**host, **token} for name, host in SPLIT.items()}
    out = render_role(tmp_path / "split", hosts, ansible_env)
    front = env_lines(out / "front.env")
    assert front["COMPOSE_PROFILES"] == "bot,monitoring"
    assert front["TRIPBOT_BOT_WEBHOOK_URL"] == "https://tripbot.example.org/telegram"
    assert front["TRIPBOT_BOT_WEBHOOK_SECRET"] == "s" * 40
    assert "COMPOSE_PROFILES" not in env_lines(out / "gear.env")  # only where the gateway is
    assert '/backups/$stamp" --service bot\n' in (out / "front.tripbot-backup.sh").read_text()
    assert "--service bot" not in (out / "gear.tripbot-backup.sh").read_text()


def test_base_map_settings_reach_the_env_file(tmp_path: Path, ansible_env: dict[str, str]) -> None:
    maps = {
        "tile_url": "https://tiles.example.org/osm/{z}/{x}/{y}.png",
        "tile_attribution": "© [OSM](https://www.openstreetmap.org/copyright) contributors",
        "topo_tile_url": "off",
        "maps": False,
    }
    out = render_role(tmp_path, {"solo": {"tripbot_maps": maps}}, ansible_env)
    env = env_lines(out / "solo.env")
    assert env["TRIPBOT_ROUTES_TILE_URL"] == maps["tile_url"]
    assert env["TRIPBOT_ROUTES_TILE_ATTRIBUTION"] == maps["tile_attribution"]
    assert env["TRIPBOT_ROUTES_TOPO_TILE_URL"] == "off"
    assert env["TRIPBOT_ROUTES_MAPS"] == "false"


def test_every_variable_is_documented() -> None:
    documented = (ROOT / "docs" / "deployment.md").read_text()
    sources = [
        *(ANSIBLE / "roles").glob("*/defaults/main.yml"),
        ANSIBLE / "group_vars" / "all" / "main.yml",
    ]
    names = {name for path in sources for name in (yaml.safe_load(path.read_text()) or {})}
    names |= set(re.findall(r"\b(aws_[a-z_]+)", (ANSIBLE / "aws.yml").read_text()))
    names -= {"aws_images", "aws_group", "aws_started", "aws_addresses", "aws_machine"}
    names -= {"aws_result", "aws_address"}  # registered results and loop variables
    missing = sorted(name for name in names if f"`{name}`" not in documented)
    assert not missing, f"docs/deployment.md does not explain {missing}"


def test_the_aws_playbook_asks_for_the_ssh_addresses() -> None:
    group_vars = yaml.safe_load((ANSIBLE / "group_vars" / "all" / "main.yml").read_text())
    assert "aws_admin_cidr" not in group_vars  # no default: 0.0.0.0/0 was one
    (check, *_) = yaml.safe_load((ANSIBLE / "aws.yml").read_text())[0]["tasks"]
    assert "aws_admin_cidr is defined" in check["ansible.builtin.assert"]["that"]


def test_the_vault_example_sets_every_secret_the_group_vars_read() -> None:
    group_vars = (ANSIBLE / "group_vars" / "all" / "main.yml").read_text()
    example = yaml.safe_load((ANSIBLE / "group_vars" / "all" / "vault.yml.example").read_text())
    read = set(re.findall(r"\b(vault_\w+)", group_vars))
    assert read == set(example)


def test_the_vagrantfile_parses_and_provisions_with_the_same_playbook() -> None:
    vagrantfile = DEPLOY / "vagrant" / "Vagrantfile"
    text = vagrantfile.read_text()
    assert 'ansible.playbook = "../ansible/site.yml"' in text
    assert '"split" =>' in text
    assert text.count("services: %w[") == 4
    split_services = {
        service
        for line in text.split('"split" =>')[1].splitlines()
        for service in (line.split("%w[")[1].split("]")[0].split() if "%w[" in line else [])
    }
    assert split_services == {*SERVICES, "gateway", "caddy"}
    result = subprocess.run(
        [tool("ruby"), "-c", str(vagrantfile)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    extra = yaml.safe_load((DEPLOY / "vagrant" / "vagrant-vars.yml").read_text())
    assert extra["tripbot_secure_cookies"] is False
    assert ".secrets/" in extra["tripbot_secret_key"]
