"""Linking, languages, help, and which event a chat follows: /start /help /lang /bind /unbind
/events /event."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pydantic import ValidationError

from tripbot.bot import formats
from tripbot.bot import service as store
from tripbot.bot.conversation import Turn, account_page, button, command, link_buttons
from tripbot.bot.refusals import Told
from tripbot.bot.texts import LANGUAGES, marked, t, word
from tripbot.events.schemas import EventOut, TelegramLinkCreate
from tripbot.platform.errors import Gone, InvalidInput, NotFound
from tripbot.platform.identity import EVENT_ROLE_RANK, SYSTEM

HELP = marked(
    "I am TripBot, your club's assistant. What I can do:\n"
    "/events: your events · /event: the event this chat follows\n"
    "/route <search>: routes with distance, ascent and time\n"
    "/plan: meeting point and time\n"
    "/today, /now, /next: the timetable\n"
    "/gear <what> [dates]: what gear is free · /mygear: what you have or reserved\n"
    "/reserve: reserve gear · /balance: your balance · /settle: who pays whom\n"
    "/expense 23.50 fuel: record an expense\n"
    "/join, /leave: join or leave the group's event\n"
    "/guest <name>: add someone without an account (organizers)\n"
    "/bind: make this group follow an event (organizers) · /lang es|en: language"
)


@command("start", "inicio")
async def start(turn: Turn) -> None:
    """Welcome someone; ``/start <code>`` links their Telegram account to their TripBot account."""
    if not turn.args:
        if turn.account is not None:
            await turn.reply(
                turn.tr("Hello {name}!", name=turn.account.display_name) + "\n\n" + turn.tr(HELP)
            )
            return
        greeting = turn.tr(
            "Hello! To use your events here, link your Telegram account: on the web, open "
            'your account page ({page}) and press "Link Telegram".',
            page=account_page(turn.runtime.settings),
        )
        await turn.reply(
            greeting + "\n\n" + turn.tr(HELP), link_buttons(turn.runtime.settings, turn.language)
        )
        return
    if turn.in_group:
        await turn.reply(turn.tr("Link your account in a private chat with me, not in a group."))
        return
    try:
        code = TelegramLinkCreate(code=turn.args[0], telegram_user_id=turn.telegram_user_id)
        link = await turn.call(turn.services.events(SYSTEM).link_telegram, code)
    except (NotFound, Gone, InvalidInput, ValidationError):
        await turn.reply(
            turn.tr(
                "That link code is unknown, used or expired (they last 10 minutes). On the web, "
                'press "Link Telegram" again and open the new link.'
            )
        )
        return
    turn.runtime.linked_accounts.pop(turn.telegram_user_id, None)
    await turn.reply(
        turn.tr(
            "Linked! Hello {name}: from now on I know you are {email}.",
            name=link.user.display_name,
            email=link.user.email,
        )
        + "\n\n"
        + turn.tr(HELP)
    )


@command("help", "ayuda")
async def help_(turn: Turn) -> None:
    """What the bot can do."""
    await turn.reply(turn.tr(HELP))


@command("lang", "idioma")
async def lang(turn: Turn) -> None:
    """Choose the language of this chat: ``/lang es`` or ``/lang en``."""
    choice = turn.args[0].lower() if turn.args else ""
    if choice not in LANGUAGES:
        await turn.reply(turn.tr("Say /lang es or /lang en."))
        return
    if turn.in_group:
        await _require_group_organizer(turn)
    await turn.call(store.choose_language, turn.runtime.unit_of_work(), turn.chat_id, choice)
    await turn.reply(t(choice, "From now on I speak English here."))


async def _require_group_organizer(turn: Turn) -> None:
    bound = await turn.call(store.bound_event, turn.runtime.unit_of_work(), turn.chat_id)
    if bound is None:
        return
    principal = await turn.event_principal(bound)
    if EVENT_ROLE_RANK[principal.event_role or ""] < EVENT_ROLE_RANK["organizer"]:
        raise Told(turn.tr("Only the event's organizers may change this group."))


def _start_day(turn: Turn, event: EventOut) -> str:
    local = event.starts_at.astimezone(ZoneInfo(event.timezone))
    return formats.day_in_year(turn.language, local.date())


def _event_lines(turn: Turn, event: EventOut) -> str:
    return turn.tr(
        "{name}\n{starts} → {ends} ({zone})\n{place}\nYour role: {role} · {members} members",
        name=event.name,
        starts=turn.when(event.starts_at, event.timezone),
        ends=turn.when(event.ends_at, event.timezone),
        zone=formats.zone_name(turn.language, event.timezone),
        place=event.place or "—",
        role=word(turn.language, event.my_role),
        members=event.member_count,
    )


@command("events", "eventos")
async def events(turn: Turn) -> None:
    """The person's events, with buttons to choose the one this chat follows."""
    found = await turn.call(turn.services.events(turn.principal()).events)
    if not found:
        await turn.reply(
            turn.tr("You are not in any event yet. Ask an organizer for an invitation.")
        )
        return
    lines = [f"• {event.name} ({_start_day(turn, event)})" for event in found]
    choosable = [e for e in found if not turn.in_group or _organizes(e)]
    await turn.reply(
        turn.tr("Your events:") + "\n" + "\n".join(lines),
        [[(event.name, turn.mine("use", event.id))] for event in choosable[:10]],
    )


def _organizes(event: EventOut) -> bool:
    return EVENT_ROLE_RANK.get(event.my_role, 0) >= EVENT_ROLE_RANK["organizer"]


@command("event", "evento")
async def event(turn: Turn) -> None:
    """The event this chat follows, in detail."""
    current = await turn.current_event()
    await turn.reply(_event_lines(turn, current))


@button("use", mine=True)
async def use(turn: Turn) -> None:
    """Make this chat follow the chosen event (in a group: organizers only)."""
    event_id = int(turn.args[0])
    principal = await turn.event_principal(event_id)
    if turn.in_group and EVENT_ROLE_RANK[principal.event_role or ""] < EVENT_ROLE_RANK["organizer"]:
        raise Told(turn.tr("Only the event's organizers may make a group follow it."))
    chosen = await turn.call(turn.services.events(principal).event, event_id)
    chat = turn.update.effective_chat
    title = (chat.title or "") if chat else ""
    await turn.call(
        store.bind_chat,
        turn.runtime.unit_of_work(),
        turn.chat_id,
        event_id,
        title,
        principal.user_id or 0,
    )
    if turn.in_group:
        await turn.reply(
            turn.tr(
                "This group now follows {name}: it gets its news, and commands here are about it.",
                name=chosen.name,
            )
        )
    else:
        await turn.reply(
            turn.tr("Now talking about {name}. I will tell you its news here.", name=chosen.name)
            + "\n\n"
            + _event_lines(turn, chosen)
        )


@command("bind", "vincular")
async def bind(turn: Turn) -> None:
    """Choose the event this group follows, from the events the organizer runs."""
    found = await turn.call(turn.services.events(turn.principal()).events)
    if turn.in_group:
        found = [e for e in found if _organizes(e)]
    if not found:
        await turn.reply(turn.tr("You organize no event that this group could follow."))
        return
    await turn.reply(
        turn.tr("Which event should this chat follow?"),
        [[(e.name, turn.mine("use", e.id))] for e in found[:10]],
    )


@command("unbind", "desvincular")
async def unbind(turn: Turn) -> None:
    """Stop this chat following its event."""
    if turn.in_group:
        await _require_group_organizer(turn)
    removed = await turn.call(store.unbind_chat, turn.runtime.unit_of_work(), turn.chat_id)
    await turn.reply(
        turn.tr("This chat no longer follows any event.")
        if removed
        else turn.tr("This chat did not follow any event.")
    )
