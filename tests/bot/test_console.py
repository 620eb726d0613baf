"""``tripbot bot console`` as a person uses it: lines in, the bot's answers out, edits and
private notices included (the real handlers, the services real)."""

from __future__ import annotations

import asyncio
import io

import httpx

from tests.bot.act_world import a_trip, entries, linked, names_of
from tripbot.bot.console import chat
from tripbot.bot.conversation import BotRuntime
from tripbot.events.schemas import UserLookup, UserOut
from tripbot.platform.db import Database
from tripbot.platform.identity import SYSTEM
from tripbot.system import System


def test_ticking_people_on_an_expense_shows_the_message_changing(
    http: httpx.Client, system: System, bot_database: Database
) -> None:
    owner, _ = linked(http, system, "es")
    event = a_trip(http, owner)
    name = names_of(http, event, owner)[owner.id]
    services = system.gateway.extensions["tripbot.services"]
    account: UserOut = services.events(SYSTEM).user_by_email(UserLookup(email=owner.email))
    runtime = BotRuntime(system.settings, services, bot_database)
    lines = iter(["/gasto 12,40 pan", name, name, name, "Listo"])
    out = io.StringIO()

    asyncio.run(
        chat(
            runtime,
            account,
            language="es",
            group=False,
            read_line=lambda: next(lines, None),
            out=out,
        )
    )

    printed = out.getvalue()
    assert printed.count("✎ 12,40\xa0€ en pan, pagado por ti.") == 3  # ticked, unticked, ticked
    assert f"[✓ {name}]" in printed
    assert "Apuntado en Travesía de Picos: pan, 12,40\xa0€" in printed
    assert [e["amount"] for e in entries(http, event, owner)] == ["12.40"]


def test_a_button_with_an_amount_is_pressed_by_typing_it_with_plain_spaces(
    http: httpx.Client, system: System, bot_database: Database
) -> None:
    owner, _ = linked(http, system, "es")
    event = a_trip(http, owner)
    services = system.gateway.extensions["tripbot.services"]
    account: UserOut = services.events(SYSTEM).user_by_email(UserLookup(email=owner.email))
    runtime = BotRuntime(system.settings, services, bot_database)
    lines = iter(["/gasto 1.000 alquiler", "1,00 €", "Todos"])
    out = io.StringIO()

    asyncio.run(
        chat(
            runtime,
            account,
            language="es",
            group=False,
            read_line=lambda: next(lines, None),
            out=out,
        )
    )

    assert "[1.000,00\xa0€] [1,00\xa0€] [Cancelar]" in out.getvalue()
    assert [e["amount"] for e in entries(http, event, owner)] == ["1.00"]
