"""The bot's words in Spanish and English: a gettext catalogue (msgids are the English text)."""

from __future__ import annotations

from functools import cache

from babel.support import NullTranslations, Translations

from tripbot.bot import TRANSLATIONS

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
DOMAIN = "bot"


@cache
def _catalogue(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language], domain=DOMAIN)


def language_of(code: str | None) -> str:
    """The bot language for a Telegram or IETF language code (Spanish first, as our clubs are)."""
    prefix = (code or "").split("-")[0].split("_")[0].lower()
    return prefix if prefix in LANGUAGES else DEFAULT_LANGUAGE


def t(language: str, message: str, /, **values: object) -> str:
    """A message in a language, its ``{placeholders}`` filled."""
    text = _catalogue(language).gettext(message)
    return text.format(**values) if values else text


def tn(language: str, singular: str, plural: str, count: int, /, **values: object) -> str:
    """A message whose wording depends on a count; ``{count}`` is filled too."""
    text = _catalogue(language).ngettext(singular, plural, count)
    return text.format(count=count, **values)


def marked(message: str) -> str:
    """Mark a message for the catalogue where it is defined; translate it where it is used."""
    return message


WORDS: dict[str, str] = {
    "owner": marked("owner"),
    "organizer": marked("organizer"),
    "participant": marked("participant"),
    "purchase": marked("purchase"),
    "sale": marked("sale"),
    "investment": marked("investment"),
    "donation": marked("donation"),
    "sponsorship": marked("sponsorship"),
    "expense": marked("expense"),
    "transfer": marked("transfer"),
}
"""Domain words that arrive as values (roles, entry kinds), in the catalogue."""


def word(language: str, value: str) -> str:
    """A domain word (a role, an entry kind) in a language; unknown words as they are."""
    return t(language, WORDS[value]) if value in WORDS else value
