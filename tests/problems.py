"""Assertions about RFC 9457 problem+json answers, shared by every API test."""

from __future__ import annotations

from typing import Any

import httpx
from werkzeug.test import TestResponse

PROBLEM_JSON = "application/problem+json"


def assert_problem(
    response: httpx.Response | TestResponse, status: int, slug: str, detail: str | None = None
) -> dict[str, Any]:
    """Check that a response is the problem+json of the given status and type; return its body."""
    assert response.status_code == status, _text(response)
    assert response.headers["Content-Type"] == PROBLEM_JSON, _text(response)
    body: dict[str, Any] = (
        response.json() if isinstance(response, httpx.Response) else response.get_json(force=True)
    )
    assert body["type"] == f"urn:tripbot:problem:{slug}", body
    assert body["status"] == status, body
    assert isinstance(body["title"], str), body
    assert body["title"], body
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    assert body["request_id"] == response.headers["X-Request-ID"], body
    if detail is not None:
        assert detail in body["detail"], body
    return body


def invalid_fields(body: dict[str, Any]) -> set[str]:
    """The names of the fields a 422 problem complains about."""
    return {error["field"] for error in body.get("errors", [])}


def _text(response: httpx.Response | TestResponse) -> str:
    return (
        response.text if isinstance(response, httpx.Response) else response.get_data(as_text=True)
    )
