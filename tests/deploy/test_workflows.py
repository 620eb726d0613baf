""".github/workflows: valid for GitHub Actions (its JSON schema, offline), and doing what
docs/releasing.md promises: CI on every push and pull request on both engines, the image on main
and tags, the wheel and sdist on tags."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import DEPLOY, ROOT, tool

WORKFLOWS = ROOT / ".github" / "workflows"
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


def load(name: str) -> dict[str, Any]:
    """A workflow file; YAML 1.1 reads the key `on` as True, so it is put back."""
    workflow: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of every job."""
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict[str, Any]) -> str:
    """The shell commands of every step, one after the other."""
    return "\n".join(step.get("run", "") for step in steps(workflow))


def uses(workflow: dict[str, Any], action: str) -> dict[str, Any]:
    """The `with:` of the one step that uses an action (by name, without version)."""
    (step,) = [s for s in steps(workflow) if s.get("uses", "").split("@")[0] == action]
    with_: dict[str, Any] = step.get("with", {})
    return with_


def make_targets() -> set[str]:
    """The targets the Makefile defines."""
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w.-]*):(?!=)", text, re.MULTILINE))


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_the_workflow_is_valid_for_github_actions(name: str) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", WORKFLOWS / name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_actions_are_pinned_and_make_targets_exist(name: str) -> None:
    workflow = load(name)
    for step in steps(workflow):
        if "uses" in step:
            assert PINNED_ACTION.match(step["uses"]), step["uses"]
    called = set(re.findall(r"\bmake ([\w.-]+)", runs(workflow)))
    assert called, f"{name} runs no make target"
    assert called <= make_targets(), called - make_targets()
    assert workflow["permissions"] == {"contents": "read"}  # jobs ask for more where needed


def test_ci_runs_lint_and_the_whole_gate_on_both_engines_for_every_push_and_pull_request() -> None:
    workflow = load("ci.yml")
    assert "push" in workflow["on"]
    assert "pull_request" in workflow["on"]
    (job,) = workflow["jobs"].values()
    (postgres,) = job["services"].values()
    assert postgres["image"] == "postgres:16"
    assert job["env"]["CI"] == "true"
    service_host = next(iter(job["services"]))
    assert f"@{service_host}:5432/" in job["env"]["TRIPBOT_TEST_POSTGRES_URL"]
    commands = runs(workflow)
    assert "make lint" in commands
    assert "make test" in commands
    assert uses(workflow, "actions/checkout")["fetch-depth"] == 0  # tags give the version


def test_release_publishes_the_image_on_main_and_tags_and_the_dists_on_tags() -> None:
    workflow = load("release.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["on"]["push"]["tags"] == ["v*"]
    build = uses(workflow, "docker/build-push-action")
    assert (ROOT / build["file"]) == DEPLOY / "docker" / "Dockerfile"
    assert build["push"] is True
    assert "TRIPBOT_VERSION=" in build["build-args"]
    assert re.search(r"^ARG TRIPBOT_VERSION=", (ROOT / build["file"]).read_text(), re.M)
    tags = uses(workflow, "docker/metadata-action")["tags"]
    for wanted in ("type=ref,event=branch", "type=semver,pattern={{version}}", "type=sha"):
        assert wanted in tags
    assert uses(workflow, "docker/metadata-action")["images"].startswith("ghcr.io/")
    image = workflow["jobs"]["image"]
    assert image["permissions"]["packages"] == "write"

    dist = workflow["jobs"]["dist"]
    assert dist["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert dist["permissions"]["contents"] == "write"
    commands = "\n".join(step.get("run", "") for step in dist["steps"])
    assert "make dist" in commands
    assert "gh release create" in commands
    assert "dist/*" in commands


def test_the_release_notes_are_the_version_s_changelog_section(tmp_path: Path) -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert released, "CHANGELOG.md has no released version"
    (step,) = [
        s for s in steps(load("release.yml")) if s.get("name", "").startswith("Release notes")
    ]
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    for version in released:
        subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            env={"PATH": "/usr/bin:/bin", "VERSION": f"v{version}"},
            cwd=tmp_path,
            check=True,
        )
        notes = (tmp_path / "notes.md").read_text()
        section = changelog.split(f"## [{version}]")[1].split("\n## [")[0]
        assert notes.strip() == section.partition("\n")[2].strip()
    missing = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        env={"PATH": "/usr/bin:/bin", "VERSION": "v99.0.0"},
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert missing.returncode != 0  # a tag without its changelog section is not released
