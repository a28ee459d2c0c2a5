"""Fixtures: a migrated database per test, the fake Bot API server, and the real bot on top.

``TEST_DATABASE_URL`` picks the backend: unset, each test gets a fresh SQLite file (a copy of
one migrated template); ``postgresql+asyncpg://...``, the database is migrated once and every
table is emptied before each test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import build_application, running
from bot.clock import Clock
from bot.config import Settings
from storage.db import Database
from storage.models import Base
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram
from tests.helpers import Chat, Handled

COORDINATOR_ID = 900_001


def migrate(url: str) -> None:
    """Alembic to head, in a thread of its own (a test's event loop may already run)."""

    async def upgrade() -> None:
        db = Database.create(url)
        try:
            await db.migrate()
        finally:
            await db.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, upgrade()).result()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test gets a copy (Alembic per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite+aiosqlite:///{path}")
    return path


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()


@pytest.fixture(scope="session")
def migrated_server() -> str:
    """The PostgreSQL database of this run, migrated to the newest schema once."""
    migrate(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if TEST_DATABASE_URL:
        database = Database.create(request.getfixturevalue("migrated_server"))
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    else:
        path = tmp_path / "bot.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        database = Database.create(f"sqlite+aiosqlite:///{path}")
    await database.load_default_schools()
    yield database
    await database.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        assert not server.server_errors, server.server_errors


@pytest.fixture
def settings(fake: FakeTelegram, db: Database) -> Settings:
    return Settings(
        token=DEFAULT_TOKEN,
        database_url=db.url,
        api_base_url=fake.base_url,
        api_file_url=fake.file_url,
        coordinator_ids=frozenset({COORDINATOR_ID}),
    )


class FixedClock(Clock):
    """A clock that stands still until a test moves it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> FixedClock:
    """Sunday 22 November 2026, 10:00 in Brussels: the week ahead is 23–29 November."""
    return FixedClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


@pytest.fixture
async def bot(settings: Settings, db: Database, fake: FakeTelegram,
              clock: FixedClock) -> AsyncIterator[Handled]:
    """The real Application, long polling the fake server, as ``python -m bot`` runs it."""
    app = build_application(settings, db=db)
    app.bot_data["clock"] = clock
    handled = Handled().watch(app)
    async with running(app):
        yield handled


@pytest.fixture
def chat(fake: FakeTelegram, bot: Handled) -> Chat:
    """Talk to the running bot as a person would (see tests/helpers.py)."""
    return Chat(fake, bot)
