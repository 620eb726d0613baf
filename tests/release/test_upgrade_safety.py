"""Upgrades are safe: `tripbot migrate --backup-to` backs up what it is about to change first,
`--wait` lets new processes wait for a migration Job, and the previous release's code (v0.1.0,
from git history) still runs on the schema this version migrated to, as a rolling update needs
(migrations stay backward compatible for one release: docs/operations.md)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.processes import Process, free_port, production_environment
from tests.release.packaging import DEMO_EMAIL, DEMO_PASSWORD, ROOT
from tests.release.test_upgrade import FIXTURES, PREVIOUS_REVISIONS
from tripbot import SERVICES

PREVIOUS_RELEASE_COMMIT = "97b9b213f5d73d0f6a639f39afaf04fee3b57a06"
"""v0.1.0: the commit whose schema revisions the upgrade fixtures hold (events 0002, the others
0001); a clone without tags still has it."""


def previous_data(tmp_path: Path) -> Path:
    """A data directory with v0.1.0's SQLite files, full of its demo club."""
    data = tmp_path / "data"
    data.mkdir()
    for service in PREVIOUS_REVISIONS:
        compressed = (FIXTURES / "sqlite" / f"{service}.db.gz").read_bytes()
        (data / f"{service}.db").write_bytes(gzip.decompress(compressed))
    return data


def tripbot(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """This version's command line, in an environment of no TRIPBOT_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "tripbot", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def test_migrate_backs_up_what_it_is_about_to_change_and_only_then(tmp_path: Path) -> None:
    data = previous_data(tmp_path)
    backups = tmp_path / "backups"
    first = tripbot("migrate", "--data-dir", str(data), "--backup-to", str(backups))
    assert first.returncode == 0, first.stdout + first.stderr
    (made,) = backups.glob("pre-migrate-*")
    manifest = json.loads((made / "manifest.json").read_text())
    revisions = {name: entry["revision"] for name, entry in manifest["services"].items()}
    assert revisions == {  # the databases as they were, before this version touched them
        name: revision
        for name, revision in PREVIOUS_REVISIONS.items()
        if name in ("events", "routes", "gear", "ledger", "agenda")
    }
    assert manifest["services"]["events"]["tables"]["users"]["rows"] == 3
    assert "up to date" in first.stdout + first.stderr

    again = tripbot("migrate", "--data-dir", str(data), "--backup-to", str(backups))
    assert again.returncode == 0, again.stderr
    assert "no backup needed" in again.stdout + again.stderr
    assert len(list(backups.glob("pre-migrate-*"))) == 1

    fresh = tripbot("migrate", "--data-dir", str(tmp_path / "new"), "--backup-to", str(backups))
    assert fresh.returncode == 0, fresh.stderr
    assert len(list(backups.glob("pre-migrate-*"))) == 1  # a first install has nothing to keep


def test_a_failed_backup_stops_the_migration(tmp_path: Path) -> None:
    data = previous_data(tmp_path)
    backups = tmp_path / "backups"
    backups.write_text("a file where the backups folder should be")
    refused = tripbot("migrate", "--data-dir", str(data), "--backup-to", str(backups))
    assert refused.returncode == 1
    assert "Not migrated" in refused.stdout + refused.stderr
    waited = tripbot("migrate", "--data-dir", str(data), "--wait", "--timeout", "1")
    assert waited.returncode == 1  # still the previous release's schema
    assert "Still not migrated" in waited.stdout + waited.stderr


def test_new_processes_wait_for_the_migration_job(tmp_path: Path) -> None:
    data = previous_data(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIPBOT_")}
    waiting = subprocess.Popen(
        [sys.executable, "-m", "tripbot", "migrate", "events", "--wait", "--data-dir", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    job = tripbot("migrate", "--data-dir", str(data))
    assert job.returncode == 0, job.stderr
    output, _ = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, output
    assert "events: at this version" in output


@pytest.fixture(scope="module")
def previous_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """v0.1.0's source tree, from git history, with its catalogues compiled."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the previous release's code is in git history")
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{PREVIOUS_RELEASE_COMMIT}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.skip("a shallow clone: the previous release's commit is not here")
    tree = tmp_path_factory.mktemp("v0.1.0")
    archive = subprocess.run(
        ["git", "archive", PREVIOUS_RELEASE_COMMIT, "src"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    pybabel = shutil.which("pybabel", path=str(Path(sys.executable).parent))
    assert pybabel
    for catalogue in (tree / "src").rglob("*.po"):
        subprocess.run(
            [pybabel, "compile", "-i", str(catalogue), "-o", str(catalogue.with_suffix(".mo"))],
            check=True,
            capture_output=True,
        )
    return tree / "src"


def test_the_previous_release_runs_on_the_migrated_schema(
    previous_code: Path, tmp_path: Path
) -> None:
    data = previous_data(tmp_path)
    migrated = tripbot("migrate", "--data-dir", str(data))
    assert migrated.returncode == 0, migrated.stderr

    shared = production_environment(PYTHONPATH=str(previous_code))
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    urls = {f"TRIPBOT_{n.upper()}_URL": f"http://127.0.0.1:{ports[n]}" for n in SERVICES}
    old: list[Process] = []
    try:
        for name in SERVICES:
            database = {"TRIPBOT_DATABASE_URL": f"sqlite:///{data / f'{name}.db'}"}
            process = Process(
                f"v0.1.0 {name}",
                ["serve", name, "--no-migrate"],
                {**shared, **urls, **database},
                ports[name],
                tmp_path / f"old-{name}.log",
            )
            process.start(timeout=120)
            old.append(process)
        gateway = Process(
            "v0.1.0 gateway",
            ["serve", "gateway"],
            {**shared, **urls},
            ports["gateway"],
            tmp_path / "old-gateway.log",
        )
        gateway.start(ready_path="/api/v1/health", timeout=120)
        old.append(gateway)
        with httpx.Client(base_url=gateway.url, timeout=30) as http:
            login = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            token = http.post("/api/v1/auth/token", json=login)
            assert token.status_code in (200, 201), token.text
            headers = {"Authorization": f"Bearer {token.json()['token']}"}
            events = http.get("/api/v1/events", headers=headers)
            assert events.status_code == 200, events.text
            assert len(events.json()) >= 2
            made = http.post(
                "/api/v1/events",
                json={
                    "name": "Made by the previous release",
                    "kind": "excursion",
                    "starts_at": "2031-06-01T08:00:00+02:00",
                    "ends_at": "2031-06-01T18:00:00+02:00",
                    "timezone": "Europe/Madrid",
                    "currency": "EUR",
                },
                headers=headers,
            )
            assert made.status_code == 201, made.text  # it writes too (the outbox included)
            items = http.get("/api/v1/gear/items", headers=headers)
            assert items.status_code == 200, items.text
            assert items.json()
    finally:
        for process in reversed(old):
            process.stop()
    again = tripbot("migrate", "--data-dir", str(data))  # and this version goes on from there
    assert again.returncode == 0, again.stderr
