"""The signed internal tokens services accept: who the call is for, and nothing forged or stale."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from itsdangerous import TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

from tripbot.platform.errors import NotAuthenticated
from tripbot.platform.identity import INTERNAL_AUTH_SCHEME, Principal, TokenSigner

SECRET = "a-test-secret-that-is-long-enough-to-be-real"
SALT = "tripbot.internal-token"  # the salt TokenSigner signs with


@contextmanager
def signed_in_the_past(seconds: int) -> Iterator[None]:
    """Tokens signed inside this block carry a timestamp ``seconds`` ago."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda _self: int(time.time()) - seconds)
        yield


def test_a_token_names_its_principal() -> None:
    signer = TokenSigner(SECRET)
    principal = Principal(user_id=7, language="en", event_id=3, event_role="organizer")
    assert signer.verify(signer.sign(principal)) == principal
    assert signer.verify_header(signer.header(principal)) == principal


def test_the_anonymous_principal_travels_too() -> None:
    signer = TokenSigner(SECRET)
    principal = signer.verify(signer.sign(Principal()))
    assert principal.is_anonymous
    with pytest.raises(NotAuthenticated, match="log in first"):
        principal.require_user()


def test_a_token_signed_with_another_secret_is_refused() -> None:
    forged = TokenSigner("another-secret-of-the-same-length-as-ours").sign(Principal(user_id=1))
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        TokenSigner(SECRET).verify(forged)


def test_a_tampered_token_is_refused() -> None:
    signer = TokenSigner(SECRET)
    token = signer.sign(Principal(user_id=1))
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    with pytest.raises(NotAuthenticated, match="internal token invalid"):
        signer.verify(tampered)


def test_an_expired_token_is_refused() -> None:
    signer = TokenSigner(SECRET, ttl_seconds=60)
    with signed_in_the_past(61):
        stale = signer.sign(Principal(user_id=1))
    with pytest.raises(NotAuthenticated, match="internal token expired"):
        signer.verify(stale)


def test_a_token_within_its_lifetime_is_accepted() -> None:
    signer = TokenSigner(SECRET, ttl_seconds=60)
    with signed_in_the_past(50):
        recent = signer.sign(Principal(user_id=1))
    assert signer.verify(recent).user_id == 1


@pytest.mark.parametrize("payload", [{"user_id": 1, "is_admin": True}, ["user_id", 1], "admin"])
def test_a_well_signed_token_of_the_wrong_shape_is_refused(payload: object) -> None:
    # Signed with the right key and salt (as a bug elsewhere might), but not a principal.
    token = str(URLSafeTimedSerializer(SECRET, salt=SALT).dumps(payload))
    with pytest.raises(NotAuthenticated, match="internal token malformed"):
        TokenSigner(SECRET).verify(token)


def test_an_untimed_signature_is_refused() -> None:
    token = URLSafeSerializer(SECRET, salt=SALT).dumps({"user_id": 1})
    with pytest.raises(NotAuthenticated):
        TokenSigner(SECRET).verify(str(token))


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
        TokenSigner(SECRET).verify_header(header)
