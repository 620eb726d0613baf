"""The language a request is answered in, and the catalogue that says problems in it.

Problem ``detail``s are written in English as ``Message`` templates; a service renders them in
the caller's language (``Accept-Language``), and every call it makes passes that language on.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from flask import g

import tripbot

LANGUAGES = ("en", "es")
"""The languages TripBot speaks; English is the source of every message."""

CATALOGUE_DIRECTORY = Path(tripbot.__file__).parent / "translations"
"""Where the compiled ``problems`` catalogues live (one per language)."""

_language: ContextVar[str | None] = ContextVar("tripbot_language", default=None)


def current_language() -> str | None:
    """The language of the request being answered (a Flask request's, else the context's)."""
    try:
        language = g.get("language")
    except RuntimeError:  # outside any Flask application context (the bot's handlers)
        language = None
    return language if language in LANGUAGES else _language.get()


@contextmanager
def speaking(language: str | None) -> Iterator[None]:
    """Answer in this language while the block runs (a bot's turn): calls made from it, also
    from threads started with the context, pass it on."""
    token = _language.set(language if language in LANGUAGES else None)
    try:
        yield
    finally:
        _language.reset(token)


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation("problems", CATALOGUE_DIRECTORY, languages=[language], fallback=True)


def translate(template: str, language: str | None) -> str:
    """A message template in a language (itself when the language or the message is unknown)."""
    if language is None or language == "en":
        return template
    return _catalogue(language).gettext(template)
