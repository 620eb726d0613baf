"""Money: /balance (/saldo) and /settle (/liquidar), also for events one has left with money
still open (the ledger keeps them in its settlement; the person keeps seeing it here)."""

from __future__ import annotations

from decimal import Decimal

from tripbot.bot.commands.members import standing, transfer_lines
from tripbot.bot.conversation import Again, NoEvents, Turn, command
from tripbot.events.schemas import EventOut
from tripbot.ledger.schemas import OpenPosition, Settlement
from tripbot.platform.errors import DomainError
from tripbot.platform.identity import SYSTEM


async def _left_with_money(turn: Turn, current: EventOut | None) -> list[tuple[str, OpenPosition]]:
    """The events the person left with money open: each one's name and where they stand
    (in a private chat only: a group hears of its own event, not of one's other money)."""
    if turn.in_group:
        return []
    principal = turn.principal()
    positions = await turn.call(turn.services.ledger(principal).open_positions)
    others = [p for p in positions if current is None or p.event_id != current.id]
    if not others:
        return []
    member_of = {e.id for e in await turn.call(turn.services.events(principal).events)}
    left = [p for p in others if p.event_id not in member_of]
    named = []
    for position in left:
        try:
            # Only the person's own money is shown, so TripBot may name the event they left.
            event = await turn.call(turn.services.events(SYSTEM).event, position.event_id)
        except DomainError:
            continue  # the event was deleted; the web's export keeps its books
        named.append((event.name, position))
    return named


def _former_lines(turn: Turn, left: list[tuple[str, OpenPosition]]) -> list[str]:
    lines = []
    for name, position in left:
        lines.append(
            turn.tr("You left {event}, with money still open:", event=name)
            + " "
            + standing(turn, name, Decimal(position.balance), position.currency)
        )
        shown = Settlement(currency=position.currency, transfers=position.transfers, complete=False)
        lines += transfer_lines(turn, shown, turn.principal().user_id or 0)
    return lines


async def _current_or_left(turn: Turn) -> tuple[EventOut | None, list[tuple[str, OpenPosition]]]:
    """The event asked about, and the events left with money open; someone in no event but
    with money in one they left hears of that, not "you are in no event"."""
    try:
        event = await turn.current_event()
    except NoEvents:
        left = await _left_with_money(turn, None)
        if not left:
            raise
        return None, left
    return event, await _left_with_money(turn, event)


@command("balance", "saldo")
async def balance(turn: Turn) -> None:
    """The person's balance in the current event and, if they may read the report, its total;
    and what they have open in events they left."""
    event, left = await _current_or_left(turn)
    if event is None:
        await turn.reply("\n".join(_former_lines(turn, left)))
        return
    principal = await turn.event_principal(event.id)
    ledger = turn.services.ledger(principal)
    balances = await turn.call(ledger.balances, event.id)
    mine = next((m.balance for m in balances.members if m.user_id == principal.user_id), "0")
    text = standing(turn, event.name, Decimal(mine), balances.currency)
    if balances.complete:
        report = await turn.call(ledger.report_totals, event.id)
        text += "\n" + turn.tr(
            "The event's costs so far: {costs} (income {income}).",
            costs=turn.money(report.costs, report.currency),
            income=turn.money(report.income, report.currency),
        )
        if Decimal(report.shared_costs):  # the members' own costs, apart from the event's
            text += "\n" + turn.tr(
                "Shared among members: {shared}.",
                shared=turn.money(report.shared_costs, report.currency),
            )
    text = "\n".join([text, *_former_lines(turn, left)])
    await turn.offer(
        text, [(turn.tr("Who pays whom"), Again("settle", (), event.id))], cancel=False
    )


@command("settle", "liquidar")
async def settle(turn: Turn) -> None:
    """The fewest transfers that settle the current event, the asker's own highlighted; and
    those of events they left with money open."""
    event, left = await _current_or_left(turn)
    if event is None:
        await turn.reply("\n".join(_former_lines(turn, left)))
        return
    principal = await turn.event_principal(event.id)
    settlement = await turn.call(turn.services.ledger(principal).settlement, event.id)
    if not settlement.transfers:
        lines = [
            turn.tr("Everyone in {event} is settled: nobody owes anything.", event=event.name)
            if settlement.complete
            else turn.tr("In {event} you owe nothing and nobody owes you.", event=event.name)
        ]
    else:
        lines = [
            turn.tr("To settle {event}:", event=event.name),
            *transfer_lines(turn, settlement, principal.user_id or 0),
        ]
        if not settlement.complete:
            lines.append(
                turn.tr("(Only the transfers that involve you: the organizers keep the rest.)")
            )
    await turn.reply("\n".join([*lines, *_former_lines(turn, left)]))
