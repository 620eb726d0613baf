"""Invitation codes and calendar feed tokens never reach the logs: whoever reads them (or the log
host they are forwarded to) must not be able to join an event or subscribe to its calendar."""

from __future__ import annotations

import httpx
import structlog
from flask.testing import FlaskClient

from tests.builders import a_cast, an_activity, an_invitation
from tests.gateway.test_web_pages import log_in
from tripbot.platform.redaction import logged_path


def test_invitation_codes_and_feed_tokens_are_redacted_from_access_logs(
    http: httpx.Client, client: FlaskClient
) -> None:
    cast = a_cast(http)
    event = f"/api/v1/events/{cast.event['id']}"
    accepted, revoked = (an_invitation(http, cast.event, cast.owner)["code"] for _ in range(2))
    an_activity(http, cast.event, cast.organizer)
    feed = http.post(f"{event}/agenda/feed-token", headers=cast.participant.headers)
    token = feed.json()["token"]
    log_in(client, cast.outsider.email)
    with structlog.testing.capture_logs() as logs:
        assert http.get(f"/api/v1/invitations/{accepted}").status_code == 200
        assert client.get(f"/invite/{accepted}").status_code == 200
        answer = http.post(f"/api/v1/invitations/{accepted}/accept", headers=cast.outsider.headers)
        assert answer.status_code in (200, 201), answer.text
        gone = http.delete(f"{event}/invitations/{revoked}", headers=cast.owner.headers)
        assert gone.status_code == 204, gone.text
        assert http.get(f"/api/v1/invitations/{revoked}/nothing-here").status_code == 404
        assert http.get(f"{event}/agenda.ics", params={"token": token}).status_code == 200
    written = repr(logs)
    assert accepted not in written
    assert revoked not in written
    assert token not in written
    paths = [entry["path"] for entry in logs if entry["event"] == "request"]
    assert paths == [
        "/api/v1/invitations/[redacted]",
        "/invite/[redacted]",
        "/api/v1/invitations/[redacted]/accept",
        f"{event}/invitations/[redacted]",
        "/api/v1/invitations/[redacted]/nothing-here",
        f"{event}/agenda.ics",
    ]


def test_only_secret_segments_are_redacted() -> None:
    assert logged_path("/events/7/invitations", {"event_id": 7}) == "/events/7/invitations"
    assert logged_path("/events/7/invitations/Ab-9/revoke", {"event_id": 7, "code": "Ab-9"}) == (
        "/events/7/invitations/[redacted]/revoke"
    )
    assert logged_path("/api/v1/routes/12", {"route_id": 12}) == "/api/v1/routes/12"
