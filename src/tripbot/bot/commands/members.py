"""Joining and leaving: /join (/unirme) and /leave (/salir); someone who leaves with money
open is shown where they stand and offered to settle first. Organizers add a person without an
account by name: /guest (/invitado)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from tripbot.bot import service as store
from tripbot.bot.conversation import Again, Turn, button, command
from tripbot.bot.texts import word
from tripbot.events.schemas import EventJoin, EventOut, GuestCreate
from tripbot.ledger.schemas import Settlement
from tripbot.platform.errors import Conflict, Gone, InvalidInput, NotFound
from tripbot.platform.identity import SYSTEM


async def _accept_invitation(turn: Turn, given: str) -> None:
    """Accept an invitation by its code, or by the invitation link that ends with it."""
    code = given.rstrip("/").rsplit("/", 1)[-1]
    events = turn.services.events(turn.principal())
    try:
        invitation = await turn.call(events.preview_invitation, code)
    except (NotFound, InvalidInput, Gone):
        invitation = None
    if invitation is not None and not invitation.usable:
        # A used invitation of an event one is already in: nothing to do, say so kindly.
        try:
            membership = await turn.call(events.membership, invitation.event_id)
        except NotFound:
            membership = None
        if membership is not None:
            await turn.reply(
                turn.tr(
                    "You are already in {event}, as {role}: nothing more to do.",
                    event=invitation.event_name,
                    role=word(turn.language, membership.role),
                )
            )
            return
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
        joining = EventJoin(user_id=principal.require_user())
        await turn.call(turn.services.events(SYSTEM).add_member, bound, joining)
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


@command("guest", "invitado")
async def guest(turn: Turn) -> None:
    """Add a person without an account to the current event by name (organizers): the
    organizers then record their expenses and reserve gear for them."""
    event = await turn.current_event()
    try:
        data = GuestCreate(display_name=" ".join(turn.args))
    except ValidationError:
        await turn.reply(
            turn.tr(
                "Write the person's name after the command, up to 80 characters: "
                "/guest Pepa García."
            )
        )
        return
    principal = await turn.event_principal(event.id)
    added = await turn.call(turn.services.events(principal).add_guest, event.id, data)
    await turn.reply(
        turn.tr(
            "{name} (#{id}) is now in {event} without an account: organizers record their "
            "expenses and reserve gear for them. On the web, the event's page gives them a "
            "link to claim their place.",
            name=added.display_name,
            id=added.user_id,
            event=event.name,
        )
    )


@command("leave", "salir")
async def leave(turn: Turn) -> None:
    """Leave the current event, once confirmed; with money open, first where one stands."""
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    ledger = turn.services.ledger(principal)
    balances = await turn.call(ledger.balances, event.id)
    mine = Decimal(
        next((m.balance for m in balances.members if m.user_id == principal.user_id), "0")
    )
    leave_now = (turn.tr("Leave anyway") if mine else turn.tr("Yes, leave"), "leave-yes")
    stay = (turn.tr("No, stay"), "leave-no")
    if not mine:
        await turn.reply(
            turn.tr(
                "Leave {event}? You will no longer see its plans, gear and money here.",
                event=event.name,
            ),
            [[(label, turn.mine(prefix, event.id)) for label, prefix in (leave_now, stay)]],
        )
        return
    settlement = await turn.call(ledger.settlement, event.id)
    lines = [
        standing(turn, event.name, mine, balances.currency),
        *transfer_lines(turn, settlement, principal.user_id or 0),
        turn.tr(
            "If you leave, you will still see this with /balance and still receive or owe it. "
            "Settle first?"
        ),
    ]
    await turn.reply(
        "\n".join(lines),
        [
            [(turn.tr("Settle first"), turn.mine("leave-settle", event.id))],
            [(label, turn.mine(prefix, event.id)) for label, prefix in (leave_now, stay)],
        ],
    )


def standing(turn: Turn, event: str, balance: Decimal, currency: str) -> str:
    """What someone is owed or owes in an event, in words."""
    shown = turn.money(abs(balance), currency)
    if balance > 0:
        return turn.tr("In {event} you are owed {amount}.", event=event, amount=shown)
    if balance < 0:
        return turn.tr("In {event} you owe {amount}.", event=event, amount=shown)
    return turn.tr("In {event} you are even: you owe nothing and nobody owes you.", event=event)


def transfer_lines(turn: Turn, settlement: Settlement, me: int) -> list[str]:
    """The suggested transfers, "you" for the asker, their own marked."""

    def name(party: int | str, shown: str) -> str:
        if party == me:
            return turn.tr("You")
        return turn.tr("the treasury") if party == "treasury" else shown

    lines = []
    for transfer in settlement.transfers:
        line = turn.tr(
            "{payer} → {payee}: {amount}",
            payer=name(transfer.payer.party, transfer.payer.name),
            payee=name(transfer.payee.party, transfer.payee.name),
            amount=turn.money(transfer.amount, settlement.currency),
        )
        yours = me in (transfer.payer.party, transfer.payee.party)
        lines.append(("👉 " if yours else "• ") + line)
    return lines


@button("leave-settle", mine=True)
async def leave_settle_first(turn: Turn) -> None:
    """Settle before leaving: the transfers, and how they get recorded."""
    event_id = int(turn.args[0])
    turn.chosen_event = event_id
    event: EventOut = await turn.current_event()
    principal = await turn.event_principal(event_id)
    settlement = await turn.call(turn.services.ledger(principal).settlement, event_id)
    mine = [
        line
        for line in transfer_lines(turn, settlement, principal.user_id or 0)
        if line.startswith("👉")
    ]
    await turn.offer(
        "\n".join(
            [
                turn.tr("To settle {event}:", event=event.name),
                *mine,
                turn.tr(
                    "Pay or collect these, and ask an organizer to record the settle-up (on the "
                    "web: the event's money, Settle up). Then /leave again."
                ),
            ]
        ),
        [(turn.tr("Who pays whom"), Again("settle", (), event_id))],
        cancel=False,
    )


@button("leave-yes", mine=True)
async def leave_confirmed(turn: Turn) -> None:
    """Leave the event; the last owner is told to name another owner first."""
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


@button("leave-no", mine=True)
async def leave_cancelled(turn: Turn) -> None:
    """Stay in the event."""
    await turn.reply(turn.tr("Good: you stay in the event."))
