"""What no command took: a mistyped command, or plain words. Nobody is left without an answer
in a private chat; in a group the bot speaks only when a command was meant for it."""

from __future__ import annotations

import difflib

from telegram.ext import filters

from tripbot.bot.conversation import (
    COMMAND_NAMES,
    Again,
    Turn,
    account_page,
    link_buttons,
    message,
    typed_answer,
)
from tripbot.bot.menu import name_in
from tripbot.bot.texts import marked

SIMILAR = 0.75
"""How alike a typed word and a command's name must be to suggest it (difflib's ratio):
``gastos`` → ``gasto``, but not ``hola`` → ``hoy``."""

LIKELY = (
    ("events", marked("Your events")),
    ("balance", marked("Your balance")),
    ("gear", marked("What gear is free")),
    ("help", marked("Everything I can do")),
)
"""The commands offered to someone who wrote words rather than a command."""

CAN_DO = marked(
    "I answer commands, such as /events, /balance, /expense 23.50 fuel or /gear tent. "
    "Press a button, or /help for everything I can do."
)


def closest_command(word: str, language: str) -> str | None:
    """The command name nearest a typed word (one of its names in the asker's language when
    it has one), or None when none is near enough."""
    found = difflib.get_close_matches(word.casefold(), list(COMMAND_NAMES), n=1, cutoff=SIMILAR)
    if not found:
        return None
    english = COMMAND_NAMES[found[0]]
    return found[0] if language == "en" or found[0] != english else name_in(language, english)


async def _suggest(turn: Turn, typed: str, name: str, args: list[str]) -> None:
    written = " ".join([f"/{name}", *args])
    await turn.offer(
        turn.tr("Did you mean {command}?", command=written),
        [(written, Again(COMMAND_NAMES[name], tuple(args)))],
    )


async def _what_i_can_do(turn: Turn, intro: str) -> None:
    if turn.account is None:
        await turn.reply(
            "\n".join(
                line
                for line in (
                    intro,
                    turn.tr(
                        "First link your Telegram account to TripBot: on the web, open your "
                        'account page ({page}) and press "Link Telegram". /help tells what I '
                        "can do.",
                        page=account_page(turn.runtime.settings),
                    ),
                )
                if line
            ),
            link_buttons(turn.runtime.settings, turn.language),
        )
        return
    await turn.offer(
        "\n".join(line for line in (intro, turn.tr(CAN_DO)) if line),
        [(turn.tr(label), Again(name)) for name, label in LIKELY],
        cancel=False,
        columns=2,
    )


@message(filters.COMMAND, "unknown-command")
async def unknown_command(turn: Turn) -> None:
    """A command the bot does not have: the nearest one offered, or what it can do. In a
    group, only a command addressed to this bot (``/x@bot``) or near one of its own."""
    text = turn.update.effective_message.text if turn.update.effective_message else None
    words = (text or "").split()
    if not words:
        return
    typed, _, addressee = words[0][1:].partition("@")
    username = (turn.context.bot.username or "").casefold()
    if addressee and addressee.casefold() != username:
        return  # another bot's command
    name = closest_command(typed, turn.language)
    if name is None and turn.in_group and not addressee:
        return
    if name is not None:
        await _suggest(turn, typed, name, words[1:])
        return
    await _what_i_can_do(turn, turn.tr("I do not know /{command}.", command=typed))


@message(filters.TEXT & ~filters.COMMAND, "plain-text")
async def plain_text(turn: Turn) -> None:
    """Words, not a command: the answer to a question that asked for typing; else, in a private
    chat, the command they look like, or what the bot can do. Groups talk among themselves."""
    text = turn.update.effective_message.text if turn.update.effective_message else None
    if not text or await typed_answer(turn, text):
        return
    if turn.in_group:
        return
    words = text.split()
    name = closest_command(words[0].lstrip("/"), turn.language) if words else None
    if name is not None:
        await _suggest(turn, words[0], name, words[1:])
        return
    await _what_i_can_do(turn, "")
