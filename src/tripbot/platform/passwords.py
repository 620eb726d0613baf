"""Password hashing with argon2id."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hashes and checks passwords; ``fast`` is a cheap profile for tests only."""

    def __init__(self, profile: Literal["strong", "fast"] = "strong") -> None:
        parameters = profiles.RFC_9106_LOW_MEMORY if profile == "strong" else profiles.CHEAPEST
        self._hasher = PasswordHasher.from_parameters(parameters)

    @cached_property
    def _dummy(self) -> str:
        # Made on first use, not at start-up: a strong hash takes a noticeable fraction of a second.
        return self._hasher.hash("not a password anyone has")

    def hash(self, password: str) -> str:
        """A new salted hash of a password."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether a password matches; unknown users cost the same time as known ones."""
        try:
            return (
                self._hasher.verify(stored_hash or self._dummy, password)
                and stored_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether a hash was made with older parameters."""
        return self._hasher.check_needs_rehash(stored_hash)
