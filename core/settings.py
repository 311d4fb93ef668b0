"""Typed settings, read from ``STORECHAT_*`` environment variables.

Defaults give a working single-machine install: a SQLite file and an embedded
Redis under the instance folder, and a secret generated once and kept there.
Setting ``STORECHAT_DATABASE_URL`` and ``STORECHAT_REDIS_URL`` switches to
PostgreSQL and a Redis server with no other change.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

SECRET_FILE = "secret_key"


class Settings(BaseSettings):
    # ``__`` nests: ``STORECHAT_APPS__SHOPIFY__CLIENT_ID`` sets ``apps["shopify"]["client_id"]``.
    model_config = SettingsConfigDict(env_prefix="STORECHAT_", env_nested_delimiter="__", extra="ignore")

    #: Folder for the SQLite file, the embedded Redis, the generated secret and imports.
    instance_path: Path = Field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str | None = None
    #: Unset: an embedded Redis owned by ``storechat serve``.
    redis_url: str | None = None
    #: ``host:port,host:port,...``: find the Redis primary through these Sentinels (it wins over
    #: ``redis_url``, whose password and database number, when set, still apply).
    redis_sentinels: str | None = None
    #: The name the Sentinels monitor the primary under.
    redis_sentinel_master: str = Field(default="storechat", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    secret_key: str | None = Field(default=None, min_length=32)
    #: Public base URL of this server, as storefronts reach it. Derived from the
    #: request when unset.
    public_url: str | None = None
    #: Settings of each platform's app, by connector name: ``client_id``,
    #: ``client_secret``, ``scopes``, ``api_version`` (what each connector reads
    #: is in docs/operations.md). Shared by every shop of that platform.
    apps: dict[str, dict[str, str]] = Field(default_factory=dict)
    #: Keys that encrypt shop credentials at rest: Fernet keys (urlsafe base64 of
    #: 32 bytes), comma-separated; the first encrypts, all decrypt (rotation).
    #: Unset: one key derived from ``secret_key`` (HKDF-SHA256).
    credentials_key: str | None = None
    #: Hours after an app uninstall before the shop's data is erased, unless it
    #: is reinstalled (Shopify asks for it with shop/redact after 48 hours anyway).
    purge_after_uninstall_hours: float = Field(default=48.0, gt=0)
    #: Largest webhook body accepted (bytes).
    webhook_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: Where StoreChat sends email (the team's alerts, replies to shoppers who
    #: left an address, password resets): ``smtp://user:pass@host:587`` (STARTTLS
    #: when the server offers it), ``smtps://...:465`` (TLS from the start), or
    #: ``smtp://host:25?tls=off`` for a relay on a trusted network. Unset: no email.
    smtp_url: str | None = None
    #: The From address of that email.
    mail_from: str = "StoreChat <storechat@localhost>"
    #: Development only: let StoreChat call stores, sites and model endpoints over plain http.
    #: Like the next one, read by core/outbound from the environment in every process.
    allow_plain_http: bool = False
    #: Development only: IP addresses or networks (``127.0.0.1,10.0.0.0/8``, comma-separated)
    #: StoreChat may call although they are not public (a local test store, a LAN model server).
    outbound_allow_networks: str | None = None
    #: Let anyone who reaches the WordPress plugin's "Connect this site" page create a new shop
    #: and its owner account on the spot (off: only existing owners connect their shop).
    self_service_shops: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "INFO"
    #: ``json`` (one object per line) or ``text``; unset: text on a terminal, JSON otherwise
    #: (read by core/log_setup.py from the environment, in every process).
    log_format: str | None = Field(default=None, pattern=r"^(json|text)$")
    #: One log line per HTTP request and per socket opened and closed (logger ``core.access``).
    access_log: bool = False
    #: Bearer token that ``GET /metrics`` requires; unset, ``/metrics`` answers 404.
    metrics_token: str | None = Field(default=None, min_length=16)
    #: Serve the demo storefront at ``/demo/`` (``storechat demo`` sets it; off for ``serve``).
    demo: bool = False

    #: Lifetime of a visitor token (seconds).
    visitor_token_ttl: int = Field(default=60 * 60 * 24 * 30, gt=0)
    #: Largest WebSocket frame accepted from a client (bytes).
    max_frame_bytes: int = Field(default=16 * 1024, ge=1024)
    #: Longest shopper message (characters).
    max_message_chars: int = Field(default=4000, ge=100)
    #: Outbound frames queued per socket before the client is told to resume.
    socket_queue_max: int = Field(default=256, ge=8)
    #: Seconds between keepalive pings on sockets.
    ws_ping_interval: float = Field(default=25.0, gt=0)
    #: Web workers' garbage collection (core/gc_schedule.py): seconds between looks at a
    #: full pass, the longest it may take to run on schedule, and (bench) write each
    #: worker's collection pauses to ``gc-<pid>.json`` in the instance folder.
    gc_full_interval: float = Field(default=600.0, gt=0)
    gc_max_pause: float = Field(default=0.020, ge=0)
    gc_report: bool = False
    #: Seconds between checks that live agent sockets still hold a valid credential (not revoked or
    #: rotated, shop active); a socket that does not is closed with ``agent_revoked``.
    agent_recheck_seconds: float = Field(default=30.0, gt=0)
    #: Seconds an agent may be without a live socket (a reload, a flaky network)
    #: before the conversations they own go back to the queue.
    agent_away_grace: float = Field(default=120.0, gt=0)

    #: Limits, enforced across processes through Redis. Message rates are a
    #: token bucket: ``rate`` per second sustained, ``burst`` at once.
    visitor_message_rate: float = Field(default=1.0, gt=0)
    visitor_message_burst: int = Field(default=10, ge=1)
    ip_message_rate: float = Field(default=5.0, gt=0)
    ip_message_burst: int = Field(default=60, ge=1)
    agent_message_rate: float = Field(default=5.0, gt=0)
    agent_message_burst: int = Field(default=30, ge=1)
    max_connections_per_ip: int = Field(default=100, ge=1)
    #: How many proxies in front of StoreChat set X-Forwarded-For (0: none,
    #: trust the peer address).
    trusted_proxies: int = Field(default=0, ge=0, le=5)

    #: Seconds the assistant waits after a shopper's line for a follow-up line,
    #: so a burst gets one reply; ``typing`` holds it up to ``assistant_max_hold``.
    assistant_delay: float = Field(default=0.4, ge=0, le=10)
    assistant_max_hold: float = Field(default=4.0, ge=0, le=30)

    #: Redis connections per process; callers wait for a free one beyond this.
    redis_max_connections: int = Field(default=200, ge=4)

    #: Web processes and connections per process under ``storechat serve``.
    web_workers: int = Field(default=2, ge=1)
    web_connections: int = Field(default=10000, ge=10)

    @field_validator(
        "database_url",
        "redis_url",
        "redis_sentinels",
        "public_url",
        "secret_key",
        "credentials_key",
        "smtp_url",
        "metrics_token",
        "log_format",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lowercase_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver we ship.
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        if not value.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("outbound_allow_networks")
    @classmethod
    def _networks(cls, value: str | None) -> str | None:
        if value is not None:
            from core.outbound import parse_networks

            parse_networks(value.split(","))
        return value

    @field_validator("apps")
    @classmethod
    def _lowercase_platforms(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        return {platform.lower(): {k.lower(): v for k, v in conf.items()} for platform, conf in value.items()}

    @field_validator("credentials_key")
    @classmethod
    def _fernet_keys(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from cryptography.fernet import Fernet

        for key in value.split(","):
            try:
                Fernet(key.strip())
            except ValueError:
                raise ValueError(
                    "each key must be 32 bytes in urlsafe base64 (make one with "
                    "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
                ) from None
        return value

    @field_validator("smtp_url")
    @classmethod
    def _known_smtp(cls, value: str | None) -> str | None:
        if value is not None:
            from urllib.parse import urlsplit

            parts = urlsplit(value)
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError("must be smtp://[user:pass@]host[:port] or smtps://...")
        return value

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://", "redis+sentinel://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinel_addresses(cls, value: str | None) -> str | None:
        if value is not None:
            from core.redis_client import parse_addresses

            parse_addresses(value)
        return value

    @model_validator(mode="after")
    def _through_sentinels(self) -> Settings:
        """With Sentinels, ``redis_url`` names them (``redis+sentinel://``): every process
        started from these settings, and every client made from the URL, finds the primary
        through them, also after a failover."""
        if self.redis_sentinels:
            from core.redis_client import sentinel_url

            self.redis_url = sentinel_url(self.redis_sentinels, self.redis_sentinel_master, self.redis_url)
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'storechat.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite:")

    def ensure_instance(self) -> None:
        """Create the instance folder and the secret, once."""
        self.instance_path.mkdir(parents=True, exist_ok=True)
        if self.secret_key is None:
            self.secret_key = _load_or_create_secret(self.instance_path / SECRET_FILE)


def _load_or_create_secret(path: Path) -> str:
    try:
        value = path.read_text().strip()
        if len(value) >= 32:
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # the mode above applies only to a new file
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise :class:`ConfigError` with every problem named."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"STORECHAT_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
    settings.ensure_instance()
    return settings
