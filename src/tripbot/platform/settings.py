"""Typed settings read from ``TRIPBOT_*`` environment variables."""

from __future__ import annotations

import json
import secrets
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tripbot.platform.smtp import SmtpTarget

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105
"""The secret used when none is configured; refused outside development."""


OSM_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
"""OpenStreetMap's standard tiles: https://operations.osmfoundation.org/policies/tiles/."""
OSM_ATTRIBUTION = "© [OpenStreetMap](https://www.openstreetmap.org/copyright) contributors"
"""The credit OSM's tile usage policy asks for, linked to its copyright page."""
TOPO_TILE_URL = "https://{s}.tile.opentopomap.org/{z}/{x}/{y}.png"
"""OpenTopoMap: OSM data and SRTM elevation drawn as a topographic map with contours."""
TOPO_ATTRIBUTION = (
    "Map data: © [OpenStreetMap](https://www.openstreetmap.org/copyright) contributors, "
    "[SRTM](https://viewfinderpanoramas.org) | Map style: © [OpenTopoMap](https://opentopomap.org) "
    "([CC-BY-SA](https://creativecommons.org/licenses/by-sa/3.0/))"
)
"""The credit OpenTopoMap asks for."""
MAPS_OFF = "off"
"""The value of a tile URL setting that offers no such layer."""


class InsecureSettingsError(RuntimeError):
    """A setting makes the process unsafe to start in this environment."""


class Settings(BaseSettings):
    """Everything a TripBot process can be told through its environment."""

    # An empty variable means "not set" (Compose passes ${VAR:-} through as an empty string).
    model_config = SettingsConfigDict(
        env_prefix="TRIPBOT_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    env: Literal["development", "test", "production"] = Field(
        "development",
        description="development, test or production; production refuses default secrets.",
    )
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET), description="Signs web session cookies and CSRF tokens."
    )
    internal_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET), description="Signs the short-lived tokens services accept."
    )
    data_dir: Path = Field(
        Path("var"), description="Where the embedded mode keeps its SQLite files."
    )
    database_url: str | None = Field(
        None,
        description="`serve SERVICE`: this service's database (default: SQLite in the data dir).",
    )
    events_database_url: str | None = Field(
        None, description="The events service's database; overrides TRIPBOT_DATABASE_URL for it."
    )
    events_url: str | None = Field(
        None, description="Base URL of the events service (distributed mode); in process if unset."
    )
    routes_database_url: str | None = Field(
        None, description="The routes service's database; overrides TRIPBOT_DATABASE_URL for it."
    )
    routes_url: str | None = Field(
        None, description="Base URL of the routes service (distributed mode); in process if unset."
    )
    routes_max_upload_bytes: int = Field(
        20_000_000,
        gt=0,
        description=(
            "Largest route file (GPX, KML, KMZ, TCX, FIT, GeoJSON) accepted, in bytes (413 "
            "above it)."
        ),
    )
    routes_maps: bool = Field(
        True,
        description="Draw route maps on base-map tiles; false: tracks on a plain grid, and the "
        "page says maps are off.",
    )
    routes_tile_url: str = Field(
        OSM_TILE_URL,
        description="The base map's tile URL template (its origin is added to the CSP img-src). "
        "OpenStreetMap's servers by default: mind their tile usage policy.",
    )
    routes_tile_attribution: str = Field(
        OSM_ATTRIBUTION,
        description="The base map provider's credit, shown on every map; [text](https://...) "
        "makes a link. Required with another TRIPBOT_ROUTES_TILE_URL.",
    )
    routes_tile_max_zoom: int = Field(
        19, ge=0, le=22, description="The deepest zoom the base map's tile server has."
    )
    routes_topo_tile_url: str = Field(
        TOPO_TILE_URL,
        description="A topographic map (contours) offered as a layer switch on every map; "
        "`off`: none.",
    )
    routes_topo_tile_attribution: str = Field(
        TOPO_ATTRIBUTION,
        description="The topographic provider's credit; required with another "
        "TRIPBOT_ROUTES_TOPO_TILE_URL.",
    )
    routes_topo_tile_max_zoom: int = Field(
        17, ge=0, le=22, description="The deepest zoom the topographic tile server has."
    )
    gear_database_url: str | None = Field(
        None, description="The gear service's database; overrides TRIPBOT_DATABASE_URL for it."
    )
    gear_url: str | None = Field(
        None, description="Base URL of the gear service (distributed mode); in process if unset."
    )
    gear_max_reservation_days: int = Field(
        90,
        ge=1,
        le=3660,
        description="Longest gear reservation (and availability window), in days.",
    )
    gear_max_photo_bytes: int = Field(
        2_000_000, gt=0, description="Largest photo of a gear item, in bytes (413 above it)."
    )
    club_name: str | None = Field(
        None,
        max_length=80,
        description="The club's name, shown in every page's title.",
    )
    gear_timezone: str = Field(
        "Europe/Madrid",
        description="The club's IANA time zone: its days make reservations and overdue loans.",
    )
    ledger_database_url: str | None = Field(
        None, description="The ledger service's database; overrides TRIPBOT_DATABASE_URL for it."
    )
    ledger_url: str | None = Field(
        None, description="Base URL of the ledger service (distributed mode); in process if unset."
    )
    ledger_max_receipt_bytes: int = Field(
        5 * 1024 * 1024,
        gt=0,
        description="Largest receipt (image or PDF) attached to a ledger entry, in bytes.",
    )
    agenda_database_url: str | None = Field(
        None, description="The agenda service's database; overrides TRIPBOT_DATABASE_URL for it."
    )
    agenda_url: str | None = Field(
        None, description="Base URL of the agenda service (distributed mode); in process if unset."
    )
    agenda_max_activity_hours: int = Field(
        72,
        gt=0,
        le=24 * 366,
        description="Longest an agenda activity may last, in hours (longer ones are refused).",
    )
    bot_token: SecretStr | None = Field(
        None,
        description="The Telegram bot's token from @BotFather; `tripbot bot` needs it to start.",
    )
    bot_database_url: str | None = Field(
        None, description="The bot's database; overrides TRIPBOT_DATABASE_URL for it."
    )
    bot_webhook_url: str | None = Field(
        None,
        description="Public HTTPS URL Telegram posts updates to; long polling if unset.",
    )
    bot_webhook_secret: SecretStr | None = Field(
        None,
        description="Telegram's secret token for the webhook (1-256 of A-Za-z0-9_-); "
        "required with TRIPBOT_BOT_WEBHOOK_URL in production.",
    )
    bot_webhook_port: int = Field(
        8443, gt=0, lt=65536, description="Port the bot's webhook listener binds to."
    )
    bot_feed_interval: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="Seconds between the bot's reads of the services' change feeds.",
    )
    bot_messages_per_second: float = Field(
        30.0, gt=0, description="The bot's overall sending limit (Telegram allows about 30/s)."
    )
    bot_chat_messages_per_second: float = Field(
        1.0, gt=0, description="Messages per second to one chat (Telegram: about 1)."
    )
    bot_group_messages_per_minute: float = Field(
        20.0, gt=0, description="Messages per minute to one group (Telegram: about 20)."
    )
    bot_username: str | None = Field(
        None,
        pattern=r"^[A-Za-z][A-Za-z0-9_]{4,31}$",
        description="The bot's Telegram username, without @, for the Link Telegram deep link.",
    )
    follow_interval: float = Field(
        5.0,
        gt=0,
        le=3600,
        description="Seconds between a service's reads of the feeds it follows "
        "(gear frees the gear of deleted events).",
    )
    identity_cache_seconds: float = Field(
        5.0,
        ge=0,
        le=60,
        description="Seconds the gateway keeps who a token or session belongs to and their "
        "role in an event (0: asks every time); a change made through the gateway is seen at once.",
    )
    smtp_url: SecretStr | None = Field(
        None,
        description="The mail server TripBot sends through: smtp://host:25, "
        "smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465; unset: no email "
        "(the pages that would send one say so).",
    )
    mail_from: str | None = Field(
        None,
        max_length=254,
        description="The From of TripBot's mails, e.g. `Club TripBot <tripbot@club.example>`; "
        "required with TRIPBOT_SMTP_URL.",
    )
    mail_interval: float = Field(
        2.0,
        gt=0,
        le=3600,
        description="Seconds between the mail sender's looks at its outbox (one process sends; "
        "a mail the server did not take is tried again 30 s later, then twice as late each time).",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Public URL of the gateway, used in invitation links."
    )
    registration: Literal["open", "invitation"] = Field(
        "open", description="open: anyone may register; invitation: only with an invitation code."
    )
    workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description="`serve`: worker processes (gunicorn) of the service; default: one per "
        "usable core. Each has its own threads and database pool.",
    )
    service_timeout: float = Field(
        5.0,
        gt=0,
        le=120,
        description="Seconds the gateway waits for a service before answering 503 (after 3 "
        "such calls in a row it stops calling that service for 15 s).",
    )
    max_body_bytes: int = Field(
        1_048_576, gt=0, description="Largest request body accepted, in bytes (413 above it)."
    )
    internal_token_ttl: int = Field(
        15,
        gt=0,
        le=3600,
        description="Seconds an internal service token stays valid (each is for one call: its "
        "service, method and path).",
    )
    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate-limit counters live: memory:// (each gateway process its own) or "
        "redis://host:6379/0 (shared by every gateway process and host: use it in production).",
    )
    auth_rate_limit: str = Field(
        "20/minute;200/hour",
        description="Logins, registrations, token requests and password changes allowed per "
        "client address (Flask-Limiter notation); 429 with Retry-After beyond it.",
    )
    login_failure_limit: str = Field(
        "5/minute;30/hour",
        description="Wrong passwords allowed per account and client address; beyond it that "
        "address waits (429), while the owner logs in as usual from any other address.",
    )
    forwarded_hops: int = Field(
        0,
        ge=0,
        le=5,
        description="Proxies in front of the gateway whose X-Forwarded-For it trusts (1 behind "
        "the Caddy of deploy/), so that rate limits count each client, not the proxy.",
    )
    session_lifetime_days: int = Field(
        14,
        gt=0,
        le=365,
        description="Days a web session lasts from its login, however much it is used.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level of log records written."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto",
        description="auto: short readable lines on a terminal, JSON otherwise; json: one JSON "
        "object per line on stdout; console: the readable lines always.",
    )
    secure_cookies: bool = Field(False, description="Send cookies only over HTTPS (behind TLS).")
    hsts_max_age: int = Field(
        31_536_000,
        ge=0,
        description="Seconds browsers keep to HTTPS (Strict-Transport-Security), sent by the "
        "gateway when TLS is terminated in front of it (secure cookies, or X-Forwarded-Proto: "
        "https); 0: not sent (the proxy sends it).",
    )
    syslog_host: str | None = Field(
        None,
        description="Also send logs to this syslog host (RFC 5424, e.g. Papertrail); off if unset.",
    )
    syslog_port: int = Field(6514, gt=0, lt=65536, description="Port of the syslog host.")
    syslog_protocol: Literal["udp", "tcp", "tls"] = Field(
        "tls", description="udp, tcp or tls (TCP with TLS, the syslog host's certificate checked)."
    )
    syslog_framing: Literal["octet-counting", "newline"] = Field(
        "octet-counting",
        description="How TCP and TLS separate records: a length prefix (RFC 6587) or a newline.",
    )
    syslog_ca_file: Path | None = Field(
        None, description="CA certificates that sign the syslog host's (default: the system's)."
    )
    syslog_queue_size: int = Field(
        10_000,
        gt=0,
        description="Log records held while the syslog host is away; newer ones are dropped.",
    )
    backup_status_file: Path | None = Field(
        None,
        description="Where `tripbot backup` records its last success, and services read it for "
        "the tripbot_backup_last_success_timestamp_seconds metric (default: "
        "<data dir>/backups/last-backup.json; read only where that folder exists).",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="If set, `/metrics` answers only to `Authorization: Bearer <token>`; unset, "
        "only to callers on the same host (loopback, through no proxy).",
    )

    @field_validator("auth_rate_limit", "login_failure_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"not a rate limit such as 10/minute;100/hour: {value!r}") from error
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env == "production":
            for name in ("secret_key", "internal_secret"):
                value: SecretStr = getattr(self, name)
                if (
                    value.get_secret_value() in ("", DEVELOPMENT_SECRET)
                    or len(value.get_secret_value()) < 32
                ):
                    raise InsecureSettingsError(
                        f"TRIPBOT_{name.upper()} must be set to a random value of at least "
                        "32 characters in production"
                    )
        return self

    @model_validator(mode="after")
    def _mail_needs_both(self) -> Settings:
        if (self.smtp_url is None) != (self.mail_from is None):
            raise ValueError("TRIPBOT_SMTP_URL and TRIPBOT_MAIL_FROM go together: set both or none")
        if self.smtp_url is not None:
            SmtpTarget.parse(self.smtp_url.get_secret_value())
        if self.mail_from is not None and "@" not in parseaddr(self.mail_from)[1]:
            raise ValueError(f"TRIPBOT_MAIL_FROM is not an email address: {self.mail_from!r}")
        return self

    @property
    def mail_enabled(self) -> bool:
        """Whether this TripBot sends email (TRIPBOT_SMTP_URL and TRIPBOT_MAIL_FROM are set)."""
        return self.smtp_url is not None and self.mail_from is not None

    @model_validator(mode="after")
    def _credit_each_tile_provider(self) -> Settings:
        # A new tile server with the default credit would credit the wrong provider.
        pairs = (
            ("routes_tile_url", "routes_tile_attribution", OSM_TILE_URL),
            ("routes_topo_tile_url", "routes_topo_tile_attribution", TOPO_TILE_URL),
        )
        for url, attribution, default in pairs:
            changed = getattr(self, url) not in (default, MAPS_OFF)
            if changed and attribution not in self.model_fields_set:
                raise ValueError(
                    f"TRIPBOT_{url.upper()} is set without TRIPBOT_{attribution.upper()}: "
                    "give the credit that tile provider asks for"
                )
        return self

    @cached_property
    def password_hash_profile(self) -> Literal["strong", "fast"]:
        """Tests hash with a cheap profile; every real run uses argon2's recommended one."""
        return "fast" if self.env == "test" else "strong"

    @property
    def backup_status(self) -> Path:
        """The file that records the last successful backup."""
        return self.backup_status_file or self.data_dir / "backups" / "last-backup.json"

    def database_url_for(self, service: str) -> str:
        """The database URL of a service: its own setting, the shared one, or its SQLite file."""
        own: str | None = getattr(self, f"{service}_database_url", None)
        if own:
            return own
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"


def with_local_secrets(settings: Settings) -> Settings:
    """Replace default secrets by random ones kept in the data dir (the embedded mode's way)."""
    path = settings.data_dir / "secrets.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for name in ("secret_key", "internal_secret"):
        if name not in stored:
            stored[name] = secrets.token_urlsafe(48)
            changed = True
    if changed:
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(json.dumps(stored))
        path.chmod(0o600)
    updates = {
        name: SecretStr(stored[name])
        for name in ("secret_key", "internal_secret")
        if getattr(settings, name).get_secret_value() == DEVELOPMENT_SECRET
    }
    return settings.model_copy(update=updates)
