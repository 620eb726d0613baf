"""Every web form refuses a POST without a valid CSRF token (taken from the url_map, so a new
form is covered without a new test), and every answer carries the security headers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from apiflask import APIFlask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.builders import an_event
from tests.conftest import make_settings
from tests.gateway.test_web_pages import a_guest, csrf_token
from tripbot.system import System, build_embedded

NOT_WEB_FORMS = ("api", "health", "metrics", "openapi", "static")
"""Blueprints (endpoint prefixes) that are no web forms: the API takes bearer tokens only."""


def web_form_rules(gateway: APIFlask) -> list[Rule]:
    """Every rule of the web UI that changes something (POST, PUT, PATCH, DELETE)."""
    changing = {"POST", "PUT", "PATCH", "DELETE"}
    return [
        rule
        for rule in gateway.url_map.iter_rules()
        if rule.methods
        and rule.methods & changing
        and rule.endpoint.split(".")[0] not in NOT_WEB_FORMS
        and not rule.endpoint.startswith("api")
    ]


def _path(rule: Rule, event_id: int) -> str:
    values: dict[str, object] = {}
    for argument in rule.arguments:
        values[argument] = event_id if argument == "event_id" else "1"
    path, _, _ = rule.rule.partition("?")
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return path


def test_the_forms_are_found(system: System) -> None:
    endpoints = {rule.endpoint for rule in web_form_rules(system.gateway)}
    # A sample of each web area, so an empty enumeration cannot pass the next test.
    assert {"account.login", "events.delete", "routes.create", "gear.import_csv"} <= endpoints
    assert {"ledger.attach_receipt", "agenda.add_activity", "main.set_language"} <= endpoints
    assert not any(e.startswith("api") for e in endpoints)


def test_every_web_form_refuses_a_post_without_a_valid_csrf_token(
    system: System, client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    valid = csrf_token(client, "/events")
    refused = []
    for rule in web_form_rules(system.gateway):
        path = _path(rule, event["id"])
        for data in ({}, {"csrf_token": "forged"}, {"csrf_token": valid[:-2] + "xx"}):
            for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
                answer = client.open(path, method=method, data=data)
                if answer.status_code != 400 or "CSRF" not in answer.text:
                    refused.append((rule.endpoint, method, data, answer.status_code))
    assert refused == []
    # Nothing happened: the event is still there, and the session still logged in.
    assert http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).status_code == 200
    assert client.get("/account").status_code == 200


PAGES = ("/", "/login", "/status", "/static/js/app.js", "/api/v1/health", "/api/v1/events")


def _assert_security_headers(response: httpx.Response) -> None:
    policy = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"], policy
    assert "'unsafe-inline'" not in directives.get("default-src", []), policy
    assert directives["frame-ancestors"] == ["'none'"], policy
    assert directives["object-src"] == ["'none'"], policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PAGES)
def test_pages_and_api_answers_carry_the_security_headers_and_no_hsts_over_http(
    http: httpx.Client, path: str
) -> None:
    response = http.get(path)
    assert response.status_code in (200, 401), response.text
    _assert_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", PAGES)
def test_behind_a_tls_proxy_hsts_is_sent(http: httpx.Client, path: str) -> None:
    response = http.get(path, headers={"X-Forwarded-Proto": "https"})
    _assert_security_headers(response)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_with_secure_cookies_hsts_is_always_sent(tmp_path: Path) -> None:
    built = build_embedded(make_settings(tmp_path, secure_cookies=True))
    try:
        with httpx.Client(
            transport=httpx.WSGITransport(app=built.gateway), base_url="http://testserver"
        ) as http:
            for path in PAGES:
                response = http.get(path)
                _assert_security_headers(response)
                assert int(response.headers["Strict-Transport-Security"].split("=")[1]) >= 31536000
    finally:
        built.close()


def test_hsts_lasts_what_the_setting_says_and_zero_leaves_it_to_the_proxy(tmp_path: Path) -> None:
    for max_age, expected in ((600, "max-age=600"), (0, None)):
        built = build_embedded(make_settings(tmp_path / str(max_age), hsts_max_age=max_age))
        try:
            with httpx.Client(
                transport=httpx.WSGITransport(app=built.gateway), base_url="http://testserver"
            ) as http:
                response = http.get("/login", headers={"X-Forwarded-Proto": "https"})
                assert response.headers.get("Strict-Transport-Security") == expected
        finally:
            built.close()
