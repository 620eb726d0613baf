"""The internal tokens a service has already accepted, kept until they expire, so that a token
captured on the wire and sent again is refused even within its few seconds of life.

They live in the service's own database, not in a process's memory: a service running as
several worker processes (or replicas) would otherwise accept the same token once in each.
"""

from __future__ import annotations

import itertools
import threading
from datetime import datetime

from sqlalchemy import Column, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError

from tripbot.platform.db import WRITE_LOCK, Database, UTCDateTime, utcnow

MAX_TOKEN_ID_LENGTH = 64
SWEEP_EVERY = 64
"""Expired ids are deleted once every this many accepted tokens (a cheap indexed delete)."""


def used_token_table(metadata: MetaData) -> Table:
    """The ids of the internal tokens a service has accepted, with when each expires.

    The services' migrations create it from this declaration (see ``outbox.outbox_table``).
    """
    return Table(
        "used_tokens",
        metadata,
        Column("token_id", String(MAX_TOKEN_ID_LENGTH), primary_key=True),
        Column("expires_at", UTCDateTime, nullable=False, index=True),
    )


class UsedTokens:
    """Remembers each accepted token's id in the service's database until the token expires."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._table = used_token_table(MetaData())
        self._count = itertools.count(1)
        self._lock = threading.Lock()

    def first_use(self, token_id: str, expires_at: datetime) -> bool:
        """Record the token's id; False if it was already recorded (the token is replayed)."""
        if not token_id or len(token_id) > MAX_TOKEN_ID_LENGTH:
            return False
        with self._lock:
            sweep = next(self._count) % SWEEP_EVERY == 0
        engine = self._database.engine.execution_options(**{WRITE_LOCK: True})
        try:
            with engine.begin() as connection:
                if sweep:
                    connection.execute(
                        delete(self._table).where(self._table.c.expires_at < utcnow())
                    )
                connection.execute(
                    insert(self._table).values(token_id=token_id, expires_at=expires_at)
                )
        except IntegrityError:
            return False
        return True
