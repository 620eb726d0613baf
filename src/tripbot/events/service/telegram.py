"""Telegram links: a one-time code from the web, spent by the bot to link the account that
sent it; the bot's lookups of linked accounts."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, or_, select, text, update

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import Event, Membership, TelegramCode, TelegramLink, User
from tripbot.events.schemas import (
    MAX_TELEGRAM_USER_ID,
    TelegramLinkCode,
    TelegramLinkCreate,
    TelegramLinkOut,
    TelegramLinkQuery,
    TelegramStatus,
)
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Gone, Message, NotFound
from tripbot.platform.operations import Access, Call

TELEGRAM_CODE_LIFETIME = timedelta(minutes=10)
"""How long a Telegram link code works: long enough to open Telegram, short enough to leak."""


def _code_hash(code: str) -> str:
    return rules.secret_hash(code)


def _link_out(link: TelegramLink, user: User) -> TelegramLinkOut:
    return TelegramLinkOut(
        user=store.user_out(user), telegram_user_id=link.telegram_user_id, linked_at=link.linked_at
    )


@OPERATIONS.post("/telegram/link-codes", status=201, public=False)
def create_telegram_link_code(call: Call) -> TelegramLinkCode:
    """A one-time code to send the bot as ``/start <code>``; older unused codes stop working."""
    # Not public as it is: the gateway adds the bot's deep link.
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        user = store.user(uow, call.principal.require_user())
        now = utcnow()
        mine = TelegramCode.user_id == user.id
        uow.session.execute(
            delete(TelegramCode).where(
                mine, or_(TelegramCode.used_at.is_not(None), TelegramCode.expires_at <= now)
            )
        )
        # Superseded codes are kept, expired, so the bot can say why they no longer work.
        uow.session.execute(update(TelegramCode).where(mine).values(expires_at=now))
        code = secrets.token_urlsafe(16)
        expires_at = now + TELEGRAM_CODE_LIFETIME
        uow.session.add(
            TelegramCode(
                code_hash=_code_hash(code), user_id=user.id, created_at=now, expires_at=expires_at
            )
        )
        uow.commit()
        return TelegramLinkCode(code=code, expires_at=expires_at)


@OPERATIONS.get("/telegram/link", public="/me/telegram", tag="Account")
def telegram_status(call: Call) -> TelegramStatus:
    """Whether your account is linked to Telegram, and since when."""
    with call.unit_of_work() as uow:
        link = uow.session.scalar(
            select(TelegramLink).where(TelegramLink.user_id == call.principal.require_user())
        )
        if link is None:
            return TelegramStatus(linked=False)
        return TelegramStatus(
            linked=True, linked_at=link.linked_at, telegram_user_id=link.telegram_user_id
        )


@OPERATIONS.delete("/telegram/link", public="/me/telegram", tag="Account")
def unlink_telegram(call: Call) -> None:
    """Unlink your Telegram account (204 also when none is linked)."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        user_id = call.principal.require_user()
        uow.session.execute(delete(TelegramLink).where(TelegramLink.user_id == user_id))
        uow.commit()


def _spend_code(uow: UnitOfWork, code: str) -> TelegramCode:
    """Mark a live code used, or say why it cannot be; two racing /start cannot both spend it."""
    now = utcnow()
    code_hash = _code_hash(code)
    spent = uow.session.execute(
        update(TelegramCode)
        .where(
            TelegramCode.code_hash == code_hash,
            TelegramCode.used_at.is_(None),
            TelegramCode.expires_at > now,
        )
        .values(used_at=now)
    )
    found = uow.session.scalar(select(TelegramCode).where(TelegramCode.code_hash == code_hash))
    if found is None:
        raise NotFound(
            Message("this link code is unknown; press Link Telegram on the web to get one"),
            field="code",
        )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        if found.used_at is not None:
            raise Gone(
                Message("this link code was already used; press Link Telegram again on the web"),
                field="code",
            )
        raise Gone(
            Message("this link code has expired; press Link Telegram again on the web"),
            field="code",
        )
    return found


@OPERATIONS.post("/telegram/links", status=201, access=Access.SYSTEM)
def link_telegram(call: Call, data: TelegramLinkCreate) -> TelegramLinkOut:
    """Link the Telegram account that sent a code (TripBot's own components)."""
    # The Telegram account leaves any other TripBot account and the owner's earlier Telegram
    # account is replaced: whoever sent the code proved they hold both.
    call.principal.require_system()
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        if uow.session.get_bind().dialect.name == "postgresql":
            # Links change one at a time, so two moving the same accounts cannot collide.
            uow.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext('tripbot.telegram_links'))")
            )
        code = _spend_code(uow, data.code)
        user = store.user(uow, code.user_id)
        uow.session.execute(
            delete(TelegramLink).where(
                or_(
                    TelegramLink.user_id == user.id,
                    TelegramLink.telegram_user_id == data.telegram_user_id,
                )
            )
        )
        link = TelegramLink(
            user_id=user.id, telegram_user_id=data.telegram_user_id, linked_at=utcnow()
        )
        uow.session.add(link)
        uow.commit()
        return _link_out(link, user)


@OPERATIONS.get("/telegram/links", access=Access.SYSTEM)
def telegram_links(call: Call, query: TelegramLinkQuery) -> list[TelegramLinkOut]:
    """The linked Telegram accounts of an event's members, to notify them (system only)."""
    call.principal.require_system()
    event_id = query.event_id
    with call.unit_of_work() as uow:
        if uow.session.get(Event, event_id) is None:
            raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
        rows = uow.session.execute(
            select(TelegramLink, User)
            .join(User, User.id == TelegramLink.user_id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.event_id == event_id)
            .order_by(User.id)
        )
        return [_link_out(link, user) for link, user in rows]


def _not_linked(telegram_user_id: str) -> NotFound:
    return NotFound(
        Message("Telegram user {telegram_user_id} is not linked to a TripBot account"),
        telegram_user_id=telegram_user_id,
    )


@OPERATIONS.get("/telegram/links/<telegram_user_id>", access=Access.SYSTEM)
def telegram_user(call: Call, telegram_user_id: str) -> TelegramLinkOut:
    """The account a Telegram user is linked to (system only), or NotFound."""
    # Not <int:>: that converter stops at database ids, and Telegram ids need 52 bits.
    if not telegram_user_id.isascii() or not telegram_user_id.isdigit():
        raise _not_linked(telegram_user_id)
    call.principal.require_system()
    number = int(telegram_user_id)
    if not 0 < number < MAX_TELEGRAM_USER_ID:
        # Checked before the query: PostgreSQL's bigint would fail on a larger number.
        raise _not_linked(str(number))
    with call.unit_of_work() as uow:
        row = uow.session.execute(
            select(TelegramLink, User)
            .join(User, User.id == TelegramLink.user_id)
            .where(TelegramLink.telegram_user_id == number)
        ).first()
        if row is None:
            raise _not_linked(str(number))
        return _link_out(*row)
