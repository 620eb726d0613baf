"""Password reset by email (issue 19): the mail goes through a real SMTP server on loopback,
and its link is followed against the running gateway, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.builders import PASSWORD, a_person
from tests.conftest import make_settings
from tests.gateway.test_web_pages import log_in, submit
from tests.mailserver import MailServer, Received, mail_server
from tripbot.events.api import mail_sender
from tripbot.events.models import PasswordReset
from tripbot.platform.db import utcnow
from tripbot.platform.mail import MailSender
from tripbot.system import System, build_embedded

NEW_PASSWORD = "a new long passphrase 7"
LINK = re.compile(r"https?://\S+/password-reset/([A-Za-z0-9_-]+)")


@dataclass
class Mailing:
    """A TripBot that sends email, the SMTP server it sends to, and its sender."""

    system: System
    server: MailServer
    sender: MailSender

    def deliver(self) -> int:
        """Run the sender once (as its background round does); how many mails went out."""
        return self.sender.run_once()


def _build(tmp_path: Path, database_urls: dict[str, str], **overrides: object) -> System:
    settings = make_settings(tmp_path, public_url="http://testserver", **overrides)
    return build_embedded(settings, database_urls, run_migrations=False)


@pytest.fixture
def mailing(tmp_path: Path, database_urls: dict[str, str]) -> Iterator[Mailing]:
    with mail_server() as server:
        system = _build(
            tmp_path,
            database_urls,
            smtp_url=server.url,
            mail_from="Club de Montaña <tripbot@club.example>",
        )
        sender = mail_sender(system.runtimes["events"])
        assert sender is not None
        yield Mailing(system, server, sender)
        system.close()


@pytest.fixture
def http(mailing: Mailing) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=mailing.system.gateway), base_url="http://testserver"
    ) as session:
        yield session


@pytest.fixture
def client(mailing: Mailing) -> FlaskClient:
    return mailing.system.gateway.test_client()


def _token(mail: Received) -> str:
    found = LINK.search(mail.part("plain"))
    assert found, mail.part("plain")
    assert f"/password-reset/{found.group(1)}" in mail.part("html")
    return found.group(1)


def _ask(http: httpx.Client, email: str, language: str = "en") -> httpx.Response:
    return http.post(
        "/api/v1/auth/password-reset", json={"email": email}, headers={"Accept-Language": language}
    )


def test_the_link_sets_a_new_password_once_and_ends_every_session(
    mailing: Mailing, http: httpx.Client, client: FlaskClient
) -> None:
    person = a_person(http)
    log_in(client, person.email)

    asked = _ask(http, person.email.upper())
    assert asked.status_code == 202
    assert asked.json() == {
        "detail": "If an account has that email, a link to set a new password is on its way. "
        "It works once, for 30 minutes."
    }
    assert mailing.deliver() == 1
    (mail,) = mailing.server.wait_for(1)
    assert mail.recipients == [person.email]
    assert mail.message["Subject"] == "Set a new password for TripBot"
    assert mail.message["From"] == "Club de Montaña <tripbot@club.example>"
    assert mail.message["Message-ID"].endswith("@club.example>")
    assert "30 minutes" in mail.part("plain")
    assert '<html lang="en">' in mail.part("html")
    token = _token(mail)

    page = http.get(urlsplit(LINK.search(mail.part("plain")).group(0)).path)  # type: ignore[union-attr]
    assert page.status_code == 200
    assert 'id="reset-form"' in page.text
    done = http.post(f"/api/v1/auth/password-reset/{token}", json={"new_password": NEW_PASSWORD})
    assert done.status_code == 204, done.text

    assert client.get("/account/password").status_code == 302  # the web session ended
    old = http.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD})
    assert old.status_code == 401
    new = http.post("/api/v1/auth/token", json={"email": person.email, "password": NEW_PASSWORD})
    assert new.status_code == 201
    again = http.post(f"/api/v1/auth/password-reset/{token}", json={"new_password": PASSWORD})
    assert again.status_code == 410
    assert again.json()["message_id"].startswith("this password reset link has expired")


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    mailing: Mailing, http: httpx.Client
) -> None:
    person = a_person(http)
    known, unknown = _ask(http, person.email), _ask(http, "nobody@club.example")

    assert (unknown.status_code, unknown.content, unknown.headers.get("Content-Type")) == (
        known.status_code,
        known.content,
        known.headers.get("Content-Type"),
    )
    assert mailing.deliver() == 1
    assert [m.recipients for m in mailing.server.wait_for(1)] == [[person.email]]


def test_the_mail_speaks_the_askers_language(mailing: Mailing, http: httpx.Client) -> None:
    person = a_person(http)
    _ask(http, person.email, "es")
    mailing.deliver()

    (mail,) = mailing.server.wait_for(1)
    assert mail.message["Subject"] == "Elige una contraseña nueva para TripBot"
    assert "=?utf-8?" in mail.message.as_string()  # the subject travels encoded
    assert "sirve una sola vez, durante 30 minutos" in mail.part("plain")
    assert "Elegir una contraseña nueva</a>" in mail.part("html")


def test_a_link_older_than_30_minutes_is_refused(mailing: Mailing, http: httpx.Client) -> None:
    person = a_person(http)
    _ask(http, person.email)
    mailing.deliver()
    token = _token(mailing.server.wait_for(1)[0])
    with mailing.system.databases["events"].engine.begin() as connection:
        connection.execute(update(PasswordReset).values(expires_at=utcnow()))

    late = http.post(f"/api/v1/auth/password-reset/{token}", json={"new_password": NEW_PASSWORD})

    assert late.status_code == 410
    assert late.headers["Content-Type"] == "application/problem+json"


def test_a_weak_password_is_refused_and_the_link_still_works(
    mailing: Mailing, http: httpx.Client
) -> None:
    person = a_person(http)
    _ask(http, person.email)
    mailing.deliver()
    token = _token(mailing.server.wait_for(1)[0])

    weak = http.post(
        f"/api/v1/auth/password-reset/{token}",
        json={"new_password": "password123"},
        headers={"Accept-Language": "es"},
    )
    assert weak.status_code == 422
    assert weak.json()["message_id"].startswith("this password")
    done = http.post(f"/api/v1/auth/password-reset/{token}", json={"new_password": NEW_PASSWORD})
    assert done.status_code == 204


def test_an_unknown_link_is_not_found(mailing: Mailing, http: httpx.Client) -> None:
    answer = http.post(
        "/api/v1/auth/password-reset/not-a-link", json={"new_password": NEW_PASSWORD}
    )
    assert answer.status_code == 404
    assert answer.json()["message_id"] == "this password reset link is not known; ask for a new one"


def test_the_web_pages_ask_for_the_link_and_set_the_password(
    mailing: Mailing, http: httpx.Client, client: FlaskClient
) -> None:
    person = a_person(http)
    login_page = client.get("/login", headers={"Accept-Language": "es"})
    assert "¿Olvidaste tu contraseña?" in login_page.text
    assert 'href="/password-reset"' in login_page.text

    sent = submit(client, "/password-reset", {"email": person.email}, page="/password-reset")
    assert sent.status_code == 202
    assert 'id="reset-sent"' in sent.text
    mailing.deliver()
    path = urlsplit(LINK.search(mailing.server.wait_for(1)[0].part("plain")).group(0)).path  # type: ignore[union-attr]

    weak = submit(client, path, {"new_password": "short"}, page=path)
    assert weak.status_code == 422
    done = submit(client, path, {"new_password": NEW_PASSWORD}, page=path)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    log_in(client, person.email, NEW_PASSWORD)
    client.post("/logout", data={"csrf_token": ""})
    used = submit(client, path, {"new_password": NEW_PASSWORD}, page=path)
    assert used.status_code == 410
    assert "pide uno nuevo" in used.text  # the language of the account, since its login


def test_asking_is_rate_limited_per_address(tmp_path: Path, database_urls: dict[str, str]) -> None:
    with mail_server() as server:
        system = _build(
            tmp_path,
            database_urls,
            smtp_url=server.url,
            mail_from="t@club.example",
            auth_rate_limit="2/minute",
        )
        try:
            with httpx.Client(
                transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
            ) as http:
                answers = [_ask(http, "someone@club.example").status_code for _ in range(3)]
        finally:
            system.close()
    assert answers == [202, 202, 429]


def test_without_email_the_pages_say_it_is_not_set_up(
    tmp_path: Path, database_urls: dict[str, str]
) -> None:
    system = _build(tmp_path, database_urls)
    try:
        client = system.gateway.test_client()
        page = client.get("/password-reset")
        posted = submit(client, "/password-reset", {"email": "a@club.example"}, page="/login")
        api = system.gateway.test_client().post(
            "/api/v1/auth/password-reset", json={"email": "a@club.example"}
        )
    finally:
        system.close()
    assert 'id="mail-not-set-up"' in page.text
    assert 'id="forgot-form"' not in page.text
    assert 'id="mail-not-set-up"' in posted.text
    assert api.status_code == 403
    assert api.json is not None
    assert api.json["message_id"].startswith("this TripBot does not send email")
