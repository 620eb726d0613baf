"""``tripbot keys``: key pairs for the internal tokens of the distributed mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData
from typer.testing import CliRunner

from tripbot.cli import app
from tripbot.platform.db import Database
from tripbot.platform.identity import Destination, Principal, TokenSigner, TokenVerifier
from tripbot.platform.keys import private_key, public_key
from tripbot.platform.replay import UsedTokens, used_token_table

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("cli_environment")


def _generated() -> dict[str, str]:
    result = runner.invoke(app, ["keys", "generate"])
    assert result.exit_code == 0, result.output
    return dict(line.split("=", 1) for line in result.output.splitlines())


def test_generate_prints_a_key_pair_that_signs_and_verifies(tmp_path: Path) -> None:
    pair = _generated()
    assert set(pair) == {"private_key", "public_key"}
    call = Destination.of("events", "GET", "/feed")
    signer = TokenSigner("gateway", private_key(pair["private_key"]))
    database = Database(f"sqlite:///{tmp_path}/used.db")
    used_token_table(MetaData()).create(database.engine)
    trusted = {"gateway": public_key(pair["public_key"], "it")}
    verifier = TokenVerifier("events", trusted, UsedTokens(database))
    assert verifier.verify(signer.sign(Principal(user_id=3), call), call).user_id == 3
    assert _generated() != pair  # a new pair each time
    database.dispose()


def test_public_prints_the_public_key_of_a_private_one() -> None:
    pair = _generated()
    result = runner.invoke(app, ["keys", "public"], input=pair["private_key"] + "\n")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == pair["public_key"]


def test_public_refuses_what_is_not_a_key() -> None:
    result = runner.invoke(app, ["keys", "public"], input="not a key\n")
    assert result.exit_code == 2
    assert "not" in result.output


def test_a_service_will_not_serve_without_the_public_keys_of_its_callers() -> None:
    result = runner.invoke(app, ["serve", "events"])
    assert result.exit_code == 2
    assert "TRIPBOT_INTERNAL_PUBLIC_KEYS must give the public keys" in result.output


def test_the_gateway_will_not_serve_without_its_own_private_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("events", "routes", "gear", "ledger", "agenda"):
        monkeypatch.setenv(f"TRIPBOT_{name.upper()}_URL", f"http://127.0.0.1:1/{name}")
    result = runner.invoke(app, ["serve", "gateway"])
    assert result.exit_code == 2
    assert "TRIPBOT_INTERNAL_SIGNING_KEY must be set" in result.output
