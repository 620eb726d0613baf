"""The "/" menu Telegram shows, per language and per kind of chat (``setMyCommands``).

Spanish is the default list (what anyone whose Telegram is not in English sees, as the bot
answers them in Spanish); English for Telegram set to English. Private chats get the personal
commands, groups the event's, and group administrators also the ones that set the group up.
"""

from __future__ import annotations

from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from tripbot.bot.conversation import COMMAND_NAMES
from tripbot.bot.texts import marked, t

DESCRIPTIONS = {
    "events": marked("Your events"),
    "event": marked("The event this chat follows"),
    "route": marked("Find a route"),
    "plan": marked("Meeting point and time"),
    "today": marked("Today's timetable"),
    "now": marked("What is on now"),
    "next": marked("What comes next"),
    "gear": marked("What gear is free"),
    "mygear": marked("Your gear"),
    "reserve": marked("Reserve gear"),
    "expense": marked("Record an expense"),
    "balance": marked("Your balance"),
    "settle": marked("Who pays whom"),
    "join": marked("Join this group's event"),
    "leave": marked("Leave the event"),
    "bind": marked("Make this group follow an event"),
    "unbind": marked("Stop this group following its event"),
    "lang": marked("Language: es or en"),
    "help": marked("What I can do"),
}
PRIVATE = (
    "events", "event", "route", "plan", "today", "now", "next", "gear", "mygear", "reserve",
    "expense", "balance", "settle", "join", "leave", "lang", "help",
)  # fmt: skip
GROUPS = (
    "event", "plan", "today", "now", "next", "gear", "reserve", "expense", "balance", "settle",
    "join", "leave", "help",
)  # fmt: skip
ADMINISTRATORS = (*GROUPS, "bind", "unbind", "lang")
SCOPES: tuple[tuple[BotCommandScope, tuple[str, ...]], ...] = (
    (BotCommandScopeAllPrivateChats(), PRIVATE),
    (BotCommandScopeAllGroupChats(), GROUPS),
    (BotCommandScopeAllChatAdministrators(), ADMINISTRATORS),
)
MENU_LANGUAGES = ((None, "es"), ("en", "en"))
"""Telegram's ``language_code`` of each list (None: everyone else) and the bot's language."""


def name_in(language: str, english: str) -> str:
    """A command's name in a language (its English one when it has no other, like /plan)."""
    if language == "en":
        return english
    others = [name for name, same in COMMAND_NAMES.items() if same == english and name != english]
    return others[0] if others else english


def commands(language: str, names: tuple[str, ...]) -> list[BotCommand]:
    """A menu's commands in a language."""
    return [BotCommand(name_in(language, name), t(language, DESCRIPTIONS[name])) for name in names]


async def publish(bot: Any) -> None:
    """Tell Telegram every menu: each kind of chat, in each language."""
    for code, language in MENU_LANGUAGES:
        for scope, names in SCOPES:
            await bot.set_my_commands(commands(language, names), scope=scope, language_code=code)
