"""Which new passwords are refused: those of the well-known lists of leaked passwords, and
those made of a few characters repeated. The length is the schemas' (``Password``)."""

from __future__ import annotations

from functools import cache

from tripbot.platform.errors import InvalidInput, Message

MIN_DISTINCT_CHARACTERS = 5
"""Fewer different characters than this (``aaaaaaaaaa``, ``ababababab``) is a pattern, not a
password, whatever its length."""


@cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of public leaks (zxcvbn's list, from the Xato corpus of
    ten million), in lower case; loaded on first use, not at start-up."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # 800 kB of Python: only when asked

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def refuse_weak(password: str, field: str = "password") -> None:
    """InvalidInput, naming ``field``, if a new password is too easy to guess."""
    if password.strip().lower() in common_passwords():
        raise InvalidInput(
            Message("this password appears in lists of leaked passwords; choose another"),
            field=field,
        )
    if len(set(password.lower())) < MIN_DISTINCT_CHARACTERS:
        raise InvalidInput(
            Message("this password repeats too few different characters; choose another"),
            field=field,
        )
