"""Following another service's change feed: its changes handed to a handler in order, the
cursor kept in the follower's own database, so a follower that was down catches up.

Handlers must be idempotent: the cursor moves after the handler's own transaction committed,
so a crash between the two hands the same change over again.

When a service runs as several processes (worker processes, replicas), every one starts its
followers, but only the one holding the follower's lease (``tripbot.platform.lease``) runs the
rounds; if it dies, another takes the lease at its next round.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select, update

from tripbot.platform.client import ServiceClient
from tripbot.platform.db import Database
from tripbot.platform.errors import DomainError
from tripbot.platform.lease import Lease, lease_for
from tripbot.platform.logging import get_logger
from tripbot.platform.metrics import FEED_LAG_SECONDS, observe_feed_lag, set_feed_leader
from tripbot.platform.outbox import FeedEntry, FeedPage, FeedQuery

log = get_logger("tripbot.follow")
PAGE = 200


def feed_cursor_table(metadata: MetaData) -> Table:
    """Where a service keeps how far it has followed other services' feeds.

    The services' migrations create it from this declaration (see ``outbox_table``).
    """
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
    """Hands the changes of ``source``'s feed whose topic is in ``topics`` to ``handle``."""

    def __init__(
        self,
        source: ServiceClient,
        database: Database,
        cursors: Table,
        topics: Collection[str],
        handle: Callable[[FeedEntry], None],
        *,
        reader: str = "unknown",
        lease: Lease | None = None,
    ) -> None:
        self.source = source
        self.database = database
        self.cursors = cursors
        self.topics = frozenset(topics)
        self.handle = handle
        self.reader = reader
        self.lease = lease or lease_for(database, f"follow-{reader}-{source.service}")
        self._stop = threading.Event()
        self._caught_up_at = time.monotonic()

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
        try:
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
                    self._observe(page.latest - position)
                    return handled
        except Exception:
            self._observe(None)
            raise

    def _observe(self, behind: int | None) -> None:
        """Export the lag after a round (``None``: the round failed, the lag in changes is
        unknown and the seconds go on counting)."""
        now = time.monotonic()
        if behind == 0:
            self._caught_up_at = now
        if behind is not None:
            observe_feed_lag(self.reader, self.source.service, behind, now - self._caught_up_at)
        else:
            FEED_LAG_SECONDS.labels(self.reader, self.source.service).set(now - self._caught_up_at)

    def start(self, interval: float) -> threading.Thread:
        """Follow in a background thread, a round every ``interval`` seconds while this process
        holds the lease, until stopped."""

        def follow() -> None:
            leading = False
            set_feed_leader(self.reader, self.source.service, False)
            try:
                while not self._stop.is_set():
                    leading = self._round(leading)
                    self._stop.wait(interval)
            finally:
                self.lease.release()
                set_feed_leader(self.reader, self.source.service, False)

        thread = threading.Thread(target=follow, name=f"follow-{self.source.service}", daemon=True)
        thread.start()
        return thread

    def _round(self, leading: bool) -> bool:
        """One round if this process holds the lease; whether it does."""
        try:
            holds = self.lease.acquire()
        except Exception:  # the lease's database is away: not leading this round
            log.exception("follow.lease_failed", source=self.source.service)
            holds = False
        if holds != leading:
            said = "follow.leading" if holds else "follow.standing_by"
            log.info(said, reader=self.reader, source=self.source.service)
            set_feed_leader(self.reader, self.source.service, holds)
        if not holds:
            return False
        try:
            self.run_once()
        except DomainError as error:  # the source is away: try again next round
            log.warning("follow.unavailable", source=self.source.service, detail=str(error))
        except Exception:
            log.exception("follow.failed", source=self.source.service)
        return True

    def stop(self) -> None:
        """Stop the background rounds (the lease is released as the thread ends)."""
        self._stop.set()
