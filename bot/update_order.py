"""Updates of different chats are handled side by side; one chat's updates in order.

Usage (bot/app.py)::

    ApplicationBuilder().concurrent_updates(PerChatUpdateProcessor(8))

python-telegram-bot handles one update at a time by default, so every update waits for the
round trips of the one before it (Telegram answers in tens of milliseconds; a question
reaching the database and two API calls is several of them). Handling several at once keeps
the bot responsive after a broadcast, when hundreds of parents press a button within minutes.
A parent's own updates still come one after the other, as they sent them: an answer is
recorded before their next message is read.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chat_key(update: object) -> int | None:
    """The chat whose updates must stay in order (the sender when there is no chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


# Update ids remembered to take each update once (a day's updates of a busy school network).
REMEMBERED_UPDATES = 50_000

# Updates taken from Telegram before the oldest is done: a parent's album of twenty photos
# waits in line without holding up the other chats.
WAITING_PER_RUNNING = 32


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most ``running`` updates handled at once; one at a time per chat, in arrival order
    (asyncio locks wake their waiters first come, first served). An update that waits for its
    chat takes no running slot."""

    def __init__(self, running: int) -> None:
        super().__init__(running * WAITING_PER_RUNNING)
        self._running = asyncio.Semaphore(running)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, updates holding or waiting
        self._seen: OrderedDict[int, None] = OrderedDict()  # the newest update ids taken

    def first_time(self, update: object) -> bool:
        """Whether this update was not taken before. Telegram sends one again when it did
        not hear it was received: a webhook POST whose 200 got lost, a poller started again
        in this process. Handled twice, a parent's message would reach the brugfiguur twice,
        a Turkish text sent again would be taken as the Punjabi one. (A new process starts
        with none: python-telegram-bot confirms an update to Telegram as soon as it fetched
        it, and the webhook answers 200 once it is queued, so a restart is sent none again.
        Across instances, the webhook notes each id in the database first:
        storage/received_updates.py.)"""
        if not isinstance(update, Update):
            return True
        if update.update_id in self._seen:
            return False
        self._seen[update.update_id] = None
        if len(self._seen) > REMEMBERED_UPDATES:
            self._seen.popitem(last=False)
        return True

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not self.first_time(update):
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never run: no "was never awaited" warning
            return
        key = chat_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock, self._running:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""
