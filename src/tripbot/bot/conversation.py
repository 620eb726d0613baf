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
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, ContextTypes

from tripbot.bot import formats
from tripbot.bot import service as store
from tripbot.bot.refusals import NotLinked, Told, problem_text
from tripbot.bot.texts import language_of, t
from tripbot.clients import Services
from tripbot.events.schemas import EventOut, UserOut
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
            link = await self.call(self.services.events(SYSTEM).telegram_user, telegram_user_id)
        except NotFound:
            return None
        return link.user


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

    async def current_event(self, *, purpose: str = "use") -> EventOut:
        """The event the chat follows; otherwise the person's only event; otherwise ask.

        Raises ChooseEvent after asking with buttons when the choice is not obvious.
        """
        principal = self.principal()
        bound = await self.call(store.bound_event, self.runtime.unit_of_work(), self.chat_id)
        if bound is not None:
            try:
                return await self.call(self.services.events(principal).event, bound)
            except NotFound:
                if self.in_group:
                    raise Told(
                        self.tr("This group follows an event you are not a member of.")
                    ) from None
        events = await self.call(self.services.events(principal).events)
        upcoming = [
            event for event in events if event.ends_at >= datetime.now(event.ends_at.tzinfo)
        ]
        if len(upcoming) == 1:
            return upcoming[0]
        if not events:
            await self.reply(
                self.tr("You are not in any event yet. Ask an organizer for an invitation.")
            )
            raise ChooseEvent
        choices = upcoming or events
        await self.reply(
            self.tr("Which event?"),
            [[(event.name, f"{purpose}:{event.id}")] for event in choices[:10]],
        )
        raise ChooseEvent

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
    outcome = "ok"
    language = language_of(user.language_code if user else None)
    try:
        account = await runtime.account_of(user.id) if user else None
        language = await language_for(runtime, update, account)
        turn = Turn(update, context, runtime, name, language, account, args)
        with speaking(language):  # the services say their refusals in it
            await handler(turn)
    except ChooseEvent:
        outcome = "asked"
    except DomainError as error:
        outcome = error.slug
        await context.bot.send_message(chat.id if chat else 0, problem_text(language, error))
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


def command(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``/name`` (every alias listed: English first, then Spanish)."""

    def register(handler: Handler) -> Handler:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await _answer(update, context, handler, names[0], list(context.args or []))

        COMMANDS.append(CommandHandler(list(names), callback))
        return handler

    return register


def button(prefix: str) -> Callable[[Handler], Handler]:
    """Register a handler for buttons whose data is ``prefix:arg:arg…``."""

    def register(handler: Handler) -> Handler:
        async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            query = update.callback_query
            assert query is not None
            assert query.data is not None
            await query.answer()
            args = query.data.split(":")[1:]
            await _answer(update, context, handler, f"button:{prefix}", args)

        BUTTONS.append(CallbackQueryHandler(callback, pattern=f"^{prefix}:"))
        return handler

    return register


async def skip_duplicates(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update Telegram delivered before (at-least-once delivery) from acting twice."""
    runtime = runtime_of(context)
    fresh = await runtime.call(store.claim_update, runtime.unit_of_work(), update.update_id)
    if not fresh:
        log.info("bot.duplicate_update", update_id=update.update_id)
        raise ApplicationHandlerStop
