"""XML bombs and external entities sent to every XML entry point (route import on the web, on
the API and from the command line) are refused with a clear message, storing nothing. They are
refused on seeing the DTD, before any entity is expanded or fetched (no timing is asserted here:
a billion laughs expanded would not finish at all)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient
from typer.testing import CliRunner

from tests.builders import a_person
from tests.gateway.test_web_pages import csrf_token, log_in
from tripbot.cli import app as cli

_ENTITIES = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
)
_QUADRATIC = "A" * 50_000
_TRACK = '<trk><trkseg><trkpt lat="1" lon="1"/><trkpt lat="1.1" lon="1"/></trkseg></trk>'
_GPX = 'xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="x"'
_KML = 'xmlns="http://www.opengis.net/kml/2.2"'
_KML_LINE = "<Placemark><LineString><coordinates>1,1 1.1,1</coordinates></LineString></Placemark>"
HOSTILE = {
    "billion-laughs.gpx": f"<!DOCTYPE gpx [{_ENTITIES}]><gpx {_GPX}><metadata><name>&lol9;"
    f"</name></metadata>{_TRACK}</gpx>",
    "quadratic.kml": f'<!DOCTYPE kml [<!ENTITY a "{_QUADRATIC}">]><kml {_KML}><Document>'
    f"<name>{'&a;' * 5000}</name>{_KML_LINE}</Document></kml>",
    "file-xxe.gpx": '<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    f"<gpx {_GPX}><metadata><name>&x;</name></metadata>{_TRACK}</gpx>",
    "http-xxe.kml": '<!DOCTYPE kml [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
    f"<kml {_KML}><Document><name>&x;</name>{_KML_LINE}</Document></kml>",
    "parameter-entity.gpx": '<!DOCTYPE gpx [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
    f"<gpx {_GPX}>{_TRACK}</gpx>",
}
"""File name → content; every one declares a DTD, which route files never need."""


def _catalogue(http: httpx.Client, headers: dict[str, str]) -> int:
    total: int = http.get("/api/v1/routes", headers=headers).json()["total"]
    return total


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_api_refuses_hostile_xml(http: httpx.Client, name: str) -> None:
    ana = a_person(http)
    answer = http.post(
        "/api/v1/routes", files={"file": (name, HOSTILE[name].encode())}, headers=ana.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "DTD" in answer.json()["detail"]
    assert "root:" not in answer.text
    assert _catalogue(http, ana.headers) == 0


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_web_refuses_hostile_xml(client: FlaskClient, http: httpx.Client, name: str) -> None:
    ana = a_person(http)
    log_in(client, ana.email)
    page = client.post(
        "/routes/new",
        data={
            "csrf_token": csrf_token(client, "/routes/new"),
            "file": (io.BytesIO(HOSTILE[name].encode()), name),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 422, page.text
    assert "DTD" in page.text
    assert "root:" not in page.text
    assert _catalogue(http, ana.headers) == 0


def test_the_command_line_refuses_hostile_xml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in list(os.environ):
        if variable.startswith("TRIPBOT_"):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("TRIPBOT_ENV", "test")
    monkeypatch.setenv("COLUMNS", "250")
    data_dir, folder = tmp_path / "data", tmp_path / "tracks"
    folder.mkdir()
    for name, content in HOSTILE.items():
        (folder / name).write_text(content)
    runner = CliRunner()
    created = runner.invoke(
        cli,
        [
            "user",
            "create",
            "--email",
            "ana@club.example",
            "--name",
            "Ana",
            "--data-dir",
            str(data_dir),
        ],
        input="a long password\na long password\n",
    )
    assert created.exit_code == 0, created.output
    result = runner.invoke(
        cli,
        ["routes", "import", str(folder), "--as", "ana@club.example", "--data-dir", str(data_dir)],
    )
    assert result.exit_code == 1, result.output
    assert f"0 of {len(HOSTILE)} route(s) added" in result.output
    for name in HOSTILE:
        assert name in result.output
    assert "DTD" in result.output
    assert "root:" not in result.output
