"""``tripbot routes import``: a folder of route files, with a summary of what failed and why."""

from __future__ import annotations

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
