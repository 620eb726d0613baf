"""Following another service's change feed: its changes handed to a handler in order, the
cursor kept in the follower's own database, so a follower that was down catches up.

Handlers must be idempotent: the cursor moves after the handler's own transaction committed,
so a crash between the two hands the same change over again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select, update

from tripbot.platform.client import ServiceClient
from tripbot.platform.db import Database
from tripbot.platform.errors import DomainError
from tripbot.platform.logging import get_logger
from tripbot.platform.outbox import FeedEntry, FeedPage, FeedQuery

log = get_logger("tripbot.follow")
PAGE = 200


def feed_cursor_table(metadata: MetaData) -> Table:
    """Where a service keeps how far it has followed other services' feeds."""
    return Table(
        "feed_cursors",
        metadata,
        Column("source", String(40), primary_key=True),
        Column("position", BigInteger, nullable=False),
    )


def read_feed_of(source: ServiceClient, query: FeedQuery) -> FeedPage:
    """A page of a service's feed, read through its client (as TripBot itself)."""
    page: FeedPage = source.call(source.operations["feed"], query)
    return page


class FeedFollower:
    """Hands the changes of ``source``'s feed whose topic is in ``topics`` to ``handle``;
    ``source`` is the service's client acting as TripBot itself (the system principal)."""

    def __init__(
        self,
        source: ServiceClient,
        database: Database,
        cursors: Table,
        topics: Collection[str],
        handle: Callable[[FeedEntry], None],
    ) -> None:
        self.source = source
        self.database = database
        self.cursors = cursors
        self.topics = frozenset(topics)
        self.handle = handle
        self._stop = threading.Event()

    def position(self) -> int:
        """The last change handled (0: none yet)."""
        with self.database.engine.connect() as connection:
            found = connection.scalar(
                select(self.cursors.c.position).where(self.cursors.c.source == self.source.service)
            )
        return int(found or 0)

    def _advance(self, position: int) -> None:
        with self.database.engine.begin() as connection:
            moved = connection.execute(
                update(self.cursors)
                .where(self.cursors.c.source == self.source.service)
                .values(position=position)
            )
            if not moved.rowcount:
                connection.execute(
                    insert(self.cursors).values(source=self.source.service, position=position)
                )

    def run_once(self) -> int:
        """Handle every change since the cursor; the number handled."""
        position, handled = self.position(), 0
        while True:
            page = read_feed_of(self.source, FeedQuery(after=position, limit=PAGE))
            for entry in page.entries:
                if entry.topic in self.topics:
                    self.handle(entry)
                    handled += 1
                position = entry.id
            if page.entries:
                self._advance(position)
            if len(page.entries) < PAGE:
                return handled

    def start(self, interval: float) -> threading.Thread:
        """Follow in a background thread, a round every ``interval`` seconds, until stopped."""

        def follow() -> None:
            while not self._stop.is_set():
                try:
                    self.run_once()
                except DomainError as error:  # the source is away: try again next round
                    log.warning("follow.unavailable", source=self.source.service, detail=str(error))
                except Exception:
                    log.exception("follow.failed", source=self.source.service)
                self._stop.wait(interval)

        thread = threading.Thread(target=follow, name=f"follow-{self.source.service}", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop the background rounds."""
        self._stop.set()
