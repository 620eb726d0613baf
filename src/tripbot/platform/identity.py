"""Who is asking: the principal a service acts for, and the signed token that carries it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tripbot.platform.errors import Message, NotAuthenticated, NotFound, PermissionDenied

INTERNAL_AUTH_SCHEME = "TripBot-Internal"
ALGORITHM = "EdDSA"
"""Internal tokens are JWTs signed with Ed25519 (RFC 8037), the only algorithm accepted."""

EVENT_ROLE_RANK: dict[str, int] = {"guest": 0, "participant": 1, "organizer": 2, "owner": 3}
ROLE_NAMES: dict[str, Message] = {
    "participant": Message("participant"),
    "organizer": Message("organizer"),
    "owner": Message("owner"),
}
"""The event roles as words a refusal can say in the caller's language."""
"""The event roles an internal token can carry; a higher rank may do what a lower one may."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The person a call is made for; ``user_id`` is None for an anonymous visitor."""

    user_id: int | None = None
    language: str = "es"
    instance_role: str | None = None
    event_id: int | None = None
    event_role: str | None = None
    system: bool = False

    @property
    def is_anonymous(self) -> bool:
        """True when nobody is logged in."""
        return self.user_id is None

    def require_user(self) -> int:
        """The user id, or NotAuthenticated for an anonymous principal."""
        if self.user_id is None:
            raise NotAuthenticated(Message("log in first"))
        return self.user_id

    def require_event_role(self, event_id: int, minimum: str, action: Message) -> str:
        """The principal's role in an event if it ranks at least ``minimum``.

        Non-members get NotFound (events are not enumerable); members below the rank get
        PermissionDenied naming the action.
        """
        if self.event_id != event_id or self.event_role not in EVENT_ROLE_RANK:
            raise NotFound(Message("there is no event {event_id}"), event_id=event_id)
        if EVENT_ROLE_RANK[self.event_role] < EVENT_ROLE_RANK[minimum]:
            raise PermissionDenied(
                Message("only an event {minimum} or above may {action}"),
                minimum=ROLE_NAMES.get(minimum, minimum),
                action=action,
            )
        return self.event_role

    def require_system(self) -> None:
        """Refuse callers other than TripBot's own components (the bot, the gateway's readers)."""
        if not self.system:
            raise PermissionDenied(Message("only TripBot's own components may read this"))


ANONYMOUS = Principal()
SYSTEM = Principal(system=True)
"""The principal of TripBot's own components acting for nobody in particular."""


@dataclass(frozen=True, slots=True)
class Destination:
    """The one call an internal token is good for: the service, the method and the path."""

    service: str
    method: str
    path: str

    @classmethod
    def of(cls, service: str, method: str, path: str) -> Destination:
        """Where a request is sent: its path as written in the URL (percent-encoded, perhaps
        with a query), decoded and without the query, as the receiver will see it."""
        return cls(service, method.upper(), unquote(urlsplit(path).path))

    @classmethod
    def served(cls, service: str, method: str, path: str) -> Destination:
        """The request being served: its path already decoded (a ``?`` in it is part of it)."""
        return cls(service, method.upper(), path)


class TokenSigner:
    """Mints the short-lived tokens one caller (the gateway, the system identity, a service for
    its calls to its peers) sends to services, with that caller's own Ed25519 private key. A
    token names the principal, the one call it is for (service, method and path) and a one-time
    id, so a token captured on one call is refused by every other service, method and path, and
    when sent again."""

    def __init__(self, issuer: str, key: Ed25519PrivateKey, ttl_seconds: int = 15) -> None:
        self.issuer = issuer
        self._key = key
        self._ttl = ttl_seconds

    def sign(self, principal: Principal, to: Destination) -> str:
        """A token that says who the principal is, for one call."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": to.service,
            "htm": to.method,
            "htu": to.path,
            "iat": now,
            "exp": now + self._ttl,
            "jti": secrets.token_urlsafe(18),
            "who": asdict(principal),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.issuer})

    def header(self, principal: Principal, to: Destination) -> str:
        """The Authorization header value for a principal's call."""
        return f"{INTERNAL_AUTH_SCHEME} {self.sign(principal, to)}"


class FirstUse(Protocol):
    """Remembers the ids of accepted tokens until they expire (see ``platform.replay``)."""

    def first_use(self, token_id: str, expires_at: datetime) -> bool:
        """Record the id; False if it was already recorded."""
        ...


class TokenVerifier:
    """Checks the tokens a service receives with the public keys of the callers it trusts: it
    can tell a caller's token from a forgery but cannot mint one itself."""

    def __init__(
        self,
        audience: str,
        trusted: Mapping[str, Ed25519PublicKey],
        used: FirstUse,
        ttl_seconds: int = 15,
    ) -> None:
        self.audience = audience
        self._trusted = dict(trusted)
        self._used = used
        self._ttl = ttl_seconds

    def verify(self, token: str, at: Destination) -> Principal:
        """The principal a token names, or NotAuthenticated if forged, expired, for another
        call, or already used."""
        try:
            issuer = jwt.get_unverified_header(token).get("kid")
            key = self._trusted.get(issuer) if isinstance(issuer, str) else None
            if key is None:
                raise NotAuthenticated(Message("internal token invalid"))
            data: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer,
                # The audience is checked below with the method and path: one call, one answer.
                options={
                    "require": ["iss", "aud", "iat", "exp", "jti", "htm", "htu", "who"],
                    "verify_aud": False,
                },
            )
        except jwt.ExpiredSignatureError as error:
            raise NotAuthenticated(Message("internal token expired")) from error
        except jwt.InvalidTokenError as error:
            raise NotAuthenticated(Message("internal token invalid")) from error
        called = [data["aud"], data["htm"], data["htu"]]
        if at.service != self.audience or called != [self.audience, at.method, at.path]:
            raise NotAuthenticated(Message("internal token is for another call"))
        lifetime = data["exp"] - data["iat"]
        if not isinstance(lifetime, int) or lifetime > self._ttl:
            # A token meant to outlive what this service remembers could be replayed later.
            raise NotAuthenticated(Message("internal token invalid"))
        try:
            principal = Principal(**data["who"])
        except TypeError as error:
            raise NotAuthenticated(Message("internal token malformed")) from error
        expires = datetime.fromtimestamp(data["exp"], UTC)
        if not isinstance(data["jti"], str) or not self._used.first_use(data["jti"], expires):
            raise NotAuthenticated(Message("internal token already used"))
        return principal

    def verify_header(self, value: str | None, at: Destination) -> Principal:
        """The principal in an Authorization header, or NotAuthenticated."""
        scheme, _, token = (value or "").partition(" ")
        if scheme != INTERNAL_AUTH_SCHEME or not token:
            raise NotAuthenticated(Message("this service answers only signed internal calls"))
        return self.verify(token.strip(), at)
