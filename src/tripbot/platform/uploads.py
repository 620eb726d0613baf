"""Uploads larger than the app-wide body limit: a view names the setting that bounds its file.

Every request body is limited to ``TRIPBOT_MAX_BODY_BYTES``. CSRF protection reads a form in
an application ``before_request`` hook, before any blueprint hook runs, so a view that takes a
larger file cannot raise its own limit: it marks itself with :func:`allows_upload` and
:func:`raise_upload_limit`, registered by the gateway ahead of CSRF protection, raises
``request.max_content_length`` for it before anything reads the body. Werkzeug then refuses a
larger body with a 413 as soon as something reads it, and :func:`too_large` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from flask import current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from tripbot.platform.errors import Message, PayloadTooLarge
from tripbot.platform.operations import Upload
from tripbot.platform.settings import Settings

View = TypeVar("View", bound=Callable[..., object])

MULTIPART_ENVELOPE: Final = 64 * 1024
"""Room for the other form fields and the multipart boundaries around a file of the limit."""

_MARK: Final = "tripbot_upload_limit"


def allows_upload(setting: str) -> Callable[[View], View]:
    """Let a view read a body holding a file of up to the integer setting ``setting`` bytes."""
    field = Settings.model_fields.get(setting)
    if field is None or field.annotation is not int:
        raise ValueError(f"{setting!r} is not an integer setting of TripBot")

    def mark(view: View) -> View:
        # functools.wraps copies the mark onto any decorator applied above this one.
        setattr(view, _MARK, setting)
        return view

    return mark


def upload_setting(view: Callable[..., object] | None) -> str | None:
    """The setting that bounds a view's upload, or None if it takes only ordinary bodies."""
    setting = getattr(view, _MARK, None)
    return setting if isinstance(setting, str) else None


def body_limit(settings: Settings, setting: str) -> int:
    """The largest body an upload view bounded by ``setting`` reads."""
    file_limit: int = getattr(settings, setting)
    return max(file_limit, settings.max_body_bytes) + MULTIPART_ENVELOPE


def current_settings() -> Settings:
    """The settings of the application handling the current request."""
    settings: Settings = current_app.extensions["tripbot.settings"]
    return settings


def _setting() -> str | None:
    return upload_setting(current_app.view_functions.get(request.endpoint or ""))


def raise_upload_limit() -> None:
    """Before anything reads the body: give an upload view its own limit instead of the app's."""
    setting = _setting()
    if setting is not None:
        request.max_content_length = body_limit(current_settings(), setting)


def refuse_oversized() -> None:
    """Refuse a body whose declared length is over this request's limit, even where the view
    would not read it: the server has taken it in already, and the sender should learn."""
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def too_large() -> PayloadTooLarge:
    """The error for a body over this request's limit, naming the upload's setting if any."""
    limit = request.max_content_length or 0  # set app-wide, so never None here
    setting = _setting()
    if setting is None:
        return PayloadTooLarge(
            Message("the request body is larger than {limit} bytes"), limit=limit
        )
    return PayloadTooLarge(
        Message(
            "the request body is larger than {limit} bytes; files sent here may be at most "
            "{file_limit} bytes ({setting})"
        ),
        limit=limit,
        file_limit=int(getattr(current_settings(), setting)),
        setting=f"TRIPBOT_{setting.upper()}",
    )


def uploaded(storage: FileStorage) -> Upload:
    """A file sent in a form, read whole (its size is bounded by the request's limit)."""
    return Upload(
        storage.filename or "", storage.read(), storage.mimetype or "application/octet-stream"
    )
