"""A person's side of a conversation with the bot, over the fake Bot API server.

Usage::

    ayse = chat.person(1001, "Ayşe", language_code="tr")
    replies = await ayse.says("/start s_klimop")   # the bot's messages sent in answer
    await ayse.taps("Türkçe")                      # an inline button of the last messages
    await ayse.presses_key("🌐")                   # a button of the reply keyboard
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from babel import dates as babel_dates
from sqlalchemy import func, select, text
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from storage import outbox as outbox_repo
from storage.db import Database
from storage.models import Base, OutboxMessage
from tests.fake_telegram import FakeTelegram, FakeUser

QUIET = 0.12  # seconds without any API call: the bot has finished answering
# Every update the bot handles gets at least one of these; waiting for the first one first
# keeps a slow, loaded machine from mistaking "not started yet" for "finished".
ANSWERS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery",
           "sendPhoto", "sendDocument", "sendVoice", "copyMessage", "sendLocation")


def pa_day(day: date) -> str:
    """A day as Punjabi readers see it ("ਸ਼ਨੀਵਾਰ, 28 ਨਵੰਬਰ 2026"), straight from Babel: the
    Gurmukhi weekday and day-period names change between CLDR releases."""
    return babel_dates.format_date(day, "full", locale="pa")


def pa_time(hour: int, minute: int = 0) -> str:
    """A time as Punjabi readers see it: the 24-hour clock, as in Dutch and Turkish."""
    return babel_dates.format_time(time(hour, minute), "HH:mm", locale="pa")


@dataclass
class Handled:
    """Which updates the bot has finished with: a last handler group that notes each id.

    PTB runs the groups of an update in order, so when the note is made every answer of the
    handler before it has been sent and acknowledged: no guessing from quiet periods.
    """

    ids: set[int] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    app: Application | None = None  # the application watched, for tests that drive its jobs

    def watch(self, app: Application) -> Handled:
        app.add_handler(TypeHandler(Update, self._note), group=99)
        self.app = app
        return self

    async def _note(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self.ids.add(update.update_id)
        self.changed.set()

    async def wait(self, update_id: int, seconds: float = 10.0) -> None:
        async with asyncio.timeout(seconds):
            while update_id not in self.ids:
                self.changed.clear()
                await self.changed.wait()


@dataclass
class Person:
    fake: FakeTelegram
    user: FakeUser
    handled: Handled | None = None
    _since: int = 0

    @property
    def id(self) -> int:
        return self.user.id

    async def _act(self, act: Any, expect: int | None) -> list[dict[str, Any]]:
        """Do something, wait for the answer; ``expect``: wait for that many new messages."""
        mark = len(self.fake.transcript(self.id))
        self._since = self.fake.mark()
        update = act()
        if self.handled is not None:
            await self.handled.wait(update["update_id"])
            return self.fake.transcript(self.id)[mark:]
        await self.fake.wait_for(ANSWERS, after=self._since, timeout=10)
        if expect is not None:
            await self.fake.wait_for("sendMessage", chat_id=self.id, after=self._since,
                                     predicate=lambda _call: len(self.fake.transcript(self.id))
                                     >= mark + expect, timeout=10)
        await self.fake.wait_idle(quiet=QUIET)
        return self.fake.transcript(self.id)[mark:]

    async def says(self, text: str, *, expect: int | None = None,
                   reply_to: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Send a text (or command), maybe as a reply to a message of this chat; returns the
        new messages the bot sent in this chat."""
        replied = reply_to["message_id"] if reply_to is not None else None
        if reply_to is not None:
            # A person reads a message before replying: by then the bot has noted which of
            # its messages it was (the outbox writes that just after Telegram's answer).
            await self.fake.wait_idle(quiet=QUIET)
        return await self._act(
            lambda: self.fake.send_text(self.user, text, reply_to_message_id=replied), expect)

    async def edits(self, message: dict[str, Any], text: str) -> list[dict[str, Any]]:
        """Edit a message one sent (Telegram sends an ``edited_message``); returns the new
        messages the bot sent in this chat."""
        return await self._act(
            lambda: self.fake.send_edited_text(self.user, message["message_id"], text), None)

    async def sends(self, kind: str, *, expect: int | None = None,
                    **kwargs: Any) -> list[dict[str, Any]]:
        """Send another kind of message: photo, voice, document, sticker, location..."""
        send = getattr(self.fake, f"send_{kind}")
        return await self._act(lambda: send(self.user, **kwargs), expect)

    async def taps(self, text: str | None = None, *, data: str | None = None,
                   expect: int | None = None) -> list[dict[str, Any]]:
        """Press an inline button (newest message first); returns new messages."""
        return await self._act(lambda: self.fake.press_button(self.user, text, data=data),
                               expect)

    async def picks_topic(self, topic: str, *,
                          expect: int | None = None) -> list[dict[str, Any]]:
        """Tap a topic on the newest "what is your question about?" keyboard (its buttons
        carry the draft's id when messages were kept first: ``ask:<topic>[:<id>]``)."""
        for message in reversed(self.fake.transcript(self.id)):
            for _label, data in self.fake.inline_buttons(message):
                if data == f"ask:{topic}" or data.startswith(f"ask:{topic}:"):
                    return await self.taps(data=data, expect=expect)
        raise AssertionError(f"no topic keyboard with {topic!r} in chat {self.id}")

    async def presses(self, message: dict[str, Any], data: str) -> list[str]:
        """Press a button by its data on a message, shown or not (a forged or stale press);
        returns the alerts it got."""
        await self._act(lambda: self.fake.press(self.user, message, data), None)
        return self.alerts()

    async def presses_key(self, label: str, *, expect: int | None = None) -> list[dict]:
        """Tap a button of the persistent reply keyboard."""
        return await self._act(lambda: self.fake.press_key(self.user, label), expect)

    def last_text(self) -> str:
        texts = self.fake.texts(self.id)
        return texts[-1] if texts else ""

    def keyboard(self) -> list[str]:
        return self.fake.reply_keyboard(self.id) or []

    def alerts(self) -> list[str]:
        """Texts of the answerCallbackQuery alerts shown to this person since the last mark."""
        return [
            c.params.get("text", "")
            for c in self.fake.calls[self._since:]
            if c.method == "answerCallbackQuery" and c.params.get("text")
        ]


@dataclass
class Chat:
    fake: FakeTelegram
    handled: Handled | None = None

    def person(self, user_id: int, first_name: str = "Ayşe",
               language_code: str | None = None, username: str | None = None) -> Person:
        return Person(self.fake, self.fake.user(user_id, first_name, language_code, username),
                      self.handled)


def free_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def rows_of_every_table(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as dicts (what a privacy check reads)."""
    async with db.session() as session:
        return {
            table.name: [dict(row._mapping) for row in (await session.execute(
                text(f"SELECT * FROM {table.name}"))).all()]
            for table in Base.metadata.sorted_tables
        }


async def outbox_settled(db: Database, chat_id: int | None = None) -> None:
    """Until no outbox row (to that chat) is waiting or on its way: a message in the fake's
    transcript may not be marked sent yet (the sender writes that, and the message id a reply
    is matched with, just after Telegram's answer), and what a test expects not to arrive may
    still wait for its chat's next second."""
    unsettled = OutboxMessage.status.in_((outbox_repo.PENDING, outbox_repo.SENDING))
    if chat_id is not None:
        unsettled = unsettled & (OutboxMessage.chat_id == chat_id)
    for _attempt in range(200):
        async with db.session() as session:
            if not await session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(unsettled)):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")
