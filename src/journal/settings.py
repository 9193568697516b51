"""Settings: the environment and a mounted ConfigMap directory, validated once at start-up.

Every setting comes from `JOURNAL_<NAME>` or from a file `<name>` (lower case) in the directory
`JOURNAL_CONFIG_DIR` (default `/etc/journal`); the environment wins, a missing directory is fine.
The Redis password never comes from a literal: it is read from `JOURNAL_REDIS_PASSWORD_FILE`
(a Secret or CSI volume), and a missing file means "no auth".

`load_config()` turns the pydantic boundary model into the frozen `Config` the app uses, and raises
`SettingsError` whose message names the setting, what was wrong and what was expected.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from journal.redisurls import parse_redis_url
from journal.sentinels import parse_sentinel_addresses

ENV_PREFIX = "JOURNAL_"
DEFAULT_CONFIG_DIR = Path("/etc/journal")
LogLevel = Literal["debug", "info", "warning", "error", "critical"]


class SettingsError(Exception):
    """A setting is invalid; the message names it (`JOURNAL_ENTRIES: ...`)."""


class Settings(BaseSettings):
    """The boundary model: raw values from env and files, validated."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    config_dir: Path = DEFAULT_CONFIG_DIR
    host: str = "0.0.0.0"  # noqa: S104 - a container serves on all interfaces
    port: int = Field(default=8080, ge=1, le=65535)
    entries: int = Field(default=10, ge=1, le=100)
    max_body_bytes: int = Field(default=4096, ge=64, le=1_048_576)
    redis_write_url: str = "redis://redis-write:6379/0"
    redis_read_url: str = "redis://redis-read:6379/0"
    redis_password_file: Path = Path("/etc/redis-passwd/passwd")
    redis_timeout_s: float = Field(default=2.0, gt=0, le=60)
    shutdown_timeout_s: int = Field(default=20, ge=0, le=600)
    request_timeout_s: float = Field(default=10.0, gt=0, le=300)
    idempotency_ttl_s: int = Field(default=300, ge=1, le=86_400)
    replica_acks: int = Field(default=1, ge=0, le=16)
    replica_ack_timeout_s: float = Field(default=1.0, gt=0, le=60)
    redis_ca_file: Path | None = None
    sentinel_addresses: str = ""
    sentinel_master: str = Field(default="journal", pattern=r"^[A-Za-z0-9._-]{1,64}$")
    log_level: LogLevel = "info"

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("redis_write_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        parse_redis_url(value)
        return value

    @field_validator("redis_read_url")
    @classmethod
    def _redis_urls(cls, value: str) -> str:
        for url in split_urls(value):
            parse_redis_url(url)
        return value

    @field_validator("sentinel_addresses")
    @classmethod
    def _sentinels(cls, value: str) -> str:
        parse_sentinel_addresses(value)
        return value

    @model_validator(mode="after")
    def _ack_within_the_call_timeout(self) -> Settings:
        # WAIT holds the write socket: the calls queued behind it must not time out first.
        if self.replica_acks and self.replica_ack_timeout_s >= self.redis_timeout_s:
            raise ValueError(
                f"{ENV_PREFIX}REPLICA_ACK_TIMEOUT_S ({self.replica_ack_timeout_s:g}) must be shorter than"
                f" {ENV_PREFIX}REDIS_TIMEOUT_S ({self.redis_timeout_s:g})"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        directory = Path(os.environ.get(f"{ENV_PREFIX}CONFIG_DIR", str(DEFAULT_CONFIG_DIR)))
        return init_settings, env_settings, ConfigDirSource(settings_cls, directory)


class ConfigDirSource(PydanticBaseSettingsSource):
    """One file per setting, named like the field (`entries`), as a ConfigMap volume mounts them."""

    def __init__(self, settings_cls: type[BaseSettings], directory: Path) -> None:
        super().__init__(settings_cls)
        self.directory = directory

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        path = self.directory / field_name
        # ConfigMap volumes hold symlinks into a ..data dir; is_file() follows them.
        if not path.is_file():
            return None, field_name, False
        return path.read_text(encoding="utf-8").strip(), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, info in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(info, name)
            if value is not None:
                values[key] = value
        return values


@dataclass(frozen=True)
class Config:
    """What the app runs with; the password is kept out of repr."""

    host: str
    port: int
    entries: int
    max_body_bytes: int
    redis_write_url: str
    redis_read_url: str
    redis_timeout_s: float
    shutdown_timeout_s: int
    idempotency_ttl_s: int
    log_level: LogLevel
    replica_acks: int = 1
    replica_ack_timeout_s: float = 1.0
    redis_ca_file: Path | None = None
    sentinel_addresses: tuple[tuple[str, int], ...] = ()
    sentinel_master: str = "journal"
    request_timeout_s: float = 10.0
    redis_password: str | None = field(default=None, repr=False)

    def redacted(self) -> dict[str, Any]:
        """The effective configuration for the start-up log line: no secrets."""
        return {
            "host": self.host,
            "port": self.port,
            "entries": self.entries,
            "max_body_bytes": self.max_body_bytes,
            "redis_write_url": redact_url(self.redis_write_url),
            "redis_read_url": ",".join(redact_url(url) for url in split_urls(self.redis_read_url)),
            "redis_timeout_s": self.redis_timeout_s,
            "shutdown_timeout_s": self.shutdown_timeout_s,
            "request_timeout_s": self.request_timeout_s,
            "idempotency_ttl_s": self.idempotency_ttl_s,
            "replica_acks": self.replica_acks,
            "replica_ack_timeout_s": self.replica_ack_timeout_s,
            "redis_ca_file": str(self.redis_ca_file) if self.redis_ca_file else None,
            "sentinel_addresses": [f"{host}:{port}" for host, port in self.sentinel_addresses],
            "sentinel_master": self.sentinel_master,
            "log_level": self.log_level,
            "redis_auth": self.redis_password is not None,
        }


def split_urls(text: str) -> list[str]:
    """`JOURNAL_REDIS_READ_URL`: one URL, or several separated by commas (one per replica);
    ValueError if there is none."""
    urls = [part.strip() for part in text.split(",") if part.strip()]
    if not urls:
        raise ValueError("expected one or more redis:// URLs separated by commas")
    return urls


def redact_url(url: str) -> str:
    """Drop any user:password from a URL before it reaches a log or a message."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def read_password(path: Path) -> str | None:
    """The first line of the password file; a missing file means no auth."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise SettingsError(f"{ENV_PREFIX}REDIS_PASSWORD_FILE: cannot read {path}: {err.strerror}") from err
    password = text.rstrip("\r\n")
    return password or None


def describe_error(err: ValidationError) -> str:
    """One line per bad setting, named as the operator sets it: `JOURNAL_ENTRIES: ...`."""
    lines = []
    for problem in err.errors(include_url=False):
        if not problem["loc"]:  # a check across settings names them in its message
            lines.append(problem["msg"].removeprefix("Value error, "))
            continue
        name = ENV_PREFIX + ".".join(str(part) for part in problem["loc"]).upper()
        given = problem.get("input")
        # A list of read URLs is redacted URL by URL: a later one's password must not show either.
        redacted = ",".join(redact_url(part) for part in str(given).split(","))
        shown = f" (got {redacted!r})" if isinstance(given, str | int | float) else ""
        lines.append(f"{name}: {problem['msg']}{shown}")
    return "; ".join(lines)


def load_config(**overrides: Any) -> Config:
    """Read env and the config dir (keyword overrides win, for tests); raise SettingsError if invalid."""
    try:
        settings = Settings(**overrides)
    except ValidationError as err:
        raise SettingsError(describe_error(err)) from None
    password = read_password(settings.redis_password_file)
    for name, url in (
        ("REDIS_WRITE_URL", settings.redis_write_url),
        *(("REDIS_READ_URL", read_url) for read_url in split_urls(settings.redis_read_url)),
    ):
        parsed = parse_redis_url(url)
        if parsed.username and password is None and parsed.password is None:
            raise SettingsError(
                f"{ENV_PREFIX}{name}: the user {parsed.username!r} needs a password"
                f" ({ENV_PREFIX}REDIS_PASSWORD_FILE or redis://user:password@host)"
            )
    return Config(
        host=settings.host,
        port=settings.port,
        entries=settings.entries,
        max_body_bytes=settings.max_body_bytes,
        redis_write_url=settings.redis_write_url,
        redis_read_url=settings.redis_read_url,
        redis_timeout_s=settings.redis_timeout_s,
        shutdown_timeout_s=settings.shutdown_timeout_s,
        idempotency_ttl_s=settings.idempotency_ttl_s,
        log_level=settings.log_level,
        replica_acks=settings.replica_acks,
        replica_ack_timeout_s=settings.replica_ack_timeout_s,
        redis_ca_file=check_ca_file(settings.redis_ca_file),
        sentinel_addresses=parse_sentinel_addresses(settings.sentinel_addresses),
        sentinel_master=settings.sentinel_master,
        request_timeout_s=settings.request_timeout_s,
        redis_password=password,
    )


def check_ca_file(path: Path | None) -> Path | None:
    """The CA bundle for rediss:// URLs, loaded once here so a bad one stops the start (exit 2)."""
    if path is None:
        return None
    try:
        ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else "not a PEM CA bundle"
        raise SettingsError(f"{ENV_PREFIX}REDIS_CA_FILE: cannot load {path}: {reason}") from None
    return path
