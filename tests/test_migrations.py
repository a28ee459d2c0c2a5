"""The Alembic migrations build exactly the tables the models describe, and go both ways."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database, alembic_config
from storage.models import Base
from tests.conftest import TEST_DATABASE_URL


async def test_migrations_match_the_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
    assert diff == []


def _round_trip(url: str) -> tuple[set[str], set[str], set[str]]:
    """Tables after upgrade to head, after downgrade to base, after upgrade again."""

    async def tables() -> set[str]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    def run() -> tuple[set[str], set[str], set[str]]:
        config = alembic_config(url)
        command.upgrade(config, "head")
        head = asyncio.run(tables())
        command.downgrade(config, "base")
        base = asyncio.run(tables())
        command.upgrade(config, "head")
        return head, base, asyncio.run(tables())

    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        return pool.submit(run).result()


def test_upgrade_and_downgrade_on_sqlite(tmp_path: Path) -> None:
    head, base, again = _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")
    assert set(Base.metadata.tables) <= head
    assert base <= {"alembic_version"}
    assert again == head


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                    reason="TEST_DATABASE_URL names no PostgreSQL database")
def test_upgrade_and_downgrade_on_postgresql() -> None:
    """On a database of its own: the suite's shared one keeps its schema."""
    server = make_url(TEST_DATABASE_URL)
    name = f"{server.database}_migrations"
    admin = server.set(drivername="postgresql+asyncpg")

    async def recreate(drop_only: bool = False) -> None:
        engine = create_async_engine(admin, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                if not drop_only:
                    await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, recreate()).result()
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        head, base, again = _round_trip(url)
        assert set(Base.metadata.tables) <= head
        assert base <= {"alembic_version"}
        assert again == head
    finally:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, recreate(drop_only=True)).result()
