"""Questions: /route /plan /today /now /next /gear /mygear /balance /settle."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tripbot.agenda.schemas import ActivityQuery, NowQuery
from tripbot.bot import formats
from tripbot.bot import service as store
from tripbot.bot.commands.days import club_today, typed_days, usable_days
from tripbot.bot.conversation import Turn, button, command
from tripbot.bot.reading import Days
from tripbot.bot.refusals import flag_text
from tripbot.bot.texts import marked
from tripbot.events.schemas import EventOut
from tripbot.gear.schemas import (
    ItemOut,
    ItemQuery,
    LoanOut,
    LoanQuery,
    ReservationOut,
    ReservationQuery,
)
from tripbot.platform.errors import NotFound
from tripbot.platform.identity import Principal
from tripbot.routes.schemas import RouteOut, RouteQuery, RouteSummary

ROUTES_SHOWN = 5
ITEMS_SHOWN = 15
LABEL_CHARS = 28
"""Route names are cut to this length on buttons, where long labels get clipped anyway."""
SEARCH_CHARS = 100
"""The longest search the gear service takes (the routes service takes 200)."""

SHAPES = {
    "circular": marked("circular"),
    "out-and-back": marked("out and back"),
    "one-way": marked("one way"),
}

ROUTE_USAGE = marked(
    "Tell me what to look for: /route <words>, e.g. /route cares. I search route names, "
    "regions, codes such as PR-AS 123 and descriptions."
)
GEAR_USAGE = marked(
    "Ask like this: /gear <what> [days], e.g. /gear tent from 12/05 to 14/05. Days: 12/05, "
    "12 May, tomorrow, Saturday, from 12 to 14 May (the current event's days, or today, if you "
    "give none)."
)


# ---- routes ----------------------------------------------------------------------------------


def _hours(minutes: int | None) -> str:
    return "—" if minutes is None else f"{minutes // 60}:{minutes % 60:02d} h"


def _metres(turn: Turn, value: float | None) -> str:
    return "?" if value is None else f"{turn.number(round(value), 0)} m"


def _stats(turn: Turn, route: RouteSummary) -> str:
    effort = route.mide.esfuerzo
    return turn.tr(
        "{km} km · ↑ {ascent} · {time} · effort {effort}",
        km=turn.number(route.stats.distance_m / 1000),
        ascent=_metres(turn, route.stats.ascent_m),
        time=_hours(route.stats.time_mide_min),
        effort=f"{effort}/5" if effort else "?",
    )


def _route_line(turn: Turn, position: int, route: RouteSummary) -> str:
    extras = ", ".join(part for part in (route.signage, route.region) if part)
    name = f"{route.name} ({extras})" if extras else route.name
    return f"{position}. {name}\n   {_stats(turn, route)}"


def _short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _route_buttons(turn: Turn, routes: list[RouteSummary]) -> list[list[tuple[str, str]]]:
    return [
        [
            (f"{position}. {_short(route.name)}", f"route:{route.id}"),
            (f"{position}. GPX", f"gpx:{route.id}"),
        ]
        for position, route in enumerate(routes, 1)
    ]


@command("route", "ruta")
async def route(turn: Turn) -> None:
    """Search the route catalogue: the first five with distance, ascent, MIDE time and effort."""
    words = " ".join(turn.args).strip()
    if not words or len(words) > 200:
        await turn.reply(turn.tr(ROUTE_USAGE))
        return
    routes = turn.services.routes(turn.principal())
    page = await turn.call(routes.search, RouteQuery(q=words, limit=ROUTES_SHOWN))
    if not page.items:
        await turn.reply(turn.tr("No route matches “{words}”.", words=words))
        return
    lines = [
        turn.tr(
            "Routes matching “{words}” ({shown} of {total}):",
            words=words,
            shown=len(page.items),
            total=page.total,
        )
    ]
    lines += [_route_line(turn, n, found) for n, found in enumerate(page.items, 1)]
    await turn.reply("\n".join(lines), _route_buttons(turn, page.items))


def _details(turn: Turn, found: RouteOut) -> str:
    stats, mide = found.stats, found.mide
    ratings = " · ".join(
        f"{label} {value}/5"
        for label, value in (
            (turn.tr("effort"), mide.esfuerzo),
            (turn.tr("environment"), mide.medio),
            (turn.tr("orientation"), mide.itinerario),
            (turn.tr("terrain"), mide.desplazamiento),
        )
        if value
    )
    lines = [
        found.name + (f" ({found.signage})" if found.signage else ""),
        found.region,
        turn.tr(
            "{km} km, {shape}, type {type}",
            km=turn.number(stats.distance_m / 1000),
            shape=turn.tr(SHAPES[stats.shape]),
            type=stats.suggested_type,
        ),
        turn.tr(
            "Ascent {ascent}, descent {descent}; from {low} to {high}",
            ascent=_metres(turn, stats.ascent_m),
            descent=_metres(turn, stats.descent_m),
            low=_metres(turn, stats.min_elevation_m),
            high=_metres(turn, stats.max_elevation_m),
        ),
        turn.tr("MIDE walking time: {time} (no breaks)", time=_hours(stats.time_mide_min)),
        turn.tr("MIDE: {ratings}", ratings=ratings or "—"),
        found.description[:500],
    ]
    return "\n".join(line for line in lines if line)


@button("route")
async def route_details(turn: Turn) -> None:
    """One route in detail, with its GPX button."""
    found = await turn.call(turn.services.routes(turn.principal()).route, int(turn.args[0]))
    await turn.reply(_details(turn, found), [[("GPX", f"gpx:{found.id}")]])


@button("gpx")
async def gpx(turn: Turn) -> None:
    """Send a route's track as a GPX file."""
    routes = turn.services.routes(turn.principal())
    route_id = int(turn.args[0])
    found = await turn.call(routes.route, route_id)
    content = (await turn.call(routes.gpx, route_id)).content
    slug = re.sub(r"[^\w-]+", "-", found.name.casefold()).strip("-") or f"route-{route_id}"
    await turn.context.bot.send_document(
        turn.chat_id,
        document=content,
        filename=f"{slug[:60]}.gpx",
        caption=f"{found.name}\n{_stats(turn, found)}",
    )


# ---- the excursion plan ------------------------------------------------------------------------


@command("plan")
async def plan(turn: Turn) -> None:
    """The current event's excursion plan: its routes, then where and when to meet."""
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    found = await turn.call(turn.services.routes(principal).plan, event.id)
    has_meeting = found.meeting_point or found.meeting_at or found.meeting_lat is not None
    if not found.routes and not has_meeting:
        await turn.reply(turn.tr("{event} has no excursion plan yet.", event=event.name))
        return
    lines = [turn.tr("Plan of {event}:", event=event.name)]
    routes = [planned.route for planned in found.routes]
    lines += [_route_line(turn, n, planned) for n, planned in enumerate(routes, 1)]
    if len(routes) > 1:
        lines.append(
            turn.tr(
                "In all: {km} km · ↑ {ascent} · {time}",
                km=turn.number(found.total_distance_m / 1000),
                ascent=_metres(turn, found.total_ascent_m),
                time=_hours(found.total_time_mide_min),
            )
        )
    if found.capacity:
        lines.append(turn.tr("Places: {capacity}", capacity=found.capacity))
    if found.notes:
        lines.append(found.notes[:500])
    await turn.reply("\n".join(lines), _route_buttons(turn, routes))
    if found.meeting_lat is not None and found.meeting_lon is not None:
        await turn.context.bot.send_location(
            turn.chat_id, latitude=found.meeting_lat, longitude=found.meeting_lon
        )
    if has_meeting:
        await turn.reply(
            turn.tr(
                "Meeting point: {place}\nTime: {time} ({zone})",
                place=found.meeting_point
                or (turn.tr("see the pin above") if found.meeting_lat is not None else "—"),
                time=turn.when(found.meeting_at, event.timezone) if found.meeting_at else "—",
                zone=formats.zone_name(turn.language, event.timezone),
            )
        )


# ---- the agenda ---------------------------------------------------------------------------------


@command("today", "hoy")
async def today(turn: Turn) -> None:
    """Today's timetable of the current event, in its time zone."""
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    day = datetime.now(ZoneInfo(event.timezone)).date()
    activities = await turn.call(
        turn.services.agenda(principal).activities, event.id, ActivityQuery(day=day)
    )
    when = formats.long_day(turn.language, day)
    if not activities:
        await turn.reply(
            turn.tr(
                "Nothing on the timetable of {event} today ({day}). /next tells what comes next.",
                event=event.name,
                day=when,
            )
        )
        return
    lines = [turn.tr("{event}, {day}:", event=event.name, day=when)]
    for activity in activities:
        span = (
            f"{turn.clock(activity.starts_at, event.timezone)}\u2013"
            f"{turn.clock(activity.ends_at, event.timezone)}"
        )
        line = f"{span} {activity.title}"
        if activity.place_name:
            line += f" · {activity.place_name}"
        if activity.people:
            line += " · " + ", ".join(person.display_name for person in activity.people)
        if activity.status == "cancelled":
            line = turn.tr("{activity} (cancelled)", activity=line)
        lines.append(line)
    await turn.reply("\n".join(lines))


@command("now", "ahora")
async def now(turn: Turn) -> None:
    """What is on right now at the current event, and what comes right after."""
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    agenda = await turn.call(turn.services.agenda(principal).now, event.id, NowQuery(limit=1))
    zone = agenda.timezone
    if agenda.now:
        lines = [turn.tr("Now at {event}:", event=event.name)]
        lines += [
            turn.tr(
                "{title} until {end}{place}",
                title=activity.title,
                end=turn.clock(activity.ends_at, zone),
                place=f" · {activity.place_name}" if activity.place_name else "",
            )
            for activity in agenda.now
        ]
    else:
        lines = [turn.tr("Nothing on right now at {event}.", event=event.name)]
    for activity in agenda.next[:1]:
        lines.append(
            turn.tr(
                "Then: {title}, {when}",
                title=activity.title,
                when=turn.when(activity.starts_at, zone),
            )
        )
    await turn.reply("\n".join(lines))


@command("next", "siguiente")
async def next_(turn: Turn) -> None:
    """The next activities of the current event."""
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    agenda = await turn.call(turn.services.agenda(principal).now, event.id, NowQuery(limit=3))
    if not agenda.next:
        await turn.reply(turn.tr("Nothing more on the timetable of {event}.", event=event.name))
        return
    lines = [turn.tr("Next at {event}:", event=event.name)]
    for activity in agenda.next:
        line = f"{turn.when(activity.starts_at, agenda.timezone)} {activity.title}"
        lines.append(line + (f" · {activity.place_name}" if activity.place_name else ""))
    await turn.reply("\n".join(lines))


# ---- gear ---------------------------------------------------------------------------------------


async def _obvious_event(turn: Turn, principal: Principal) -> EventOut | None:
    """The event this chat follows, or the person's only upcoming one; never asks."""
    events = turn.services.events(principal)
    bound = await turn.call(store.bound_event, turn.runtime.unit_of_work(), turn.chat_id)
    if bound is not None:
        try:
            return await turn.call(events.event, bound)
        except NotFound:
            return None
    mine = await turn.call(events.events)
    upcoming = [e for e in mine if e.ends_at >= datetime.now(e.ends_at.tzinfo)]
    return upcoming[0] if len(upcoming) == 1 else None


def _gear_line(turn: Turn, item: ItemOut) -> str:
    free = item.availability.free if item.availability else item.in_service
    capacity = item.availability.capacity if item.availability else item.quantity
    mark = "✅" if free else "⛔"
    return turn.tr(
        "{mark} {name}: {free} free of {capacity}",
        mark=mark,
        name=item.name,
        free=free,
        capacity=capacity,
    )


def _window(typed: Days | None, event: EventOut | None, today: date) -> tuple[date, date]:
    """The days asked about; else the event's days in its time zone; else today."""
    if typed is not None:
        return typed.first, typed.last
    if event is not None:
        zone = ZoneInfo(event.timezone)
        return event.starts_at.astimezone(zone).date(), event.ends_at.astimezone(zone).date()
    return today, today


async def _free_gear(
    turn: Turn, principal: Principal, words: str, event: EventOut | None, days: tuple[date, date]
) -> list[ItemOut]:
    """The club's items matching the words, then the event's own, most free first."""
    client = turn.services.gear(principal)
    first, last = days
    queries = [ItemQuery(q=words or None, available_from=first, available_to=last)]
    if event is not None:
        queries.append(queries[0].model_copy(update={"event_id": event.id}))
    items = [item for query in queries for item in await turn.call(client.items, query)]
    items.sort(key=lambda item: (-(item.availability.free if item.availability else 0), item.name))
    return items


@command("gear", "material")
async def gear(turn: Turn) -> None:
    """What gear is free on some days: the club's and the current event's own."""
    principal = turn.principal()
    words, typed = typed_days(turn, GEAR_USAGE)
    search = " ".join(words).strip()
    if len(search) > SEARCH_CHARS:
        await turn.reply(turn.tr(GEAR_USAGE))
        return
    if typed is not None and not await usable_days(turn, words, typed):
        return
    event = await _obvious_event(turn, principal)
    days = _window(typed, event, club_today(turn))
    items = await _free_gear(turn, principal, search, event, days)
    if not items:
        await turn.reply(
            turn.tr("No gear matches “{words}”.", words=search)
            if search
            else turn.tr("There is no gear in the inventory yet.")
        )
        return
    lines = [turn.tr("Gear free {days}:", days=_days(turn, *days))]
    lines += [_gear_line(turn, item) for item in items[:ITEMS_SHOWN]]
    if len(items) > ITEMS_SHOWN:
        more = len(items) - ITEMS_SHOWN
        lines.append(turn.tr("… and {count} more: say what you need, e.g. /gear tent.", count=more))
    lines.append(turn.tr("To book some, use /reserve."))
    await turn.reply("\n".join(lines))


def _days(turn: Turn, first: date, last: date) -> str:
    if first == last:
        return turn.tr("on {day}", day=formats.day_in_year(turn.language, first))
    return turn.tr(
        "from {first} to {last}",
        first=formats.day(turn.language, first),
        last=formats.day_in_year(turn.language, last),
    )


def _short_day(turn: Turn, value: date) -> str:
    return formats.day(turn.language, value)


def _loan_line(turn: Turn, loan: LoanOut) -> str:
    what = f"{loan.quantity} x {loan.item_name}"
    if loan.unit_label:
        what += f" ({loan.unit_label})"
    line = f"• {what}, " + turn.tr("back by {day}", day=_short_day(turn, loan.due_date))
    return turn.tr("{loan} ⚠️ OVERDUE", loan=line) if loan.overdue else line


def _booking_line(turn: Turn, booking: ReservationOut) -> str:
    what = f"{booking.quantity} x {booking.item_name}"
    if booking.unit_label:
        what += f" ({booking.unit_label})"
    line = (
        f"• {what}, {_short_day(turn, booking.start_date)} → {_short_day(turn, booking.end_date)}"
    )
    if booking.event_name:
        line += f" · {booking.event_name}"
    if booking.flag:
        line += " " + turn.tr(
            "⚠️ cannot be served as booked: {why}", why=flag_text(turn.language, booking.flag)
        )
    return line


@command("mygear", "mimaterial")
async def mygear(turn: Turn) -> None:
    """The person's gear: what they have out (overdue marked) and what they reserved."""
    client = turn.services.gear(turn.principal())
    loans = await turn.call(client.loans, LoanQuery(state="out"))
    reserved = await turn.call(client.reservations, ReservationQuery(status="reserved"))
    if not loans and not reserved:
        await turn.reply(turn.tr("You have no gear out and nothing reserved."))
        return
    lines = []
    if loans:
        lines += [turn.tr("You have out:"), *(_loan_line(turn, loan) for loan in loans)]
    if reserved:
        lines += [turn.tr("Reserved:"), *(_booking_line(turn, booking) for booking in reserved)]
    await turn.reply("\n".join(lines))
