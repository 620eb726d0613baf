"""Use cases of the bot's own data: bindings, processed updates, feed cursors, languages; the
two that TripBot's components may ask over HTTP are declared as the bot's operations.

Every use case that writes takes the write lock first (``lock_for_write``): the bot writes from
many coroutines at once (one per chat being told), and SQLite would otherwise refuse a
transaction that read before another committed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from tripbot.bot import OPERATIONS
from tripbot.bot.models import (
    ChatBinding,
    ChatLanguage,
    ChatTold,
    FeedCursor,
    ProcessedUpdate,
    SentReminder,
)
from tripbot.bot.schemas import BindingOut, BindingQuery, BotStatus
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.operations import Access, Call

LANGUAGES = ("es", "en")
UPDATE_MEMORY = timedelta(days=7)
"""How long update ids are kept: Telegram redelivers unconfirmed updates for at most 24 h."""


def claim_update(uow: UnitOfWork, update_id: int) -> bool:
    """Record an update as handled; False when it was already handled (a redelivery)."""
    with uow:
        uow.lock_for_write()
        dialect = uow.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        claimed = uow.session.execute(
            insert(ProcessedUpdate)
            .values(update_id=update_id, received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(ProcessedUpdate.update_id)
        ).first()
        uow.commit()
        return claimed is not None


def forget_old_updates(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Drop update ids older than Telegram could redeliver; the number dropped."""
    limit = (now or utcnow()) - UPDATE_MEMORY
    with uow:
        uow.lock_for_write()
        result = uow.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.received_at < limit)
        )
        uow.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


def bind_chat(uow: UnitOfWork, chat_id: int, event_id: int, title: str, user_id: int) -> None:
    """Make a group chat follow an event (a chat follows one event at a time)."""
    with uow:
        uow.lock_for_write()
        binding = uow.session.get(ChatBinding, chat_id)
        if binding is None:
            uow.session.add(
                ChatBinding(
                    chat_id=chat_id, event_id=event_id, chat_title=title[:255], bound_by=user_id
                )
            )
        else:
            binding.event_id, binding.chat_title, binding.bound_by = event_id, title[:255], user_id
            binding.bound_at = utcnow()
        uow.commit()


def unbind_chat(uow: UnitOfWork, chat_id: int) -> bool:
    """Stop a chat following its event; False when it followed none."""
    with uow:
        uow.lock_for_write()
        result = uow.session.execute(delete(ChatBinding).where(ChatBinding.chat_id == chat_id))
        uow.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]


def bound_event(uow: UnitOfWork, chat_id: int) -> int | None:
    """The event a chat follows, if any."""
    with uow:
        return uow.session.scalar(
            select(ChatBinding.event_id).where(ChatBinding.chat_id == chat_id)
        )


def chats_following(uow: UnitOfWork, event_id: int) -> list[int]:
    """The group chats that follow an event."""
    with uow:
        return list(
            uow.session.scalars(
                select(ChatBinding.chat_id)
                .where(ChatBinding.event_id == event_id)
                .order_by(ChatBinding.chat_id)
            )
        )


def forget_event(uow: UnitOfWork, event_id: int) -> None:
    """Unbind every chat from a deleted event."""
    with uow:
        uow.lock_for_write()
        uow.session.execute(delete(ChatBinding).where(ChatBinding.event_id == event_id))
        uow.commit()


def feed_position(uow: UnitOfWork, service: str) -> int | None:
    """Where the bot is in a service's change feed; None before it ever read it."""
    with uow:
        return uow.session.scalar(select(FeedCursor.position).where(FeedCursor.service == service))


def advance_feed(uow: UnitOfWork, service: str, position: int) -> None:
    """Remember that every change up to ``position`` has been handled."""
    with uow:
        uow.lock_for_write()
        cursor = uow.session.get(FeedCursor, service)
        if cursor is None:
            uow.session.add(FeedCursor(service=service, position=position))
        elif position > cursor.position:
            uow.session.execute(
                update(FeedCursor)
                .where(FeedCursor.service == service, FeedCursor.position < position)
                .values(position=position, updated_at=utcnow())
            )
        uow.commit()


def chats_told(uow: UnitOfWork, service: str, chat_ids: list[int]) -> dict[int, int]:
    """For each chat, the last change of a service's feed it was told of (absent: none)."""
    if not chat_ids:
        return {}
    with uow:
        rows = uow.session.scalars(
            select(ChatTold).where(ChatTold.service == service, ChatTold.chat_id.in_(chat_ids))
        )
        return {row.chat_id: row.position for row in rows}


def remember_told(uow: UnitOfWork, service: str, chat_id: int, position: int) -> None:
    """Remember that a chat was told of a service's changes up to ``position``."""
    with uow:
        uow.lock_for_write()
        told = uow.session.get(ChatTold, (chat_id, service))
        if told is None:
            uow.session.add(ChatTold(chat_id=chat_id, service=service, position=position))
        else:
            told.position = max(told.position, position)
        uow.commit()


def chosen_language(uow: UnitOfWork, chat_id: int) -> str | None:
    """The language someone or a group chose with /lang."""
    with uow:
        return uow.session.scalar(
            select(ChatLanguage.language).where(ChatLanguage.chat_id == chat_id)
        )


def choose_language(uow: UnitOfWork, chat_id: int, language: str) -> None:
    """Remember a person's or a group's language."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    with uow:
        uow.lock_for_write()
        chosen = uow.session.get(ChatLanguage, chat_id)
        if chosen is None:
            uow.session.add(ChatLanguage(chat_id=chat_id, language=language))
        else:
            chosen.language = language
        uow.commit()


def claim_reminder(uow: UnitOfWork, kind: str, subject_id: int, moment: datetime) -> bool:
    """Take the right to send a reminder about a subject at a moment; False if already sent."""
    try:
        with uow:
            uow.lock_for_write()
            uow.session.add(SentReminder(kind=kind, subject_id=subject_id, moment=moment))
            uow.commit()
    except IntegrityError:
        return False
    return True


@OPERATIONS.get("/bindings", access=Access.SYSTEM)
def bindings(call: Call, query: BindingQuery) -> list[BindingOut]:
    """The chats that follow an event."""
    call.principal.require_system()
    with call.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(ChatBinding)
            .where(ChatBinding.event_id == query.event_id)
            .order_by(ChatBinding.chat_id)
        )
        return [
            BindingOut(
                chat_id=row.chat_id,
                event_id=row.event_id,
                chat_title=row.chat_title,
                bound_at=row.bound_at,
            )
            for row in rows
        ]


@OPERATIONS.get("/status", access=Access.SYSTEM)
def status(call: Call) -> BotStatus:
    """Bindings, feed cursors and remembered updates."""
    call.principal.require_system()
    with call.unit_of_work() as uow:
        return BotStatus(
            bindings=uow.session.scalar(select(func.count()).select_from(ChatBinding)) or 0,
            cursors={
                cursor.service: cursor.position
                for cursor in uow.session.scalars(select(FeedCursor))
            },
            remembered_updates=uow.session.scalar(select(func.count()).select_from(ProcessedUpdate))
            or 0,
        )
