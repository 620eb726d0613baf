"""Every endpoint that takes a body refuses one over its limit with 413: problem+json on the API,
a page that says the limit on the web. The upload endpoints (marked with ``allows_upload``) are
found in the url_map and must be declared below with their setting, so a new one cannot go
untested; every other endpoint is held to ``TRIPBOT_MAX_BODY_BYTES``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from werkzeug.routing import Rule

from tests.builders import a_person
from tests.conftest import make_settings
from tripbot.platform.uploads import body_limit, upload_setting
from tripbot.system import System, build_embedded

LIMITS = {
    "max_body_bytes": 4096,
    "routes_max_upload_bytes": 20_000,
    "gear_max_photo_bytes": 30_000,
    "ledger_max_receipt_bytes": 40_000,
}
UPLOADS = {
    "api_route_files.create_route": "routes_max_upload_bytes",
    "api_gear.set_photo": "gear_max_photo_bytes",
    "routes.create": "routes_max_upload_bytes",
    "gear.upload_photo": "gear_max_photo_bytes",
    "ledger.new_entry": "ledger_max_receipt_bytes",
    "ledger.edit_entry": "ledger_max_receipt_bytes",
    "ledger.attach_receipt": "ledger_max_receipt_bytes",
    "ledger.import_entries": "ledger_max_receipt_bytes",
    "api_ledger.attach_receipt": "ledger_max_receipt_bytes",
    "api_ledger.import_csv": "ledger_max_receipt_bytes",
    "api_ledger.import_from_app": "ledger_max_receipt_bytes",
    "ledger_switch.switch": "ledger_max_receipt_bytes",
}
"""Endpoint → the setting that bounds its files."""
WITH_BODY = {"POST", "PUT", "PATCH"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The whole system with small limits."""
    built = build_embedded(make_settings(tmp_path_factory.mktemp("oversized"), **LIMITS))
    yield built
    built.close()


@pytest.fixture(scope="module")
def http(small: System) -> Iterator[httpx.Client]:
    """An httpx client of the small gateway."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=small.gateway), base_url="http://testserver"
    ) as client:
        yield client


def _rules(small: System) -> list[Rule]:
    return [
        rule
        for rule in small.gateway.url_map.iter_rules()
        if rule.methods and rule.methods & WITH_BODY and not rule.endpoint.startswith("static")
    ]


def _path(rule: Rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", "1").replace(f"<{name}>", "x")
    return path


def _marked(small: System) -> dict[str, str]:
    found = {}
    for rule in _rules(small):
        setting = upload_setting(small.gateway.view_functions[rule.endpoint])
        if setting is not None:
            found[rule.endpoint] = setting
    return found


def test_every_upload_endpoint_is_declared_with_its_setting(small: System) -> None:
    assert _marked(small) == UPLOADS


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "tripbotboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.gpx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + b"x" * (size - len(head) - len(tail)) + tail
    return body, f"multipart/form-data; boundary={boundary}"


def test_every_endpoint_refuses_a_body_over_its_limit(small: System, http: httpx.Client) -> None:
    person = a_person(http)
    settings = small.settings
    wrong = []
    for rule in _rules(small):
        setting = UPLOADS.get(rule.endpoint)
        limit = body_limit(settings, setting) if setting else settings.max_body_bytes
        body, content_type = _multipart(limit + 1)
        api = rule.rule.startswith("/api/")
        for method in sorted((rule.methods or set()) & WITH_BODY):
            answer = http.request(
                method,
                _path(rule),
                content=body,
                headers={"Content-Type": content_type, **(person.headers if api else {})},
            )
            said = answer.text
            ok = answer.status_code == 413 and f"larger than {limit} bytes" in said
            if setting:
                ok = ok and f"TRIPBOT_{setting.upper()}" in said
            if api:
                ok = ok and answer.headers["content-type"] == "application/problem+json"
            else:
                ok = ok and '<html lang="' in said
            if not ok:
                wrong.append((rule.endpoint, method, answer.status_code, said[:200]))
    assert wrong == [], "\n".join(map(str, wrong))
