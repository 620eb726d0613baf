"""Notifications from the services' change feeds and reminders, sent once each.

The bot keeps a cursor per service in its own database and moves it past a change only after
the change's messages went out, so a bot that was down catches up when it starts and a change
is never announced twice. Telegram's limits are kept by the application's rate limiter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError

from tripbot.bot import formats
from tripbot.bot import service as store
from tripbot.bot.conversation import BotRuntime
from tripbot.bot.refusals import flag_text
from tripbot.bot.texts import DEFAULT_LANGUAGE, t, word
from tripbot.events.schemas import TelegramLinkQuery, UpcomingQuery
from tripbot.platform import metrics
from tripbot.platform.client import ServiceClient
from tripbot.platform.errors import DomainError
from tripbot.platform.follow import read_feed_of
from tripbot.platform.identity import SYSTEM
from tripbot.platform.logging import get_logger
from tripbot.platform.outbox import FeedEntry, FeedQuery

log = get_logger("tripbot.bot.notifications")

FEEDS = ("events", "ledger", "agenda", "gear", "routes")
"""The services whose changes the bot announces, read in this order each round."""
PAGE = 100

Words = Callable[[str], str]
"""A notification's text, given the language of the chat it goes to."""


@dataclass(frozen=True)
class Message:
    """A notification for one chat: the change it tells of, and its text."""

    change: int
    topic: str
    text: str


@dataclass(frozen=True)
class Notice:
    """What to tell about one change: the text, and to whom besides the event's chats."""

    words: Words
    people: tuple[int, ...] = ()
    """TripBot user ids told privately (when their Telegram is linked)."""
    groups: bool = True
    """Whether the chats following the event are told."""


def _local(value: str, language: str) -> str:
    return formats.moment(language, datetime.fromisoformat(value))


def _day(value: str, language: str) -> str:
    return formats.day(language, date.fromisoformat(value))


def _expense(p: dict[str, Any]) -> Notice:
    return Notice(
        lambda lang: t(
            lang,
            "💶 New expense: {description}, {amount}, paid by {payers} (recorded by {by}).",
            description=p["description"],
            amount=formats.money(lang, p["amount"], p["currency"]),
            payers=", ".join(p.get("paid_by") or []) or "?",
            by=p.get("by_name", "?"),
        ),
        # A participant charged others: each is told, and may dispute it.
        people=tuple(int(n) for n in p.get("charged") or ()),
    )


def _disputed(p: dict[str, Any]) -> Notice:
    return Notice(
        lambda lang: t(
            lang,
            "⚖️ {who} disputes {description} ({amount}): «{reason}». Confirm it or reverse it "
            "in the event's money.",
            who=p.get("disputed_by", "?"),
            description=p["description"],
            amount=formats.money(lang, p["amount"], p["currency"]),
            reason=p.get("reason", ""),
        ),
        people=tuple(int(n) for n in p.get("organizers") or ()),
        groups=False,
    )


def _dispute_settled(p: dict[str, Any]) -> Notice:
    def words(lang: str) -> str:
        amount = formats.money(lang, p["amount"], p["currency"])
        if p.get("outcome") == "reversed":
            return t(
                lang,
                "⚖️ {description} ({amount}), which you disputed, was reversed.",
                description=p["description"],
                amount=amount,
            )
        return t(
            lang,
            "⚖️ The organizers let {description} ({amount}) stand, though you disputed it. {reason}",
            description=p["description"],
            amount=amount,
            reason=p.get("reason", ""),
        ).strip()

    return Notice(words, people=tuple(int(n) for n in p.get("disputers") or ()), groups=False)


def _entry(p: dict[str, Any]) -> Notice:
    if p.get("kind") == "expense":
        return _expense(p)
    return Notice(
        lambda lang: t(
            lang,
            "💶 New {kind} in the accounts: {description}, {amount}.",
            kind=word(lang, str(p["kind"])),
            description=p["description"],
            amount=formats.money(lang, p["amount"], p["currency"]),
        )
    )


def _moved(p: dict[str, Any]) -> Notice:
    before = p.get("before") or {}
    return Notice(
        lambda lang: t(
            lang,
            "🕒 Moved: {title} is now {starts} at {place} (was {before}).",
            title=p["title"],
            starts=_local(p["starts_at"], lang),
            place=p.get("place") or "—",
            before=_local(before["starts_at"], lang) if before.get("starts_at") else "?",
        )
    )


def _cancelled(p: dict[str, Any]) -> Notice:
    return Notice(
        lambda lang: t(
            lang,
            "❌ Cancelled: {title} ({starts}).",
            title=p["title"],
            starts=_local(p["starts_at"], lang),
        )
    )


def _affected(p: dict[str, Any]) -> Notice:
    holder = p.get("user_id")
    flag = p.get("flag")

    def told(lang: str) -> str:
        values = {
            "quantity": p["quantity"],
            "item": p["item_name"],
            "start": _day(p["start_date"], lang),
            "end": _day(p["end_date"], lang),
        }
        if not flag:  # the stock serves it again: good news, not a warning
            return t(
                lang,
                "✅ Your reservation of {quantity} x {item} ({start} to {end}) can be served "
                "as booked again.",
                **values,
            )
        return t(
            lang,
            "⚠️ Your reservation of {quantity} x {item} ({start} to {end}) cannot be served as "
            "booked: {reason}. Talk to the gear keeper.",
            reason=flag_text(lang, flag),
            **values,
        )

    return Notice(told, people=(int(holder),) if holder else (), groups=not holder)


def _route_removed(p: dict[str, Any]) -> Notice:
    planner = p.get("planner")
    return Notice(
        lambda lang: t(
            lang,
            "🗺 The route {name} was removed from the catalogue by its author. "
            "It stays in this excursion's plan as it was.",
            name=p["name"],
        ),
        people=(int(planner),) if planner else (),
    )


def _deleted(p: dict[str, Any]) -> Notice:
    return Notice(lambda lang: t(lang, "🗑 The event {name} was deleted.", name=p.get("name", "?")))


NOTICES: dict[str, Callable[[dict[str, Any]], Notice]] = {
    "ledger:entry.recorded": _entry,
    "ledger:entry.disputed": _disputed,
    "ledger:entry.dispute_settled": _dispute_settled,
    "agenda:activity.moved": _moved,
    "agenda:activity.cancelled": _cancelled,
    "gear:reservation.affected": _affected,
    "events:event.deleted": _deleted,
    "routes:plan.route_removed": _route_removed,
}
"""The changes people hear of, by ``service:topic``; the others pass silently."""


def notice_for(service: str, entry: FeedEntry) -> Notice | None:
    """What the bot says about a change, or None for changes nobody needs to hear of."""
    render = NOTICES.get(f"{service}:{entry.topic}")
    return render(entry.payload) if render else None


def _reminder(lang: str, *, kind: str, name: str, starts: datetime, zone: str, place: str) -> str:
    when = formats.moment(lang, starts, zone)
    if kind == "event-1h":
        return t(
            lang,
            "⏰ {name} starts in an hour ({when}) at {place}.",
            name=name,
            when=when,
            place=place or "—",
        )
    return t(
        lang,
        "📅 Coming up: {name} starts {when} at {place}.",
        name=name,
        when=when,
        place=place or "—",
    )


def _overdue(lang: str, *, who: str, quantity: int, item: str, due: date) -> str:
    return t(
        lang,
        "📦 {who}, {quantity} x {item} was due back on {due}. Please return it to the gear keeper.",
        who=who,
        quantity=quantity,
        item=item,
        due=formats.day(lang, due),
    )


class Notifier:
    """Reads the change feeds and sends what they announce; also the timed reminders."""

    def __init__(self, runtime: BotRuntime, *, page: int = PAGE) -> None:
        self.runtime = runtime
        self.page = page
        self._task: asyncio.Task[None] | None = None
        self._caught_up = dict.fromkeys(FEEDS, time.monotonic())

    def _observe_lag(self, service: str, behind: int | None) -> None:
        """Export how far the bot is behind a feed (``None``: the round failed)."""
        now = time.monotonic()
        if behind == 0:
            self._caught_up[service] = now
        seconds = now - self._caught_up.get(service, now)
        if behind is None:
            metrics.FEED_LAG_SECONDS.labels("bot", service).set(seconds)
        else:
            metrics.observe_feed_lag("bot", service, behind, seconds)

    def start(self, bot: Bot) -> None:
        """Run rounds every ``TRIPBOT_BOT_FEED_INTERVAL`` seconds in the background."""
        self._task = asyncio.get_running_loop().create_task(self._loop(bot))

    async def stop(self) -> None:
        """Stop the background rounds."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self, bot: Bot) -> None:
        while True:
            try:
                await self.run_once(bot)
            except NetworkError as error:
                # Telegram unreachable: the next round resumes where each chat was left.
                log.warning("bot.notifications_waiting", problem=str(error))
            except Exception:
                log.exception("bot.notifications_failed")
            await asyncio.sleep(self.runtime.settings.bot_feed_interval)

    async def run_once(self, bot: Bot, now: datetime | None = None) -> int:
        """One round: every feed caught up, reminders due sent; the number of messages sent."""
        sent = 0
        for service in FEEDS:
            try:
                sent += await self.catch_up(bot, service)
            except DomainError as error:
                self._observe_lag(service, None)
                log.warning("bot.feed_unavailable", service=service, detail=error.detail)
        now = now or datetime.now(ZoneInfo("UTC"))
        await self.runtime.call(store.forget_old_updates, self.runtime.unit_of_work(), now)
        for remind in (self.remind, self.overdue):
            try:
                sent += await remind(bot, now)
            except DomainError as error:
                log.warning("bot.reminders_unavailable", detail=error.detail)
        return sent

    def _feed(self, service: str) -> ServiceClient:
        return self.runtime.services.system_client(service)

    async def catch_up(self, bot: Bot, service: str) -> int:
        """Send what a service's feed announced since the cursor; the number of messages sent.

        A page of changes is sent to all its chats at once, each chat's messages in feed order
        (so a slow group does not hold up the others); each chat remembers the last change it
        was told, so a page interrupted half-way is not told twice. The first time the bot
        reads a feed it starts at its end: a new bot does not announce the club's past.
        """
        call, uow = self.runtime.call, self.runtime.unit_of_work
        feed = self._feed(service)
        position = await call(store.feed_position, uow(), service)
        if position is None:
            first = await call(read_feed_of, feed, FeedQuery(after=0, limit=1))
            await call(store.advance_feed, uow(), service, first.latest)
            self._observe_lag(service, 0)
            return 0
        sent = 0
        while True:
            page = await call(read_feed_of, feed, FeedQuery(after=position, limit=self.page))
            if not page.entries:
                self._observe_lag(service, max(page.latest - position, 0))
                return sent
            outbox: dict[int, list[Message]] = {}
            chosen: dict[int, str | None] = {}
            for entry in page.entries:
                for chat_id, text in (await self._messages(service, entry, chosen)).items():
                    outbox.setdefault(chat_id, []).append(Message(entry.id, entry.topic, text))
            told = await call(store.chats_told, uow(), service, list(outbox))
            counts = await asyncio.gather(
                *(
                    self._tell(bot, service, chat_id, messages, told.get(chat_id, 0))
                    for chat_id, messages in outbox.items()
                )
            )
            sent += sum(counts)
            position = page.entries[-1].id
            await call(store.advance_feed, uow(), service, position)
            if len(page.entries) < self.page:
                self._observe_lag(service, max(page.latest - position, 0))
                return sent

    async def _messages(
        self, service: str, entry: FeedEntry, chosen: dict[int, str | None]
    ) -> dict[int, str]:
        """Who is told of a change, and what, each chat in its language (``chosen`` keeps the
        chats' /lang choices already read during this page)."""
        notice = notice_for(service, entry)
        if notice is None or entry.event_id is None:
            return {}
        chats = await self._chats(entry.event_id) if notice.groups else []
        if service == "events" and entry.topic == "event.deleted":
            await self.runtime.call(store.forget_event, self.runtime.unit_of_work(), entry.event_id)
        recipients = dict.fromkeys(chats, DEFAULT_LANGUAGE)
        if notice.people:
            recipients |= await self._private_chats(entry.event_id, notice.people)
        texts = {}
        for chat_id, fallback in recipients.items():
            if chat_id not in chosen:
                chosen[chat_id] = await self.runtime.call(
                    store.chosen_language, self.runtime.unit_of_work(), chat_id
                )
            texts[chat_id] = notice.words(chosen[chat_id] or fallback)
        return texts

    async def _tell(
        self, bot: Bot, service: str, chat_id: int, messages: list[Message], told: int
    ) -> int:
        """Send one chat its messages in order, skipping those it was already told."""
        sent = 0
        for message in messages:
            if message.change <= told:
                continue
            if not await self._deliver(bot, chat_id, message.text, message.topic):
                return sent
            await self.runtime.call(
                store.remember_told, self.runtime.unit_of_work(), service, chat_id, message.change
            )
            sent += 1
        return sent

    async def _language(self, chat_id: int, fallback: str) -> str:
        chosen = await self.runtime.call(
            store.chosen_language, self.runtime.unit_of_work(), chat_id
        )
        return chosen or fallback

    async def _chats(self, event_id: int) -> list[int]:
        return await self.runtime.call(store.chats_following, self.runtime.unit_of_work(), event_id)

    async def _private_chats(self, event_id: int, people: Iterable[int]) -> dict[int, str]:
        """The private chats of the linked people among ``people``, in their accounts'
        languages."""
        links = await self.runtime.call(
            self.runtime.services.events(SYSTEM).telegram_links,
            TelegramLinkQuery(event_id=event_id),
        )
        wanted = set(people)
        return {
            link.telegram_user_id: link.user.language for link in links if link.user.id in wanted
        }

    async def _deliver(self, bot: Bot, chat_id: int, text: str, topic: str) -> bool:
        """Send one message; False when the chat cannot be reached (blocked, removed)."""
        try:
            await bot.send_message(chat_id, text)
        except (Forbidden, BadRequest) as error:
            # The bot was removed from the group or blocked: the others still hear of it.
            log.warning("bot.chat_unreachable", chat=chat_id, detail=str(error))
            metrics.notification_failed(topic)
            return False
        # RetryAfter (after the limiter's retries) and network errors propagate: the round
        # stops and the next one resumes from what each chat was told.
        metrics.notification_sent(topic)
        return True

    async def _send(self, bot: Bot, chats: Mapping[int, str], words: Words, topic: str) -> int:
        """Send one message to every chat at once, each in its /lang choice, else in the
        language given with it; the number sent."""

        async def one(chat_id: int, fallback: str) -> bool:
            return await self._deliver(
                bot, chat_id, words(await self._language(chat_id, fallback)), topic
            )

        return sum(await asyncio.gather(*(one(c, f) for c, f in chats.items())))

    async def remind(self, bot: Bot, now: datetime) -> int:
        """Send the reminders due: 24 h and 1 h before each event a chat follows."""
        window = UpcomingQuery(starts_after=now, starts_before=now + timedelta(hours=24))
        events = await self.runtime.call(
            self.runtime.services.events(SYSTEM).upcoming_events, window
        )
        sent = 0
        for event in events:
            left = event.starts_at - now
            kind = "event-1h" if left <= timedelta(hours=1) else "event-24h"
            chats = dict.fromkeys(await self._chats(event.id), DEFAULT_LANGUAGE)
            if not chats or not await self._claim(kind, event.id, event.starts_at):
                continue
            words = partial(
                _reminder,
                kind=kind,
                name=event.name,
                starts=event.starts_at,
                zone=event.timezone,
                place=event.place,
            )
            sent += await self._send(bot, chats, words, kind)
        return sent

    async def overdue(self, bot: Bot, now: datetime) -> int:
        """Tell each borrower of overdue gear once a day, privately (their event's chats if
        their Telegram is not linked)."""
        loans = await self.runtime.call(self.runtime.services.gear(SYSTEM).overdue)
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        sent = 0
        for loan in loans:
            if loan.event_id is None or not await self._claim("loan-overdue", loan.id, day):
                continue
            chats = await self._private_chats(loan.event_id, [loan.user_id])
            chats = chats or dict.fromkeys(await self._chats(loan.event_id), DEFAULT_LANGUAGE)
            words = partial(
                _overdue,
                who=loan.user_name,
                quantity=loan.quantity,
                item=loan.item_name,
                due=loan.due_date,
            )
            sent += await self._send(bot, chats, words, "loan.overdue")
        return sent

    async def _claim(self, kind: str, subject_id: int, moment: datetime) -> bool:
        return await self.runtime.call(
            store.claim_reminder, self.runtime.unit_of_work(), kind, subject_id, moment
        )
