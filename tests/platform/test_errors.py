"""The one table from domain errors to HTTP statuses, and problem+json both ways."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tripbot.platform.errors import (
    ERROR_BY_SLUG,
    STATUS_BY_ERROR,
    Conflict,
    DomainError,
    Gone,
    InvalidInput,
    MalformedRequest,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    StorageFull,
    StorageReadOnly,
    TooManyAttempts,
    error_from_problem,
    problem_body,
    problem_type,
    status_for,
)

TABLE = [
    (MalformedRequest, 400, "malformed-request"),
    (NotAuthenticated, 401, "not-authenticated"),
    (PermissionDenied, 403, "permission-denied"),
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (Gone, 410, "gone"),
    (PayloadTooLarge, 413, "payload-too-large"),
    (InvalidInput, 422, "invalid-input"),
    (TooManyAttempts, 429, "too-many-attempts"),
    (ServiceUnavailable, 503, "service-unavailable"),
    (StorageReadOnly, 503, "storage-read-only"),
    (StorageFull, 507, "storage-full"),
]


def test_the_table_lists_every_error_once() -> None:
    assert {cls for cls, _, _ in TABLE} == set(STATUS_BY_ERROR)
    assert set(ERROR_BY_SLUG) == {slug for _, _, slug in TABLE}


@pytest.mark.parametrize(("cls", "status", "slug"), TABLE)
def test_each_error_has_its_status_and_type(cls: type[DomainError], status: int, slug: str) -> None:
    error = cls("it went wrong")
    assert status_for(error) == status
    body = problem_body(error, "/somewhere")
    assert body == {
        "type": f"urn:tripbot:problem:{slug}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": "it went wrong",
        "instance": "/somewhere",
    }


@pytest.mark.parametrize(("cls", "status", "slug"), TABLE)
def test_a_problem_becomes_the_same_error_again(
    cls: type[DomainError], status: int, slug: str
) -> None:
    original = cls("why it failed", field="email", retry_after=7)
    body = {**problem_body(original, "/users"), "request_id": "abcdef0123456789"}
    rebuilt = error_from_problem(body, status)
    assert type(rebuilt) is cls
    assert rebuilt.detail == "why it failed"
    assert rebuilt.extensions == {"field": "email", "retry_after": 7}
    assert rebuilt.slug == slug


def test_a_subclass_answers_with_its_nearest_listed_ancestor() -> None:
    class EventFull(Conflict):
        slug = "event-full"

    assert status_for(EventFull("no room left")) == HTTPStatus.CONFLICT
    assert problem_body(EventFull("no room left"))["type"] == problem_type("event-full")


def test_an_unlisted_error_is_a_bad_request() -> None:
    assert status_for(DomainError("odd")) == HTTPStatus.BAD_REQUEST


def test_no_instance_means_no_instance_member() -> None:
    assert "instance" not in problem_body(NotFound("gone fishing"))


@pytest.mark.parametrize(
    ("body", "status", "cls", "detail"),
    [
        pytest.param(
            {"type": "urn:other:teapot", "detail": "x"}, 404, NotFound, "x", id="by-status"
        ),
        pytest.param({"title": "Locked"}, 423, InvalidInput, "Locked", id="unknown-status"),
        pytest.param({}, 409, Conflict, "Conflict", id="empty-body-uses-phrase"),
        pytest.param(
            {"type": "urn:tripbot:problem:gone", "detail": "", "title": "Gone"},
            410,
            Gone,
            "Gone",
            id="title-when-no-detail",
        ),
    ],
)
def test_foreign_problems_fall_back_on_the_status(
    body: dict[str, object], status: int, cls: type[DomainError], detail: str
) -> None:
    error = error_from_problem(body, status)
    assert type(error) is cls
    assert error.detail == detail
