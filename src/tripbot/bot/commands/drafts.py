"""The guided conversations' drafts (/reserve, /expense): kept per person and chat.

A draft lives in the asker's ``user_data`` under its kind and the chat; its buttons carry the
asker's Telegram id (only they may press them: ``button(..., mine=True)``) and the draft's
token (the id of the message that started it). A press whose draft is gone (the bot restarted,
a newer conversation replaced it) is told to start again. The token also makes the idempotency
key sent to the service, so a press repeated or retried changes things once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from tripbot.bot.conversation import Buttons, Turn, keyboard
from tripbot.platform.identity import EVENT_ROLE_RANK

Draft = TypeVar("Draft")


def idempotency_key(turn: Turn, token: str) -> str:
    """The key that makes a draft's change happen once."""
    return f"tg-{turn.chat_id}-{token}"


def _drafts(turn: Turn) -> dict[Any, Any]:
    drafts = turn.context.user_data
    return drafts if drafts is not None else {}


def keep(turn: Turn, draft: object) -> None:
    """Remember the asker's draft in this chat (replacing one of the same kind)."""
    drafts = turn.context.user_data
    if drafts is not None:
        drafts[(type(draft).__name__, turn.chat_id)] = draft


def draft_of(turn: Turn, kind: type[Draft]) -> Draft | None:
    """The asker's draft in this chat, if the pressed button belongs to it."""
    found = _drafts(turn).get((kind.__name__, turn.chat_id))
    token = getattr(found, "token", None)
    if isinstance(found, kind) and turn.args and token == turn.args[0]:
        return found
    return None


def drop(turn: Turn, kind: type) -> None:
    """Forget the asker's draft of a kind in this chat."""
    _drafts(turn).pop((kind.__name__, turn.chat_id), None)


async def rewrite(turn: Turn, text: str, buttons: Buttons | None) -> None:
    """Change the message whose button was pressed (toggles), so the chat is not flooded."""
    query = turn.update.callback_query
    if query is not None and query.message is not None:
        await query.edit_message_text(text, reply_markup=keyboard(buttons))
    else:
        await turn.reply(text, buttons)


def is_organizer(role: str | None) -> bool:
    """Whether an event role ranks as organizer or above."""
    return EVENT_ROLE_RANK.get(role or "", 0) >= EVENT_ROLE_RANK["organizer"]
