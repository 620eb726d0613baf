"""Linking a person's account to Telegram from the web and the API: the bot's deep link."""

from __future__ import annotations

from urllib.parse import quote

from tripbot.gateway import auth
from tripbot.gateway.schemas import TelegramLinkStart
from tripbot.platform.web import current_settings


def deep_link(code: str) -> str | None:
    """The link that opens the bot with ``/start <code>``, or None without a bot username."""
    username = current_settings().bot_username
    if not username:
        return None
    return f"https://t.me/{username}?start={quote(code, safe='')}"


def start_linking() -> TelegramLinkStart:
    """A new link code for the logged-in person, with the deep link that sends it."""
    created = auth.events().create_telegram_link_code()
    return TelegramLinkStart(
        code=created.code, expires_at=created.expires_at, deep_link=deep_link(created.code)
    )
