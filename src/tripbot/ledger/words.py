"""What the ledger writes itself is stored as a code and said in each reader's language."""

from __future__ import annotations

from tripbot.platform.errors import Message
from tripbot.platform.language import current_language

SETTLE_UP = "settle-up"
"""The code of the transfers a settle-up records."""

CODES: dict[str, Message] = {SETTLE_UP: Message("Settle-up payment")}
"""Each code's words (English; the catalogues translate them)."""


def described(description: str, code: str | None, language: str | None = None) -> str:
    """An entry's description as a reader sees it: what people wrote, else its code's words in
    the language of the request being answered (or the one given)."""
    if description or code is None:
        return description
    words = CODES.get(code)
    if words is None:
        return code
    return words.said_in(language if language is not None else current_language())
