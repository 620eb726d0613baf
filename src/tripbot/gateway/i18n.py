"""The UI's languages: Spanish first, English second."""

from __future__ import annotations

from flask import request

LANGUAGES = ("es", "en")
LANGUAGE_COOKIE = "tripbot_lang"


def select_language() -> str:
    """The UI language: the person's choice, else the browser's preference, else Spanish."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "es"
