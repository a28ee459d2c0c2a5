"""Crash: the real ``python -m bot`` sends a broadcast to 2,000 parents, is killed with SIGKILL
at random points (a real process, not a cancelled task) and started again on the same
database. Every parent ends with the message; a kill costs at most the one request in flight.

The bot runs as ``tests/console.py`` runs it: a subprocess pointed at the fake Bot API server
of this test (TELEGRAM_API_BASE_URL), on this test's database (SQLite file, or PostgreSQL with
TEST_DATABASE_URL), with the sender's defaults (one request in flight) but for two
settings that keep the run short:

* ``OUTBOX_RATE=400``: the fake server enforces no limits, so 2,000 messages need not take
  Telegram's 67 seconds;
* ``OUTBOX_LEASE_SECONDS=3``: the rows the killed process left "sending" are sent again
  after 3 seconds instead of 60.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.services import outbox, reminders
from bot.services.outbox import NewMessage, Progress
from storage.db import Database
from storage.models import OutboxMessage, Person, utcnow
from tests.fake_telegram import FakeTelegram

REPO_ROOT = Path(__file__).resolve().parent.parent
PARENTS = 2000
FIRST_CHAT = 5_000_000
GROUP = "broadcast:1"
TEXT = "Beste ouder, woensdag is er geen school: pedagogische studiedag. De opvang is open."
KILLS = 2
SEED = 20261122
KNOBS = {"OUTBOX_RATE": "400", "OUTBOX_LEASE_SECONDS": "3"}
TIMEOUT = 60.0  # seconds for any one phase; a healthy run takes a few


async def seed(db: Database) -> list[int]:
    """2,000 onboarded parents and the broadcast's 2,000 outbox rows; returns the chat ids."""
    now = utcnow()
    async with db.session() as session:
        # The subprocess runs on the real clock: no quiet hours, or a night run would wait.
        await reminders.set_default_quiet(session, reminders.QuietHours(0, 0))
        await session.execute(insert(Person), [
            {"telegram_id": FIRST_CHAT + i, "first_name": f"Ouder {i}", "locale": "nl",
             "role": "parent", "created_at": now, "onboarded_at": now}
            for i in range(PARENTS)])
        people = (await session.execute(
            select(Person.id, Person.telegram_id).where(Person.telegram_id >= FIRST_CHAT)
            .order_by(Person.id))).all()
        await outbox.enqueue_many(session, [
            NewMessage(f"{GROUP}:{person}", chat, person, "text", {"text": TEXT},
                       group_key=GROUP)
            for person, chat in people])
        await session.commit()
    return [chat for _person, chat in people]


class BotProcess:
    """``python -m bot`` (long polling) against the fake server, with its log in a file."""

    def __init__(self, fake: FakeTelegram, database_url: str, folder: Path) -> None:
        self.fake = fake
        self.folder = folder
        self.env = dict(os.environ)
        self.env.update(
            TELEGRAM_BOT_TOKEN=fake.token,
            TELEGRAM_API_BASE_URL=fake.base_url,
            TELEGRAM_API_FILE_URL=fake.file_url,
            DATABASE_URL=database_url,
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH"))
                                       if p),
            PYTHONUNBUFFERED="1",
            **KNOBS,
        )
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / f"bot-{self.runs}.log"

    def start(self) -> None:
        self.runs += 1
        with self.log.open("wb") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot"], env=self.env, cwd=self.folder,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the bot exited with {self.process.returncode}:\n"
                                 + self.tail())

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is written back, sockets just close."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait)

    async def stop(self) -> None:
        """SIGTERM (PTB stops cleanly); the fake server keeps answering meanwhile."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)


@pytest.fixture
async def bot_process(fake: FakeTelegram, db: Database,
                      tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake, db.url, tmp_path)
    try:
        yield process
    finally:
        await process.stop()


async def wait_for(condition: Callable[[], bool], bot: BotProcess, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        bot.check_alive()
        assert time.monotonic() < deadline, f"{what}: not within {TIMEOUT:.0f} s\n{bot.tail()}"
        await asyncio.sleep(0.005)


async def row_counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count())
                                     .group_by(OutboxMessage.status))
        return {status: n for status, n in rows.all()}


async def test_a_broadcast_survives_two_kills_with_at_most_one_duplicate_each(
    fake: FakeTelegram, db: Database, bot_process: BotProcess
) -> None:
    chats = await seed(db)
    parent_chats = set(chats)
    rng = random.Random(SEED)
    sent = [0]  # accepted sends to parents so far, counted as the calls come in
    seen = [0]

    def sends() -> int:
        calls = fake.calls
        for call in calls[seen[0]:]:
            if call.ok and call.method == "sendMessage" and call.chat_id in parent_chats:
                sent[0] += 1
        seen[0] = len(calls)
        return sent[0]

    # Two kill points between 10% and 90% of the broadcast, at least 10% apart.
    first = rng.randint(PARENTS // 10, PARENTS // 2)
    kill_points = [first, rng.randint(first + PARENTS // 10, PARENTS * 9 // 10)]
    left_sending = []
    for point in kill_points:
        bot_process.start()
        await wait_for(lambda point=point: sends() >= point, bot_process,
                       f"{point} messages sent")
        await asyncio.sleep(rng.uniform(0, 0.02))  # anywhere in the send cycle
        await bot_process.kill()
        counts = await row_counts(db)
        assert counts.get("sending", 0) > 0, counts  # claimed rows were left behind
        assert counts.get("sent", 0) < PARENTS, counts
        left_sending.append(counts["sending"])

    bot_process.start()  # the last start finishes the broadcast

    async def done() -> Progress:
        async with db.session() as session:
            return await outbox.progress(session, GROUP)

    deadline = time.monotonic() + TIMEOUT
    while (progress := await done()).pending:
        bot_process.check_alive()
        assert time.monotonic() < deadline, f"{progress}\n{bot_process.tail()}"
        await asyncio.sleep(0.2)
    await bot_process.stop()

    assert progress == Progress(total=PARENTS, sent=PARENTS), progress
    copies = Counter(c.chat_id for c in fake.calls_of("sendMessage")
                     if c.ok and c.chat_id in parent_chats)
    missing = parent_chats - set(copies)
    assert not missing, f"{len(missing)} parents got nothing"
    duplicates = sum(n - 1 for n in copies.values())
    assert duplicates <= KILLS, (duplicates, {c: n for c, n in copies.items() if n > 1})
    assert all(c.params["text"] == TEXT for c in fake.calls_of("sendMessage")
               if c.chat_id in parent_chats)
    print(f"\nkills after {kill_points} sends left {left_sending} rows sending; "
          f"{duplicates} duplicate(s)")
