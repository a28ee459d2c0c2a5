"""Which instance drains the outbox. Telegram's limits (30/s, 1/s per chat) are per bot, so
with several instances on one PostgreSQL database exactly one of them sends: the one that
holds an advisory lock. The lock lives on a connection of its own; if that instance dies,
PostgreSQL drops the connection and the lock, and another instance takes over within
``retry`` seconds (rows it was sending are sent again after the outbox lease). When its host
vanishes without closing the connection (a crash of the machine, a cut network), the
server's TCP keepalives, set short on that connection, notice it within half a minute; and
an instance that cannot reach its lock for ``check`` seconds stops sending. On SQLite there
is one process: it always sends.

Any instance may enqueue: the sender finds new rows within its idle poll (1 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.scheduler.outbox import OutboxSender
from storage.db import SENDER_LOCK, Database

log = logging.getLogger(__name__)
# On the lock's connection: the server probes a silent client after 10 s, every 5 s, and
# gives up (dropping the connection and the lock) after 3 unanswered probes.
KEEPALIVES = (("tcp_keepalives_idle", 10), ("tcp_keepalives_interval", 5),
              ("tcp_keepalives_count", 3))


class SenderLeadership:
    """Start the sender when this instance holds the lock; ``wake`` reaches it if so."""

    def __init__(self, db: Database, make_sender: Callable[[], OutboxSender], *,
                 retry: float = 2.0, check: float = 5.0) -> None:
        self.db = db
        self.make_sender = make_sender
        self.retry = retry
        self.check = check
        self.sender: OutboxSender | None = None
        self._task: asyncio.Task[None] | None = None
        self._connection: AsyncConnection | None = None
        self._stopping = asyncio.Event()

    @property
    def leading(self) -> bool:
        return self.sender is not None

    def start(self) -> SenderLeadership:
        if not self.db.is_postgresql:
            self.sender = self.make_sender().start()
            return self
        self._task = asyncio.create_task(self._run(), name="outbox-leadership")
        return self

    def wake(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    @property
    def in_flight(self) -> int:
        return self.sender.in_flight if self.sender is not None else 0

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if await self._try_lock():
                    log.info("outbox: this instance sends")
                    self.sender = self.make_sender().start()
                    await self._hold()
            except Exception:  # the database went away: try again, not as the sender
                log.warning("outbox leadership lost or not taken", exc_info=True)
            await self._step_down()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.retry)

    async def _try_lock(self) -> bool:
        self._connection = await self.db.engine.connect()
        for setting, seconds in KEEPALIVES:  # the server frees the lock of a vanished host
            await self._connection.execute(text(f"SET {setting} = {seconds}"))
        taken = await self._connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                              {"key": SENDER_LOCK})
        await self._connection.commit()
        if not taken:
            await self._close_connection()
        return bool(taken)

    async def _hold(self) -> None:
        """Keep checking the lock's connection; return when stopping or when it breaks."""
        assert self._connection is not None
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.check)
            if self._stopping.is_set():
                return
            # Unreachable for this long: step down (TimeoutError) before the server gives
            # the lock to another instance, so two never send at once.
            await asyncio.wait_for(self._connection.execute(text("SELECT 1")), self.check)
            await self._connection.commit()

    async def _step_down(self) -> None:
        sender, self.sender = self.sender, None
        if sender is not None:
            await sender.stop()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._unlock(self._connection), self.check)
            await self._close_connection()

    @staticmethod
    async def _unlock(connection: AsyncConnection) -> None:
        await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SENDER_LOCK})
        await connection.commit()

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), self.check)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        else:
            await self._step_down()

    async def abandon(self) -> None:
        """Die as a crash would: the sender stops dead, the lock's connection is dropped."""
        self._stopping.set()
        if self.sender is not None:
            await self.sender.abandon()
            self.sender = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        connection, self._connection = self._connection, None
        if connection is not None:
            # Invalidate: the pooled connection is closed for real, so PostgreSQL frees the
            # lock, as when a process is killed.
            await connection.invalidate()
