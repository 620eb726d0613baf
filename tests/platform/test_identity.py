"""The signed internal tokens services accept: who the call is for, signed by a caller's own
private key, for one call, once, and nothing forged, stale or replayed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData

from tripbot.platform.db import Database
from tripbot.platform.errors import NotAuthenticated
from tripbot.platform.identity import (
    INTERNAL_AUTH_SCHEME,
    Destination,
    Principal,
    TokenSigner,
    TokenVerifier,
)
from tripbot.platform.keys import public_text
from tripbot.platform.replay import UsedTokens, used_token_table

GATEWAY_KEY = Ed25519PrivateKey.generate()
SYSTEM_KEY = Ed25519PrivateKey.generate()
LEDGER_KEY = Ed25519PrivateKey.generate()
CALL = Destination.of("events", "GET", "/users/me")


@pytest.fixture
def used(tmp_path: Path) -> UsedTokens:
    """A real store of used token ids (SQLite; test_replay.py runs it on both databases)."""
    database = Database(f"sqlite:///{tmp_path}/used.db")
    used_token_table(MetaData()).create(database.engine)
    return UsedTokens(database)


def events_verifier(used: UsedTokens, ttl: int = 15) -> TokenVerifier:
    """The events service's verifier: it trusts the gateway, the system and the ledger."""
    trusted = {
        "gateway": GATEWAY_KEY.public_key(),
        "system": SYSTEM_KEY.public_key(),
        "ledger": LEDGER_KEY.public_key(),
    }
    return TokenVerifier("events", trusted, used, ttl)


def gateway(ttl: int = 15) -> TokenSigner:
    """The gateway's signer."""
    return TokenSigner("gateway", GATEWAY_KEY, ttl)


def handmade(key: Ed25519PrivateKey, kid: str = "gateway", **changes: Any) -> str:
    """A token minted by hand with ``key`` (as an attacker or a bug would), claims changed."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": kid,
        "aud": "events",
        "htm": "GET",
        "htu": "/users/me",
        "iat": now,
        "exp": now + 15,
        "jti": f"handmade-{time.monotonic_ns()}",
        "who": {"user_id": 1},
    }
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


def test_a_token_names_its_principal(used: UsedTokens) -> None:
    principal = Principal(user_id=7, language="en", event_id=3, event_role="organizer")
    verifier = events_verifier(used)
    assert verifier.verify(gateway().sign(principal, CALL), CALL) == principal
    assert verifier.verify_header(gateway().header(principal, CALL), CALL) == principal


def test_the_anonymous_principal_travels_too(used: UsedTokens) -> None:
    principal = events_verifier(used).verify(gateway().sign(Principal(), CALL), CALL)
    assert principal.is_anonymous
    with pytest.raises(NotAuthenticated, match="log in first"):
        principal.require_user()


def test_a_token_replayed_exactly_is_refused(used: UsedTokens) -> None:
    verifier = events_verifier(used)
    captured = gateway().sign(Principal(user_id=1, instance_role="admin"), CALL)
    assert verifier.verify(captured, CALL).user_id == 1
    with pytest.raises(NotAuthenticated, match="internal token already used"):
        verifier.verify(captured, CALL)
    # A fresh token for the same call is another token: the caller may call again.
    assert verifier.verify(gateway().sign(Principal(user_id=1), CALL), CALL).user_id == 1


def test_each_call_gets_a_token_of_its_own() -> None:
    principal = Principal(user_id=1)
    ids = {
        jwt.decode(gateway().sign(principal, CALL), options={"verify_signature": False})["jti"]
        for _ in range(50)
    }
    assert len(ids) == 50


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(Ed25519PrivateKey.generate(), id="a key nobody trusts"),
        pytest.param(LEDGER_KEY, id="the ledger's key, claiming to be the gateway"),
        pytest.param(SYSTEM_KEY, id="the system's key, claiming to be the gateway"),
    ],
)
def test_a_token_signed_with_any_key_but_the_issuers_own_is_refused(
    used: UsedTokens, key: Ed25519PrivateKey
) -> None:
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        events_verifier(used).verify(handmade(key, "gateway"), CALL)


def test_a_service_holding_only_public_keys_cannot_mint(used: UsedTokens) -> None:
    # What a service holds is public: signing with it as an HMAC secret (the classic
    # algorithm confusion), or with no signature at all, makes nothing it accepts.
    public = public_text(GATEWAY_KEY.public_key())
    now = int(time.time())
    claims = {
        "iss": "gateway",
        "aud": "events",
        "htm": "GET",
        "htu": "/users/me",
        "iat": now,
        "exp": now + 15,
        "jti": "x",
        "who": {"user_id": 1, "instance_role": "admin"},
    }
    hmac_token = jwt.encode(claims, public, algorithm="HS256", headers={"kid": "gateway"})
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": "gateway"})
    for forged in (hmac_token, unsigned):
        with pytest.raises(NotAuthenticated, match="internal token invalid"):
            events_verifier(used).verify(forged, CALL)


def test_a_caller_the_service_does_not_trust_is_refused(used: UsedTokens) -> None:
    # The gear service trusts the gateway and the system, not the ledger (whose key is good
    # only at its peer, the events service).
    gear = TokenVerifier("gear", {"gateway": GATEWAY_KEY.public_key()}, used)
    at_gear = Destination.of("gear", "GET", "/users/me")
    token = TokenSigner("ledger", LEDGER_KEY).sign(Principal(user_id=1), at_gear)
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        gear.verify(token, at_gear)


def test_a_tampered_token_is_refused(used: UsedTokens) -> None:
    header, payload, signature = gateway().sign(Principal(user_id=1), CALL).split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    claims["who"]["instance_role"] = "admin"
    other = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA").split(".")[1]
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        events_verifier(used).verify(f"{header}.{other}.{signature}", CALL)


def test_an_expired_token_is_refused(used: UsedTokens) -> None:
    now = int(time.time())
    stale = handmade(GATEWAY_KEY, iat=now - 16, exp=now - 1)
    with pytest.raises(NotAuthenticated, match="internal token expired"):
        events_verifier(used).verify(stale, CALL)


def test_a_token_within_its_lifetime_is_accepted(used: UsedTokens) -> None:
    now = int(time.time())
    recent = handmade(GATEWAY_KEY, iat=now - 10, exp=now + 5)
    assert events_verifier(used).verify(recent, CALL).user_id == 1


def test_a_token_meant_to_live_longer_than_the_service_allows_is_refused(
    used: UsedTokens,
) -> None:
    # It would outlive the id the service remembers, and could be replayed afterwards.
    now = int(time.time())
    long_lived = handmade(GATEWAY_KEY, iat=now, exp=now + 3600)
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        events_verifier(used).verify(long_lived, CALL)


@pytest.mark.parametrize("missing", ["jti", "exp", "iat", "aud", "htm", "htu", "who", "iss"])
def test_a_token_without_every_claim_is_refused(used: UsedTokens, missing: str) -> None:
    without: dict[str, Any] = {missing: None}
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        events_verifier(used).verify(handmade(GATEWAY_KEY, **without), CALL)


@pytest.mark.parametrize(
    "who",
    [{"user_id": 1, "is_admin": True}, ["user_id", 1], "admin"],
)
def test_a_well_signed_token_of_the_wrong_shape_is_refused(used: UsedTokens, who: object) -> None:
    # Signed with the right key (as a bug elsewhere might), but not a principal.
    with pytest.raises(NotAuthenticated, match="internal token malformed"):
        events_verifier(used).verify(handmade(GATEWAY_KEY, who=who), CALL)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        INTERNAL_AUTH_SCHEME,
        f"{INTERNAL_AUTH_SCHEME} ",
        "Bearer something",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_a_header_without_the_internal_scheme_is_refused(
    used: UsedTokens, header: str | None
) -> None:
    with pytest.raises(NotAuthenticated, match="only signed internal calls"):
        events_verifier(used).verify_header(header, CALL)


@pytest.mark.parametrize(
    "elsewhere",
    [
        Destination.of("ledger", "GET", "/users/me"),
        Destination.of("events", "POST", "/users/me"),
        Destination.of("events", "POST", "/tokens"),
        Destination.of("events", "GET", "/users/me/tokens"),
        Destination.of("events", "GET", "/users/me/"),
    ],
)
def test_a_token_is_good_only_for_the_call_it_was_signed_for(
    used: UsedTokens, elsewhere: Destination
) -> None:
    captured = gateway().sign(Principal(user_id=1, instance_role="admin"), CALL)
    with pytest.raises(NotAuthenticated, match="internal token is for another call"):
        events_verifier(used).verify(captured, elsewhere)
    assert events_verifier(used).verify(captured, CALL).user_id == 1


def test_both_ends_name_a_call_alike_however_its_path_is_spelled() -> None:
    sent = Destination.of("events", "get", "/invitations/a%20b?x=1")
    assert sent == Destination.served("events", "GET", "/invitations/a b")
    # An encoded "?" is part of the path, not the start of a query, at both ends.
    odd = Destination.of("events", "GET", "/invitations/a%3Fb%3D1")
    assert odd == Destination.served("events", "GET", "/invitations/a?b=1")
