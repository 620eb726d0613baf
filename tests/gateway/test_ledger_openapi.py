"""The ledger's OpenAPI tells the truth about its downloads (found by the API fuzzer: receipts
and the CSV export were declared as JSON)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import a_cast_in, an_expense
from tripbot.system import System

RECEIPTS = [
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, id="png"),
    pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 32, id="jpeg"),
    pytest.param(b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24, id="webp"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n", id="pdf"),
]
SERVICE_RECEIPT = "/events/{event_id}/ledger/entries/{entry_id}/receipts/{receipt_id}"
SERVICE_CSV = "/events/{event_id}/ledger/export.csv"


def declared_types(spec: dict[str, Any], path: str) -> set[str]:
    """The media types a GET operation declares for its 200 answer."""
    return set(spec["paths"][path]["get"]["responses"]["200"]["content"])


def specs(system: System, http: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """The gateway's public OpenAPI and the ledger service's own."""
    public: dict[str, Any] = http.get("/api/v1/openapi.json").json()
    ledger: dict[str, Any] = system.services["ledger"].test_client().get("/openapi.json").get_json()
    return public, ledger


@pytest.mark.parametrize("content", RECEIPTS)
def test_a_receipt_is_served_as_a_declared_type(
    system: System, http: httpx.Client, content: bytes
) -> None:
    cast = a_cast_in(system)
    entry = an_expense(http, cast.event, cast.owner)
    url = f"/api/v1/events/{cast.event['id']}/ledger/entries/{entry['id']}/receipts"
    files = {"file": ("ticket", content, "application/octet-stream")}
    receipt = http.post(url, files=files, headers=cast.owner.headers)
    assert receipt.status_code == 201, receipt.text
    got = http.get(f"{url}/{receipt.json()['id']}", headers=cast.owner.headers)
    assert got.status_code == 200, got.text
    public, ledger = specs(system, http)
    assert got.headers["Content-Type"] in declared_types(public, f"/api/v1{SERVICE_RECEIPT}")
    assert got.headers["Content-Type"] in declared_types(ledger, SERVICE_RECEIPT)


def test_the_csv_export_is_declared_as_csv(system: System, http: httpx.Client) -> None:
    cast = a_cast_in(system)
    an_expense(http, cast.event, cast.owner)
    got = http.get(
        f"/api/v1/events/{cast.event['id']}/ledger/export.csv", headers=cast.owner.headers
    )
    assert got.status_code == 200, got.text
    assert got.headers["Content-Type"].startswith("text/csv")
    public, ledger = specs(system, http)
    assert "text/csv" in declared_types(public, f"/api/v1{SERVICE_CSV}")
    assert "text/csv" in declared_types(ledger, SERVICE_CSV)
