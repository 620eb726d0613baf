"""Who is asking, remembered for a few seconds: the gateway asks the events service who a bearer
token or a web session belongs to, and what that person's role in an event is, on almost every
request; the answers change rarely, so each is kept for ``TRIPBOT_IDENTITY_CACHE_SECONDS``.

Only answers that let someone in are kept (a refused token is asked about again), and never
longer than that lifetime: a token revoked, a session logged out or a member removed elsewhere
stops working within it. Sooner than that, everything is forgotten

- when this gateway process handles a request that may change something (any method but GET,
  HEAD and OPTIONS: a token revoked, a logout, a password or role changed, a member removed are
  all such requests), as that request ends, before its answer reaches the client;
- when the events service's feed announces that someone left an event, was removed from it or
  got another role, or that an event was deleted (read every second by a background thread
  of each gateway process; changes made through the bot or another gateway process reach this
  one that way).

An answer computed while such a change happened is not kept (each entry remembers the
generation it was asked in), so a request racing a revocation cannot bring the old answer back.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import Flask, current_app, request

from tripbot.platform.client import ServiceClient
from tripbot.platform.follow import read_feed_of
from tripbot.platform.logging import get_logger
from tripbot.platform.outbox import FeedQuery

T = TypeVar("T")
EXTENSION = "tripbot.identity_cache"
MAX_ENTRIES = 10_000
"""Entries kept at most; past it everything is dropped (a burst of distinct tokens must not grow
the gateway's memory without bound)."""
WATCH_INTERVAL = 1.0
"""Seconds between the background thread's reads of the events service's feed."""
WATCHED_TOPICS = frozenset(
    {"member.left", "member.removed", "member.role_changed", "event.deleted"}
)
"""Changes of the events feed after which a remembered role may be wrong."""
RETRY_AFTER = 10.0
"""Seconds before the watcher tries the feed again after failing to read it."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_log = get_logger("gateway.identity_cache")


def _secret_key(kind: str, secret: str) -> tuple[str, str]:
    """A key that does not keep the secret itself in memory longer than the request."""
    return kind, hashlib.sha256(secret.encode()).hexdigest()


class IdentityCache:
    """Answers about who is asking, each kept for ``seconds`` (0: not at all)."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        feed: Callable[[], ServiceClient] | None = None,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.feed = feed
        self._entries: dict[Hashable, tuple[float, int, object]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._watching_in: int | None = None  # the process id the watcher thread runs in
        self._cursor: int | None = None
        self._used_at = clock()
        self._retry_at = 0.0

    def person(self, kind: str, secret: str, resolve: Callable[[], T]) -> T:
        """Who a token or session (``kind``) belongs to, asked at most every few seconds."""
        return self._remembered(_secret_key(kind, secret), resolve)

    def role(
        self, user_id: int, instance_role: str | None, event_id: int, resolve: Callable[[], T]
    ) -> T:
        """A person's membership of an event, asked at most every few seconds."""
        return self._remembered(("role", user_id, instance_role, event_id), resolve)

    def close(self) -> None:
        """Stop reading the feed and keeping answers (the gateway is closing)."""
        self.feed, self.seconds = None, 0
        self.forget()

    def forget(self) -> None:
        """Forget every answer (something that may change them has happened)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def _remembered(self, key: Hashable, resolve: Callable[[], T]) -> T:
        if self.seconds <= 0:
            return resolve()
        now = self._used_at = self.clock()
        self._watch()
        with self._lock:
            found = self._entries.get(key)
            generation = self._generation
        if found is not None and found[0] > now and found[1] == generation:
            return found[2]  # type: ignore[return-value]
        answer = resolve()  # a refusal raises: nothing is kept
        with self._lock:
            if self._generation == generation:  # nothing changed while it was asked
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + self.seconds, generation, answer)
        return answer

    # ---- the events feed ------------------------------------------------------------------

    def _watch(self) -> None:
        """Start the feed's watcher in this process, once (again in a forked worker, or a while
        after it stopped on a failure)."""
        if self.feed is None or self._watching_in == os.getpid():
            return
        with self._lock:
            if self._watching_in == os.getpid() or self.clock() < self._retry_at:
                return
            self._watching_in, self._cursor = os.getpid(), None
        thread = threading.Thread(target=self._follow, name="identity-cache-feed", daemon=True)
        thread.start()

    def _follow(self) -> None:
        """Read the feed every second while the cache is used. Once nothing has been asked for
        longer than an answer lives, every answer has aged out: stop (the next question starts
        the watcher again), so an idle gateway, or one a test left behind, reads nothing. If
        the feed cannot be read, forget everything and stop for a while: answers kept in the
        meantime still age out."""
        while True:
            with self._lock:
                idle = self.clock() - self._used_at > self.seconds
            if idle:
                self._stop_watching(retry_after=0.0)
                return
            try:
                self.read_feed()
            except Exception:  # the events service is away, or this gateway was closed
                _log.warning("identity_cache.feed_unavailable", exc_info=True)
                self._stop_watching(retry_after=RETRY_AFTER)
                return
            time.sleep(WATCH_INTERVAL)

    def _stop_watching(self, retry_after: float) -> None:
        with self._lock:
            self._watching_in, self._cursor = None, None
            self._retry_at = self.clock() + retry_after
            self._generation += 1
            self._entries.clear()

    def read_feed(self) -> None:
        """Forget everything if the feed announced a change of membership since the last read
        (the first read only learns where the feed is)."""
        if self.feed is None:
            return
        source = self.feed()
        if self._cursor is None:
            self._cursor = read_feed_of(source, FeedQuery(after=0, limit=1)).latest
            self.forget()  # what was asked before the cursor was known is not vouched for
            return
        while True:
            page = read_feed_of(source, FeedQuery(after=self._cursor, limit=500))
            if any(entry.topic in WATCHED_TOPICS for entry in page.entries):
                self.forget()
            self._cursor = page.cursor
            if len(page.entries) < 500:
                return


def install(app: Flask, cache: IdentityCache) -> None:
    """Give the gateway its cache, forgotten as every request that may change something ends."""
    app.extensions[EXTENSION] = cache

    @app.teardown_request
    def _forget_after_changes(_error: BaseException | None) -> None:
        if request.method not in SAFE_METHODS:
            cache.forget()


def _cache() -> IdentityCache | None:
    found: IdentityCache | None = current_app.extensions.get(EXTENSION)
    return found


def person(kind: str, secret: str, resolve: Callable[[], T]) -> T:
    """Who a token or session belongs to, through the gateway's cache if it has one."""
    cache = _cache()
    return resolve() if cache is None else cache.person(kind, secret, resolve)


def role(
    user_id: int | None, instance_role: str | None, event_id: int, resolve: Callable[[], T]
) -> T:
    """Someone's membership of an event, through the gateway's cache if it has one."""
    cache = _cache()
    if cache is None or user_id is None:
        return resolve()
    return cache.role(user_id, instance_role, event_id, resolve)
