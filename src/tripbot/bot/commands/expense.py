"""/expense (/gasto): record a shared expense the asker paid, then say who shares it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import get_currency_precision

from tripbot.bot.commands.drafts import draft_of, drop, idempotency_key, keep, rewrite
from tripbot.bot.conversation import Again, Buttons, Turn, button, command
from tripbot.bot.reading import Amount, BadAmount, decimals, read_amount
from tripbot.bot.refusals import Told
from tripbot.bot.texts import marked, tn
from tripbot.events.schemas import EventOut
from tripbot.ledger.schemas import EntryCreate, EntryOut, Split, SplitPart

MAX_MEMBER_BUTTONS = 40
"""Beyond this many members, an expense is shared with everyone or split on the web."""
MAX_DESCRIPTION = 200
CANONICAL = "{:.4f}"
"""How a chosen amount is passed on to the command again: four decimals never read two ways."""

EXPENSE_USAGE = marked(
    "Write the amount and what it was for, e.g. /expense 23.50 fuel (a comma works too: "
    "/expense 23,50 fuel; so do 1.000,50 and 23 €)."
)


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
        (
            ("✓ " if user_id in draft.chosen else "") + name,
            turn.mine("exp-who", draft.token, user_id),
        )
        for user_id, name in list(draft.members.items())[:MAX_MEMBER_BUTTONS]
    ]
    rows: list[list[tuple[str, str]]] = [people[n : n + 2] for n in range(0, len(people), 2)]
    rows.append(
        [
            (turn.tr("Everyone"), turn.mine("exp-all", draft.token)),
            (turn.tr("Done"), turn.mine("exp-done", draft.token)),
        ]
    )
    rows.append([(turn.tr("Cancel"), turn.mine("exp-no", draft.token))])
    return text, rows


def _amount_asked(turn: Turn) -> tuple[Amount, str]:
    """The amount and the description typed; Told how to write them when they are not."""
    try:
        amount, rest = read_amount(turn.args)
    except BadAmount as bad:
        typed = turn.args[0] if turn.args else ""
        raise Told(turn.tr(bad.args[0], amount=typed) + "\n" + turn.tr(EXPENSE_USAGE)) from None
    return amount, " ".join(rest).strip()


async def _ask_which_amount(turn: Turn, event: EventOut, amount: Amount, description: str) -> None:
    """``1.000`` reads two ways: ask which, with a button for each."""
    assert amount.other is not None
    typed = turn.args[0] if turn.args else ""
    rest = tuple(description.split())
    await turn.offer(
        turn.tr("How much is {typed}?", typed=typed),
        [
            (
                turn.money(value, event.currency),
                Again("expense", (CANONICAL.format(value), *rest), event.id),
            )
            for value in (amount.value, amount.other)
        ],
        columns=2,
    )


def _usable_readings(amount: Amount, currency: str) -> list[Decimal]:
    """The readings of an amount the currency can hold (``1.234`` as one is not for euros)."""
    digits = get_currency_precision(currency)
    readings = [amount.value] if amount.other is None else [amount.value, amount.other]
    return [value for value in readings if decimals(value) <= digits]


@command("expense", "gasto")
async def expense(turn: Turn) -> None:
    """Record a shared expense the asker paid: ``/expense 23.50 fuel``; then who shares it."""
    if not turn.args:
        await turn.reply(turn.tr(EXPENSE_USAGE))
        return
    amount, description = _amount_asked(turn)
    if not description:
        await turn.reply(turn.tr(EXPENSE_USAGE))
        return
    if len(description) > MAX_DESCRIPTION:
        await turn.reply(
            turn.tr("Describe it in at most {count} characters.", count=MAX_DESCRIPTION)
        )
        return
    event = await turn.current_event()
    principal = await turn.event_principal(event.id)
    if amount.currency is not None and amount.currency != event.currency:
        raise Told(
            turn.tr(
                "{event} keeps its accounts in {currency}: write the amount in {currency}.",
                event=event.name,
                currency=event.currency,
            )
        )
    readings = _usable_readings(amount, event.currency)
    if not readings:
        digits = get_currency_precision(event.currency)
        raise Told(
            tn(
                turn.language,
                "Amounts in {currency} have at most {count} decimal: {amount} has more.",
                "Amounts in {currency} have at most {count} decimals: {amount} has more.",
                digits,
                currency=event.currency,
                amount=turn.args[0],
            )
        )
    if len(readings) > 1:
        await _ask_which_amount(turn, event, amount, description)
        return
    members = await turn.call(turn.services.events(principal).members, event.id)
    draft = ExpenseDraft(
        token=turn.token,
        event_id=event.id,
        event_name=event.name,
        currency=event.currency,
        amount=readings[0],
        description=description,
        members={member.user_id: member.display_name for member in members},
    )
    keep(turn, draft)
    await turn.reply(*_expense_question(turn, draft))


@button("exp-who", mine=True)
async def expense_toggle(turn: Turn) -> None:
    """Tick or untick someone who shares the expense."""
    draft = draft_of(turn, ExpenseDraft)
    user_id = int(turn.args[1]) if len(turn.args) > 1 and turn.args[1].isdigit() else 0
    if draft is None or draft.done is not None or user_id not in draft.members:
        await turn.reply(_stale_expense(turn))
        return
    draft.chosen ^= {user_id}
    await rewrite(turn, *_expense_question(turn, draft))


@button("exp-all", mine=True)
async def expense_everyone(turn: Turn) -> None:
    """Record the expense shared equally among every member."""
    await _record_expense(turn, everyone=True)


@button("exp-done", mine=True)
async def expense_done(turn: Turn) -> None:
    """Record the expense shared equally among the people ticked."""
    await _record_expense(turn, everyone=False)


@button("exp-no", mine=True)
async def expense_cancelled(turn: Turn) -> None:
    """Drop the expense being put together (a recorded one stays: it can be reversed on the
    web)."""
    draft = draft_of(turn, ExpenseDraft)
    if draft is None:
        await turn.reply(_stale_expense(turn))
        return
    if draft.done is not None:
        await turn.reply(
            turn.tr(
                "Already recorded: {description}, {amount}.",
                description=draft.done.description,
                amount=turn.money(draft.done.amount, draft.done.currency),
            )
        )
        return
    drop(turn, ExpenseDraft)
    await turn.reply(turn.tr("Fine: nothing recorded."))


async def _record_expense(turn: Turn, *, everyone: bool) -> None:
    draft = draft_of(turn, ExpenseDraft)
    if draft is None:
        await turn.reply(_stale_expense(turn))
        return
    if draft.done is not None:
        await turn.reply(
            turn.tr(
                "Already recorded: {description}, {amount}.",
                description=draft.done.description,
                amount=turn.money(draft.done.amount, draft.done.currency),
            )
        )
        return
    if not everyone and not draft.chosen:
        await turn.reply(turn.tr("Tick at least one person, or press Everyone."))
        return
    principal = await turn.event_principal(draft.event_id)
    entry = EntryCreate(description=draft.description, amount=str(draft.amount))
    if not everyone:
        # Left out, the split is the ledger's default: equally among every member.
        entry.split = Split(among=[SplitPart(user_id=user_id) for user_id in sorted(draft.chosen)])
    ledger = turn.services.ledger(principal)
    draft.done = await turn.call(
        ledger.record_entry, draft.event_id, entry, idempotency_key(turn, draft.token)
    )
    balances = await turn.call(ledger.balances, draft.event_id)
    mine = next((m.balance for m in balances.members if m.user_id == principal.user_id), "0")
    shared = len(draft.done.split.among) if draft.done.split else len(draft.members)
    await turn.reply(
        tn(
            turn.language,
            "Recorded in {event}: {description}, {amount}, paid by you, shared by {count} person.",
            "Recorded in {event}: {description}, {amount}, paid by you, shared by {count} people.",
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
