"""Settings: defaults for a single-machine install, the generated secret, URL
normalization, and errors that name the STORECHAT_* variable to fix."""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import main
from core.errors import ConfigError
from core.settings import SECRET_FILE, load_settings

SECRET = "s" * 40


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only the variables a test sets: nothing from the shell running pytest."""
    for name in list(os.environ):
        if name.startswith("STORECHAT_") and not name.startswith("STORECHAT_TEST_"):
            monkeypatch.delenv(name)
    yield


def test_defaults_make_a_single_machine_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()

    assert settings.instance_path == tmp_path / "instance"
    assert settings.instance_path.is_dir()
    assert settings.database_url is None
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'instance' / 'storechat.db'}"
    assert settings.is_sqlite is True
    assert settings.redis_url is None  # the embedded Redis of `storechat serve`
    assert settings.public_url is None
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8000, "INFO")
    assert settings.web_workers == 2
    assert settings.trusted_proxies == 0


def test_instance_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORECHAT_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    settings = load_settings()
    assert settings.instance_path == tmp_path / "elsewhere"
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'elsewhere' / 'storechat.db'}"
    assert (tmp_path / "elsewhere" / SECRET_FILE).is_file()


def test_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    first = load_settings(instance_path=instance)

    path = instance / SECRET_FILE
    assert first.secret_key is not None
    assert len(first.secret_key) >= 32
    assert path.read_text() == first.secret_key + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    second = load_settings(instance_path=instance)
    assert second.secret_key == first.secret_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    other = load_settings(instance_path=tmp_path / "other")
    assert other.secret_key != first.secret_key


def test_too_short_stored_secret_is_replaced(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / SECRET_FILE).write_text("short\n")
    (instance / SECRET_FILE).chmod(0o644)
    settings = load_settings(instance_path=instance)
    assert settings.secret_key is not None and len(settings.secret_key) >= 32
    assert (instance / SECRET_FILE).read_text() == settings.secret_key + "\n"
    assert stat.S_IMODE((instance / SECRET_FILE).stat().st_mode) == 0o600
    assert load_settings(instance_path=instance).secret_key == settings.secret_key


def test_explicit_secret_wins_and_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORECHAT_SECRET_KEY", SECRET)
    settings = load_settings(instance_path=tmp_path / "instance")
    assert settings.secret_key == SECRET
    assert not (tmp_path / "instance" / SECRET_FILE).exists()


def test_blank_values_mean_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "SECRET_KEY"):
        monkeypatch.setenv(f"STORECHAT_{name}", "  ")
    settings = load_settings(instance_path=tmp_path / "instance")
    assert (settings.database_url, settings.redis_url, settings.public_url) == (None, None, None)
    assert settings.secret_key is not None and len(settings.secret_key) >= 32
    assert settings.is_sqlite


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db.example:5432/store", "postgresql+psycopg://u:p@db.example:5432/store"),
        ("postgresql://u:p@db.example/store", "postgresql+psycopg://u:p@db.example/store"),
        ("postgresql+psycopg://u@db.example/store", "postgresql+psycopg://u@db.example/store"),
        ("sqlite:////var/lib/storechat/db.sqlite", "sqlite:////var/lib/storechat/db.sqlite"),
    ],
)
def test_database_url_is_normalized(
    given: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORECHAT_DATABASE_URL", given)
    settings = load_settings(instance_path=tmp_path / "instance")
    assert settings.database_url == expected
    assert settings.sqlalchemy_url == expected
    assert settings.is_sqlite is expected.startswith("sqlite:")
    # The same through a keyword override.
    assert load_settings(instance_path=tmp_path / "instance", database_url=given).database_url == expected


@pytest.mark.parametrize(
    "url", ["redis://localhost:6379/0", "rediss://cache.example:6380/1", "unix:///tmp/redis.sock"]
)
def test_redis_url_schemes(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORECHAT_REDIS_URL", url)
    assert load_settings(instance_path=tmp_path / "instance").redis_url == url


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STORECHAT_DATABASE_URL", "mysql://root@localhost/store", "must be a sqlite:/// or postgresql:// URL"),
        ("STORECHAT_DATABASE_URL", "postgres:/missing-slashes", "must be a sqlite:/// or postgresql:// URL"),
        ("STORECHAT_REDIS_URL", "localhost:6379", "must be a redis://, rediss:// or unix:// URL"),
        ("STORECHAT_PORT", "70000", "less than or equal to 65535"),
        ("STORECHAT_PORT", "http", "valid integer"),
        ("STORECHAT_SECRET_KEY", "too-short", "at least 32 characters"),
        ("STORECHAT_TRUSTED_PROXIES", "9", "less than or equal to 5"),
        ("STORECHAT_VISITOR_MESSAGE_RATE", "0", "greater than 0"),
    ],
)
def test_invalid_values_name_the_variable(
    variable: str, value: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as excinfo:
        load_settings(instance_path=tmp_path / "instance")
    text = str(excinfo.value)
    assert text.startswith(f"invalid settings: {variable}: ")
    assert message in text
    assert excinfo.value.code == "config_invalid"
    # Nothing is created for settings that do not load.
    assert not (tmp_path / "instance").exists()


def test_every_problem_is_named_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORECHAT_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("STORECHAT_REDIS_URL", "localhost")
    monkeypatch.setenv("STORECHAT_PORT", "70000")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(instance_path=tmp_path / "instance")
    text = str(excinfo.value)
    for variable in ("STORECHAT_DATABASE_URL", "STORECHAT_REDIS_URL", "STORECHAT_PORT"):
        assert f"{variable}: " in text
    assert text.count("; ") == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STORECHAT_DATABASE_URL", "mysql://root@localhost/store"),
        ("STORECHAT_REDIS_URL", "localhost:6379"),
        ("STORECHAT_PORT", "70000"),
        ("STORECHAT_SECRET_KEY", "too-short"),
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["shop", "list"], ["sync", "1"], ["worker", "--burst"]])
def test_cli_reports_invalid_settings(
    variable: str, value: str, command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"STORECHAT_INSTANCE_PATH": str(tmp_path / "instance"), variable: value}
    for name, val in env.items():
        monkeypatch.setenv(name, val)
    result = CliRunner().invoke(main, command, env=env)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: invalid settings: {variable}: ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "instance").exists()
