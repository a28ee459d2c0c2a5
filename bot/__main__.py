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

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from storage.db import Database


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and the URL holds the bot token: keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


async def _migrate(db: Database) -> None:
    try:
        await db.migrate()
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    configure_logging()
    command = args[0] if args else "run"
    if command not in ("run", "migrate"):
        print("usage: python -m bot [run|migrate]", file=sys.stderr)
        return 2
    try:
        if command == "migrate":
            from storage.db import Database

            asyncio.run(_migrate(Database.create(Settings.database_url_from_env())))
            print("database is at the newest schema")
            return 0
        settings = Settings.from_env()
    except ConfigError as problem:
        print(problem, file=sys.stderr)
        return 2

    from bot.app import ALLOWED_UPDATES, build_application

    application = build_application(settings)
    if settings.mode == "webhook":
        from bot.webhook import serve

        asyncio.run(serve(application, settings))
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
