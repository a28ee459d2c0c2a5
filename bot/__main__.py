"""Run the bot: ``python -m bot`` (long polling, or BOT_MODE=webhook), ``python -m bot migrate``
(schema only).

Reads TELEGRAM_BOT_TOKEN, DATABASE_URL and the rest from the environment or a .env file
(see README). A missing or malformed setting is reported in one sentence, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from bot.config import TOKEN_HELP, ConfigError, Settings

if TYPE_CHECKING:
    from storage.db import Database


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and the URL holds the bot token: kept quiet, should
    # anything use it (the bot's own requests go through aiohttp: bot/transport.py).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # Telegram out of reach at start: main() says so in one sentence, nothing else.
    for handler in logging.getLogger().handlers:
        handler.addFilter(_no_bootstrap_traceback)


def _no_bootstrap_traceback(record: logging.LogRecord) -> bool:
    """PTB's "Network Retry Loop (Bootstrap ...): Failed run number 0 of 0" is dropped, with
    its traceback: main() says what failed and what to check."""
    return not (record.name.startswith("telegram.ext") and "Bootstrap" in record.getMessage())


async def _migrate(db: Database) -> None:
    try:
        await db.migrate()
    finally:
        await db.close()


def _migrate_command(database_url: str) -> int:
    from sqlalchemy.exc import InterfaceError, OperationalError

    from bot.app import DatabaseUnavailable
    from storage.db import Database, SchemaTooNew

    try:
        asyncio.run(_migrate(Database.create(database_url)))
    except (OSError, OperationalError, InterfaceError, SchemaTooNew) as problem:  # one sentence
        print(DatabaseUnavailable.of(database_url, problem), file=sys.stderr)
        return 2
    print("database is at the newest schema")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    configure_logging()
    command = args[0] if args else "run"
    if command not in ("run", "migrate"):
        print("usage: python -m bot [run|migrate]", file=sys.stderr)
        return 2
    try:
        if command == "migrate":
            return _migrate_command(Settings.database_url_from_env())
        settings = Settings.from_env()
    except ConfigError as problem:
        print(problem, file=sys.stderr)
        return 2

    from telegram.error import InvalidToken, NetworkError

    from bot.app import DatabaseUnavailable, build_application, poll_until_stopped

    application = build_application(settings)
    try:
        if settings.mode == "webhook":
            from bot.webhook import serve

            asyncio.run(serve(application, settings))
        else:
            asyncio.run(poll_until_stopped(application))
    except DatabaseUnavailable as problem:
        print(problem, file=sys.stderr)
        return 2
    except InvalidToken:
        print(TOKEN_HELP.format(problem="refused by Telegram"), file=sys.stderr)
        return 2
    except NetworkError as problem:
        print(f"Telegram's Bot API does not answer ({type(problem).__name__}). Is this "
              "machine online, and is TELEGRAM_API_BASE_URL right (if set)?", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
