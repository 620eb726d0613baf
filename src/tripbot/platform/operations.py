"""Each operation of a service declared once, next to its use case.

A use case is a function ``(call, *arguments) -> answer``. Decorating it with a service's
:class:`Operations` (``@OPERATIONS.post("/entries", status=201)``) declares its path, method,
status and who may call it; its arguments and answer are read from its type hints. From that one
declaration come the service's HTTP route (:mod:`tripbot.platform.routing`), the typed client
method (a client class names the operation as an attribute) and, unless it is internal, the
gateway's public route under ``/api/v1``.

How a call reaches the use case is the transport's business (:mod:`tripbot.platform.client`):
over HTTP between processes, or directly inside one process, through the same permission checks
and unit of work.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, partial
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    Self,
    TypeVar,
    cast,
    overload,
)

from pydantic import BaseModel

from tripbot.platform.db import Database, UnitOfWork
from tripbot.platform.errors import Message, ServiceUnavailable
from tripbot.platform.identity import Principal
from tripbot.platform.settings import Settings

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy import Connection

    from tripbot.platform.client import ServiceClient

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
ClientT = TypeVar("ClientT")

IDEMPOTENCY_HEADER = "Idempotency-Key"


class Access(StrEnum):
    """Who may call an operation through the gateway; the use case still checks the details."""

    ANYONE = "anyone"
    """No login needed (registering, an invitation's preview, a calendar feed by its token)."""
    USER = "user"
    """A logged-in person."""
    EVENT = "event"
    """A member of the event in the path: the gateway resolves their role before the call."""
    SYSTEM = "system"
    """TripBot's own components only; never on the public API."""


@dataclass(frozen=True)
class Upload:
    """A file someone sent: its name as they gave it, its bytes and the type they said it is."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Download:
    """A file an operation answers with instead of JSON."""

    content: bytes
    content_type: str
    filename: str | None = None
    cache_control: str | None = None


@dataclass(frozen=True)
class In:
    """Where an argument travels when it is not the obvious place (``Annotated[Model, In(...)]``):
    a model is the JSON body of a POST, PUT or PATCH and the query string of a GET or DELETE."""

    location: Literal["query", "json", "header"]
    header: str | None = None


QUERY = In("query")
IdempotencyKey = Annotated[str | None, In("header", IDEMPOTENCY_HEADER)]
"""A retry key: send the same one when retrying and the change happens once."""


@dataclass(frozen=True)
class Param:
    """One argument of an operation and where it travels."""

    name: str
    kind: Literal["path", "json", "query", "header", "file"]
    annotation: Any
    header: str | None = None

    @property
    def model(self) -> type[BaseModel]:
        """The argument's schema (json and query arguments are models)."""
        return cast(type[BaseModel], self.annotation)


_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(kinds) == 1:
            return kinds[0]
    return annotation


class Operation(Generic[P, R]):
    """One operation of a service: a use case and how it is reached.

    Calling the operation runs the use case (``operation(call, ...)``); read from a client
    instance it is that client's method (``client.record_entry(...)``).
    """

    def __init__(
        self,
        registry: Operations,
        use_case: Callable[Concatenate[Call, P], R],
        method: str,
        path: str,
        *,
        status: int,
        access: Access,
        public: str | None,
        produces: tuple[str, ...],
        upload_limit: str | None,
        remember: bool,
        status_of: Callable[[Any], int] | None,
        tag: str | None = None,
        responses: Mapping[int | str, Any] | None = None,
    ) -> None:
        self.service = registry.service
        self.tag = tag or registry.tag
        self.responses = dict(responses or {})
        self.use_case = use_case
        self.name = use_case.__name__
        self.method = method
        self.path = path
        self.status = status
        self.access = access
        self.public_path = public
        self.produces = produces
        self.upload_limit = upload_limit
        self.remember = remember
        self.status_of = status_of
        self.__doc__ = use_case.__doc__
        self.__wrapped__ = use_case

    def __repr__(self) -> str:
        return f"<operation {self.service}.{self.name} {self.method} {self.path}>"

    def __call__(self, call: Call, /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the use case for a call (how the service's route and the in-process transport
        reach it)."""
        return self.use_case(call, *args, **kwargs)

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, client: ServiceClient, owner: type[Any]) -> Callable[P, R]: ...

    def __get__(self, client: ServiceClient | None, owner: type[Any]) -> Self | Callable[P, R]:
        if client is None:
            return self
        return cast(Callable[P, R], partial(client.call, self))

    @property
    def summary(self) -> str:
        """The first line of the use case's docstring."""
        return (self.use_case.__doc__ or self.name).strip().splitlines()[0]

    @property
    def description(self) -> str:
        """The rest of the use case's docstring."""
        text = inspect.cleandoc(self.use_case.__doc__ or "")
        return text.partition("\n")[2].strip()

    @cached_property
    def path_params(self) -> dict[str, str]:
        """The path's parameters and their converters (``int`` or ``string``)."""
        return {name: kind or "string" for kind, name in _PATH_PARAM.findall(self.path)}

    @cached_property
    def params(self) -> tuple[Param, ...]:
        """Every argument after the call, and where it travels (read once from the hints)."""
        hints = typing.get_type_hints(self.use_case, include_extras=True)
        names = list(inspect.signature(self.use_case).parameters)[1:]
        found = []
        for name in names:
            hint = hints[name]
            where: In | None = None
            if typing.get_origin(hint) is Annotated:
                hint, *extras = typing.get_args(hint)
                where = next((extra for extra in extras if isinstance(extra, In)), None)
            found.append(self._param(name, _unwrap_optional(hint), where))
        missing = set(self.path_params) - {p.name for p in found if p.kind == "path"}
        if missing:
            raise TypeError(f"{self!r}: no argument for path parameters {sorted(missing)}")
        return tuple(found)

    def _param(self, name: str, hint: Any, where: In | None) -> Param:
        if name in self.path_params:
            return Param(name, "path", hint)
        if where is not None and where.location == "header":
            return Param(name, "header", hint, where.header)
        if hint is Upload:
            return Param(name, "file", hint)
        if _is_model(hint):
            if where is not None:
                return Param(name, "json" if where.location == "json" else "query", hint)
            return Param(name, "json" if self.method in WRITE_METHODS else "query", hint)
        raise TypeError(f"{self!r}: argument {name!r} has no place in a request ({hint!r})")

    @cached_property
    def answer(self) -> Any:
        """The answer's type: a model, ``list[model]``, :class:`Download` or None."""
        answer = typing.get_type_hints(self.use_case).get("return")
        return None if answer is type(None) else answer

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments of a client call by name (missing ones take their defaults)."""
        bound = self._signature.bind(None, *args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        values.pop(next(iter(values)))  # the call
        return values

    @cached_property
    def _signature(self) -> inspect.Signature:
        return inspect.signature(self.use_case)


class Operations:
    """A service's operations in the order they were declared."""

    def __init__(self, service: str, *, tag: str, public_prefix: str = "") -> None:
        self.service = service
        self.tag = tag
        self.public_prefix = public_prefix
        self._operations: dict[str, Operation[Any, Any]] = {}

    def __iter__(self) -> Iterator[Operation[Any, Any]]:
        return iter(self._operations.values())

    def __len__(self) -> int:
        return len(self._operations)

    def __getitem__(self, name: str) -> Operation[Any, Any]:
        return self._operations[name]

    def declare(
        self,
        method: str,
        path: str,
        *,
        status: int = 200,
        access: Access = Access.USER,
        public: bool | str = True,
        produces: str | tuple[str, ...] = (),
        upload_limit: str | None = None,
        remember: bool | None = None,
        status_of: Callable[[Any], int] | None = None,
        tag: str | None = None,
        responses: Mapping[int | str, Any] | None = None,
    ) -> Callable[[Callable[Concatenate[Call, P], R]], Operation[P, R]]:
        """Declare a use case as an operation.

        ``public``: whether the gateway serves it under ``/api/v1`` (at the service's public
        prefix + its path, or at the path given); system operations never are. ``produces``:
        the content types a :class:`Download` answer may have. ``upload_limit``: the integer
        setting that bounds an uploaded file. ``remember``: whether its answer may be reused
        for the rest of the request (reads by default). ``status_of``: the status of an answer
        when it depends on the answer (``status`` is then the one documented first). ``tag``: its
        group in the API's documentation when not the service's; ``responses``: answers documented
        beyond the generated ones (a download's description, a refusal worth explaining).
        """

        def declare(use_case: Callable[Concatenate[Call, P], R]) -> Operation[P, R]:
            if use_case.__name__ in self._operations:
                raise ValueError(f"{self.service}.{use_case.__name__} is declared twice")
            public_path: str | None = None
            if public and access is not Access.SYSTEM:
                public_path = public if isinstance(public, str) else self.public_prefix + path
            operation = Operation(
                self,
                use_case,
                method,
                path,
                status=status,
                access=access,
                public=public_path,
                produces=(produces,) if isinstance(produces, str) else produces,
                upload_limit=upload_limit,
                remember=method == "GET" if remember is None else remember,
                status_of=status_of,
                tag=tag,
                responses=responses,
            )
            self._operations[operation.name] = operation
            return operation

        return declare

    def get(
        self, path: str, **options: Any
    ) -> Callable[[Callable[Concatenate[Call, P], R]], Operation[P, R]]:
        """Declare a read."""
        return self.declare("GET", path, **options)

    def post(
        self, path: str, **options: Any
    ) -> Callable[[Callable[Concatenate[Call, P], R]], Operation[P, R]]:
        """Declare a creation or an action."""
        return self.declare("POST", path, **options)

    def put(
        self, path: str, **options: Any
    ) -> Callable[[Callable[Concatenate[Call, P], R]], Operation[P, R]]:
        """Declare a replacement."""
        return self.declare("PUT", path, **options)

    def patch(
        self, path: str, **options: Any
    ) -> Callable[[Callable[Concatenate[Call, P], R]], Operation[P, R]]:
        """Declare a change."""
        return self.declare("PATCH", path, **options)

    def delete(
        self, path: str, **options: Any
    ) -> Callable[[Callable[Concatenate[Call, P], R]], Operation[P, R]]:
        """Declare a removal."""
        return self.declare("DELETE", path, **options)


PeerFactory = Callable[[Principal], object]
"""Builds a client of another service acting for a principal."""


@dataclass(frozen=True)
class ServiceRuntime:
    """What a service's use cases run on: its settings, its database, its peers (clients of
    the services it calls) and its own extras (policies built from the settings)."""

    name: str
    settings: Settings
    database: Database
    peers: Mapping[str, PeerFactory] = field(default_factory=dict)
    extras: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One call of a use case: who it is for, and the service it runs in."""

    principal: Principal
    runtime: ServiceRuntime

    @property
    def settings(self) -> Settings:
        """The service's settings."""
        return self.runtime.settings

    def unit_of_work(self) -> UnitOfWork:
        """A fresh unit of work (one transaction) on the service's database."""
        return self.runtime.database.unit_of_work()

    def reading(self) -> AbstractContextManager[Connection]:
        """A plain connection for a lean read (no ORM session; see ``Database.reading``)."""
        return self.runtime.database.reading()

    def peer(self, client: type[ClientT], service: str) -> ClientT:
        """A client of another service acting for the same principal."""
        factory = self.runtime.peers.get(service)
        if factory is None:
            raise ServiceUnavailable(
                Message("this service was started without a connection to the {service} service"),
                service=service,
            )
        return cast(ClientT, factory(self.principal))

    def extra(self, kind: type[T], key: str) -> T:
        """One of the service's own extras (a policy built from its settings)."""
        value = self.runtime.extras[key]
        if not isinstance(value, kind):
            raise TypeError(f"{key!r} is not a {kind.__name__}")
        return value

    def acting_for(self, principal: Principal) -> Call:
        """The same call made for someone else (the service may ask as anyone it names)."""
        return Call(principal, self.runtime)
