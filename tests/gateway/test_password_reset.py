"""Password reset by email (issue 19): the mail goes through a real SMTP server on loopback,
and its link is followed against the running gateway, on both databases."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.builders import PASSWORD, a_person
from tests.gateway.test_web_pages import log_in, submit
from tests.mailing import Mailing, build_system
from tests.mailserver import Received, mail_server
from tripbot.events.models import PasswordReset
from tripbot.events.service.resets import MAILS_PER_HOUR
from tripbot.platform.db import utcnow
from tripbot.system import start_mail_sender

NEW_PASSWORD = "a new long passphrase 7"
LINK = re.compile(r"https?://\S+/password-reset/([A-Za-z0-9_-]+)")


def _token(mail: Received) -> str:
    found = LINK.search(mail.part("plain"))
    assert found, mail.part("plain")
    assert f"/password-reset/{found.group(1)}" in mail.part("html")
    return found.group(1)


def _ask(mail_http: httpx.Client, email: str, language: str = "en") -> httpx.Response:
    return mail_http.post(
        "/api/v1/auth/password-reset", json={"email": email}, headers={"Accept-Language": language}
    )


def test_the_link_sets_a_new_password_once_and_ends_every_session(
    mailing: Mailing, mail_http: httpx.Client, mail_client: FlaskClient
) -> None:
    person = a_person(mail_http)
    log_in(mail_client, person.email)

    asked = _ask(mail_http, person.email.upper())
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

    page = mail_http.get(urlsplit(LINK.search(mail.part("plain")).group(0)).path)  # type: ignore[union-attr]
    assert page.status_code == 200
    assert 'id="reset-form"' in page.text
    done = mail_http.post(
        f"/api/v1/auth/password-reset/{token}", json={"new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204, done.text

    assert mail_client.get("/account/password").status_code == 302  # the web session ended
    old = mail_http.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD})
    assert old.status_code == 401
    new = mail_http.post(
        "/api/v1/auth/token", json={"email": person.email, "password": NEW_PASSWORD}
    )
    assert new.status_code == 201
    again = mail_http.post(f"/api/v1/auth/password-reset/{token}", json={"new_password": PASSWORD})
    assert again.status_code == 410
    assert again.json()["message_id"].startswith("this password reset link has expired")


def test_an_unknown_email_gets_the_same_answer_and_no_mail(
    mailing: Mailing, mail_http: httpx.Client
) -> None:
    person = a_person(mail_http)
    known, unknown = _ask(mail_http, person.email), _ask(mail_http, "nobody@club.example")

    assert (unknown.status_code, unknown.content, unknown.headers.get("Content-Type")) == (
        known.status_code,
        known.content,
        known.headers.get("Content-Type"),
    )
    assert mailing.deliver() == 1
    assert [m.recipients for m in mailing.server.wait_for(1)] == [[person.email]]


def test_the_mail_speaks_the_askers_language(mailing: Mailing, mail_http: httpx.Client) -> None:
    person = a_person(mail_http)
    _ask(mail_http, person.email, "es")
    mailing.deliver()

    (mail,) = mailing.server.wait_for(1)
    assert mail.message["Subject"] == "Elige una contraseña nueva para TripBot"
    assert "=?utf-8?" in mail.message.as_string()  # the subject travels encoded
    assert "sirve una sola vez, durante 30 minutos" in mail.part("plain")
    assert "Elegir una contraseña nueva</a>" in mail.part("html")


def test_a_link_older_than_30_minutes_is_refused(mailing: Mailing, mail_http: httpx.Client) -> None:
    person = a_person(mail_http)
    _ask(mail_http, person.email)
    mailing.deliver()
    token = _token(mailing.server.wait_for(1)[0])
    with mailing.system.databases["events"].engine.begin() as connection:
        connection.execute(update(PasswordReset).values(expires_at=utcnow()))

    late = mail_http.post(
        f"/api/v1/auth/password-reset/{token}", json={"new_password": NEW_PASSWORD}
    )

    assert late.status_code == 410
    assert late.headers["Content-Type"] == "application/problem+json"


def test_a_weak_password_is_refused_and_the_link_still_works(
    mailing: Mailing, mail_http: httpx.Client
) -> None:
    person = a_person(mail_http)
    _ask(mail_http, person.email)
    mailing.deliver()
    token = _token(mailing.server.wait_for(1)[0])

    weak = mail_http.post(
        f"/api/v1/auth/password-reset/{token}",
        json={"new_password": "password123"},
        headers={"Accept-Language": "es"},
    )
    assert weak.status_code == 422
    assert weak.json()["message_id"].startswith("this password")
    done = mail_http.post(
        f"/api/v1/auth/password-reset/{token}", json={"new_password": NEW_PASSWORD}
    )
    assert done.status_code == 204


def test_an_unknown_link_is_not_found(mailing: Mailing, mail_http: httpx.Client) -> None:
    answer = mail_http.post(
        "/api/v1/auth/password-reset/not-a-link", json={"new_password": NEW_PASSWORD}
    )
    assert answer.status_code == 404
    assert answer.json()["message_id"] == "this password reset link is not known; ask for a new one"


def test_the_web_pages_ask_for_the_link_and_set_the_password(
    mailing: Mailing, mail_http: httpx.Client, mail_client: FlaskClient
) -> None:
    person = a_person(mail_http)
    login_page = mail_client.get("/login", headers={"Accept-Language": "es"})
    assert "¿Olvidaste tu contraseña?" in login_page.text
    assert 'href="/password-reset"' in login_page.text

    sent = submit(mail_client, "/password-reset", {"email": person.email}, page="/password-reset")
    assert sent.status_code == 202
    assert 'id="reset-sent"' in sent.text
    mailing.deliver()
    path = urlsplit(LINK.search(mailing.server.wait_for(1)[0].part("plain")).group(0)).path  # type: ignore[union-attr]

    weak = submit(mail_client, path, {"new_password": "short"}, page=path)
    assert weak.status_code == 422
    done = submit(mail_client, path, {"new_password": NEW_PASSWORD}, page=path)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/login")
    log_in(mail_client, person.email, NEW_PASSWORD)
    mail_client.post("/logout", data={"csrf_token": ""})
    used = submit(mail_client, path, {"new_password": NEW_PASSWORD}, page=path)
    assert used.status_code == 410
    assert "pide uno nuevo" in used.text  # the language of the account, since its login


def test_asking_is_rate_limited_per_address(tmp_path: Path, database_urls: dict[str, str]) -> None:
    with mail_server() as server:
        system = build_system(
            tmp_path,
            database_urls,
            smtp_url=server.url,
            mail_from="t@club.example",
            auth_rate_limit="2/minute",
        )
        try:
            with httpx.Client(
                transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
            ) as mail_http:
                answers = [_ask(mail_http, "someone@club.example").status_code for _ in range(3)]
        finally:
            system.close()
    assert answers == [202, 202, 429]


def test_without_email_the_pages_say_it_is_not_set_up(
    tmp_path: Path, database_urls: dict[str, str]
) -> None:
    system = build_system(tmp_path, database_urls)
    try:
        mail_client = system.gateway.test_client()
        page = mail_client.get("/password-reset")
        posted = submit(mail_client, "/password-reset", {"email": "a@club.example"}, page="/login")
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


def test_a_running_tripbot_sends_in_the_background(
    mailing: Mailing, mail_http: httpx.Client
) -> None:
    person = a_person(mail_http)
    sender = start_mail_sender(mailing.system.runtimes)
    assert sender is not None
    try:
        _ask(mail_http, person.email)
        (mail,) = mailing.server.wait_for(1)
    finally:
        sender.stop()
    assert mail.recipients == [person.email]


def test_one_account_gets_at_most_five_reset_mails_an_hour(
    mailing: Mailing, mail_http: httpx.Client
) -> None:
    person = a_person(mail_http)
    answers = {_ask(mail_http, person.email).status_code for _ in range(7)}

    assert answers == {202}  # the same answer throughout: nothing tells that mails stopped
    assert mailing.deliver() == MAILS_PER_HOUR
