"""Settings: what production refuses, and which database each service uses."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from tripbot.platform.settings import (
    DEVELOPMENT_SECRET,
    InsecureSettingsError,
    Settings,
    with_local_secrets,
)

GOOD_SECRET = "x" * 32


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read TRIPBOT_* variables: none of the developer's may leak into these tests."""
    for name in list(os.environ):
        if name.startswith("TRIPBOT_"):
            monkeypatch.delenv(name)


def test_development_and_test_accept_the_default_secrets() -> None:
    assert Settings(env="development").secret_key.get_secret_value() == DEVELOPMENT_SECRET
    assert Settings(env="test").internal_secret.get_secret_value() == DEVELOPMENT_SECRET


@pytest.mark.parametrize("name", ["secret_key", "internal_secret"])
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="left-at-default"),
        pytest.param(DEVELOPMENT_SECRET, id="the-development-secret"),
        pytest.param("", id="empty"),
        pytest.param("y" * 31, id="31-characters"),
    ],
)
def test_production_refuses_default_or_short_secrets(name: str, value: str | None) -> None:
    secrets: dict[str, object] = {"secret_key": GOOD_SECRET, "internal_secret": GOOD_SECRET}
    if value is None:
        del secrets[name]
    else:
        secrets[name] = value
    with pytest.raises(InsecureSettingsError, match=f"TRIPBOT_{name.upper()}"):
        Settings(env="production", **secrets)  # type: ignore[arg-type]


def test_production_refuses_default_secrets_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIPBOT_ENV", "production")
    monkeypatch.setenv("TRIPBOT_SECRET_KEY", GOOD_SECRET)
    with pytest.raises(InsecureSettingsError, match="TRIPBOT_INTERNAL_SECRET"):
        Settings()


def test_production_accepts_long_random_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPBOT_ENV", "production")
    monkeypatch.setenv("TRIPBOT_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("TRIPBOT_INTERNAL_SECRET", "i" * 40)
    settings = Settings()
    assert settings.secret_key.get_secret_value() == "s" * 32
    assert settings.password_hash_profile == "strong"


def test_only_the_test_environment_hashes_passwords_cheaply() -> None:
    assert Settings(env="test").password_hash_profile == "fast"
    assert Settings(env="development").password_hash_profile == "strong"


def test_a_service_uses_its_own_database_url_first(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql://db/shared",
        events_database_url="postgresql://db/events",
    )
    assert settings.database_url_for("events") == "postgresql://db/events"


def test_then_the_shared_database_url(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql://db/shared")
    assert settings.database_url_for("events") == "postgresql://db/shared"
    assert settings.database_url_for("gear") == "postgresql://db/shared"


def test_then_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.database_url_for("events") == f"sqlite:///{tmp_path.resolve()}/events.db"


def test_a_relative_data_dir_gives_an_absolute_sqlite_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = Settings(data_dir=Path("var")).database_url_for("events")
    assert url == f"sqlite:///{tmp_path.resolve()}/var/events.db"


def test_database_urls_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIPBOT_DATABASE_URL", "postgresql://db/shared")
    monkeypatch.setenv("TRIPBOT_EVENTS_DATABASE_URL", "postgresql://db/events")
    assert Settings().database_url_for("events") == "postgresql://db/events"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("service_timeout", "0"),
        ("service_timeout", "121"),
        ("max_body_bytes", "0"),
        ("internal_token_ttl", "3601"),
        ("session_lifetime_days", "0"),
        ("auth_rate_limit", "lots"),
        ("login_failure_limit", "5 per fortnight"),
        ("forwarded_hops", "-1"),
        ("registration", "closed"),
        ("env", "staging"),
    ],
)
def test_out_of_range_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"TRIPBOT_{name.upper()}", value)
    with pytest.raises(ValueError, match=name):
        Settings()


def test_local_secrets_replace_the_defaults_and_are_kept(tmp_path: Path) -> None:
    first = with_local_secrets(Settings(data_dir=tmp_path))
    second = with_local_secrets(Settings(data_dir=tmp_path))
    path = tmp_path / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for name in ("secret_key", "internal_secret"):
        value = getattr(first, name).get_secret_value()
        assert value != DEVELOPMENT_SECRET
        assert len(value) >= 32
        assert getattr(second, name).get_secret_value() == value
    assert first.secret_key != first.internal_secret
    assert set(json.loads(path.read_text())) == {"secret_key", "internal_secret"}


def test_local_secrets_never_override_configured_ones(tmp_path: Path) -> None:
    settings = with_local_secrets(Settings(data_dir=tmp_path, secret_key=SecretStr(GOOD_SECRET)))
    assert settings.secret_key.get_secret_value() == GOOD_SECRET
    assert settings.internal_secret.get_secret_value() != DEVELOPMENT_SECRET


def test_email_is_off_unless_both_mail_settings_are_given() -> None:
    assert not Settings().mail_enabled
    on = Settings(smtp_url=SecretStr("smtp://127.0.0.1:25"), mail_from="TripBot <t@club.example>")
    assert on.mail_enabled


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"smtp_url": "smtp://127.0.0.1:25"}, "go together"),
        ({"mail_from": "t@club.example"}, "go together"),
        ({"smtp_url": "https://mail.example", "mail_from": "t@club.example"}, "smtp://"),
        ({"smtp_url": "smtp://mail.example", "mail_from": "TripBot"}, "not an email address"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused(fields: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Settings(**fields)  # type: ignore[arg-type]
