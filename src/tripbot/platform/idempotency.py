"""Idempotency keys: a retried request (the bot retries) changes things once and gets the same
answer. The key is claimed inside the use case's own transaction, so a concurrent retry waits for
the first one and then reads its answer."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tripbot.platform.db import UTCDateTime, utcnow
from tripbot.platform.errors import Conflict, InvalidInput, Message

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


def idempotency_table(metadata: MetaData) -> Table:
    """The idempotency keys table of a service, on that service's own metadata.

    The services' migrations create it from this declaration (see ``outbox.outbox_table``).
    """
    return Table(
        "idempotency_keys",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("scope", String(200), nullable=False),
        Column("key", String(MAX_KEY_LENGTH), nullable=False),
        Column("fingerprint", String(64), nullable=False),
        Column("response", JSON, nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        UniqueConstraint("scope", "key"),
    )


def fingerprint(payload: Any) -> str:
    """A stable digest of a request body, to tell a true retry from a reused key."""
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored(session: Session, table: Table, scope: str, key: str, digest: str) -> dict[str, Any]:
    row = session.execute(
        select(table.c.fingerprint, table.c.response).where(
            table.c.scope == scope, table.c.key == key
        )
    ).one()
    if row.fingerprint != digest:
        raise InvalidInput(
            Message("the {header} {key} was already used for a different request"),
            header=IDEMPOTENCY_HEADER,
            key=repr(key),
        )
    if row.response is None:
        raise Conflict(
            Message("a request with the {header} {key} is still in progress"),
            header=IDEMPOTENCY_HEADER,
            key=repr(key),
        )
    response: dict[str, Any] = row.response
    return response


def claim(
    session: Session, table: Table, scope: str, key: str, payload: Any
) -> dict[str, Any] | None:
    """Claim a key for this transaction; the earlier answer if the key was already used.

    Call it first in the use case, after ``uow.lock_for_write()``.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            Message("{header} must be 1 to {longest} characters"),
            header=IDEMPOTENCY_HEADER,
            longest=MAX_KEY_LENGTH,
        )
    digest = fingerprint(payload)
    exists = session.scalar(select(table.c.id).where(table.c.scope == scope, table.c.key == key))
    if exists is not None:
        return _stored(session, table, scope, key, digest)
    try:
        with session.begin_nested():
            session.execute(
                insert(table).values(
                    scope=scope, key=key, fingerprint=digest, response=None, created_at=utcnow()
                )
            )
    except IntegrityError:
        # Another transaction claimed it first and has committed since: answer as it did.
        return _stored(session, table, scope, key, digest)
    return None


def complete(
    session: Session, table: Table, scope: str, key: str, response: dict[str, Any]
) -> None:
    """Store the answer of a claimed key, in the same transaction as the change."""
    session.execute(
        update(table).where(table.c.scope == scope, table.c.key == key).values(response=response)
    )
