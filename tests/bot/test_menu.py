"""The "/" menu per language and kind of chat, as Telegram is told it (setMyCommands)."""

from __future__ import annotations

import json
from typing import Any

from tests.bot.conftest import BotDriver
from tripbot.bot import menu


def menus(bot: BotDriver) -> dict[tuple[str | None, str], list[tuple[str, str]]]:
    """What Telegram was told: (language, scope) → the commands and their descriptions."""
    bot.telegram.clear()
    bot.run(menu.publish(bot.application.bot))
    told: dict[tuple[str | None, str], list[tuple[str, str]]] = {}
    for call in bot.telegram.sent:
        assert call.method == "setMyCommands"
        scope: dict[str, Any] = _json(call.params["scope"])
        commands: list[dict[str, str]] = _json(call.params["commands"])
        key = (call.params.get("language_code"), scope["type"])
        told[key] = [(c["command"], c["description"]) for c in commands]
    return told


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_spanish_is_the_default_menu_with_the_spanish_commands(bot: BotDriver) -> None:
    told = menus(bot)
    assert set(told) == {
        (language, scope)
        for language in (None, "en")
        for scope in ("all_private_chats", "all_group_chats", "all_chat_administrators")
    }
    private = dict(told[None, "all_private_chats"])
    assert private["gasto"] == "Apuntar un gasto"
    assert {"saldo", "material", "liquidar", "reservar", "eventos"} <= set(private)
    assert not {"expense", "balance", "gear"} & set(private)
    english = dict(told["en", "all_private_chats"])
    assert english["expense"] == "Record an expense"
    assert "gasto" not in english


def test_groups_see_the_events_commands_and_administrators_also_set_the_group_up(
    bot: BotDriver,
) -> None:
    told = menus(bot)
    group = [name for name, _ in told[None, "all_group_chats"]]
    admins = [name for name, _ in told[None, "all_chat_administrators"]]
    assert "vincular" not in group
    assert {"vincular", "desvincular", "idioma"} <= set(admins)
    assert "mimaterial" not in group  # one's own gear is asked privately
    assert set(group) < set(admins)
