"""Personal API tokens: made, listed, revoked, and resolved to their account."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import ApiToken
from tripbot.events.schemas import TokenCreate, TokenCreated, TokenOut, TokenResolve, UserOut
from tripbot.events.service.accounts import owner_of, policy_of
from tripbot.platform.db import utcnow
from tripbot.platform.errors import Message, NotAuthenticated, NotFound
from tripbot.platform.logging import get_logger
from tripbot.platform.operations import Access, Call

TOKEN_PREFIX = "tb_"  # noqa: S105 - a marker, not a secret
TOKEN_USE_PRECISION = timedelta(minutes=1)
"""How stale a token's ``last_used_at`` may get: recording each use would make every API call a
write (one at a time on SQLite), and a full or read-only disk would then refuse every call."""
_log = get_logger("events")


@OPERATIONS.post("/tokens", status=201, access=Access.ANYONE, public=False)
def create_token(call: Call, data: TokenCreate) -> TokenCreated:
    """A new personal API token for the account whose email and password are given; its secret
    is returned once and stored only hashed."""
    # The password is checked here, not only at the gateway: a token outlives the call that
    # made it, so a captured internal token or a web session alone must never be enough.
    # Not public as it is: the gateway's POST /auth/token is rate-limited per address and email.
    policy = policy_of(call)
    with call.unit_of_work() as uow:
        user_id = owner_of(uow, policy, data).id
        if call.principal.user_id not in (None, user_id):
            # Someone logged in asks with another account's credentials: not theirs to use.
            raise NotAuthenticated(Message("wrong email or password"))
        # Checked before the write lock is taken, which SQLite would hold through the hash.
        uow.session.rollback()
        uow.lock_for_write()
        user = store.user(uow, user_id)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = None
        if data.expires_in_days is not None:
            expires_at = utcnow() + timedelta(days=data.expires_in_days)
        token = ApiToken(
            user_id=user.id,
            name=data.name,
            prefix=secret[:10],
            token_hash=rules.secret_hash(secret),
            expires_at=expires_at,
        )
        uow.session.add(token)
        uow.commit()
        return TokenCreated(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=None,
            expires_at=token.expires_at,
            token=secret,
        )


@OPERATIONS.get("/tokens", public="/me/tokens", tag="Account")
def tokens(call: Call) -> list[TokenOut]:
    """Your personal API tokens."""
    # Those not revoked, oldest first.
    with call.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == call.principal.require_user(), ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
        return [TokenOut.model_validate(t, from_attributes=True) for t in rows]


@OPERATIONS.delete("/tokens/<int:token_id>", public="/me/tokens/<int:token_id>", tag="Account")
def revoke_token(call: Call, token_id: int) -> None:
    """Revoke one of your API tokens."""
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        token = uow.session.get(ApiToken, token_id)
        if token is None or token.user_id != call.principal.require_user() or token.revoked_at:
            raise NotFound(Message("you have no token {token_id}"), token_id=token_id)
        token.revoked_at = utcnow()
        uow.commit()


@OPERATIONS.post("/tokens/resolve", access=Access.ANYONE, public=False)
def resolve_token(call: Call, data: TokenResolve) -> UserOut:
    """The account a bearer token belongs to, or NotAuthenticated."""
    with call.unit_of_work() as uow:
        token = uow.session.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == rules.secret_hash(data.token),
                ApiToken.revoked_at.is_(None),
            )
        )
        if token is None:
            raise NotAuthenticated(Message("the API token is unknown or revoked"))
        if token.expires_at is not None and token.expires_at <= utcnow():
            raise NotAuthenticated(Message("the API token has expired"))
        user = store.user_out(store.user(uow, token.user_id))
        now = utcnow()
        if token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_PRECISION:
            try:
                uow.session.execute(
                    update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                )
                uow.commit()
            except OperationalError as error:
                # Bookkeeping only: a busy, full or read-only database must not lock people out.
                _log.warning("token use not recorded", error=str(error.orig))
        return user
