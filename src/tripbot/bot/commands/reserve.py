"""/reserve (/reservar): reserve gear, button after button: an item, the days, how many, then
confirm; a Cancel button at every step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tripbot.bot.commands.days import club_today, typed_days, usable_days
from tripbot.bot.commands.drafts import draft_of, drop, idempotency_key, is_organizer, keep
from tripbot.bot.conversation import Turn, button, command
from tripbot.bot.texts import marked, tn
from tripbot.events.schemas import EventOut
from tripbot.gear.schemas import ItemOut, ItemQuery, ReservationCreate, ReservationOut, WindowQuery
from tripbot.platform.errors import Conflict

RESERVE_USAGE = marked(
    "Reserve like this: /reserve [what] [days], e.g. /reserve tent from 12/05 to 14/05 (without "
    "days, the current event's)."
)
MAX_ITEM_BUTTONS = 10
MAX_DAY_BUTTONS = 7
MAX_QUANTITY_BUTTONS = 7
"""Quantities offered on buttons (1 to this, or what is free if less); more can be typed."""


@dataclass
class ReserveDraft:
    """A reservation being put together, button after button."""

    token: str
    event_id: int
    event_name: str
    for_event: bool
    days: list[date]
    items: dict[int, str]
    typed: bool = False
    """Whether the days were typed (else they are the event's)."""
    item_id: int = 0
    first: date | None = None
    last: date | None = None
    quantity: int = 0
    free: int = 0
    done: ReservationOut | None = None


def _days_left(turn: Turn, event: EventOut) -> list[date]:
    """The event's days from the club's today on, as many as one reservation may last."""
    zone = ZoneInfo(event.timezone)
    first = event.starts_at.astimezone(zone).date()
    last = event.ends_at.astimezone(zone).date()
    settings = turn.runtime.settings
    today = datetime.now(ZoneInfo(settings.gear_timezone)).date()
    first = max(first, today)
    count = min((last - first).days + 1, settings.gear_max_reservation_days)
    return [first + timedelta(days=n) for n in range(count)]


def _days_between(turn: Turn, first: date, last: date) -> list[date]:
    """Typed days from the club's today on."""
    first = max(first, club_today(turn))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _cancel(turn: Turn, draft: ReserveDraft) -> list[tuple[str, str]]:
    return [(turn.tr("Cancel"), turn.mine("rsv-no", draft.token))]


def _stale_reservation(turn: Turn) -> str:
    return turn.tr("That reservation is no longer in progress: start again with /reserve.")


def _reservation_in_progress(turn: Turn) -> ReserveDraft | None:
    """The draft a step's button belongs to, unless it is gone or already reserved."""
    draft = draft_of(turn, ReserveDraft)
    return draft if draft is not None and draft.done is None else None


@command("reserve", "reservar")
async def reserve(turn: Turn) -> None:
    """Reserve gear for the current event: an item, the days, how many, then confirm."""
    words, typed = typed_days(turn, RESERVE_USAGE)
    if typed is not None and not await usable_days(turn, words, typed):
        return
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    days = (
        _days_left(turn, event) if typed is None else _days_between(turn, typed.first, typed.last)
    )
    if not days:
        await turn.reply(
            turn.tr("{event} is over: there is no gear to reserve for it.", event=event.name)
            if typed is None
            else turn.tr("Those days are past: choose days from today on.")
        )
        return
    search = " ".join(words).strip()[:100] or None
    gear = turn.services.gear(principal)
    items: list[ItemOut] = []
    for owner in (event.id, None):
        query = ItemQuery(q=search, event_id=owner, available_from=days[0], available_to=days[-1])
        items += await turn.call(gear.items, query)
    if not items:
        await turn.reply(
            turn.tr('No gear matches "{search}".', search=search)
            if search
            else turn.tr("There is no gear to reserve yet.")
        )
        return
    draft = ReserveDraft(
        token=turn.token,
        event_id=event.id,
        event_name=event.name,
        for_event=is_organizer(principal.event_role),
        days=days,
        items={item.id: item.name for item in items},
        typed=typed is not None,
    )
    keep(turn, draft)
    if len(items) == 1:
        draft.item_id = items[0].id
        await _ask_days(turn, draft)
        return
    shown = items[:MAX_ITEM_BUTTONS]
    lines = [
        turn.tr(
            "• {item}: {free} of {total} free for the whole event",
            item=item.name,
            free=item.availability.free if item.availability else 0,
            total=item.in_service,
        )
        for item in shown
    ]
    more = (
        [turn.tr("…and {count} more: narrow it, e.g. /reserve tent", count=len(items) - len(shown))]
        if len(items) > len(shown)
        else []
    )
    await turn.reply(
        "\n".join(
            [
                turn.tr("What would you like to reserve for {event}?", event=event.name),
                *lines,
                *more,
            ]
        ),
        [
            *([(item.name, turn.mine("rsv-item", draft.token, item.id))] for item in shown),
            _cancel(turn, draft),
        ],
    )


async def _ask_days(turn: Turn, draft: ReserveDraft, intro: str = "") -> None:
    buttons = [
        [(turn.day(day), turn.mine("rsv-day", draft.token, f"{day:%Y%m%d}"))]
        for day in draft.days[:MAX_DAY_BUTTONS]
    ]
    if len(draft.days) > 1:
        everything = turn.tr("All those days") if draft.typed else turn.tr("The whole event")
        buttons.append([(everything, turn.mine("rsv-day", draft.token, "all"))])
    buttons.append(_cancel(turn, draft))
    question = turn.tr("{item}: for which days?", item=draft.items[draft.item_id])
    await turn.reply(f"{intro}\n{question}" if intro else question, buttons)


@button("rsv-item", mine=True)
async def reserve_item(turn: Turn) -> None:
    """The item was chosen: ask for the days."""
    draft = _reservation_in_progress(turn)
    item_id = int(turn.args[1]) if len(turn.args) > 1 and turn.args[1].isdigit() else 0
    if draft is None or item_id not in draft.items:
        await turn.reply(_stale_reservation(turn))
        return
    draft.item_id, draft.first, draft.last, draft.quantity = item_id, None, None, 0
    await _ask_days(turn, draft)


@button("rsv-day", mine=True)
async def reserve_days(turn: Turn) -> None:
    """The days were chosen: ask how many, up to what is free on every one of them."""
    draft = _reservation_in_progress(turn)
    if draft is None or not draft.item_id or len(turn.args) < 2:
        await turn.reply(_stale_reservation(turn))
        return
    if turn.args[1] == "all":
        first, last = draft.days[0], draft.days[-1]
    else:
        chosen = {f"{day:%Y%m%d}": day for day in draft.days}.get(turn.args[1])
        if chosen is None:
            await turn.reply(_stale_reservation(turn))
            return
        first = last = chosen
    gear = turn.services.gear(turn.principal())
    free = (
        await turn.call(
            gear.availability, draft.item_id, WindowQuery(available_from=first, available_to=last)
        )
    ).free
    item = draft.items[draft.item_id]
    if free < 1:
        await _ask_days(
            turn, draft, turn.tr("No {item} is free on every one of those days.", item=item)
        )
        return
    draft.first, draft.last, draft.quantity, draft.free = first, last, 0, free
    await _ask_quantity(turn, draft)


async def _ask_quantity(turn: Turn, draft: ReserveDraft, intro: str = "") -> None:
    """How many: a button for each up to what is free (7 at most), or a number typed."""
    item, free = draft.items[draft.item_id], draft.free
    question = tn(
        turn.language,
        "{item}: {count} is free. How many?",
        "{item}: {count} are free. How many? Press or type a number.",
        free,
        item=item,
    )
    if turn.in_group and free > MAX_QUANTITY_BUTTONS:
        question += " " + turn.tr("(In a group, answer this message to type it.)")
    numbers = [
        (str(n), turn.mine("rsv-qty", draft.token, n))
        for n in range(1, min(free, MAX_QUANTITY_BUTTONS) + 1)
    ]
    turn.expect_typed("rsv-qty", draft.token)
    await turn.reply(
        f"{intro}\n{question}" if intro else question,
        [numbers[:4], numbers[4:], _cancel(turn, draft)]
        if numbers[4:]
        else [numbers, _cancel(turn, draft)],
    )


def _span(turn: Turn, draft: ReserveDraft) -> str:
    assert draft.first is not None
    assert draft.last is not None
    if draft.first == draft.last:
        return turn.day(draft.first)
    return f"{turn.day(draft.first)} → {turn.day(draft.last)}"


@button("rsv-qty", mine=True)
async def reserve_quantity(turn: Turn) -> None:
    """How many was chosen: ask to confirm."""
    draft = _reservation_in_progress(turn)
    if draft is None or draft.first is None or len(turn.args) < 2:
        await turn.reply(_stale_reservation(turn))
        return
    typed = turn.args[1].strip()
    quantity = int(typed) if typed.isdigit() else 0
    if not 1 <= quantity <= draft.free:
        await _ask_quantity(
            turn,
            draft,
            tn(
                turn.language,
                "{typed} will not do: {count} is free.",
                "{typed} will not do: from 1 to {count} are free.",
                draft.free,
                typed=typed,
            ),
        )
        return
    draft.quantity = quantity
    whom = (
        turn.tr("for {event}", event=draft.event_name)
        if draft.for_event
        else turn.tr("for you, during {event}", event=draft.event_name)
    )
    await turn.reply(
        turn.tr(
            "Reserve {quantity} x {item}, {days}, {whom}?",
            quantity=quantity,
            item=draft.items[draft.item_id],
            days=_span(turn, draft),
            whom=whom,
        ),
        [[(turn.tr("Reserve"), turn.mine("rsv-yes", draft.token)), *_cancel(turn, draft)]],
    )


@button("rsv-yes", mine=True)
async def reserve_confirmed(turn: Turn) -> None:
    """Make the reservation (once, however often the button is pressed)."""
    draft = draft_of(turn, ReserveDraft)
    if draft is None or draft.first is None or draft.last is None or not draft.quantity:
        await turn.reply(_stale_reservation(turn))
        return
    item = draft.items[draft.item_id]
    if draft.done is not None:
        await turn.reply(
            turn.tr(
                "Already reserved: {quantity} x {item}, {days}.",
                quantity=draft.quantity,
                item=item,
                days=_span(turn, draft),
            )
        )
        return
    principal = await turn.event_principal(draft.event_id)
    request = ReservationCreate(
        item_id=draft.item_id,
        quantity=draft.quantity,
        start_date=draft.first,
        end_date=draft.last,
        event_id=draft.event_id if draft.for_event else None,
    )
    try:
        draft.done = await turn.call(
            turn.services.gear(principal).reserve,
            request,
            idempotency_key(turn, draft.token),
        )
    except Conflict as refused:
        free = int(refused.extensions.get("available", 0))
        await turn.reply(
            tn(
                turn.language,
                "Someone was faster: only {count} {item} is free on those days now. Start again "
                "with /reserve.",
                "Someone was faster: only {count} {item} are free on those days now. Start again "
                "with /reserve.",
                free,
                item=item,
            )
            if free
            else turn.tr(
                "Someone was faster: no {item} is free on those days any more. Start again with "
                "/reserve.",
                item=item,
            )
        )
        drop(turn, ReserveDraft)
        return
    await turn.reply(
        turn.tr(
            "Reserved: {quantity} x {item}, {days}. /mygear shows what you have reserved.",
            quantity=draft.quantity,
            item=item,
            days=_span(turn, draft),
        )
    )


@button("rsv-no", mine=True)
async def reserve_cancelled(turn: Turn) -> None:
    """Drop the reservation being put together."""
    if _reservation_in_progress(turn) is None:
        await turn.reply(_stale_reservation(turn))
        return
    drop(turn, ReserveDraft)
    await turn.reply(turn.tr("Fine: nothing reserved."))
