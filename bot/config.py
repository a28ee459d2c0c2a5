"""Settings read once from the environment (and an optional ``.env`` file).

Usage::

    settings = Settings.from_env()   # raises ConfigError with one clear sentence

Nothing here runs at import time: ``python -m bot`` calls ``from_env`` when it starts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/bot.sqlite3"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_FILE_URL = "https://api.telegram.org/file/bot"

# What @BotFather hands out: the bot's numeric id, a colon, and a 35-character secret.
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")

TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is {problem}: open Telegram, talk to @BotFather, send /newbot, "
    "and put the token it gives you (it looks like 123456789:AAF...) in the environment "
    "variable TELEGRAM_BOT_TOKEN or in a .env file next to this README."
)


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one sentence for the operator."""


@dataclass(frozen=True)
class Settings:
    token: str
    database_url: str = DEFAULT_DATABASE_URL
    api_base_url: str = DEFAULT_API_BASE_URL
    api_file_url: str = DEFAULT_API_FILE_URL
    coordinator_ids: frozenset[int] = field(default_factory=frozenset)
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Brussels"))

    @classmethod
    def from_env(
        cls, environ: dict[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read the settings; real environment variables win over the ``.env`` file."""
        values = _read_environment(environ, env_file)
        token = values.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise ConfigError(TOKEN_HELP.format(problem="missing"))
        if not TOKEN_PATTERN.match(token):
            raise ConfigError(TOKEN_HELP.format(problem="not a valid bot token"))

        return cls(
            token=token,
            database_url=values.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            api_base_url=values.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
            api_file_url=values.get("TELEGRAM_API_FILE_URL", "").strip() or DEFAULT_API_FILE_URL,
            coordinator_ids=_parse_ids(values.get("COORDINATOR_IDS", "")),
            timezone=_parse_timezone(values.get("TIMEZONE", "").strip() or "Europe/Brussels"),
        )


    @staticmethod
    def database_url_from_env(
        environ: dict[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> str:
        """Only the database URL (``python -m bot migrate`` needs no token)."""
        url = _read_environment(environ, env_file).get("DATABASE_URL", "").strip()
        return url or DEFAULT_DATABASE_URL


def _read_environment(environ: dict[str, str] | None, env_file: Path | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def _parse_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"COORDINATOR_IDS must be Telegram user ids separated by commas, "
                f"like 12345678,23456789; {part!r} is not a number."
            )
        ids.add(int(part))
    return frozenset(ids)


def _parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"TIMEZONE {name!r} is not a known time zone; use a name like Europe/Brussels."
        ) from exc
