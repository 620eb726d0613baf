"""The signed internal tokens services accept: who the call is for, and nothing forged or stale."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from itsdangerous import TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

from tripbot.platform.errors import NotAuthenticated
from tripbot.platform.identity import INTERNAL_AUTH_SCHEME, Destination, Principal, TokenSigner

SECRET = "a-test-secret-that-is-long-enough-to-be-real"
SALT = "tripbot.internal-token"  # the salt TokenSigner signs with
CALL = Destination.of("events", "GET", "/users/me")


@contextmanager
def signed_in_the_past(seconds: int) -> Iterator[None]:
    """Tokens signed inside this block carry a timestamp ``seconds`` ago."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(time.time()) - seconds)
        yield


def test_a_token_names_its_principal() -> None:
    signer = TokenSigner(SECRET)
    principal = Principal(user_id=7, language="en", event_id=3, event_role="organizer")
    assert signer.verify(signer.sign(principal, CALL), CALL) == principal
    assert signer.verify_header(signer.header(principal, CALL), CALL) == principal


def test_the_anonymous_principal_travels_too() -> None:
    signer = TokenSigner(SECRET)
    principal = signer.verify(signer.sign(Principal(), CALL), CALL)
    assert principal.is_anonymous
    with pytest.raises(NotAuthenticated, match="log in first"):
        principal.require_user()


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = TokenSigner("another-secret-of-the-same-length-as-ours").sign(
        Principal(user_id=1), CALL
    )
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        TokenSigner(SECRET).verify(forged, CALL)


def test_a_tampered_token_is_refused() -> None:
    signer = TokenSigner(SECRET)
    token = signer.sign(Principal(user_id=1), CALL)
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        signer.verify(tampered, CALL)


def test_an_expired_token_is_refused() -> None:
    signer = TokenSigner(SECRET, ttl_seconds=60)
    with signed_in_the_past(61):
        stale = signer.sign(Principal(user_id=1), CALL)
    with pytest.raises(NotAuthenticated, match="internal token expired"):
        signer.verify(stale, CALL)


def test_a_token_within_its_lifetime_is_accepted() -> None:
    signer = TokenSigner(SECRET, ttl_seconds=60)
    with signed_in_the_past(50):
        recent = signer.sign(Principal(user_id=1), CALL)
    assert signer.verify(recent, CALL).user_id == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"who": {"user_id": 1, "is_admin": True}, "for": ["events", "GET", "/users/me"]},
        {"user_id": 1},
        ["user_id", 1],
        "admin",
    ],
)
def test_a_well_signed_token_of_the_wrong_shape_is_refused(payload: object) -> None:
    # Signed with the right key and salt (as a bug elsewhere might), but not a principal.
    token = str(URLSafeTimedSerializer(SECRET, salt=SALT).dumps(payload))
    with pytest.raises(NotAuthenticated, match="internal token malformed"):
        TokenSigner(SECRET).verify(token, CALL)


def test_an_untimed_signature_is_refused() -> None:
    token = URLSafeSerializer(SECRET, salt=SALT).dumps({"user_id": 1})
    with pytest.raises(NotAuthenticated):
        TokenSigner(SECRET).verify(str(token), CALL)


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
def test_a_header_without_the_internal_scheme_is_refused(header: str | None) -> None:
    with pytest.raises(NotAuthenticated, match="only signed internal calls"):
        TokenSigner(SECRET).verify_header(header, CALL)


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
def test_a_token_is_good_only_for_the_call_it_was_signed_for(elsewhere: Destination) -> None:
    signer = TokenSigner(SECRET)
    captured = signer.sign(Principal(user_id=1, instance_role="admin"), CALL)
    assert signer.verify(captured, CALL).user_id == 1
    with pytest.raises(NotAuthenticated, match="internal token is for another call"):
        signer.verify(captured, elsewhere)


def test_both_ends_name_a_call_alike_however_its_path_is_spelled() -> None:
    sent = Destination.of("events", "get", "/invitations/a%20b?x=1")
    assert sent == Destination.served("events", "GET", "/invitations/a b")
    # An encoded "?" is part of the path, not the start of a query, at both ends.
    odd = Destination.of("events", "GET", "/invitations/a%3Fb%3D1")
    assert odd == Destination.served("events", "GET", "/invitations/a?b=1")
