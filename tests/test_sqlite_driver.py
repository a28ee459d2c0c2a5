"""SQLite on the loop's thread (storage/sqlite_driver.py): writers take turns without ever
blocking the loop, readers never wait, and a writer that waits too long is told so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from storage import sqlite_driver
from storage.db import Database


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.create(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}")
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield database
    await database.close()


async def _bodies(db: Database) -> list[str]:
    async with db.session() as session:
        return list((await session.scalars(text("SELECT body FROM notes ORDER BY id"))).all())


class LoopTurns:
    """Counts the turns another task gets while the block runs: the loop was not held."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.count = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.pause)
            self.count += 1

    async def __aenter__(self) -> LoopTurns:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)  # started, before the block
        self.count = 0
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def test_a_second_writer_waits_for_the_first_and_the_loop_runs_meanwhile(
        sqlite: Database) -> None:
    first_wrote = asyncio.Event()

    async def first() -> None:
        async with sqlite.session() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('first')"))
            first_wrote.set()
            await asyncio.sleep(0.3)  # a Telegram call while the transaction is open
            await session.commit()

    async def second() -> None:
        await first_wrote.wait()
        async with sqlite.session() as session:
            await session.execute(text("INSERT INTO notes (body) VALUES ('second')"))
            await session.commit()

    async with LoopTurns(0.01) as turns:
        await asyncio.gather(first(), second())
    assert await _bodies(sqlite) == ["first", "second"]
    # The second writer waited about 0.3 s without holding up the loop.
    assert turns.count >= 10


async def test_readers_do_not_wait_for_a_writer(sqlite: Database) -> None:
    async with sqlite.session() as session:
        await session.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
        await session.commit()
    async with sqlite.session() as writer:
        await writer.execute(text("INSERT INTO notes (body) VALUES ('not yet')"))
        # Another connection reads at once, and sees only what was committed.
        assert await asyncio.wait_for(_bodies(sqlite), 1.0) == ["kept"]
        await writer.rollback()
    assert await _bodies(sqlite) == ["kept"]


async def test_a_writer_that_waits_too_long_is_told_the_database_is_locked(
        sqlite: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "LOCK_TIMEOUT", 0.1)
    async with sqlite.session() as holder:
        await holder.execute(text("INSERT INTO notes (body) VALUES ('held')"))
        async with sqlite.session() as waiter:
            with pytest.raises(OperationalError, match="database is locked"):
                await waiter.execute(text("INSERT INTO notes (body) VALUES ('late')"))
        await holder.commit()
    # The lock was given back: the next writer goes straight through.
    async with sqlite.session() as session:
        await session.execute(text("INSERT INTO notes (body) VALUES ('after')"))
        await session.commit()
    assert await _bodies(sqlite) == ["held", "after"]


async def test_the_lock_is_given_back_after_a_failed_write_and_a_rollback(
        sqlite: Database) -> None:
    async with sqlite.session() as session:
        await session.execute(text("INSERT INTO notes (id, body) VALUES (1, 'one')"))
        await session.commit()
    async with sqlite.session() as session:
        with pytest.raises(Exception, match="UNIQUE"):
            await session.execute(text("INSERT INTO notes (id, body) VALUES (1, 'again')"))
        await session.rollback()
    async with sqlite.session() as session:
        await asyncio.wait_for(
            session.execute(text("INSERT INTO notes (body) VALUES ('two')")), 1.0)
        await session.commit()
    assert await _bodies(sqlite) == ["one", "two"]


async def test_a_connection_dropped_mid_transaction_frees_the_lock(sqlite: Database) -> None:
    connection = await sqlite.engine.connect()
    await connection.execute(text("INSERT INTO notes (body) VALUES ('lost')"))
    await connection.invalidate()  # the pool drops it, as after an error it cannot recover
    await connection.close()
    async with sqlite.session() as session:
        await asyncio.wait_for(
            session.execute(text("INSERT INTO notes (body) VALUES ('saved')")), 1.0)
        await session.commit()
    assert await _bodies(sqlite) == ["saved"]


async def test_rows_can_be_streamed_in_slices(sqlite: Database) -> None:
    async with sqlite.session() as session:
        for n in range(25):
            await session.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": str(n)})
        await session.commit()
        # A server-side cursor, read ten rows at a time (as the reminder planner reads).
        result = await session.stream(text("SELECT body FROM notes ORDER BY id"))
        slices = [len(rows) async for rows in result.partitions(10)]
    assert slices == [10, 10, 5]


async def test_a_long_run_of_statements_lets_the_loop_do_other_work(
        sqlite: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_driver, "YIELD_AFTER", 0.005)
    async with sqlite.session() as session:
        await session.execute(text("SELECT 1"))  # the connection is open before we count
        async with LoopTurns(0) as turns:
            started = asyncio.get_running_loop().time()
            n = 0
            # Statements only, no other await: without the driver's pauses, nothing else runs.
            while asyncio.get_running_loop().time() - started < 0.1:
                await session.execute(text("INSERT INTO notes (body) VALUES (:b)"),
                                      {"b": str(n)})
                n += 1
        await session.commit()
    assert turns.count >= 5


async def test_autocommit_as_sqlalchemy_sets_it(tmp_path: Path) -> None:
    path = tmp_path / "autocommit.sqlite3"
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}", isolation_level="AUTOCOMMIT",
                                 async_creator=sqlite_driver.creator(str(path)))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            # No commit: in autocommit mode the row is there for another connection at once.
            async with engine.connect() as other:
                assert (await other.execute(text("SELECT count(*) FROM t"))).scalar() == 1
                await other.execute(text("INSERT INTO t VALUES (2)"))  # no lock left held
    finally:
        await engine.dispose()


async def test_a_busy_minute_reuses_the_connections_it_opened(sqlite: Database) -> None:
    """Twelve sessions at once, again and again, open twelve connections in all: a connection
    beyond the pool would be closed when given back and opened again (SQLite then reads its
    schema again)."""
    opened = 0

    def count(*_args: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(sqlite.engine.sync_engine, "connect", count)

    async def one() -> None:
        async with sqlite.session() as session:
            await session.execute(text("SELECT count(*) FROM notes"))
            await asyncio.sleep(0.001)  # all twelve hold their connection at once

    for _ in range(5):
        await asyncio.gather(*(one() for _ in range(12)))
    assert opened <= 12


async def test_an_in_memory_database_works_without_a_pool_size() -> None:
    database = Database.create("sqlite+aiosqlite://")
    async with database.session() as session:
        assert await session.scalar(text("SELECT 1")) == 1
    await database.close()


async def test_commits_do_not_wait_for_the_disk_in_wal_mode(sqlite: Database) -> None:
    """synchronous=NORMAL with WAL: a killed process keeps every commit (the crash test), and
    the loop does not stop for an fsync at each one."""
    async with sqlite.session() as session:
        assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await session.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
