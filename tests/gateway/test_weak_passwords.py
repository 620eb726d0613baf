"""Weak new passwords are refused, in the person's language (issue 15, item 4): too short,
in the lists of leaked passwords, or a few characters repeated; through the API and the web."""

from __future__ import annotations

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.builders import user_payload
from tests.gateway.test_web_pages import submit
from tests.problems import assert_problem, invalid_fields
from tripbot.events.models import User
from tripbot.platform.password_rules import common_passwords
from tripbot.system import System

LEAKED = ["1234567890", "qwertyuiop", "Password123", "1q2w3e4r5t", "  iloveyou12"]
REPEATED = ["aaaaaaaaaa", "ababababab", "1212121212", "xyzxyzxyzxyz"]


def _users(system: System) -> int:
    with system.databases["events"].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(User)) or 0


def test_the_list_is_the_well_known_one() -> None:
    listed = common_passwords()
    assert len(listed) >= 30_000
    assert {"123456", "password", "qwerty", "1234567890"} <= listed


@pytest.mark.parametrize("password", LEAKED)
def test_registering_with_a_leaked_password_is_refused(
    system: System, http: httpx.Client, password: str
) -> None:
    answer = http.post("/api/v1/auth/register", json=user_payload(password=password))
    body = assert_problem(answer, 422, "invalid-input", "lists of leaked passwords")
    assert body["field"] == "password"
    assert _users(system) == 0


@pytest.mark.parametrize("password", REPEATED)
def test_registering_with_a_few_characters_repeated_is_refused(
    system: System, http: httpx.Client, password: str
) -> None:
    answer = http.post("/api/v1/auth/register", json=user_payload(password=password))
    assert_problem(answer, 422, "invalid-input", "too few different characters")
    assert _users(system) == 0


def test_the_refusal_speaks_spanish_when_asked(system: System, http: httpx.Client) -> None:
    answer = http.post(
        "/api/v1/auth/register",
        json=user_payload(password="1234567890"),
        headers={"Accept-Language": "es"},
    )
    assert_problem(answer, 422, "invalid-input", "listas de contraseñas filtradas")


def test_a_short_password_is_still_refused_by_length(http: httpx.Client) -> None:
    answer = http.post("/api/v1/auth/register", json=user_payload(password="Zx9!qT"))
    assert invalid_fields(assert_problem(answer, 422, "invalid-input")) == {"password"}


def test_a_long_uncommon_password_is_accepted(http: httpx.Client) -> None:
    answer = http.post("/api/v1/auth/register", json=user_payload(password="mochila azul 2026"))
    assert answer.status_code == 201


def test_the_register_form_says_why_in_the_ui_language(system: System, client: FlaskClient) -> None:
    form = {"email": "ana@club.example", "display_name": "Ana", "language": "es"}
    leaked = submit(client, "/register", {**form, "password": "1234567890"}, page="/register")
    assert leaked.status_code == 422
    assert "Esta contraseña aparece en listas de contraseñas filtradas" in leaked.text
    repeated = submit(client, "/register", {**form, "password": "aaaaaaaaaa"}, page="/register")
    assert "Esta contraseña repite muy pocos caracteres distintos" in repeated.text
    assert _users(system) == 0
