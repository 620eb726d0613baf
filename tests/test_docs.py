"""The documentation tells the truth about what it documents."""

from __future__ import annotations

from pathlib import Path

from tripbot.platform.settings_doc import configuration_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_starts_with_the_two_commands() -> None:
    first_block = ROOT.joinpath("README.md").read_text().split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block


def test_readme_documents_every_setting() -> None:
    readme = ROOT.joinpath("README.md").read_text()
    table = readme.split("<!-- configuration-table:start -->\n")[1].split(
        "<!-- configuration-table:end -->"
    )[0]
    assert table.strip() == configuration_table().strip(), (
        "README's configuration table is stale: regenerate it from "
        "tripbot.platform.settings_doc.configuration_table()"
    )


def test_ci_calls_the_readme_test_command() -> None:
    assert "make test" in ROOT.joinpath(".ci/run").read_text()
