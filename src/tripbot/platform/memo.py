"""Answers remembered for the rest of one request: a page asks who someone is, and what an event
is, once, however many use cases behind it need to know.

A memo lives while a request (or a bot's turn) is handled and is dropped with it, so nothing
outlives the change that would make it wrong; a write through a service's client forgets what
was remembered of that service, so a request that changes something and reads it again sees the
change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("tripbot_memo", default=None)


@contextmanager
def remembering() -> Iterator[None]:
    """Remember answers while the block runs (one request, one turn of the bot)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def start() -> object:
    """Start remembering for a request handled in hooks (give the token to :func:`stop`)."""
    return _memo.set({})


def stop(token: object) -> None:
    """Stop remembering what :func:`start` began."""
    try:
        _memo.reset(token)  # type: ignore[arg-type]
    except ValueError:  # ended in another context than it began: forget it all the same
        _memo.set(None)


def remembered(service: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The answer remembered under ``key`` for this request, computed the first time."""
    memo = _memo.get()
    if memo is None:
        return compute()
    try:
        found = memo[(service, key)]
    except KeyError:
        found = memo[(service, key)] = compute()
    except TypeError:  # an argument that cannot be a key (a mutable body): nothing to reuse
        return compute()
    return found  # type: ignore[no-any-return]


def forget(service: str) -> None:
    """Forget every answer of a service (it has just changed something)."""
    memo = _memo.get()
    if memo:
        for key in [key for key in memo if key[0] == service]:  # type: ignore[index]
            del memo[key]
