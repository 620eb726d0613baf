"""Invitations by email (issue 19): each address gets its own single-use link in a mail in the
inviter's chosen language, through a real SMTP server on loopback; the link is followed."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from flask.testing import FlaskClient

from tests.builders import a_member, a_person, an_event
from tests.gateway.test_web_pages import log_in, submit
from tests.mailing import Mailing, build_system

INVITE = re.compile(r"https?://\S+(/invite/[A-Za-z0-9_-]+)")


def _invite(
    mail_http: httpx.Client, event_id: int, by: dict[str, str], **body: object
) -> httpx.Response:
    return mail_http.post(f"/api/v1/events/{event_id}/invitations/email", json=body, headers=by)


def test_each_address_gets_its_own_link_in_the_chosen_language(
    mailing: Mailing, mail_http: httpx.Client
) -> None:
    owner = a_person(mail_http, display_name="Ana Pérez")
    event = an_event(mail_http, owner, name="Travesía de Gredos", place="Plataforma de Gredos")

    answer = _invite(
        mail_http,
        event["id"],
        owner.headers,
        emails=["Luis@Club.example", "marta@club.example", "luis@club.example"],
        language="es",
    )

    assert answer.status_code == 201, answer.text
    sent = answer.json()
    assert [i["email"] for i in sent] == ["luis@club.example", "marta@club.example"]
    assert all(i["max_uses"] == 1 and i["role"] == "participant" for i in sent)
    assert mailing.deliver() == 2
    mails = {m.recipients[0]: m for m in mailing.server.wait_for(2)}
    mail = mails["marta@club.example"]
    assert mail.message["Subject"] == "Ana Pérez te invita a Travesía de Gredos"
    assert "te invita a unirte a Travesía de Gredos en TripBot" in mail.part("plain")
    assert "Plataforma de Gredos" in mail.part("html")
    links = {m: INVITE.search(mails[m].part("plain")).group(1) for m in mails}  # type: ignore[union-attr]
    assert len(set(links.values())) == 2
    assert {i["url"] for i in sent} == {f"http://testserver{p}" for p in links.values()}

    marta = a_person(mail_http, email="marta@club.example")
    page = mail_http.get(links["marta@club.example"], headers=marta.headers)
    assert page.status_code == 200
    assert "Travesía de Gredos" in page.text
    code = urlsplit(links["marta@club.example"]).path.rsplit("/", 1)[1]
    joined = mail_http.post(f"/api/v1/invitations/{code}/accept", headers=marta.headers)
    assert joined.status_code == 200
    again = mail_http.post(
        f"/api/v1/invitations/{code}/accept", headers=a_person(mail_http).headers
    )
    assert again.status_code == 410  # used once


def test_the_inviters_language_is_english_when_asked(
    mailing: Mailing, mail_http: httpx.Client
) -> None:
    owner = a_person(mail_http, display_name="Ana")
    event = an_event(mail_http, owner, name="Sierra Nevada")
    _invite(mail_http, event["id"], owner.headers, emails=["luis@club.example"], language="en")
    mailing.deliver()
    (mail,) = mailing.server.wait_for(1)
    assert mail.message["Subject"] == "Ana invites you to Sierra Nevada"
    assert "works once" in mail.part("plain")


def test_participants_cannot_invite_by_email_and_nothing_is_queued(
    mailing: Mailing, mail_http: httpx.Client
) -> None:
    owner = a_person(mail_http)
    event = an_event(mail_http, owner)
    participant = a_member(mail_http, event, owner)

    refused = _invite(mail_http, event["id"], participant.headers, emails=["x@club.example"])
    stranger = _invite(
        mail_http, event["id"], a_person(mail_http).headers, emails=["x@club.example"]
    )

    assert refused.status_code == 403
    assert stranger.status_code == 404
    assert mailing.deliver() == 0


def test_a_bad_address_is_refused_whole(mailing: Mailing, mail_http: httpx.Client) -> None:
    owner = a_person(mail_http)
    event = an_event(mail_http, owner)
    answer = _invite(
        mail_http, event["id"], owner.headers, emails=["ok@club.example", "not an email"]
    )
    assert answer.status_code == 422
    assert mailing.deliver() == 0


def test_the_event_page_invites_by_email(
    mailing: Mailing, mail_http: httpx.Client, mail_client: FlaskClient
) -> None:
    owner = a_person(mail_http)
    event = an_event(mail_http, owner)
    log_in(mail_client, owner.email)
    page = f"/events/{event['id']}"
    assert 'id="invite-email-form"' in mail_client.get(page).text

    wrong = submit(
        mail_client, f"{page}/invitations/email", {"emails": "a@club.example nope"}, page
    )
    assert wrong.status_code == 302
    assert "nope" in mail_client.get(page).text  # said in the flash
    sent = submit(
        mail_client,
        f"{page}/invitations/email",
        {"emails": "a@club.example,\nb@club.example", "role": "participant", "language": "en"},
        page,
    )
    assert sent.status_code == 302
    assert mailing.deliver() == 2
    assert sorted(m.recipients[0] for m in mailing.server.wait_for(2)) == [
        "a@club.example",
        "b@club.example",
    ]


def test_without_email_the_event_page_says_to_share_a_link(
    tmp_path: Path, database_urls: dict[str, str]
) -> None:
    system = build_system(tmp_path, database_urls)
    try:
        with httpx.Client(
            transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
        ) as api:
            owner = a_person(api)
            event = an_event(api, owner)
            refused = _invite(api, event["id"], owner.headers, emails=["a@club.example"])
        web = system.gateway.test_client()
        log_in(web, owner.email)
        page = web.get(f"/events/{event['id']}").text
    finally:
        system.close()
    assert refused.status_code == 403
    assert 'id="invite-email-off"' in page
    assert 'id="invite-email-form"' not in page
