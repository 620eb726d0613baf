"""The metrics an operator's alerts read: the last backup's time, the storage left for SQLite,
the pool's limit, and what the bot and the feed readers report."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.platform.test_metrics import sample, scrape
from tripbot.cli import app
from tripbot.platform import metrics
from tripbot.system import build_embedded


def test_a_successful_backup_is_a_timestamp_services_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)  # where the backups volume is mounted
    system = build_embedded(make_settings(data))
    try:
        with httpx.Client(
            transport=httpx.WSGITransport(app=system.services["ledger"]), base_url="http://ledger"
        ) as ledger:
            before = scrape(ledger)["tripbot_backup_last_success_timestamp_seconds"]
            assert before == [({}, 0.0)]  # no backup yet: as old as can be
            started = time.time()
            result = CliRunner().invoke(
                app, ["backup", str(data / "backups" / "tonight"), "--data-dir", str(data)]
            )
            assert result.exit_code == 0, result.output
            ((_, finished),) = scrape(ledger)["tripbot_backup_last_success_timestamp_seconds"]
            assert started <= finished <= time.time()
            storage = scrape(ledger)
    finally:
        system.close()
    free = {labels["service"]: value for labels, value in storage["tripbot_storage_free_bytes"]}
    size = {labels["service"]: value for labels, value in storage["tripbot_storage_size_bytes"]}
    assert 0 < free["ledger"] <= size["ledger"]
    limits = {labels["service"]: value for labels, value in storage["tripbot_db_pool_limit"]}
    assert limits["ledger"] >= 1


def test_a_failed_backup_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "backups" / "full").mkdir(parents=True)
    (data / "backups" / "full" / "someone else's").write_text("x")
    result = CliRunner().invoke(
        app, ["backup", str(data / "backups" / "full"), "--data-dir", str(data)]
    )
    assert result.exit_code == 1
    assert not (data / "backups" / "last-backup.json").exists()
    assert metrics.last_backup_time(data / "backups" / "last-backup.json") == 0.0


def test_the_bot_and_the_feed_readers_report_through_the_platform() -> None:
    metrics.set_bot_connected(True)
    assert sample("tripbot_bot_connected") == 1
    metrics.set_bot_connected(False)
    assert sample("tripbot_bot_connected") == 0
    metrics.observe_feed_lag("bot", "ledger", 7, 12.5)
    assert sample("tripbot_feed_lag_changes", reader="bot", source="ledger") == 7
    assert sample("tripbot_feed_lag_seconds", reader="bot", source="ledger") == 12.5
    before = sample("tripbot_notifications_failed_total", topic="ledger.entry_recorded")
    metrics.notification_failed("ledger.entry_recorded")
    after = sample("tripbot_notifications_failed_total", topic="ledger.entry_recorded")
    assert after == before + 1
