"""What the bot's own HTTP interface answers: its chat bindings and how far it has read."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class BindingQuery(BaseModel):
    """Which event's chat bindings to list."""

    event_id: int = Field(ge=1, le=2**31 - 1)


class BindingOut(BaseModel):
    """A chat that follows an event."""

    chat_id: int
    event_id: int
    chat_title: str
    bound_at: datetime


class BotStatus(BaseModel):
    """The bot's state for operators: bindings, feed cursors, remembered update ids."""

    bindings: int
    cursors: dict[str, int]
    remembered_updates: int
