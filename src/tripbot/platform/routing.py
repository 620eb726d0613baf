"""HTTP routes made from operation declarations: a service's own routes, and the gateway's public
routes that put authentication in front of the same operations.

Both read an operation's arguments from the request as its declaration says (path, JSON body,
query string, headers, files), document them in the OpenAPI of the app, and answer with the
operation's answer: its schema as JSON, a file, or 204 for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import UploadFile
from flask import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from tripbot.platform.identity import Principal
from tripbot.platform.operations import Download, Operation, Operations, Param
from tripbot.platform.uploads import allows_upload, uploaded

Invoke = Callable[[Operation[Any, Any], dict[str, Any]], Any]
"""Runs an operation with its arguments by name, for whoever the request is from."""

_HEADERS = "headers_"
_FILES = "files_"
NO_CONTENT = ("", 204)


@cache
def _headers_model(operation: Operation[Any, Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        _header_field(param): (str | None, Field(None, min_length=1, max_length=200))
        for param in operation.params
        if param.kind == "header"
    }
    return create_model(
        f"{_camel(operation.name)}Headers", __config__=ConfigDict(extra="ignore"), **fields
    )


def _header_field(param: Param) -> str:
    """The field a header is read into (APIFlask gives headers as ``idempotency_key``)."""
    return (param.header or param.name).lower().replace("-", "_")


@cache
def _files_model(operation: Operation[Any, Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        param.name: (UploadFile, ...) for param in operation.params if param.kind == "file"
    }
    return create_model(
        f"{_camel(operation.name)}Files",
        __config__=ConfigDict(arbitrary_types_allowed=True),
        **fields,
    )


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def _of_kind(operation: Operation[Any, Any], kind: str) -> list[Param]:
    return [param for param in operation.params if param.kind == kind]


def _arguments(operation: Operation[Any, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The operation's arguments from what the route was given (path values and inputs)."""
    arguments = {param.name: given[param.name] for param in _of_kind(operation, "path")}
    arguments.update(
        {p.name: given.get(p.name) for p in operation.params if p.kind in ("json", "query")}
    )
    if _HEADERS in given:
        headers: BaseModel = given[_HEADERS]
        arguments.update(
            {p.name: getattr(headers, _header_field(p)) for p in _of_kind(operation, "header")}
        )
    if _FILES in given:
        files: BaseModel = given[_FILES]
        for param in _of_kind(operation, "file"):
            arguments[param.name] = uploaded(getattr(files, param.name))
    return arguments


def respond(operation: Operation[Any, Any], answer: Any) -> Any:
    """The HTTP answer of an operation's answer."""
    if operation.answer is None:
        return NO_CONTENT
    if isinstance(answer, Download):
        response = Response(
            answer.content, status=operation.status, content_type=answer.content_type
        )
        if answer.filename:
            response.headers.set("Content-Disposition", "attachment", filename=answer.filename)
        if answer.cache_control:
            response.headers["Cache-Control"] = answer.cache_control
        return response
    if operation.status_of is not None:
        return answer, operation.status_of(answer)
    return answer


def _view(operation: Operation[Any, Any], invoke: Invoke) -> Callable[..., Any]:
    def view(**given: Any) -> Any:
        return respond(operation, invoke(operation, _arguments(operation, given)))

    view.__name__ = operation.name
    view.__doc__ = operation.__doc__
    return view


def _documented(
    bp: APIBlueprint, operation: Operation[Any, Any], view: Callable[..., Any]
) -> Callable[..., Any]:
    """The view with its inputs, output and documentation declared to APIFlask."""
    for param in operation.params:
        if param.kind in ("json", "query"):
            view = bp.input(param.model, location=param.kind, arg_name=param.name)(view)
    if _of_kind(operation, "header"):
        view = bp.input(_headers_model(operation), location="headers", arg_name=_HEADERS)(view)
    if _of_kind(operation, "file"):
        view = bp.input(_files_model(operation), location="files", arg_name=_FILES)(view)
    answer = operation.answer
    responses: dict[int | str, Any] | None = None
    if answer is None:
        view = bp.output({}, status_code=204)(view)
    elif answer is Download:
        responses = {
            operation.status: {
                "description": operation.summary,
                "content": {
                    kind: {"schema": {"type": "string"}}
                    for kind in operation.produces or ("application/octet-stream",)
                },
            }
        }
    else:
        view = bp.output(answer, status_code=operation.status)(view)
    if operation.responses:
        responses = {**(responses or {}), **operation.responses}
    view = bp.doc(
        summary=operation.summary,
        description=operation.description or None,
        tags=[operation.tag],
        responses=responses,
    )(view)
    if operation.upload_limit:
        view = allows_upload(operation.upload_limit)(view)
    return view


def operations_blueprint(
    name: str, operations: Operations, invoke: Invoke, *, url_prefix: str = "", public: bool = False
) -> APIBlueprint:
    """A blueprint of routes for operations: a service's own (every one, at its path), or the
    gateway's public ones (at their public path)."""
    bp = APIBlueprint(name, __name__, tag=operations.tag, url_prefix=url_prefix or None)
    for operation in operations:
        path = operation.public_path if public else operation.path
        if path is None:
            continue
        view = _documented(bp, operation, _view(operation, invoke))
        bp.route(path, methods=[operation.method], endpoint=operation.name)(view)
    return bp


PrincipalOf = Callable[[Operation[Any, Any], dict[str, Any]], Principal]
"""Who a request is from, for an operation and its arguments."""
