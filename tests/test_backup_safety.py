"""A restore that cannot be done changes nothing: every check comes before any write, services
change together or not at all, a backup's names never become paths, a gzip bomb is refused
in bounded memory, feeds survive a restore, and backups and databases are private."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import stat
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.builders import a_cast, a_person, an_activity, an_expense, events_call
from tests.conftest import make_settings
from tests.e2e.scenario import run_club_scenario
from tests.test_backup import (
    events_settings,
    fill_events,
    new_database,
    prepare_target,
    snapshot,
)
from tripbot.backup import MANIFEST, BackupError, backup, read_manifest, restore
from tripbot.backup_checks import MAX_ROW_BYTES, OWNERS
from tripbot.bot import service as bot
from tripbot.cli import app
from tripbot.events import service as events
from tripbot.events.models import outbox
from tripbot.events.schemas import EventUpdate, UserRegister
from tripbot.platform.db import Database
from tripbot.platform.identity import Principal
from tripbot.platform.outbox import FeedQuery, read_feed
from tripbot.platform.passwords import Passwords
from tripbot.system import System, build_embedded, migrate

__all__ = ["new_database"]  # the fixture, shared with test_backup
runner = CliRunner()
BOTH = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
RELEASE_EVENTS = Path(__file__).parent / "release/fixtures/v0.1.0/sqlite/events.db.gz"


def register(url: str, email: str) -> None:
    """A new account, through the events service's own use case."""
    database = Database(url)
    events.accounts.register(
        events_call(database, policy=events.AccountPolicy(passwords=Passwords("fast"))),
        UserRegister(email=email, password="a long password", display_name="Late"),
    )
    database.dispose()


def rewrite_manifest(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the manifest as an attacker or a bad disk would."""
    manifest = json.loads((directory / MANIFEST).read_text())
    change(manifest)
    (directory / MANIFEST).write_text(json.dumps(manifest))


def rewrite_rows(
    directory: Path, service: str, table: str, change: Callable[[list[Any], list[str]], None]
) -> None:
    """Change a table's stored rows, and its checksum so that it still matches."""
    path = directory / service / f"{table}.jsonl.gz"
    manifest = json.loads((directory / MANIFEST).read_text())
    stored = manifest["services"][service]["tables"][table]
    rows = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    for row in rows:
        change(row, stored["columns"])
    data = b"".join(json.dumps(row).encode() + b"\n" for row in rows)
    path.write_bytes(gzip.compress(data))
    stored["sha256"] = hashlib.sha256(data).hexdigest()
    stored["rows"] = len(rows)
    (directory / MANIFEST).write_text(json.dumps(manifest))


def set_column(column: str, value: object) -> Callable[[list[Any], list[str]], None]:
    """A row change: ``column`` becomes ``value``."""

    def change(row: list[Any], columns: list[str]) -> None:
        row[columns.index(column)] = value

    return change


def spoil_every_value(row: list[Any], columns: list[str]) -> None:
    """A row change: no value is one its column can hold."""
    row[:] = [["not", "a", "value"]] * len(columns)


def _newer_version(directory: Path) -> None:
    rewrite_manifest(directory, lambda m: m["services"]["events"].update(revision="ffffffffffff"))


def _bad_checksum(directory: Path) -> None:
    rewrite_manifest(
        directory, lambda m: m["services"]["events"]["tables"]["users"].update(sha256="0" * 64)
    )


def _truncated_file(directory: Path) -> None:
    path = directory / "events" / "users.jsonl.gz"
    path.write_bytes(path.read_bytes()[:-12])


def _more_rows_than_the_manifest(directory: Path) -> None:
    path = directory / "events" / "users.jsonl.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()) + b"[]\n" * 100_000))


def _not_gzip(directory: Path) -> None:
    (directory / "events" / "users.jsonl.gz").write_bytes(b"\x00" * 4096)


def _missing_file(directory: Path) -> None:
    (directory / "events" / "memberships.jsonl.gz").unlink()


def _email_of_the_wrong_type(directory: Path) -> None:
    rewrite_rows(directory, "events", "users", set_column("email", 12345))


def _email_too_long(directory: Path) -> None:
    rewrite_rows(directory, "events", "users", set_column("email", "x" * 5000))


def _empty_required_value(directory: Path) -> None:
    rewrite_rows(directory, "events", "users", set_column("password_hash", None))


def _unknown_role(directory: Path) -> None:
    rewrite_rows(directory, "events", "users", set_column("role", "superuser"))


def _unknown_event_role(directory: Path) -> None:
    rewrite_rows(directory, "events", "memberships", set_column("role", "god"))


def _same_email_twice(directory: Path) -> None:
    rewrite_rows(directory, "events", "users", set_column("email", "twin@club.example"))


def _table_name_as_path(directory: Path) -> None:
    def change(manifest: dict[str, Any]) -> None:
        tables = manifest["services"]["events"]["tables"]
        tables["../../../etc/passwd"] = tables.pop("users")

    rewrite_manifest(directory, change)


DAMAGES = {
    "newer-version": (_newer_version, "does not know"),
    "bad-checksum": (_bad_checksum, "checksum"),
    "truncated-file": (_truncated_file, "damaged"),
    "more-rows": (_more_rows_than_the_manifest, "more rows than its manifest"),
    "not-gzip": (_not_gzip, "cannot be read"),
    "missing-file": (_missing_file, "missing"),
    "wrong-type": (_email_of_the_wrong_type, "wrong kind"),
    "too-long": (_email_too_long, "wrong kind or size"),
    "empty-required": (_empty_required_value, "is empty"),
    "unknown-role": (_unknown_role, "superuser"),
    "unknown-event-role": (_unknown_event_role, "god"),
    "same-email-twice": (_same_email_twice, "nothing was restored"),
    "table-name-as-path": (_table_name_as_path, "not a table name"),
}


@pytest.mark.parametrize("backend", BOTH)
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_forced_restore_of_a_bad_backup_is_refused_and_every_row_stays(
    backend: str, damage: str, new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    url = new_database(backend, "live")
    fill_events(url)
    settings = events_settings(tmp_path, url)
    backup(settings, tmp_path / "backup", ["events"])
    register(url, "after-the-backup@club.example")
    before = snapshot(url)
    assert len(before["users"]) == 4
    spoil, reason = DAMAGES[damage]
    spoil(tmp_path / "backup")

    with pytest.raises(BackupError, match=reason):
        restore(settings, tmp_path / "backup", ["events"], force=True)

    assert snapshot(url) == before


@pytest.mark.parametrize("backend", BOTH)
def test_a_gzip_bomb_is_refused_in_bounded_memory(
    backend: str, new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    url = new_database(backend, "live")
    fill_events(url)
    settings = events_settings(tmp_path, url)
    backup(settings, tmp_path / "backup", ["events"])
    before = snapshot(url)
    bomb = tmp_path / "backup" / "events" / "users.jsonl.gz"
    chunk = b"0" * (1 << 20)
    with gzip.open(bomb, "wb", compresslevel=9) as out:  # 256 MiB in one line, ~250 kB on disk
        for _ in range(256):
            out.write(chunk)
    assert bomb.stat().st_size < 2 * 1024 * 1024

    tracemalloc.start()
    try:
        with pytest.raises(BackupError, match="row over"):
            restore(settings, tmp_path / "backup", ["events"], force=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 2 * MAX_ROW_BYTES + 16 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    assert snapshot(url) == before


def test_a_service_name_from_the_manifest_never_becomes_a_path(tmp_path: Path) -> None:
    data = tmp_path / "data"
    victim = tmp_path / "victim" / "otherapp.db"
    victim.parent.mkdir()
    with sqlite3.connect(victim) as connection:
        connection.execute("CREATE TABLE precious (note TEXT)")
        connection.execute("INSERT INTO precious VALUES ('keep me')")
    url = f"sqlite:///{data / 'events.db'}"
    data.mkdir()
    fill_events(url)
    settings = make_settings(data)
    backup(settings, tmp_path / "backup", ["events"])
    rewrite_manifest(
        tmp_path / "backup",
        lambda m: m["services"].update({"../victim/otherapp": m["services"]["events"]}),
    )

    with pytest.raises(BackupError, match="not a TripBot service"):
        restore(settings, tmp_path / "backup", force=True)
    with pytest.raises(BackupError, match="not a TripBot service"):
        restore(settings, tmp_path / "backup", ["../victim/otherapp"], force=True)

    with sqlite3.connect(victim) as connection:
        assert connection.execute("SELECT note FROM precious").fetchall() == [("keep me",)]
    assert len(snapshot(url)["users"]) == 3


@pytest.mark.usefixtures("cli_environment")
def test_a_restore_of_every_service_changes_all_of_them_or_none(tmp_path: Path) -> None:
    data = tmp_path / "data"
    system = build_embedded(make_settings(data))
    with httpx.Client(
        transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
    ) as http:
        run_club_scenario(http)
        cast = a_cast(http)
        an_activity(http, cast.event, cast.owner)
        an_expense(http, cast.event, cast.owner)
    system.close()
    backed_up = runner.invoke(app, ["backup", str(tmp_path / "b"), "--data-dir", str(data)])
    assert backed_up.exit_code == 0, backed_up.output
    manifest = read_manifest(tmp_path / "b")
    assert list(manifest["services"]) == list(OWNERS)
    register(f"sqlite:///{data / 'events.db'}", "after-the-backup@club.example")
    before = {name: snapshot(f"sqlite:///{data / f'{name}.db'}") for name in OWNERS}
    # A bad row in the last service with rows: only loading it finds it, after the others.
    last, table = next(
        (service, table)
        for service in reversed(OWNERS)
        for table, stored in manifest["services"][service]["tables"].items()
        if stored["rows"]
    )
    assert OWNERS.index(last) > OWNERS.index("ledger")
    rewrite_rows(tmp_path / "b", last, table, spoil_every_value)

    refused = runner.invoke(
        app, ["restore", str(tmp_path / "b"), "--force", "--data-dir", str(data)]
    )

    assert refused.exit_code == 1, refused.output
    assert "Not restored" in refused.output
    for name in OWNERS:
        assert snapshot(f"sqlite:///{data / f'{name}.db'}") == before[name], name


def test_on_each_backend_a_bad_last_service_leaves_the_others_as_they_were(
    system: System, http: httpx.Client, database_urls: dict[str, str], tmp_path: Path
) -> None:
    run_club_scenario(http)
    cast = a_cast(http)
    an_activity(http, cast.event, cast.owner)
    settings = make_settings(
        tmp_path, **{f"{name}_database_url": url for name, url in database_urls.items()}
    )
    backup(settings, tmp_path / "b")
    a_person(http)  # after the backup: a restore would take it away
    before = {name: snapshot(url) for name, url in database_urls.items()}
    stored = read_manifest(tmp_path / "b")["services"]["agenda"]["tables"]
    table = next(name for name, entry in stored.items() if entry["rows"])
    rewrite_rows(tmp_path / "b", "agenda", table, spoil_every_value)

    with pytest.raises(BackupError, match="agenda"):
        restore(settings, tmp_path / "b", force=True)

    for name, url in database_urls.items():
        assert snapshot(url) == before[name], name


@pytest.mark.parametrize("backend", BOTH)
def test_changes_recorded_after_restoring_an_older_backup_reach_a_reader_that_was_ahead(
    backend: str, new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    url = new_database(backend, "live")
    fill_events(url)
    settings = events_settings(tmp_path, url)
    database = Database(url)
    owner = Principal(user_id=1)

    def rename(name: str) -> None:
        events.events.update_event(events_call(database, owner), 1, EventUpdate(name=name))

    def changes_after(position: int) -> list[str]:
        with database.unit_of_work() as uow:
            page = read_feed(uow.session, outbox, FeedQuery(after=position))
        return [entry.payload["changed"][0] + ":" + str(entry.id) for entry in page.entries]

    try:
        rename("Picos I")
        backup(settings, tmp_path / "backup", ["events"])
        rename("Picos II")
        rename("Picos III")
        with database.unit_of_work() as uow:
            reader_position = read_feed(uow.session, outbox, FeedQuery()).latest  # told all
        assert reader_position == 3

        restore(settings, tmp_path / "backup", ["events"], force=True)
        rename("Picos IV")
        rename("Picos V")

        told = changes_after(reader_position)
        assert len(told) == 2, told  # both changes after the restore, none twice
        assert changes_after(0)[0] == "name:1"  # what the backup held is still there
    finally:
        database.dispose()


@pytest.mark.parametrize("backend", BOTH)
def test_a_restore_into_a_fresh_database_keeps_ids_above_what_the_kept_bot_has_read(
    backend: str, new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    source, fresh, bot_url = (new_database(backend, n) for n in ("source", "fresh", "bot"))
    fill_events(source)

    def rename(url: str, name: str) -> None:
        database = Database(url)
        events.events.update_event(
            events_call(database, Principal(user_id=1)), 1, EventUpdate(name=name)
        )
        database.dispose()

    rename(source, "Picos I")
    backup(make_settings(tmp_path, events_database_url=source), tmp_path / "old", ["events"])
    rename(source, "Picos II")
    rename(source, "Picos III")
    readers = Database(bot_url)
    migrate("bot", readers)
    bot.advance_feed(readers.unit_of_work(), "events", 3)  # the bot told all three
    readers.dispose()
    # The machine of the events service is lost; its backup goes into a new database, the
    # bot's database is kept.
    settings = make_settings(tmp_path, events_database_url=fresh, bot_database_url=bot_url)
    prepare_target(fresh)  # migrated, with the test's extra table: empty

    restore(settings, tmp_path / "old", ["events"])
    rename(fresh, "Picos IV")

    database = Database(fresh)
    with database.unit_of_work() as uow:
        told = read_feed(uow.session, outbox, FeedQuery(after=3)).entries
    database.dispose()
    assert [entry.payload["changed"] for entry in told] == [["name"]]
    assert told[0].id == 4


@pytest.mark.usefixtures("cli_environment")
def test_the_bot_is_backed_up_and_restored_with_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'bot.db'}"
    data.mkdir()
    database = Database(url)
    migrate("bot", database)
    bot.bind_chat(database.unit_of_work(), -100123, 7, "Picos group", 1)
    bot.choose_language(database.unit_of_work(), 555, "en")
    bot.advance_feed(database.unit_of_work(), "events", 42)
    database.dispose()
    before = snapshot(url)

    backed_up = runner.invoke(app, ["backup", str(tmp_path / "b"), "--data-dir", str(data)])
    assert backed_up.exit_code == 0, backed_up.output
    assert "bot" in read_manifest(tmp_path / "b")["services"]
    restored = runner.invoke(
        app, ["restore", str(tmp_path / "b"), "--data-dir", str(tmp_path / "new")]
    )

    assert restored.exit_code == 0, restored.output
    after = snapshot(f"sqlite:///{tmp_path / 'new' / 'bot.db'}")
    assert after == before
    database = Database(f"sqlite:///{tmp_path / 'new' / 'bot.db'}")
    assert bot.bound_event(database.unit_of_work(), -100123) == 7
    assert bot.chosen_language(database.unit_of_work(), 555) == "en"
    assert bot.feed_position(database.unit_of_work(), "events") == 42
    database.dispose()


def _modes(root: Path) -> Iterator[tuple[Path, int]]:
    yield root, stat.S_IMODE(root.stat().st_mode)
    for path in root.rglob("*"):
        yield path, stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("cli_environment")
def test_backups_and_databases_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual one: files world-readable unless TripBot says no
    try:
        data = tmp_path / "data"
        migrated = runner.invoke(app, ["migrate", "--data-dir", str(data)])
        assert migrated.exit_code == 0, migrated.output
        register(f"sqlite:///{data / 'events.db'}", "someone@club.example")
        backed_up = runner.invoke(app, ["backup", str(tmp_path / "b"), "--data-dir", str(data)])
        assert backed_up.exit_code == 0, backed_up.output
        restored = runner.invoke(
            app, ["restore", str(tmp_path / "b"), "--data-dir", str(tmp_path / "restored")]
        )
        assert restored.exit_code == 0, restored.output
    finally:
        os.umask(old_umask)

    backup_modes = dict(_modes(tmp_path / "b"))
    assert len(backup_modes) > len(OWNERS) * 2
    for path, mode in backup_modes.items():
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"
    for folder in (data, tmp_path / "restored"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        databases = [p for p in folder.iterdir() if ".db" in p.name]  # with -wal and -shm
        assert len(databases) >= len(OWNERS)
        for path in databases:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize("backend", BOTH)
def test_a_backup_of_the_previous_release_replaces_a_newer_database_with_data(
    backend: str, new_database: Callable[[str, str], str], tmp_path: Path
) -> None:
    old = tmp_path / "old.db"  # v0.1.0's own events database, at its older revision
    old.write_bytes(gzip.decompress(RELEASE_EVENTS.read_bytes()))
    source = make_settings(tmp_path, events_database_url=f"sqlite:///{old}")
    backup(source, tmp_path / "b", ["events"])
    target = new_database(backend, "newer")
    database = Database(target)
    migrate("events", database)
    database.dispose()
    register(target, "someone-new@club.example")

    settings = make_settings(tmp_path, events_database_url=target)
    restore(settings, tmp_path / "b", ["events"], force=True)

    restored, original = snapshot(target), snapshot(f"sqlite:///{old}")
    assert len(restored["users"]) == len(original["users"]) > 1
    assert restored["events"] == original["events"]
