"""Reading deploy/compose.yaml as Compose does: YAML with merge keys, then interpolation."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.conftest import DEPLOY

COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / "env.example"
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


class MissingVariable(LookupError):
    """A required variable (``${VAR:?message}``) is not set."""


def load(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The Compose file as YAML, anchors and merge keys resolved, not yet interpolated."""
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def required_variables(path: Path = COMPOSE_FILE) -> set[str]:
    """The variables the file refuses to run without."""
    return {m["name"] for m in VARIABLE.finditer(path.read_text()) if m["op"] in (":?", "?")}


def env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """The ``KEY=value`` lines of an env file (comments and blank lines skipped)."""
    values = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


KEY_CALLERS = ("gateway", "system", "routes", "gear", "ledger", "agenda")
"""The callers whose key pairs env.example asks for (TRIPBOT_<CALLER>_PRIVATE_KEY/_PUBLIC_KEY)."""
KEY_VARIABLES = {
    f"TRIPBOT_{caller.upper()}_{half}_KEY"
    for caller in KEY_CALLERS
    for half in ("PRIVATE", "PUBLIC")
}


def filled(env: dict[str, str]) -> dict[str, str]:
    """An env file's empty values filled in as the operator is told to: a key pair from
    ``tripbot keys generate`` for each caller, a random hex secret for the rest."""
    from tripbot.platform.keys import new_key_pair

    done = dict(env)
    for caller in KEY_CALLERS:
        private, public = new_key_pair()
        done[f"TRIPBOT_{caller.upper()}_PRIVATE_KEY"] = private
        done[f"TRIPBOT_{caller.upper()}_PUBLIC_KEY"] = public
    return {name: value or secrets.token_hex(32) for name, value in done.items()}


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Substitute ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``,
    ``${VAR?error}`` and ``$$`` as the Compose specification says."""
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = env.get(name)
        unset_or_empty = value is None or (value == "" and op is not None and op[0] == ":")
        if op in (":-", "-"):
            return arg if unset_or_empty else str(value)
        if op in (":?", "?"):
            if unset_or_empty:
                raise MissingVariable(f"{name}: {arg}")
            return str(value)
        return value or ""

    return VARIABLE.sub(substitute, node)
