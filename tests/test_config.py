"""Settings from the environment: defaults, and one clear sentence when something is wrong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, Settings

TOKEN = "123456789:AAFabcdefghijklmnopqrstuvwxyz0123456"


def test_defaults_with_only_a_token() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.api_file_url == "https://api.telegram.org/file/bot"
    assert settings.coordinator_ids == frozenset()
    assert settings.timezone.key == "Europe/Brussels"


@pytest.mark.parametrize("token", ["", "   ", "hello", "123:short", "abc:" + "x" * 35])
def test_missing_or_malformed_token_names_botfather(token: str) -> None:
    with pytest.raises(ConfigError) as problem:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": token}, env_file=None)
    message = str(problem.value)
    assert "@BotFather" in message and "TELEGRAM_BOT_TOKEN" in message
    assert "\n" not in message


def test_environment_wins_over_dotenv_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nCOORDINATOR_IDS=11, 22\nTIMEZONE=Europe/Amsterdam\n"
    )
    settings = Settings.from_env({"TIMEZONE": "Europe/Brussels"}, env_file=env_file)
    assert settings.token == TOKEN
    assert settings.coordinator_ids == frozenset({11, 22})
    assert settings.timezone.key == "Europe/Brussels"


def test_api_urls_for_a_self_hosted_server() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "TELEGRAM_API_FILE_URL": "http://127.0.0.1:8081/file/bot",
        },
        env_file=None,
    )
    assert settings.api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.api_file_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [("COORDINATOR_IDS", "12,abc", "COORDINATOR_IDS"), ("TIMEZONE", "Mars/Olympus", "TIMEZONE")],
)
def test_bad_values_are_named(name: str, value: str, hint: str) -> None:
    with pytest.raises(ConfigError, match=hint):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, name: value}, env_file=None)


def test_database_url_alone_needs_no_token() -> None:
    assert Settings.database_url_from_env({}, env_file=None) == DEFAULT_DATABASE_URL
    url = "postgresql+asyncpg://bot@127.0.0.1/bot"
    assert Settings.database_url_from_env({"DATABASE_URL": url}, env_file=None) == url


@pytest.mark.parametrize(("url", "hint"), [
    ("postgresql://bot@127.0.0.1/bot", "starts with postgresql://"),  # no async driver
    ("sqlite:///data/bot.sqlite3", "starts with sqlite://"),
    ("nonsense", "not a database address"),
])
def test_a_database_url_the_bot_cannot_use_is_named_with_an_example(url: str, hint: str) -> None:
    for read in (lambda: Settings.database_url_from_env({"DATABASE_URL": url}, env_file=None),
                 lambda: Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": url},
                                           env_file=None)):
        with pytest.raises(ConfigError, match=hint) as caught:
            read()
        assert "postgresql+asyncpg://" in str(caught.value)


def test_outbox_tuning_defaults_to_the_senders_own() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, env_file=None)
    assert settings.outbox_options() == {}
    tuned = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "OUTBOX_RATE": "400",
                               "OUTBOX_LEASE_SECONDS": "2.5", "OUTBOX_MAX_IN_FLIGHT": "4",
                               "OUTBOX_REQUEST_TIMEOUT": "1.5"}, env_file=None)
    assert tuned.outbox_options() == {"rate": 400.0, "lease": timedelta(seconds=2.5),
                                      "max_in_flight": 4, "request_timeout": 1.5}


@pytest.mark.parametrize(("name", "value"), [("OUTBOX_RATE", "fast"), ("OUTBOX_RATE", "0"),
                                             ("OUTBOX_LEASE_SECONDS", "-3"),
                                             ("OUTBOX_LEASE_SECONDS", "inf"),
                                             ("OUTBOX_MAX_IN_FLIGHT", "1.5"),
                                             ("OUTBOX_REQUEST_TIMEOUT", "soon")])
def test_bad_outbox_tuning_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, name: value}, env_file=None)


def test_eight_updates_side_by_side_unless_chosen() -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    assert Settings.from_env(env, env_file=None).concurrent_updates() == 8
    postgres = {**env, "DATABASE_URL": "postgresql+asyncpg://bot@db/bot"}
    assert Settings.from_env(postgres, env_file=None).concurrent_updates() == 8
    chosen = {**postgres, "UPDATE_CONCURRENCY": "3"}
    assert Settings.from_env(chosen, env_file=None).concurrent_updates() == 3
    with pytest.raises(ConfigError, match="UPDATE_CONCURRENCY"):
        Settings.from_env({**env, "UPDATE_CONCURRENCY": "lots"}, env_file=None)


def test_a_connection_kept_open_for_each_update_handled_at_once_and_the_background() -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN}
    assert Settings.from_env(env, env_file=None).pool_size() == 8 + 4
    assert Settings.from_env({**env, "UPDATE_CONCURRENCY": "20"}, env_file=None).pool_size() == 24
    chosen = Settings.from_env({**env, "DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "1"},
                               env_file=None)
    assert (chosen.pool_size(), chosen.db_max_overflow) == (3, 1)
    with pytest.raises(ConfigError, match="DB_POOL_SIZE"):
        Settings.from_env({**env, "DB_POOL_SIZE": "0"}, env_file=None)
