"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

Why not aiosqlite as it comes: it runs every call in a thread of its own, and SQLAlchemy makes
four calls per statement (cursor, execute, fetchall, close). Each hand-off between the threads
costs about 0.25 ms here, while the statement itself takes a few microseconds: measured with
``benchmarks/inbound.py``, 37 hand-offs per update, about 9 ms of the 11 ms an update took.

So the calls run inline: an SQLite statement on a local file is shorter than the hand-off
itself, like any other short piece of work on the loop. That is safe on one condition: a
statement must never wait for SQLite's own lock, because the holder of that lock is a coroutine
on this very thread, which cannot go on while we wait. In WAL mode readers never wait, so only
writers must take turns. They do that here, on an ``asyncio.Lock`` per database file: a
connection takes the lock before its first writing statement and gives it back when its
transaction ends (commit, rollback, close). Waiting for it lets the loop run, so the holder can
finish. As with SQLite's ``busy_timeout``, a writer that waits longer than ``LOCK_TIMEOUT``
gets "database is locked".

Running inline, a statement never suspends its coroutine, so a coroutine that runs thousands
of them (the reminder planner) would keep the loop to itself: after ``YIELD_AFTER`` seconds of
statements without a pause, the next one first lets the loop run its other work.

SQLite's own busy timeout stays set, for another process writing to the same file (a
``python -m bot migrate`` by hand): that rare wait does block the loop.

The classes below implement the part of aiosqlite's interface that SQLAlchemy's aiosqlite
dialect uses, handed to ``create_async_engine(async_creator=...)``.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

LOCK_TIMEOUT = 5.0
YIELD_AFTER = 0.02

# One writer lock per database file and event loop (an asyncio.Lock belongs to one loop).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary())


def writer_lock(path: str) -> asyncio.Lock:
    per_loop = _locks.setdefault(asyncio.get_running_loop(), {})
    return per_loop.setdefault(path, asyncio.Lock())


_turn_began = time.monotonic()


async def _share_the_loop() -> None:
    """Let the loop run its other work when statements have kept it for YIELD_AFTER."""
    global _turn_began
    now = time.monotonic()
    if now - _turn_began >= YIELD_AFTER:
        await asyncio.sleep(0)
        _turn_began = time.monotonic()


def _reads_only(sql: str) -> bool:
    """A statement that takes no write lock of SQLite's; anything else takes ours, to be safe.

    The PRAGMAs we send are settings of the connection (foreign_keys, busy_timeout), or
    journal_mode=WAL, which writes only on a database's very first connection."""
    return sql.lstrip()[:6].upper() in ("SELECT", "PRAGMA")


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its thread, which SQLAlchemy uses directly to set an
    isolation level (``AUTOCOMMIT``): the function runs at once, here."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as problem:  # handed to the caller, as aiosqlite's thread does
            future.set_exception(problem)


class InlineConnection:
    """An SQLite connection with aiosqlite's coroutine interface, run without a thread."""

    _tx = _RunAtOnce()

    def __init__(self, connection: sqlite3.Connection, lock_key: str) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._lock_key = lock_key
        self._held: asyncio.Lock | None = None  # the writer lock, while this connection has it

    # SQLAlchemy's adapter reads these two of aiosqlite's attributes: ``_connection`` to see
    # whether the connection is open, ``_conn`` (above) to set the isolation level.
    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("Connection closed")
        return self._conn

    async def _before(self, sql: str) -> None:
        if self._held is None and not _reads_only(sql):
            lock = writer_lock(self._lock_key)
            try:
                await asyncio.wait_for(lock.acquire(), LOCK_TIMEOUT)
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
            self._held = lock

    def _after(self) -> None:
        # The writer lock lasts as long as SQLite's transaction; a statement outside one
        # (a PRAGMA, or a failed first write) gives it back at once. Released through the
        # object itself: the pool may close a connection where no loop is running.
        if self._held is not None and (self._conn is None or not self._conn.in_transaction):
            lock, self._held = self._held, None
            lock.release()

    @property
    def holds_writer(self) -> bool:
        """A statement of the open transaction wrote (it holds the database's one writer)."""
        return self._held is not None

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._open().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        cursor = self.cursor()
        await cursor.execute(sql, parameters)
        return cursor

    async def commit(self) -> None:
        try:
            self._open().commit()
        finally:
            self._after()

    async def rollback(self) -> None:
        try:
            self._open().rollback()
        finally:
            self._after()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any],
                              *, deterministic: bool = False) -> None:
        self._open().create_function(name, num_params, func, deterministic=deterministic)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate); an open transaction is rolled back."""
        if self._conn is not None:
            connection, self._conn = self._conn, None
            connection.close()
            self._after()


class InlineCursor:
    """An SQLite cursor with aiosqlite's coroutine interface."""

    def __init__(self, owner: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    def __aiter__(self) -> InlineCursor:
        return self

    async def __anext__(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    async def _run(self, sql: str, call: Callable[[], object]) -> InlineCursor:
        await _share_the_loop()
        await self._owner._before(sql)
        try:
            call()
        finally:
            self._owner._after()
        return self

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()
                ) -> Awaitable[InlineCursor]:
        return self._run(sql, lambda: self._cursor.execute(sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any] | dict[str, Any]]
                    ) -> Awaitable[InlineCursor]:
        return self._run(sql, lambda: self._cursor.executemany(sql, parameters))

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        await _share_the_loop()  # a streamed result is read a slice at a time
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


def creator(database: str | None) -> Callable[[], Awaitable[InlineConnection]]:
    """``async_creator`` for ``create_async_engine``: connections to one SQLite database."""
    path = database if database and database != ":memory:" else ":memory:"
    # The lock is per file, whichever way its path was written.
    shared_key = os.path.abspath(path) if path != ":memory:" else ""

    async def connect() -> InlineConnection:
        # check_same_thread=False: the pool may close a connection it garbage-collects from
        # another thread; the statements themselves all run on the loop's thread.
        connection = sqlite3.connect(path, check_same_thread=False)
        # Every in-memory connection is a database of its own, so it needs no shared lock.
        return InlineConnection(connection, shared_key or f":memory:{id(connection)}")

    return connect
