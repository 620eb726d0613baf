"""``tripbot routes import``: a folder of route files, with a summary of what failed and why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.routes.synthetic import small_gpx
from tripbot.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_terminal(cli_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # the summary table on one line per file


def _account(data_dir: Path) -> None:
    args = ["user", "create", "--email", "ana@club.example", "--name", "Ana"]
    result = runner.invoke(
        app, [*args, "--data-dir", str(data_dir)], input="a long password\na long password\n"
    )
    assert result.exit_code == 0, result.output


def test_importing_a_folder_adds_the_good_files_and_says_why_the_others_failed(
    tmp_path: Path,
) -> None:
    data_dir, folder = tmp_path / "data", tmp_path / "tracks"
    (folder / "more").mkdir(parents=True)
    (folder / "cares.gpx").write_bytes(small_gpx("Cares", description="a"))
    (folder / "more" / "oso.gpx").write_bytes(small_gpx("Oso", description="b"))
    (folder / "broken.gpx").write_bytes(b"<gpx><trk>")
    (folder / "lonely.gpx").write_bytes(small_gpx("Solo", points=1))
    (folder / "notes.txt").write_text("not a route")
    _account(data_dir)

    result = runner.invoke(
        app,
        ["routes", "import", str(folder), "--as", "Ana@Club.example", "--data-dir", str(data_dir)],
    )
    assert result.exit_code == 1, result.output
    assert "2 of 4 route(s) added" in result.output
    assert "broken.gpx" in result.output
    assert "not valid XML" in result.output
    assert "lonely.gpx" in result.output
    assert "at least two" in result.output
    assert "notes.txt" not in result.output

    again = runner.invoke(
        app,
        [
            "routes",
            "import",
            str(folder / "cares.gpx"),
            "--as",
            "ana@club.example",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert again.exit_code == 1
    assert "0 of 1 route(s) added" in again.output
    assert "already added as route" in again.output


def test_an_unknown_account_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.gpx").write_bytes(small_gpx())
    result = runner.invoke(
        app,
        [
            "routes",
            "import",
            str(tmp_path),
            "--as",
            "nobody@x.example",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert "There is no account" in result.output


DATA = Path(__file__).parent / "routes" / "data"


def _cells(output: str) -> str:
    """The words of the report's tables, each cell's lines joined (tables wrap long text)."""
    rows = [line.split("│") for line in output.splitlines() if line.startswith("│")]
    text = " ".join(" ".join(row[2:-1]) for row in rows)
    return output + "\n" + " ".join(text.split())


def test_repairs_are_told_per_file_and_refusals_print_literally(tmp_path: Path) -> None:
    data_dir, folder = tmp_path / "data", tmp_path / "tracks"
    folder.mkdir()
    (folder / "mojstrovka.gpx").write_bytes((DATA / "gpx/gpxpy__Mojstrovka.gpx").read_bytes())
    (folder / "walk.fit").write_bytes(
        (DATA / "fit/fitdecode__garmin-fenix-5-walk.fit").read_bytes()
    )
    (folder / "bad.geojson").write_text('{"type": "LineString", "coordinates": [1, 2]}')
    _account(data_dir)
    result = runner.invoke(
        app,
        ["routes", "import", str(folder), "--as", "ana@club.example", "--data-dir", str(data_dir)],
    )
    assert result.exit_code == 1, result.output
    said = _cells(result.output)
    assert "2 of 3 route(s) added" in said
    assert "Added with repairs" in said
    assert "184 impossible time(s), before 1980 or in the future, were ignored" in said
    assert "point 4, point 5 (1901-12-13T20:45:52Z); and 179 more" in said
    # Square brackets in a refusal are words, not Rich markup.
    assert "that are not [lon, lat, elevation?] arrays" in said


def test_the_report_speaks_spanish_when_asked(tmp_path: Path) -> None:
    data_dir, folder = tmp_path / "data", tmp_path / "tracks"
    folder.mkdir()
    (folder / "mojstrovka.gpx").write_bytes((DATA / "gpx/gpxpy__Mojstrovka.gpx").read_bytes())
    (folder / "points.kml").write_bytes((DATA / "kml/togeojson__twopoints.kml").read_bytes())
    _account(data_dir)
    args = ["routes", "import", str(folder), "--as", "ana@club.example"]
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir), "--language", "es"])
    assert result.exit_code == 1, result.output
    said = _cells(result.output)
    assert "1 de 2 ruta(s) añadida(s)" in said
    assert "se han ignorado 184 hora(s) imposible(s)" in said
    assert "el archivo tiene 2 punto(s) de interés pero ningún recorrido" in said


def test_only_regular_files_are_read_links_and_pipes_are_named_not_followed(
    tmp_path: Path,
) -> None:
    data_dir, folder = tmp_path / "data", tmp_path / "tracks"
    folder.mkdir()
    (folder / "cares.gpx").write_bytes(small_gpx("Cares"))
    (folder / "zero.gpx").symlink_to("/dev/zero")
    (folder / "link.gpx").symlink_to(folder / "cares.gpx")
    os.mkfifo(folder / "pipe.gpx")
    (folder / "loop").symlink_to(folder)  # a folder that contains itself, not followed
    _account(data_dir)
    # A separate process with a deadline: reading /dev/zero or a pipe would never end.
    tripbot = str(Path(sys.executable).parent / "tripbot")
    args = ["routes", "import", str(folder), str(folder / "zero.gpx"), "--as", "ana@club.example"]
    finished = subprocess.run(
        [tripbot, *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output
    assert "1 of 5 route(s) added" in output
    assert output.count("it is a symbolic link; only regular files are imported") == 3
    assert "it is a named pipe, not a regular file" in output
