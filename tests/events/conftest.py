"""Fixtures of the events service tests: its database on both backends and an account policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tripbot.events.service import AccountPolicy
from tripbot.platform.db import Database
from tripbot.platform.passwords import Passwords

FAST_PASSWORDS = Passwords("fast")


@pytest.fixture
def database(database_urls: dict[str, str]) -> Iterator[Database]:
    """The events service's migrated, empty database on the test's backend."""
    db = Database(database_urls["events"])
    yield db
    db.dispose()


@pytest.fixture
def policy() -> AccountPolicy:
    """Open registration, cheap hashing."""
    return AccountPolicy(registration="open", passwords=FAST_PASSWORDS)
