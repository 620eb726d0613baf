"""Tables of the ledger service."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from tripbot.platform.db import new_metadata
from tripbot.platform.outbox import outbox_table

metadata = new_metadata()
outbox = outbox_table(metadata)
"""Changes the ledger service records for the bot and the web's activity stream."""


class Base(DeclarativeBase):
    """Tables of the ledger service share this metadata and no other service's."""

    metadata = metadata
