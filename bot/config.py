"""Settings read once from the environment (and an optional ``.env`` file).

Usage::

    settings = Settings.from_env()   # raises ConfigError with one clear sentence

Nothing here runs at import time: ``python -m bot`` calls ``from_env`` when it starts.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/bot.sqlite3"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_FILE_URL = "https://api.telegram.org/file/bot"
# Connections the work beside updates holds at once: the outbox sender and the JobQueue's jobs
# (reminders, broadcast progress, question escalation, the leader lease).
BACKGROUND_CONNECTIONS = 4

# What @BotFather hands out: the bot's numeric id, a colon, and a 35-character secret.
TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")

TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is {problem}: open Telegram, talk to @BotFather, send /newbot, "
    "and put the token it gives you (it looks like 123456789:AAF...) in the environment "
    "variable TELEGRAM_BOT_TOKEN or in a .env file in the folder you start the bot from."
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
    # Production: BOT_MODE=webhook behind a load balancer (see README, "Production").
    mode: str = "polling"
    webhook_url: str = ""
    webhook_secret: str = ""
    listen: str = "0.0.0.0"
    port: int = 8080
    # Database connections kept open (None: one per update handled at once, plus
    # BACKGROUND_CONNECTIONS), and how many more may open for a burst (closed after it).
    db_pool_size: int | None = None
    db_max_overflow: int = 4
    # Updates handled at once (of different chats; one chat's always in order, see
    # bot/update_order.py). None: 8, each holding a connection of the pool while it runs. On
    # SQLite the writers among them take turns (storage/sqlite_driver.py); the readers and the
    # waits for Telegram overlap.
    update_concurrency: int | None = None
    # Help questions: nobody took or answered one within these working hours (Monday-Friday
    # 09-17): it goes to the next candidate and the coordinator is told. Closed questions are
    # erased after these days.
    escalate_after_hours: float = 4.0
    question_retention_days: int = 180
    # The outbox sender's rate (messages/s), lease (s), requests in flight and seconds to wait
    # for one answer; None: its defaults (30, 60, 1, 5). Tests and benchmarks change them;
    # Telegram's limits do not.
    outbox_rate: float | None = None
    outbox_lease_seconds: float | None = None
    outbox_max_in_flight: int | None = None
    outbox_request_timeout: float | None = None

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
            database_url=_database_url(values.get("DATABASE_URL", "")),
            api_base_url=values.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
            api_file_url=values.get("TELEGRAM_API_FILE_URL", "").strip() or DEFAULT_API_FILE_URL,
            coordinator_ids=_parse_ids(values.get("COORDINATOR_IDS", "")),
            timezone=_parse_timezone(values.get("TIMEZONE", "").strip() or "Europe/Brussels"),
            **_webhook_settings(values),
            db_pool_size=_parse_int(values, "DB_POOL_SIZE", 0) or None,
            db_max_overflow=_parse_int(values, "DB_MAX_OVERFLOW", 4, zero=True),
            update_concurrency=_parse_int(values, "UPDATE_CONCURRENCY", 0) or None,
            escalate_after_hours=_parse_number(values, "ESCALATE_AFTER_HOURS") or 4.0,
            question_retention_days=_parse_int(values, "QUESTION_RETENTION_DAYS", 180),
            outbox_rate=_parse_number(values, "OUTBOX_RATE"),
            outbox_lease_seconds=_parse_number(values, "OUTBOX_LEASE_SECONDS"),
            outbox_max_in_flight=_parse_int(values, "OUTBOX_MAX_IN_FLIGHT", 0) or None,
            outbox_request_timeout=_parse_number(values, "OUTBOX_REQUEST_TIMEOUT"),
        )

    def concurrent_updates(self) -> int:
        """How many updates are handled at once (see ``update_concurrency``)."""
        if self.update_concurrency is not None:
            return self.update_concurrency
        return 8

    def pool_size(self) -> int:
        """Connections kept open: with fewer than the updates handled at once plus the
        background work, a busy minute opens and closes connections again and again (75 per
        2,000 updates in benchmarks/inbound.py on SQLite, which reads its schema at each;
        26 on PostgreSQL, a login each)."""
        if self.db_pool_size is not None:
            return self.db_pool_size
        return self.concurrent_updates() + BACKGROUND_CONNECTIONS

    def outbox_options(self) -> dict[str, Any]:
        """The OutboxSender's keyword arguments set by OUTBOX_* (none: its defaults)."""
        options: dict[str, Any] = {}
        if self.outbox_rate is not None:
            options["rate"] = self.outbox_rate
        if self.outbox_lease_seconds is not None:
            options["lease"] = timedelta(seconds=self.outbox_lease_seconds)
        if self.outbox_max_in_flight is not None:
            options["max_in_flight"] = self.outbox_max_in_flight
        if self.outbox_request_timeout is not None:
            options["request_timeout"] = self.outbox_request_timeout
        return options


    @staticmethod
    def database_url_from_env(
        environ: dict[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> str:
        """Only the database URL (``python -m bot migrate`` needs no token)."""
        return _database_url(_read_environment(environ, env_file).get("DATABASE_URL", ""))


# The drivers the bot is built and tested with (both async).
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def _database_url(value: str) -> str:
    """The URL as given, once it parses and names an async driver (a plain postgresql://
    would fail later with a traceback about a missing module)."""
    url = value.strip() or DEFAULT_DATABASE_URL
    example = ("postgresql+asyncpg://user:password@host:5432/name or "
               "sqlite+aiosqlite:///data/bot.sqlite3")
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        raise ConfigError(f"DATABASE_URL is not a database address; write it like {example}."
                          ) from None
    if driver not in DATABASE_DRIVERS:
        raise ConfigError(f"DATABASE_URL starts with {driver}://, which the bot cannot use; "
                          f"write it like {example}.")
    return url


# What Telegram accepts as a secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


def _webhook_settings(values: dict[str, str]) -> dict[str, Any]:
    mode = values.get("BOT_MODE", "").strip().lower() or "polling"
    if mode not in ("polling", "webhook"):
        raise ConfigError(f"BOT_MODE must be polling or webhook, not {mode!r}.")
    url = values.get("WEBHOOK_URL", "").strip()
    secret = values.get("WEBHOOK_SECRET", "").strip()
    if mode == "webhook":
        if not url.startswith("https://"):
            raise ConfigError("BOT_MODE=webhook needs WEBHOOK_URL, the public https:// address "
                              "Telegram posts updates to, like https://bot.example.org/telegram.")
        if not SECRET_PATTERN.match(secret):
            raise ConfigError("BOT_MODE=webhook needs WEBHOOK_SECRET: 16 to 256 characters of "
                              "letters, digits, _ and - (for example the output of "
                              "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`).")
    return {"mode": mode, "webhook_url": url, "webhook_secret": secret,
            "listen": values.get("LISTEN", "").strip() or "0.0.0.0",
            "port": _parse_int(values, "PORT", 8080)}


def _parse_int(values: dict[str, str], name: str, default: int, *, zero: bool = False) -> int:
    """``zero``: 0 is a meaning of its own (DB_MAX_OVERFLOW=0: no connection beyond the pool),
    not "the default"."""
    raw = values.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or (int(raw) <= 0 and not zero):
        kind = "a whole number, 0 or more" if zero else "a positive whole number"
        raise ConfigError(f"{name} must be {kind}, not {raw!r}.")
    return int(raw)


def _parse_number(values: dict[str, str], name: str) -> float | None:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{name} must be a positive number, like 30 or 0.5, not {raw!r}.")
    return number


# Every setting the bot reads (README, Configuration): a line of .env naming another is a
# typo to point out, not to ignore (DATABASE_URI would run the bot on the default file).
SETTINGS = (
    "TELEGRAM_BOT_TOKEN", "DATABASE_URL", "COORDINATOR_IDS", "TIMEZONE", "BOT_MODE",
    "WEBHOOK_URL", "WEBHOOK_SECRET", "LISTEN", "PORT", "TELEGRAM_API_BASE_URL",
    "TELEGRAM_API_FILE_URL", "DB_POOL_SIZE", "DB_MAX_OVERFLOW", "UPDATE_CONCURRENCY",
    "ESCALATE_AFTER_HOURS", "QUESTION_RETENTION_DAYS", "OUTBOX_RATE", "OUTBOX_LEASE_SECONDS",
    "OUTBOX_MAX_IN_FLIGHT", "OUTBOX_REQUEST_TIMEOUT",
)


def _read_environment(environ: dict[str, str] | None, env_file: Path | None) -> dict[str, str]:
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        for name in values:
            # Close to a setting: a typo. (A file shared with other programs, with their
            # POSTGRES_PASSWORD, is no typo.)
            near = difflib.get_close_matches(name.upper(), SETTINGS, n=1)
            if name not in SETTINGS and near:
                log.warning("%s in %s is no setting of the bot and is ignored; did you mean "
                            "%s?", name, env_file, near[0])
    # An empty variable of the environment (a blank line of a service file) does not undo
    # the .env file's value.
    values.update({k: v for k, v in (os.environ if environ is None else environ).items()
                   if v.strip() or k not in values})
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
        if part.startswith("-"):
            raise ConfigError(
                f"COORDINATOR_IDS must be Telegram user ids; {part} is a group's id (a "
                "person's is positive: @userinfobot tells it in a private chat)."
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
