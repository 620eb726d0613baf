"""Who is asking: the principal a service acts for, and the signed token that carries it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from tripbot.platform.errors import Message, NotAuthenticated, NotFound, PermissionDenied

INTERNAL_AUTH_SCHEME = "TripBot-Internal"

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
    """Signs and verifies the short-lived tokens that callers send to services. A token names
    the principal and the one call it is for, so a token captured on one call is refused by
    every other service, method and path."""

    def __init__(self, secret: str, ttl_seconds: int = 15) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="tripbot.internal-token")
        self._ttl = ttl_seconds

    def sign(self, principal: Principal, to: Destination) -> str:
        """A token that says who the principal is, for one call."""
        bound = [to.service, to.method, to.path]
        return str(self._serializer.dumps({"who": asdict(principal), "for": bound}))

    def verify(self, token: str, at: Destination) -> Principal:
        """The principal a token names, or NotAuthenticated if forged, expired or for another
        call."""
        try:
            data: dict[str, Any] = self._serializer.loads(token, max_age=self._ttl)
        except SignatureExpired as error:
            raise NotAuthenticated(Message("internal token expired")) from error
        except BadSignature as error:
            raise NotAuthenticated(Message("internal token invalid")) from error
        try:
            principal = Principal(**data["who"])
        except (TypeError, KeyError) as error:
            raise NotAuthenticated(Message("internal token malformed")) from error
        if data.get("for") != [at.service, at.method, at.path]:
            raise NotAuthenticated(Message("internal token is for another call"))
        return principal

    def header(self, principal: Principal, to: Destination) -> str:
        """The Authorization header value for a principal's call."""
        return f"{INTERNAL_AUTH_SCHEME} {self.sign(principal, to)}"

    def verify_header(self, value: str | None, at: Destination) -> Principal:
        """The principal in an Authorization header, or NotAuthenticated."""
        scheme, _, token = (value or "").partition(" ")
        if scheme != INTERNAL_AUTH_SCHEME or not token:
            raise NotAuthenticated(Message("this service answers only signed internal calls"))
        return self.verify(token.strip(), at)
