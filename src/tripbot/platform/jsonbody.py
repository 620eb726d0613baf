"""Reading a request's JSON body without crashing on one nested deeper than Python can parse.

``json.loads`` recurses once per level; a body of a few kilobytes of ``[[[[…`` exhausts the
interpreter's recursion limit and, uncaught, became a 500 with a traceback logged each time, on
every JSON endpoint, unauthenticated ones included. Every TripBot application reads bodies
through this provider, which refuses such a body as a malformed request (400, in the caller's
language) instead.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from tripbot.platform.errors import MalformedRequest, Message

TOO_DEEP = Message("the request body's JSON is nested too deeply to be read")
NOT_AN_OBJECT = Message("the request body must be a JSON object of named fields")


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a body nested too deeply to parse instead of crashing."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """The value of a JSON text; MalformedRequest if it is nested too deeply to parse."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            # From None: the chained traceback would be thousands of frames of nothing.
            raise MalformedRequest(TOO_DEEP) from None
