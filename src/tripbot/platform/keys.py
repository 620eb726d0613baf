"""The Ed25519 keys of internal tokens: each caller signs with its own private key, each service
verifies with the public keys of the callers it trusts.

A key is written as the URL-safe base64 of its 32 raw bytes (one line, easy to put in an
environment variable or a secret). With no keys configured (the embedded mode, where every part
runs in one process), the process makes a key pair when it starts and keeps it in memory only:
nothing to configure, nothing on disk to protect, and a token from one run is worthless in the
next.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from tripbot.platform.identity import TokenSigner, TokenVerifier
from tripbot.platform.replay import UsedTokens
from tripbot.platform.settings import Settings

GATEWAY = "gateway"
SYSTEM_CALLER = "system"
"""TripBot's own components acting as themselves: the bot, and the commands run by operators."""
ANY_SERVICE = (GATEWAY, SYSTEM_CALLER)
"""The callers whose tokens every service accepts (a service's own key is good at its peers)."""
CALLERS = "tripbot.callers"
"""The extra of a service's runtime naming the callers it accepts tokens from."""


class BadKey(ValueError):
    """A configured key is not a key."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _raw(text: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError) as error:
        raise BadKey(f"{what} is not URL-safe base64") from error
    if len(raw) != 32:
        raise BadKey(f"{what} is not an Ed25519 key (32 bytes)")
    return raw


def private_key(text: str, what: str = "TRIPBOT_INTERNAL_SIGNING_KEY") -> Ed25519PrivateKey:
    """An Ed25519 private key written as URL-safe base64 of its 32 raw bytes."""
    return Ed25519PrivateKey.from_private_bytes(_raw(text, what))


def public_key(text: str, what: str) -> Ed25519PublicKey:
    """An Ed25519 public key written as URL-safe base64 of its 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(_raw(text, what))


def private_text(key: Ed25519PrivateKey) -> str:
    """How a private key is written in settings."""
    return _b64(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def public_text(key: Ed25519PublicKey) -> str:
    """How a public key is written in settings."""
    return _b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def new_key_pair() -> tuple[str, str]:
    """A fresh key pair: the private key and its public key, as written in settings."""
    key = Ed25519PrivateKey.generate()
    return private_text(key), public_text(key.public_key())


@cache
def process_key() -> Ed25519PrivateKey:
    """This process's own key, made at first use and never written anywhere: the embedded
    mode's (every caller and service in one process signs and verifies with it)."""
    return Ed25519PrivateKey.generate()


@dataclass(frozen=True)
class Keyring:
    """The keys a process holds, from its settings (or its own in-memory key, when none are)."""

    settings: Settings

    @property
    def _own(self) -> str | None:
        key = self.settings.internal_signing_key
        return key.get_secret_value() if key is not None else None

    def signer(self, issuer: str) -> TokenSigner:
        """The signer of this process's calls, as ``issuer``; its configured private key, or the
        in-memory one when no keys are configured."""
        own = self._own
        if own is None and self.settings.internal_public_keys:
            raise BadKey(
                f"TRIPBOT_INTERNAL_SIGNING_KEY must be set: the {issuer} signs its calls to "
                "services with its own private key (tripbot keys generate)"
            )
        key = private_key(own) if own is not None else process_key()
        return TokenSigner(issuer, key, self.settings.internal_token_ttl)

    def trusted(self, callers: tuple[str, ...]) -> dict[str, Ed25519PublicKey]:
        """The public keys of ``callers`` that this process knows, by caller."""
        given = self.settings.internal_public_keys
        if not given:
            own = self._own
            key = private_key(own) if own is not None else process_key()
            return dict.fromkeys(callers, key.public_key())
        return {
            name: public_key(text, f"TRIPBOT_INTERNAL_PUBLIC_KEYS[{name!r}]")
            for name, text in given.items()
            if name in callers
        }

    def verifier(self, service: str, callers: tuple[str, ...], used: UsedTokens) -> TokenVerifier:
        """The verifier of the tokens ``service`` receives from ``callers``."""
        if self.settings.internal_public_keys and not self.trusted(callers):
            raise BadKey(
                f"TRIPBOT_INTERNAL_PUBLIC_KEYS names none of the callers the {service} service "
                f"accepts ({', '.join(callers)})"
            )
        return TokenVerifier(service, self.trusted(callers), used, self.settings.internal_token_ttl)
