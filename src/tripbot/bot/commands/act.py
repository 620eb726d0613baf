"""Actions: /join /leave /reserve /expense (/gasto).

The guided conversations (/reserve, /expense) keep a draft in the asker's ``user_data`` under a
key per chat; their buttons carry the draft's token (the id of the command message). A press
whose draft is gone (the bot restarted, a newer conversation replaced it, or someone else pressed
it) is told to start again. Each draft's token also makes the idempotency key sent to the
service, so a press repeated or retried changes things once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision

from tripbot.bot import service as store
from tripbot.bot.conversation import Buttons, Turn, button, command, keyboard
from tripbot.bot.texts import marked, tn, word
from tripbot.events.schemas import EventOut
from tripbot.gear.schemas import ItemOut, ItemQuery, ReservationCreate, ReservationOut, WindowQuery
from tripbot.ledger.schemas import EntryCreate, EntryOut, Split, SplitPart
from tripbot.platform.errors import Conflict, Gone, InvalidInput, NotFound
from tripbot.platform.identity import EVENT_ROLE_RANK, SYSTEM

Draft = TypeVar("Draft", "ReserveDraft", "ExpenseDraft")

MAX_ITEM_BUTTONS = 10
MAX_DAY_BUTTONS = 7
MAX_QUANTITY_BUTTONS = 5
MAX_MEMBER_BUTTONS = 40
"""Beyond this many members, an expense is shared with everyone or split on the web."""
MAX_AMOUNT = Decimal(10) ** 9
MAX_DESCRIPTION = 200
_AMOUNT = re.compile(r"(\d{1,12})(?:[.,](\d{1,12}))?")
"""Digits with at most one decimal separator, a point or a comma: no sign, no grouping."""


def _command_token(turn: Turn) -> str:
    """The id of the command message: it names the conversation and its idempotency key."""
    message = turn.update.effective_message
    return str(message.message_id if message else turn.update.update_id)


def _idempotency_key(turn: Turn, token: str) -> str:
    return f"tg-{turn.chat_id}-{token}"


def _drafts(turn: Turn) -> dict[Any, Any]:
    drafts = turn.context.user_data
    return drafts if drafts is not None else {}


def _keep(turn: Turn, draft: ReserveDraft | ExpenseDraft) -> None:
    drafts = turn.context.user_data
    if drafts is not None:
        drafts[(type(draft).__name__, turn.chat_id)] = draft


def _draft(turn: Turn, kind: type[Draft]) -> Draft | None:
    """The asker's draft in this chat, if the pressed button belongs to it."""
    found = _drafts(turn).get((kind.__name__, turn.chat_id))
    if isinstance(found, kind) and turn.args and found.token == turn.args[0]:
        return found
    return None


def _drop(turn: Turn, kind: type[ReserveDraft | ExpenseDraft]) -> None:
    _drafts(turn).pop((kind.__name__, turn.chat_id), None)


async def _rewrite(turn: Turn, text: str, buttons: Buttons | None) -> None:
    """Change the message whose button was pressed (toggles), so the chat is not flooded."""
    query = turn.update.callback_query
    if query is not None and query.message is not None:
        await query.edit_message_text(text, reply_markup=keyboard(buttons))
    else:
        await turn.reply(text, buttons)


def _is_organizer(role: str | None) -> bool:
    return EVENT_ROLE_RANK.get(role or "", 0) >= EVENT_ROLE_RANK["organizer"]


# ---- /join and /leave ----------------------------------------------------------------------


async def _accept_invitation(turn: Turn, given: str) -> None:
    """Accept an invitation by its code, or by the invitation link that ends with it."""
    code = given.rstrip("/").rsplit("/", 1)[-1]
    events = turn.services.events(turn.principal())
    try:
        invitation = await turn.call(events.preview_invitation, code)
    except (NotFound, InvalidInput, Gone):
        invitation = None
    if invitation is None or not invitation.usable:
        await turn.reply(
            turn.tr(
                "That invitation is unknown, used up or expired. Ask an organizer for a new one."
            )
        )
        return
    membership = await turn.call(events.accept_invitation, code)
    await turn.reply(
        turn.tr(
            "Welcome to {event}! You are in as {role}; /event tells you more.",
            event=invitation.event_name,
            role=word(turn.language, membership.role),
        )
    )


@command("join", "unirme")
async def join(turn: Turn) -> None:
    """Join the event this group follows, as a participant; in a private chat, ``/join CODE``
    accepts an invitation (the code or the whole link)."""
    if not turn.in_group:
        if turn.args:
            await _accept_invitation(turn, turn.args[0])
            return
        await turn.reply(
            turn.tr(
                "You join an event in its Telegram group (write /join there), or here with the "
                "code of an invitation from one of its organizers: /join CODE."
            )
        )
        return
    principal = turn.principal()
    bound = await turn.call(store.bound_event, turn.runtime.unit_of_work(), turn.chat_id)
    if bound is None:
        await turn.reply(
            turn.tr(
                "This group follows no event yet: one of the event's organizers must run /bind "
                "here first."
            )
        )
        return
    try:
        membership = await turn.call(turn.services.events(principal).membership, bound)
    except NotFound:
        membership = None
    if membership is None:
        await turn.call(turn.services.events(SYSTEM).add_member, bound, principal.user_id or 0)
    event = await turn.call(turn.services.events(principal).event, bound)
    if membership is not None:
        await turn.reply(
            turn.tr(
                "You are already in {event}, as {role}.",
                event=event.name,
                role=word(turn.language, membership.role),
            )
        )
        return
    await turn.reply(
        turn.tr(
            "Welcome to {event}, {name}! You are in as a participant; /event tells you more.",
            event=event.name,
            name=turn.account.display_name if turn.account else "",
        )
    )


@command("leave", "salir")
async def leave(turn: Turn) -> None:
    """Leave the current event, once confirmed."""
    event = await turn.current_event()
    me = turn.principal().user_id
    await turn.reply(
        turn.tr(
            "Leave {event}? You will no longer see its plans, gear and money here.",
            event=event.name,
        ),
        [
            [
                (turn.tr("Yes, leave"), f"leave-yes:{event.id}:{me}"),
                (turn.tr("No, stay"), f"leave-no:{event.id}:{me}"),
            ]
        ],
    )


async def _asker_pressed(turn: Turn) -> bool:
    """Whether the person pressing is the one the buttons were for; tell others politely."""
    if len(turn.args) > 1 and str(turn.principal().user_id) == turn.args[1]:
        return True
    await turn.reply(turn.tr("These buttons are for the person who asked."))
    return False


@button("leave-yes")
async def leave_confirmed(turn: Turn) -> None:
    """Leave the event; the last owner is told to name another owner first."""
    if not await _asker_pressed(turn):
        return
    event_id = int(turn.args[0])
    principal = await turn.event_principal(event_id)
    event = await turn.call(turn.services.events(principal).event, event_id)
    try:
        await turn.call(
            turn.services.events(principal).remove_member, event_id, principal.user_id or 0
        )
    except Conflict:
        await turn.reply(
            turn.tr(
                "You are the last owner of {event}, so you cannot leave it yet: make someone "
                "else an owner on the web first.",
                event=event.name,
            )
        )
        return
    if not turn.in_group:
        # A private chat that followed the event would keep asking about an event one left.
        bound = await turn.call(store.bound_event, turn.runtime.unit_of_work(), turn.chat_id)
        if bound == event_id:
            await turn.call(store.unbind_chat, turn.runtime.unit_of_work(), turn.chat_id)
    await turn.reply(turn.tr("You left {event}. Have a good trip anyway!", event=event.name))


@button("leave-no")
async def leave_cancelled(turn: Turn) -> None:
    """Stay in the event."""
    if not await _asker_pressed(turn):
        return
    await turn.reply(turn.tr("Good: you stay in the event."))


# ---- /reserve ------------------------------------------------------------------------------


@dataclass
class ReserveDraft:
    """A reservation being put together, button after button."""

    token: str
    event_id: int
    event_name: str
    for_event: bool
    days: list[date]
    items: dict[int, str]
    item_id: int = 0
    first: date | None = None
    last: date | None = None
    quantity: int = 0
    done: ReservationOut | None = None


def _days_left(turn: Turn, event: EventOut) -> list[date]:
    """The event's days from the club's today on, as many as one reservation may last."""
    zone = ZoneInfo(event.timezone)
    first = event.starts_at.astimezone(zone).date()
    last = event.ends_at.astimezone(zone).date()
    settings = turn.runtime.settings
    today = datetime.now(ZoneInfo(settings.gear_timezone)).date()
    first = max(first, today)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return days[: settings.gear_max_reservation_days]


def _day(turn: Turn, day: date) -> str:
    return turn.day(day)


def _stale_reservation(turn: Turn) -> str:
    return turn.tr("That reservation is no longer in progress: start again with /reserve.")


def _reservation_in_progress(turn: Turn) -> ReserveDraft | None:
    """The draft a step's button belongs to, unless it is gone or already reserved."""
    draft = _draft(turn, ReserveDraft)
    return draft if draft is not None and draft.done is None else None


@command("reserve", "reservar")
async def reserve(turn: Turn) -> None:
    """Reserve gear for the current event: an item, the days, how many, then confirm."""
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    days = _days_left(turn, event)
    if not days:
        await turn.reply(
            turn.tr("{event} is over: there is no gear to reserve for it.", event=event.name)
        )
        return
    search = " ".join(turn.args).strip()[:100] or None
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
        token=_command_token(turn),
        event_id=event.id,
        event_name=event.name,
        for_event=_is_organizer(principal.event_role),
        days=days,
        items={item.id: item.name for item in items},
    )
    _keep(turn, draft)
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
        [[(item.name, f"rsv-item:{draft.token}:{item.id}")] for item in shown],
    )


async def _ask_days(turn: Turn, draft: ReserveDraft, intro: str = "") -> None:
    buttons = [
        [(_day(turn, day), f"rsv-day:{draft.token}:{day:%Y%m%d}")]
        for day in draft.days[:MAX_DAY_BUTTONS]
    ]
    if len(draft.days) > 1:
        buttons.append([(turn.tr("The whole event"), f"rsv-day:{draft.token}:all")])
    question = turn.tr("{item}: for which days?", item=draft.items[draft.item_id])
    await turn.reply(f"{intro}\n{question}" if intro else question, buttons)


@button("rsv-item")
async def reserve_item(turn: Turn) -> None:
    """The item was chosen: ask for the days."""
    draft = _reservation_in_progress(turn)
    item_id = int(turn.args[1]) if len(turn.args) > 1 and turn.args[1].isdigit() else 0
    if draft is None or item_id not in draft.items:
        await turn.reply(_stale_reservation(turn))
        return
    draft.item_id, draft.first, draft.last, draft.quantity = item_id, None, None, 0
    await _ask_days(turn, draft)


@button("rsv-day")
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
    draft.first, draft.last, draft.quantity = first, last, 0
    await turn.reply(
        tn(
            turn.language,
            "{item}: {count} is free. How many?",
            "{item}: {count} are free. How many?",
            free,
            item=item,
        ),
        [
            [
                (str(n), f"rsv-qty:{draft.token}:{n}")
                for n in range(1, min(free, MAX_QUANTITY_BUTTONS) + 1)
            ]
        ],
    )


def _span(turn: Turn, draft: ReserveDraft) -> str:
    assert draft.first is not None
    assert draft.last is not None
    if draft.first == draft.last:
        return _day(turn, draft.first)
    return f"{_day(turn, draft.first)} → {_day(turn, draft.last)}"


@button("rsv-qty")
async def reserve_quantity(turn: Turn) -> None:
    """How many was chosen: ask to confirm."""
    draft = _reservation_in_progress(turn)
    quantity = int(turn.args[1]) if len(turn.args) > 1 and turn.args[1].isdigit() else 0
    if draft is None or draft.first is None or not 1 <= quantity <= MAX_QUANTITY_BUTTONS:
        await turn.reply(_stale_reservation(turn))
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
        [
            [
                (turn.tr("Reserve"), f"rsv-yes:{draft.token}"),
                (turn.tr("Cancel"), f"rsv-no:{draft.token}"),
            ]
        ],
    )


@button("rsv-yes")
async def reserve_confirmed(turn: Turn) -> None:
    """Make the reservation (once, however often the button is pressed)."""
    draft = _draft(turn, ReserveDraft)
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
            _idempotency_key(turn, draft.token),
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
        _drop(turn, ReserveDraft)
        return
    await turn.reply(
        turn.tr(
            "Reserved: {quantity} x {item}, {days}. /mygear shows what you have reserved.",
            quantity=draft.quantity,
            item=item,
            days=_span(turn, draft),
        )
    )


@button("rsv-no")
async def reserve_cancelled(turn: Turn) -> None:
    """Drop the reservation being put together."""
    if _reservation_in_progress(turn) is None:
        await turn.reply(_stale_reservation(turn))
        return
    _drop(turn, ReserveDraft)
    await turn.reply(turn.tr("Fine: nothing reserved."))


# ---- /expense ------------------------------------------------------------------------------

EXPENSE_USAGE = marked(
    "Write the amount and what it was for, e.g. /expense 23.50 fuel (a comma works too: "
    "/expense 23,50 fuel)."
)


class BadAmount(ValueError):
    """The amount typed is not one the ledger can record; ``args[0]`` says why (a msgid)."""


def parse_amount(text: str) -> Decimal:
    """An amount as typed in a chat (``23.50`` or ``23,50``), exact; BadAmount if unusable."""
    found = _AMOUNT.fullmatch(text.strip())
    if found is None:
        raise BadAmount(marked("{amount} is not an amount of money."))
    whole, fraction = found.group(1), found.group(2) or ""
    amount = Decimal(f"{whole}.{fraction}" if fraction else whole)
    if amount <= 0:
        raise BadAmount(marked("The amount must be more than zero."))
    if amount > MAX_AMOUNT:
        raise BadAmount(marked("{amount} is more than the ledger takes in one entry."))
    return amount


@dataclass
class ExpenseDraft:
    """An expense waiting for who shares it."""

    token: str
    event_id: int
    event_name: str
    currency: str
    amount: Decimal
    description: str
    members: dict[int, str]
    chosen: set[int] = field(default_factory=set)
    done: EntryOut | None = None


def _stale_expense(turn: Turn) -> str:
    return turn.tr("That expense is no longer waiting: start again with /expense.")


def _expense_question(turn: Turn, draft: ExpenseDraft) -> tuple[str, Buttons]:
    text = turn.tr(
        "{amount} for {description}, paid by you. Who shares it? Tick the people and press "
        "Done, or press Everyone.",
        amount=turn.money(draft.amount, draft.currency),
        description=draft.description,
    )
    people = [
        (("✓ " if user_id in draft.chosen else "") + name, f"exp-who:{draft.token}:{user_id}")
        for user_id, name in list(draft.members.items())[:MAX_MEMBER_BUTTONS]
    ]
    rows: list[list[tuple[str, str]]] = [people[n : n + 2] for n in range(0, len(people), 2)]
    rows.append(
        [
            (turn.tr("Everyone"), f"exp-all:{draft.token}"),
            (turn.tr("Done"), f"exp-done:{draft.token}"),
        ]
    )
    return text, rows


@command("expense", "gasto")
async def expense(turn: Turn) -> None:
    """Record a shared expense the asker paid: ``/expense 23.50 fuel``; then who shares it."""
    description = " ".join(turn.args[1:]).strip()
    if not turn.args or not description:
        await turn.reply(turn.tr(EXPENSE_USAGE))
        return
    try:
        amount = parse_amount(turn.args[0])
    except BadAmount as bad:
        await turn.reply(turn.tr(bad.args[0], amount=turn.args[0]) + "\n" + turn.tr(EXPENSE_USAGE))
        return
    if len(description) > MAX_DESCRIPTION:
        await turn.reply(
            turn.tr("Describe it in at most {count} characters.", count=MAX_DESCRIPTION)
        )
        return
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    digits = get_currency_precision(event.currency)
    if max(0, -int(amount.as_tuple().exponent)) > digits:
        await turn.reply(
            tn(
                turn.language,
                "Amounts in {currency} have at most {count} decimal: {amount} has more.",
                "Amounts in {currency} have at most {count} decimals: {amount} has more.",
                digits,
                currency=event.currency,
                amount=turn.args[0],
            )
        )
        return
    members = await turn.call(turn.services.events(principal).members, event.id)
    draft = ExpenseDraft(
        token=_command_token(turn),
        event_id=event.id,
        event_name=event.name,
        currency=event.currency,
        amount=amount,
        description=description,
        members={member.user_id: member.display_name for member in members},
    )
    _keep(turn, draft)
    await turn.reply(*_expense_question(turn, draft))


@button("exp-who")
async def expense_toggle(turn: Turn) -> None:
    """Tick or untick someone who shares the expense."""
    draft = _draft(turn, ExpenseDraft)
    user_id = int(turn.args[1]) if len(turn.args) > 1 and turn.args[1].isdigit() else 0
    if draft is None or draft.done is not None or user_id not in draft.members:
        await turn.reply(_stale_expense(turn))
        return
    draft.chosen ^= {user_id}
    await _rewrite(turn, *_expense_question(turn, draft))


@button("exp-all")
async def expense_everyone(turn: Turn) -> None:
    """Record the expense shared equally among every member."""
    await _record_expense(turn, everyone=True)


@button("exp-done")
async def expense_done(turn: Turn) -> None:
    """Record the expense shared equally among the people ticked."""
    await _record_expense(turn, everyone=False)


async def _record_expense(turn: Turn, *, everyone: bool) -> None:
    draft = _draft(turn, ExpenseDraft)
    if draft is None:
        await turn.reply(_stale_expense(turn))
        return
    if draft.done is None:
        if not everyone and not draft.chosen:
            await turn.reply(turn.tr("Tick at least one person, or press Everyone."))
            return
        principal = await turn.event_principal(draft.event_id)
        entry = EntryCreate(description=draft.description, amount=str(draft.amount))
        if not everyone:
            # Left out, the split is the ledger's default: equally among every member.
            entry.split = Split(
                among=[SplitPart(user_id=user_id) for user_id in sorted(draft.chosen)]
            )
        ledger = turn.services.ledger(principal)
        draft.done = await turn.call(
            ledger.record_entry, draft.event_id, entry, _idempotency_key(turn, draft.token)
        )
        balances = await turn.call(ledger.balances, draft.event_id)
        mine = next((m.balance for m in balances.members if m.user_id == principal.user_id), "0")
        shared = len(draft.done.split.among) if draft.done.split else len(draft.members)
        await turn.reply(
            tn(
                turn.language,
                "Recorded in {event}: {description}, {amount}, paid by you, shared by {count} "
                "person.",
                "Recorded in {event}: {description}, {amount}, paid by you, shared by {count} "
                "people.",
                shared,
                event=draft.event_name,
                description=draft.done.description,
                amount=turn.money(draft.done.amount, draft.done.currency),
            )
            + "\n"
            + turn.tr(
                "Your balance: {balance} (positive: you are owed; negative: you owe).",
                balance=turn.money(mine, balances.currency),
            )
        )
        return
    await turn.reply(
        turn.tr(
            "Already recorded: {description}, {amount}.",
            description=draft.done.description,
            amount=turn.money(draft.done.amount, draft.done.currency),
        )
    )
