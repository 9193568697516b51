"""Settings: env and config-dir files, env wins, errors name the setting, the password stays hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal.settings import Config, SettingsError, load_config, redact_url, split_urls


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ConfigMap directory and an environment without JOURNAL_* settings."""
    for name in ("ENTRIES", "MAX_BODY_BYTES", "LOG_LEVEL", "REDIS_WRITE_URL", "REDIS_PASSWORD_FILE", "PORT"):
        monkeypatch.delenv(f"JOURNAL_{name}", raising=False)
    monkeypatch.setenv("JOURNAL_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("JOURNAL_REDIS_PASSWORD_FILE", str(tmp_path / "no-such-passwd"))
    return tmp_path


def test_defaults(config_dir: Path) -> None:
    config = load_config()

    assert (config.entries, config.max_body_bytes, config.port, config.host) == (10, 4096, 8080, "0.0.0.0")
    assert config.redis_write_url == "redis://redis-write:6379/0"
    assert config.redis_read_url == "redis://redis-read:6379/0"
    assert config.log_level == "info"
    assert config.redis_password is None


def test_a_missing_config_dir_is_fine(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNAL_CONFIG_DIR", str(config_dir / "absent"))

    assert load_config().entries == 10


def test_files_in_the_config_dir_are_read(config_dir: Path) -> None:
    (config_dir / "entries").write_text("25\n")
    (config_dir / "log_level").write_text("WARNING")

    config = load_config()

    assert (config.entries, config.log_level) == (25, "warning")


def test_env_wins_over_the_config_dir(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (config_dir / "entries").write_text("25")
    monkeypatch.setenv("JOURNAL_ENTRIES", "5")

    assert load_config().entries == 5


def test_the_password_comes_from_its_file(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (config_dir / "passwd").write_text("s3cret-Pa55\n")
    monkeypatch.setenv("JOURNAL_REDIS_PASSWORD_FILE", str(config_dir / "passwd"))

    config = load_config()

    assert config.redis_password == "s3cret-Pa55"
    assert "s3cret" not in repr(config)
    assert "s3cret" not in str(config.redacted())
    assert config.redacted()["redis_auth"] is True


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        pytest.param(
            "ENTRIES", "0", "JOURNAL_ENTRIES: Input should be greater than or equal to 1", id="entries-0"
        ),
        pytest.param(
            "ENTRIES", "101", "JOURNAL_ENTRIES: Input should be less than or equal to 100", id="entries-101"
        ),
        pytest.param("ENTRIES", "ten", "JOURNAL_ENTRIES: Input should be a valid integer", id="entries-text"),
        pytest.param("MAX_BODY_BYTES", "-1", "JOURNAL_MAX_BODY_BYTES:", id="body-negative"),
        pytest.param("LOG_LEVEL", "loud", "JOURNAL_LOG_LEVEL:", id="log-level"),
        pytest.param(
            "REDIS_WRITE_URL", "http://x", "JOURNAL_REDIS_WRITE_URL: Value error, expected", id="url"
        ),
        pytest.param(
            "REDIS_WRITE_URL",
            "redis://h:99999/0",
            "JOURNAL_REDIS_WRITE_URL: Value error, the port must be an integer from 1 to 65535",
            id="url-port",
        ),
        pytest.param(
            "REDIS_READ_URL",
            "redis://h/abc",
            "JOURNAL_REDIS_READ_URL: Value error, the database must be an integer",
            id="url-db",
        ),
        pytest.param("REPLICA_ACKS", "-1", "JOURNAL_REPLICA_ACKS:", id="acks-negative"),
        pytest.param(
            "REPLICA_ACK_TIMEOUT_S",
            "2",
            r"JOURNAL_REPLICA_ACK_TIMEOUT_S \(2\) must be shorter than JOURNAL_REDIS_TIMEOUT_S \(2\)",
            id="ack-timeout-too-long",
        ),
    ],
)
def test_invalid_settings_name_the_setting(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"JOURNAL_{name}", value)

    with pytest.raises(SettingsError, match=message if "\\(" in message else message.replace("(", r"\(")):
        load_config()


def test_an_invalid_file_value_names_the_setting(config_dir: Path) -> None:
    (config_dir / "entries").write_text("lots")

    with pytest.raises(SettingsError, match=r"JOURNAL_ENTRIES: .*got 'lots'"):
        load_config()


def test_an_unreadable_password_file_is_an_error(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNAL_REDIS_PASSWORD_FILE", str(config_dir))  # a directory: cannot be read

    with pytest.raises(SettingsError, match="JOURNAL_REDIS_PASSWORD_FILE: cannot read"):
        load_config()


def test_a_bad_url_with_a_password_is_reported_redacted(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_REDIS_READ_URL", "mysql://user:hunter2@db:3306/0")

    with pytest.raises(SettingsError) as raised:
        load_config()

    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://redis-write:6379/0", "redis://redis-write:6379/0"),
        ("redis://:pw@redis-write:6379/0", "redis://***@redis-write:6379/0"),
        ("redis://user:p@ss@host/1", "redis://***@host/1"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_config_is_frozen() -> None:
    assert Config.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_a_ca_file_that_is_not_a_bundle_names_the_setting(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (config_dir / "ca.pem").write_text("not a certificate")
    monkeypatch.setenv("JOURNAL_REDIS_CA_FILE", str(config_dir / "ca.pem"))

    with pytest.raises(SettingsError, match=r"JOURNAL_REDIS_CA_FILE: cannot load .*ca.pem"):
        load_config()


def test_a_missing_ca_file_names_the_setting(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNAL_REDIS_CA_FILE", str(config_dir / "absent.pem"))

    with pytest.raises(SettingsError, match=r"JOURNAL_REDIS_CA_FILE: cannot load .*No such file"):
        load_config()


def test_an_acl_user_without_a_password_is_refused(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # AUTH needs the password: a user name alone would silently log in as `default`.
    monkeypatch.setenv("JOURNAL_REDIS_WRITE_URL", "redis://journal@redis-write:6379/0")

    with pytest.raises(SettingsError, match="JOURNAL_REDIS_WRITE_URL: the user 'journal' needs a password"):
        load_config()


def test_several_read_urls_are_checked_one_by_one_and_redacted(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_REDIS_READ_URL", "redis://:pw1@redis-0:6379/0, redis://:pw2@redis-1:6379/0")
    config = load_config()
    assert split_urls(config.redis_read_url) == ["redis://:pw1@redis-0:6379/0", "redis://:pw2@redis-1:6379/0"]
    assert config.redacted()["redis_read_url"] == "redis://***@redis-0:6379/0,redis://***@redis-1:6379/0"

    monkeypatch.setenv("JOURNAL_REDIS_READ_URL", "redis://:pw1@redis-0:6379/0,redis://:pw2@redis-1:6379/x")
    with pytest.raises(SettingsError, match=r"JOURNAL_REDIS_READ_URL: .*the database must be") as raised:
        load_config()
    assert "pw1" not in str(raised.value)
    assert "pw2" not in str(raised.value)

    monkeypatch.setenv("JOURNAL_REDIS_READ_URL", " , ")
    with pytest.raises(SettingsError, match=r"JOURNAL_REDIS_READ_URL: .*one or more redis:// URLs"):
        load_config()
