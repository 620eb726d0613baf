"""Secrets kept out of logs: a request's path is logged with its invitation codes and tokens
replaced, so that whoever reads the logs (or the log host they are forwarded to) cannot join an
event or subscribe to its calendar with what they read there."""

from __future__ import annotations

from collections.abc import Mapping

REDACTED = "[redacted]"
SECRET_PATH_ARGUMENTS = frozenset(("code", "token"))
"""Names of the path parameters that carry a secret (an invitation code, a feed token...)."""
SECRET_AFTER = frozenset(("invite", "invitations"))
"""Path segments followed by a secret: an invitation's code, also in a path no route matched."""


def logged_path(path: str, view_args: Mapping[str, object] | None) -> str:
    """The path to write in a log record, each secret segment replaced by ``[redacted]``.

    The query string is never logged (the calendar feed's token travels there).
    """
    secrets = {
        value
        for name, value in (view_args or {}).items()
        if name in SECRET_PATH_ARGUMENTS and isinstance(value, str) and value
    }
    segments = path.split("/")
    kept = [
        REDACTED
        if segment in secrets
        or (index > 0 and segments[index - 1] in SECRET_AFTER and segment and not segment.isdigit())
        else segment
        for index, segment in enumerate(segments)
    ]
    return "/".join(kept)
