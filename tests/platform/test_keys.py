"""The keys a process holds: made in memory with nothing configured (embedded mode), or each
caller's own private key and the public keys a service trusts (distributed mode)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData

from tests.conftest import make_settings
from tripbot.platform.db import Database
from tripbot.platform.errors import NotAuthenticated
from tripbot.platform.identity import Destination, Principal
from tripbot.platform.keys import BadKey, Keyring, new_key_pair, private_key
from tripbot.platform.replay import UsedTokens, used_token_table

CALL = Destination.of("events", "GET", "/feed")


@pytest.fixture
def used(tmp_path: Path) -> UsedTokens:
    """A real store of used token ids on SQLite."""
    database = Database(f"sqlite:///{tmp_path}/used.db")
    used_token_table(MetaData()).create(database.engine)
    return UsedTokens(database)


def test_with_nothing_configured_the_process_signs_and_verifies_with_its_own_key(
    tmp_path: Path, used: UsedTokens
) -> None:
    keyring = Keyring(make_settings(tmp_path))
    verifier = keyring.verifier("events", ("gateway", "system"), used)
    token = keyring.signer("gateway").sign(Principal(user_id=5), CALL)
    assert verifier.verify(token, CALL).user_id == 5
    written = {path.name for path in tmp_path.iterdir()}
    assert {name for name in written if not name.startswith("used.db")} == set()  # no key file


def test_configured_keys_sign_and_only_trusted_callers_verify(
    tmp_path: Path, used: UsedTokens
) -> None:
    (gateway_private, gateway_public), (ledger_private, ledger_public) = (
        new_key_pair(),
        new_key_pair(),
    )
    trusting = {"gateway": gateway_public, "ledger": ledger_public}
    events = Keyring(make_settings(tmp_path, internal_public_keys=trusting))
    gateway = Keyring(make_settings(tmp_path, internal_signing_key=gateway_private))
    verifier = events.verifier("events", ("gateway", "system"), used)  # the ledger is no caller
    assert verifier.verify(gateway.signer("gateway").sign(Principal(), CALL), CALL).is_anonymous
    ledger = Keyring(make_settings(tmp_path, internal_signing_key=ledger_private))
    with pytest.raises(NotAuthenticated, match="invalid"):
        verifier.verify(ledger.signer("ledger").sign(Principal(), CALL), CALL)


def test_a_service_given_public_keys_only_cannot_sign(tmp_path: Path) -> None:
    _, public = new_key_pair()
    service = Keyring(make_settings(tmp_path, internal_public_keys={"gateway": public}))
    with pytest.raises(BadKey, match="TRIPBOT_INTERNAL_SIGNING_KEY must be set"):
        service.signer("gateway")


def test_a_service_trusting_none_of_its_callers_refuses_to_start(
    tmp_path: Path, used: UsedTokens
) -> None:
    _, public = new_key_pair()
    keyring = Keyring(make_settings(tmp_path, internal_public_keys={"someone": public}))
    with pytest.raises(BadKey, match="names none of the callers"):
        keyring.verifier("gear", ("gateway", "system"), used)


@pytest.mark.parametrize("text", ["", "not base64 !", "c2hvcnQ", "A" * 64])
def test_what_is_not_a_key_is_refused(text: str) -> None:
    with pytest.raises(BadKey):
        private_key(text)
