"""One exchange with the bot: who is asking, in which chat and language, and how to answer.

Every command and button handler is written against ``Turn``; the ``command`` and ``button``
decorators turn it into a python-telegram-bot callback that resolves the asker, runs the handler,
answers every failure politely in the asker's language, and logs the interaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, ParamSpec, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tripbot.bot import formats
from tripbot.bot import service as store
from tripbot.bot.refusals import NotLinked, Told, problem_text
from tripbot.bot.texts import language_of, t
from tripbot.clients import Services
from tripbot.events.schemas import EventOut, UserOut
from tripbot.platform import memo
from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.errors import DomainError, NotFound
from tripbot.platform.identity import SYSTEM, Principal
from tripbot.platform.language import speaking
from tripbot.platform.logging import get_logger
from tripbot.platform.settings import Settings

log = get_logger("tripbot.bot")
P = ParamSpec("P")
R = TypeVar("R")
Handler = Callable[["Turn"], Awaitable[None]]
Buttons = Sequence[Sequence[tuple[str, str]]]
"""Rows of inline buttons as (label, callback data); data starting with https:// is a link."""


class NoEvents(Told):
    """The command needs an event and the person is in none."""


class ChooseEvent(Exception):
    """The command needs an event and the chat follows none: the bot asked which one."""


@dataclass
class BotRuntime:
    """What every handler reaches: settings, TripBot's services, the bot's own database."""

    settings: Settings
    services: Services
    database: Database
    linked_accounts: dict[int, UserOut] = field(default_factory=dict)
    """Telegram user id → account, fixed for this process (the console's ``--as``)."""

    async def call(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking service or database call off the event loop."""
        return await asyncio.to_thread(partial(function, *args, **kwargs))

    def unit_of_work(self) -> UnitOfWork:
        """A unit of work on the bot's own database."""
        return self.database.unit_of_work()

    async def account_of(self, telegram_user_id: int) -> UserOut | None:
        """The TripBot account linked to a Telegram user, if any."""
        if telegram_user_id in self.linked_accounts:
            return self.linked_accounts[telegram_user_id]
        try:
            link = await self.call(
                self.services.events(SYSTEM).telegram_user, str(telegram_user_id)
            )
        except NotFound:
            return None
        return link.user


@dataclass(frozen=True)
class Again:
    """A command to run when a button is pressed: its name, arguments and chosen event."""

    command: str
    args: tuple[str, ...] = ()
    event_id: int | None = None


MAX_PENDING = 20
"""Open questions kept per person (the oldest are forgotten first)."""


def pending_of(turn: Turn) -> dict[str, list[Again]]:
    """The asker's open questions, by the token of the conversation that asked them."""
    drafts = turn.context.user_data
    if drafts is None:
        return {}
    found: dict[str, list[Again]] = drafts.setdefault(("again", turn.chat_id), {})
    return found


def runtime_of(context: ContextTypes.DEFAULT_TYPE) -> BotRuntime:
    """The runtime stored in the application."""
    found: BotRuntime = context.application.bot_data["tripbot"]
    return found


@dataclass
class Turn:
    """One command or button press being answered."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    runtime: BotRuntime
    name: str
    language: str
    account: UserOut | None
    args: list[str]
    token: str = ""
    """Names the conversation: the id of the message that started it (a button press carries
    the token of the question it answers). Drafts and idempotency keys are made from it."""
    chosen_event: int | None = None
    """The event chosen from "Which event?" buttons, for the command being finished."""

    @property
    def chat_id(self) -> int:
        """The chat the exchange happens in."""
        chat = self.update.effective_chat
        assert chat is not None
        return chat.id

    @property
    def in_group(self) -> bool:
        """Whether the exchange happens in a group chat."""
        chat = self.update.effective_chat
        return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)

    @property
    def telegram_user_id(self) -> int:
        """The Telegram id of the person asking."""
        user = self.update.effective_user
        assert user is not None
        return user.id

    @property
    def services(self) -> Services:
        """TripBot's services."""
        return self.runtime.services

    def tr(self, message: str, /, **values: object) -> str:
        """A message in the asker's language."""
        return t(self.language, message, **values)

    def principal(self) -> Principal:
        """The linked person as a principal, or NotLinked."""
        if self.account is None:
            raise NotLinked("link your Telegram account first")
        return Principal(
            user_id=self.account.id,
            language=self.language,
            instance_role=self.account.role,
        )

    async def event_principal(self, event_id: int) -> Principal:
        """The linked person with their role in an event (NotFound for non-members)."""
        principal = self.principal()
        membership = await self.call(self.services.events(principal).membership, event_id)
        return replace(principal, event_id=event_id, event_role=membership.role)

    async def call(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking call off the event loop."""
        return await self.runtime.call(function, *args, **kwargs)

    async def reply(self, text: str, buttons: Buttons | None = None) -> Message:
        """Answer in the chat the exchange happens in."""
        return await self.context.bot.send_message(
            self.chat_id, text, reply_markup=keyboard(buttons)
        )

    async def current_event(self) -> EventOut:
        """The event chosen for this command; else the one the chat follows; else the person's
        only upcoming one; else ask which, with buttons that finish this command as typed.

        Raises ChooseEvent after asking.
        """
        principal = self.principal()
        events = self.services.events(principal)
        if self.chosen_event is not None:
            chosen = await self.call(events.event, self.chosen_event)
            if not self.in_group:
                # In a private chat the choice sticks: the person hears of that event here.
                await self.call(
                    store.bind_chat,
                    self.runtime.unit_of_work(),
                    self.chat_id,
                    chosen.id,
                    "",
                    principal.user_id or 0,
                )
            return chosen
        bound = await self.call(store.bound_event, self.runtime.unit_of_work(), self.chat_id)
        if bound is not None:
            try:
                return await self.call(events.event, bound)
            except NotFound:
                if self.in_group:
                    raise Told(
                        self.tr("This group follows an event you are not a member of.")
                    ) from None
        mine = await self.call(events.events)
        upcoming = [event for event in mine if event.ends_at >= datetime.now(event.ends_at.tzinfo)]
        if len(upcoming) == 1:
            return upcoming[0]
        if not mine:
            raise NoEvents(
                self.tr("You are not in any event yet. Ask an organizer for an invitation.")
            )
        question = self.tr("Which event?")
        if self.in_group:
            question += "\n" + self.tr(
                "(This group follows no event: an organizer can make it follow one with /bind.)"
            )
        await self.offer(
            question,
            [
                (event.name, Again(self.name, tuple(self.args), event.id))
                for event in (upcoming or mine)[:10]
            ],
        )
        raise ChooseEvent

    async def offer(
        self,
        text: str,
        choices: Sequence[tuple[str, Again]],
        *,
        cancel: bool = True,
        columns: int = 1,
    ) -> Message:
        """Ask with buttons, each finishing a command as given (only the asker may press them);
        a Cancel button unless ``cancel`` is False."""
        pending = pending_of(self)
        pending[self.token] = [again for _label, again in choices]
        while len(pending) > MAX_PENDING:
            pending.pop(next(iter(pending)))
        mine = f"again:{self.telegram_user_id}:{self.token}"
        buttons = [(label, f"{mine}:{n}") for n, (label, _) in enumerate(choices)]
        rows = [buttons[n : n + columns] for n in range(0, len(buttons), columns)]
        if cancel:
            rows.append([(self.tr("Cancel"), f"{mine}:x")])
        return await self.reply(text, rows)

    def mine(self, prefix: str, *args: object) -> str:
        """The data of a button only the asker may press."""
        return ":".join([prefix, str(self.telegram_user_id), *(str(arg) for arg in args)])

    def expect_typed(self, prefix: str, *args: str) -> None:
        """Take the asker's next plain message in this chat as the last argument of the
        button ``prefix`` (a number typed instead of pressed)."""
        drafts = self.context.user_data
        if drafts is not None:
            drafts[("typed", self.chat_id)] = (prefix, list(args))

    def when(self, moment: datetime, zone: str) -> str:
        """A moment in an event's time zone, written the asker's way."""
        return formats.moment(self.language, moment, zone)

    def clock(self, moment: datetime, zone: str) -> str:
        """The time of day of a moment in an event's time zone."""
        return formats.clock(self.language, moment, zone)

    def day(self, value: date) -> str:
        """A day, short, written the asker's way."""
        return formats.day(self.language, value)

    def money(self, amount: Decimal | str, currency: str) -> str:
        """An amount of money written the asker's way (exact: Decimal in, text out)."""
        return formats.money(self.language, amount, currency)

    def number(self, value: float | Decimal, digits: int = 1) -> str:
        """A number written the asker's way."""
        return formats.number(self.language, value, digits)


def account_page(settings: Settings) -> str:
    """The web page where a person presses "Link Telegram"."""
    return settings.public_url.rstrip("/") + "/account"


def link_buttons(settings: Settings, language: str) -> Buttons | None:
    """A button that opens the account page, when Telegram can open it (an https address:
    Telegram refuses buttons to local addresses, and the page's address is then in the text)."""
    page = account_page(settings)
    if not page.startswith("https://"):
        return None
    return [[(t(language, "Open my account page"), page)]]


def keyboard(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    """Inline buttons from (label, data) rows; https:// data becomes a link button."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, url=data)
                if data.startswith("https://")
                else InlineKeyboardButton(label, callback_data=data)
                for label, data in row
            ]
            for row in buttons
        ]
    )


async def language_for(runtime: BotRuntime, update: Update, account: UserOut | None) -> str:
    """The language to answer in: the chat's /lang, then the person's, then Telegram's."""
    chat = update.effective_chat
    user = update.effective_user
    chosen = None
    if chat is not None:
        chosen = await runtime.call(store.chosen_language, runtime.unit_of_work(), chat.id)
    if chosen is None and user is not None and chat is not None and chat.id != user.id:
        chosen = await runtime.call(store.chosen_language, runtime.unit_of_work(), user.id)
    if chosen:
        return chosen
    return language_of(user.language_code if user else None)


async def _answer(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    handler: Handler,
    name: str,
    args: list[str],
) -> None:
    runtime = runtime_of(context)
    started = time.perf_counter()
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    outcome = "ok"
    language = language_of(user.language_code if user else None)
    try:
        account = await runtime.account_of(user.id) if user else None
        language = await language_for(runtime, update, account)
        token = str(message.message_id if message else update.update_id)
        turn = Turn(update, context, runtime, name, language, account, args, token)
        with speaking(language), memo.remembering():  # the services say refusals in it
            await handler(turn)
    except ChooseEvent:
        outcome = "asked"
    except DomainError as error:
        outcome = error.slug
        buttons = link_buttons(runtime.settings, language) if isinstance(error, NotLinked) else None
        await context.bot.send_message(
            chat.id if chat else 0, problem_text(language, error), reply_markup=keyboard(buttons)
        )
    except Exception:
        outcome = "crash"
        log.exception("bot.handler_failed", command=name)
        if chat is not None:
            await context.bot.send_message(
                chat.id,
                t(language, "Something went wrong on our side; it has been logged. Sorry!"),
            )
    finally:
        log.info(
            "bot.interaction",
            command=name,
            telegram_user=user.id if user else None,
            chat=chat.id if chat else None,
            language=language,
            outcome=outcome,
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )


COMMANDS: list[CommandHandler[Any, Any]] = []
BUTTONS: list[CallbackQueryHandler[Any, Any]] = []
MESSAGES: list[MessageHandler[Any, Any]] = []
HANDLERS: dict[str, Handler] = {}
"""Every command's handler by its English name (what ``Again`` runs)."""
COMMAND_NAMES: dict[str, str] = {}
"""Every name a command answers to (English and Spanish) → its English name."""
BUTTON_HANDLERS: dict[str, Handler] = {}
"""Every button's handler by its prefix (what a typed answer runs)."""


def command(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``/name`` (every alias listed: English first, then Spanish)."""

    def register(handler: Handler) -> Handler:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await _answer(update, context, handler, names[0], list(context.args or []))

        COMMANDS.append(CommandHandler(list(names), callback))
        HANDLERS[names[0]] = handler
        COMMAND_NAMES.update(dict.fromkeys(names, names[0]))
        return handler

    return register


def button(prefix: str, *, mine: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for buttons whose data is ``prefix:arg:arg…``; with ``mine``, the
    first argument is the Telegram id of the one person who may press them (``Turn.mine``)."""

    def register(handler: Handler) -> Handler:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            query = update.callback_query
            assert query is not None
            assert query.data is not None
            args = query.data.split(":")[1:]
            if mine:
                asker = args.pop(0) if args else ""
                if asker != str(query.from_user.id):
                    await _not_yours(update, context, prefix)
                    return
            await query.answer()
            await _answer(update, context, handler, f"button:{prefix}", args)

        BUTTONS.append(CallbackQueryHandler(callback, pattern=f"^{prefix}:"))
        BUTTON_HANDLERS[prefix] = handler
        return handler

    return register


async def _not_yours(update: Update, context: ContextTypes.DEFAULT_TYPE, prefix: str) -> None:
    """Tell someone, and only them, that the buttons they pressed are another person's."""
    runtime = runtime_of(context)
    query = update.callback_query
    assert query is not None
    language = await language_for(runtime, update, None)
    await query.answer(t(language, "These buttons are for the person who asked."))
    log.info(
        "bot.interaction",
        command=f"button:{prefix}",
        telegram_user=query.from_user.id,
        chat=update.effective_chat.id if update.effective_chat else None,
        language=language,
        outcome="not-yours",
        latency_ms=0,
    )


def message(accepted: filters.BaseFilter, name: str) -> Callable[[Handler], Handler]:
    """Register a handler for messages no command took (unknown commands, plain text)."""

    def register(handler: Handler) -> Handler:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await _answer(update, context, handler, name, [])

        MESSAGES.append(MessageHandler(accepted, callback))
        return handler

    return register


@button("again", mine=True)
async def again(turn: Turn) -> None:
    """Finish what a question asked: run the command of the button pressed, as it was typed
    and with what was chosen (or drop the question, on Cancel)."""
    pending = pending_of(turn)
    token, choice = [*turn.args, "", ""][:2]
    choices = pending.get(token)
    if choices is None:
        await turn.reply(turn.tr("That question is closed: ask again."))
        return
    if choice == "x":
        del pending[token]
        await turn.reply(turn.tr("Cancelled."))
        return
    if not choice.isdigit() or int(choice) >= len(choices):
        await turn.reply(turn.tr("That question is closed: ask again."))
        return
    chosen = choices[int(choice)]
    del pending[token]
    turn.name, turn.args, turn.token = chosen.command, list(chosen.args), token
    turn.chosen_event = chosen.event_id
    await HANDLERS[chosen.command](turn)


async def typed_answer(turn: Turn, text: str) -> bool:
    """Take a plain message as the answer the asker was asked to type; False if none was."""
    drafts = turn.context.user_data
    expected = drafts.pop(("typed", turn.chat_id), None) if drafts is not None else None
    if expected is None:
        return False
    prefix, args = expected
    turn.name, turn.args = f"typed:{prefix}", [*args, text.strip()]
    await BUTTON_HANDLERS[prefix](turn)
    return True


async def skip_duplicates(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update Telegram delivered before (at-least-once delivery) from acting twice."""
    runtime = runtime_of(context)
    fresh = await runtime.call(store.claim_update, runtime.unit_of_work(), update.update_id)
    if not fresh:
        log.info("bot.duplicate_update", update_id=update.update_id)
        raise ApplicationHandlerStop
