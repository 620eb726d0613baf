"""``tripbot bot console``: chat with the bot in a terminal, no Telegram at all.

Lines read from standard input become messages (or presses of the last message's buttons, by
label); the bot's answers are printed, buttons as ``[label]``. The handlers are the real ones,
over the same fake Telegram transport the tests use; TripBot's services are the real ones too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, TextIO

from tripbot.bot.app import build_application
from tripbot.bot.conversation import BotRuntime
from tripbot.bot.transport import FakeTelegram, Sent, TelegramUser, Updates
from tripbot.events.schemas import UserOut

CONSOLE_TOKEN = "0:console"  # noqa: S105 - the fake transport never checks it
CONSOLE_USER_BASE = 4_000_000_000_000
"""Telegram ids of console people: above every real Telegram id today (about 10**10) and below
the 2**52 Telegram allows, so the console never acts as someone's real Telegram account."""
GROUP_CHAT = -1_000_000_000_001


SHOWN = ("send", "editMessage", "answerCallbackQuery")
"""The Bot API calls a person sees: messages, messages changed in place, notices to them."""


def render(sent: Sent) -> str:
    """A message of the bot as the console prints it (a changed one marked ✎, a notice only
    the presser sees marked ⓘ)."""
    lines = []
    if sent.method == "answerCallbackQuery":
        return f"ⓘ {sent.text}"
    if sent.method.startswith("editMessage"):
        lines.append(f"✎ {sent.text}")
    elif sent.method == "sendLocation":
        lines.append(f"📍 {sent.params['latitude']}, {sent.params['longitude']}")
    elif sent.method == "sendDocument":
        for filename, content in sent.files.values():
            lines.append(f"📎 {filename} ({len(content)} bytes)")
        if sent.text:
            lines.append(sent.text)
    else:
        lines.append(sent.text)
    if sent.buttons:
        lines.append(" ".join(f"[{label}]" for label, _data in sent.buttons))
    return "\n".join(lines)


def _label(sent: Sent | None, typed: str) -> str | None:
    """The button a typed line presses: its label, with or without the tick of a chosen one."""
    # Labels of amounts have no-break spaces ("1,00\u00a0€"); a terminal types plain ones.
    labels = {label.replace("\u00a0", " "): label for label, _ in (sent.buttons if sent else [])}
    for label in (typed, f"✓ {typed}"):
        if label in labels:
            return labels[label]
    return None


async def chat(
    runtime: BotRuntime,
    account: UserOut,
    *,
    language: str,
    group: bool,
    read_line: Callable[[], str | None],
    out: TextIO,
) -> None:
    """Read lines and print the bot's answers until the input ends."""
    telegram = FakeTelegram()
    application = build_application(
        runtime, token=CONSOLE_TOKEN, request=telegram, limits=False, notifications=False
    )
    person = TelegramUser(CONSOLE_USER_BASE + account.id, account.display_name, language)
    runtime.linked_accounts[person.id] = account
    chat_id = GROUP_CHAT if group else person.id
    # Update ids above Telegram's own (about 10**9) and growing across runs: never "duplicates".
    updates = Updates(application.bot, first_update_id=int(time.time() * 1000))
    last_with_buttons: Sent | None = None
    await application.initialize()
    try:
        while (line := await asyncio.to_thread(read_line)) is not None:
            text = line.strip()
            if not text:
                continue
            before = len(telegram.sent)
            label = _label(last_with_buttons, text.strip("[]"))
            if last_with_buttons is not None and label is not None:
                update: Any = updates.press(person, last_with_buttons, label)
            else:
                update = updates.message(person, text, chat_id=chat_id)
            await application.process_update(update)
            for sent in telegram.sent[before:]:
                if not sent.method.startswith(SHOWN) or (
                    sent.method == "answerCallbackQuery" and not sent.text
                ):
                    continue
                print(render(sent), file=out, flush=True)
                if sent.buttons:
                    last_with_buttons = sent
    finally:
        await application.shutdown()
