"""How fast the bot handles incoming updates, against a minimal echo bot on the same server.

Usage (from the repository root, with the test extras installed)::

    python -m benchmarks.inbound                         # 10,000 updates, 2,000 parents, both DBs
    python -m benchmarks.inbound --db sqlite --updates 2000 --parents 400
    python -m benchmarks.inbound --db sqlite --updates 2000 --parents 400 --calls-only

Per database (SQLite in a temporary folder; PostgreSQL in a database of its own created on
127.0.0.1:5432 and dropped afterwards), it seeds a migrated database: the example programme
(examples/programme.csv, through the importer), one activity for all schools the day after
tomorrow, ``--parents`` onboarded parents (bulk insert, spread over the nine schools and the
three languages), one brugfiguur per school who is its contact (green all week, so questions
reach them at once), and for every parent a sent reminder of that activity. The fake Bot API
server holds each parent's reminder message (with its RSVP buttons ``rv:<id>:yes|maybe|no``)
and a "what is your question about?" message (topic buttons ``ask:<topic>``).

Then, on one fake server (no rate limits, no latency, in this process as in the other
benchmarks), bots get the same stream of ``--updates`` updates, all queued at once and
fetched as fast as getUpdates serves them (100 per call), round-robin over the parents, each
parent following the script RSVP press, /week, topic button, question message, RSVP press,
/week, question, ...:

1. a minimal python-telegram-bot echo bot (one MessageHandler and one CallbackQueryHandler,
   one API call per update): the ceiling this library, this machine and this server allow;
   measured before and after the bot, and the two averaged (a machine that gets busier or
   quieter meanwhile moves both the same way);
2. the real Application (``bot.app.build_application``, long polling, its JobQueue and outbox
   sender running): RSVPs recorded and the reminder edited, /week read and sent, questions
   drafted, routed to the brugfiguur and relayed through the outbox.
3. with ``--calls-only``, after those: a bot that makes the bot's Bot API calls per update on
   the bot's transport, 8 updates side by side, and nothing else (no database, no routing):
   the Telegram side's share of the bot's time, so that the rest is known to be the bot's own.

Before each run the garbage collector is frozen (``gc.freeze``): the seed and the fake
server's records are not the bot's, and a production bot holds none of them.

Figures: updates/s (updates / (last handled - first delivered by getUpdates)) and the CPU
this process used meanwhile; the handling latency of each update (from a group -1 handler
that runs first to a group 99 handler that runs last: every answer of the update has been
sent and acknowledged), overall and per kind; the latency from its delivery by getUpdates to
that end (python-telegram-bot fetches ahead, so this is mostly the queue before it); the API
calls and SQL statements per update. Target: the bot's updates/s >= 0.5 of the echo bot's,
and no error. Exit status 1 when it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select, update
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from benchmarks.common import Row, percentile, print_table, scratch_database, seed_parents
from bot.app import ALLOWED_UPDATES, build_application, running
from bot.config import Settings
from bot.handlers.question_texts import topic_keyboard, topic_question
from bot.i18n import BRUSSELS, use_locale
from bot.services import importer
from bot.services.availability import AvailabilityMap, Level
from bot.services.programme import ActivityData, Kind, LocalText, Place
from bot.services.questions import Topic
from bot.transport import AiohttpRequest
from bot.update_order import PerChatUpdateProcessor
from storage import programme as programme_repo
from storage.db import Database
from storage.models import (
    Person,
    Question,
    Reminder,
    Rsvp,
    School,
    StaffProfile,
    utcnow,
)
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram, FakeUser

REPO_ROOT = Path(__file__).resolve().parent.parent
PROGRAMME = REPO_ROOT / "examples" / "programme.csv"
FIRST_TELEGRAM_ID = 20_000_000
FIRST_STAFF_ID = 30_000_000
COORDINATOR_ID = 900_001
ACTIVITY = "bench-inbound-ouderbabbel"
STAFF_LANGUAGES = ("nl,tr", "nl,pa", "nl,tr,pa")
# What each parent does, in turn (then again from the start).
SCRIPT = ("rsvp", "week", "topic", "question", "rsvp", "week", "question", "rsvp", "week",
          "question")
LABELS = {"rsvp": "RSVP presses", "week": "/week", "topic": "topic buttons",
          "question": "question messages"}
ANSWERS = ("yes", "maybe", "no")
TOPICS = tuple(t.value for t in Topic)
QUESTIONS = (
    "Ik begrijp de brief van school over de uitstap niet. Moet ik iets betalen?",
    "Okuldan gelen mektubu anlamadım, ne yapmam gerekiyor?",
    "ਸਕੂਲ ਦੀ ਚਿੱਠੀ ਸਮਝ ਨਹੀਂ ਆਈ, ਕੀ ਕਰਨਾ ਹੈ?",
    "Wanneer is de opvang open in de kerstvakantie?",
)
RATIO_TARGET = 0.5


@dataclass
class Parent:
    person_id: int
    user: FakeUser
    locale: str
    reminder_id: int = 0
    reminder_message: int = 0  # message ids in the fake server's chat
    topic_message: int = 0
    turns: Counter[str] = field(default_factory=Counter)


# --------------------------------------------------------------------------------------------
# seeding


def _bench_activity(start: datetime) -> ActivityData:
    return ActivityData(
        external_id=ACTIVITY, kind=Kind.OUDERBABBEL, starts_at=start,
        ends_at=start + timedelta(hours=1, minutes=30), all_schools=True,
        place=Place("Bibliotheek Sint-Truiden", "Kazernestraat 13, 3800 Sint-Truiden",
                    50.8165, 5.1852),
        texts={"nl": LocalText("Ouderbabbel: slapen", "Over goed slapen, met een verpleegster."),
               "tr": LocalText("Veli sohbeti: uyku", "Bir hemşireyle iyi uyku hakkında."),
               "pa": LocalText("ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ: ਨੀਂਦ", "ਚੰਗੀ ਨੀਂਦ ਬਾਰੇ।")},
    )


async def seed(db: Database, fake: FakeTelegram, parents: int) -> list[Parent]:
    """The database and the fake server's chats, as described in the module docstring."""
    await db.prepare()
    today = datetime.now(BRUSSELS).date()
    start = datetime.combine(today + timedelta(days=2), clock_time(14, 0), BRUSSELS)
    async with db.session() as session:
        outcome = await importer.import_file(session, PROGRAMME.name, PROGRAMME.read_bytes())
        assert not outcome.errors, outcome.errors
        await importer.apply(session, [_bench_activity(start)])
        await session.commit()
        activity_id = (await programme_repo.by_external_ids(session, [ACTIVITY]))[ACTIVITY].id
        school_ids = [s.id for s in await session.scalars(select(School).order_by(School.id))]

        people = await seed_parents(session, parents, school_ids, FIRST_TELEGRAM_ID)
        now = utcnow()

        # One brugfiguur per school, its contact, green all week.
        await session.execute(insert(Person), [
            {"telegram_id": FIRST_STAFF_ID + n, "first_name": f"Brugfiguur {n}", "locale": "nl",
             "role": "brugfiguur", "created_at": now, "onboarded_at": now}
            for n in range(len(school_ids))])
        staff = list(await session.scalars(
            select(Person.id).where(Person.role == "brugfiguur").order_by(Person.id)))
        green = AvailabilityMap.all(Level.GREEN).cells
        await session.execute(insert(StaffProfile), [
            {"person_id": pid, "languages": STAFF_LANGUAGES[n % len(STAFF_LANGUAGES)],
             "availability": green, "created_at": now} for n, pid in enumerate(staff)])
        for school_id, pid in zip(school_ids, staff, strict=True):
            await session.execute(update(School).where(School.id == school_id)
                                  .values(contact_id=pid))

        # A reminder of the activity, sent to every parent: its buttons are what they press.
        await session.execute(insert(Reminder), [
            {"activity_id": activity_id, "occurrence_start": start, "person_id": pid,
             "kind": "day", "due_at": start - timedelta(days=1), "status": "sent",
             "handled_at": now} for pid, _, _ in people])
        reminders = dict((await session.execute(
            select(Reminder.person_id, Reminder.id).where(Reminder.activity_id == activity_id)
        )).all())
        await session.commit()

    result = [Parent(pid, fake.user(chat, f"Ouder {chat - FIRST_TELEGRAM_ID}", locale),
                     locale, reminders[pid]) for pid, chat, locale in people]
    for n in range(len(school_ids)):
        fake.user(FIRST_STAFF_ID + n, f"Brugfiguur {n}", "nl")
    await _seed_chats(fake, result)
    return result


async def _seed_chats(fake: FakeTelegram, parents: list[Parent]) -> None:
    """The messages parents press buttons on, sent through the fake server's own Bot API."""
    limit = asyncio.Semaphore(32)

    async def one(bot: Any, parent: Parent) -> None:
        rid = parent.reminder_id
        buttons = InlineKeyboardMarkup(
            [[InlineKeyboardButton(a, callback_data=f"rv:{rid}:{a}")] for a in ANSWERS])
        with use_locale(parent.locale):
            question, keyboard = topic_question(), topic_keyboard()
        async with limit:
            reminder = await bot.send_message(parent.user.id, "🔔 Herinnering: ouderbabbel",
                                              reply_markup=buttons)
            topics = await bot.send_message(parent.user.id, question, reply_markup=keyboard)
        parent.reminder_message, parent.topic_message = reminder.message_id, topics.message_id

    async with fake.bot() as bot:
        await asyncio.gather(*(one(bot, p) for p in parents))


# --------------------------------------------------------------------------------------------
# the stream of updates and its timing


def queue_updates(fake: FakeTelegram, parents: list[Parent], count: int,
                  script: tuple[str, ...] = SCRIPT) -> dict[int, str]:
    """Queue ``count`` updates round-robin over the parents; update id -> action."""
    for parent in parents:
        parent.turns.clear()
    ids: dict[int, str] = {}
    for n in range(count):
        turn, index = divmod(n, len(parents))
        parent = parents[index]
        action = script[turn % len(script)]
        seen = parent.turns[action]
        parent.turns[action] += 1
        if action == "rsvp":
            raw = fake.press(parent.user, parent.reminder_message,
                             f"rv:{parent.reminder_id}:{ANSWERS[seen % len(ANSWERS)]}")
        elif action == "topic":
            raw = fake.press(parent.user, parent.topic_message,
                             f"ask:{TOPICS[(index + seen) % len(TOPICS)]}")
        elif action == "week":
            raw = fake.send_text(parent.user, "/week")
        else:
            raw = fake.send_text(parent.user, QUESTIONS[(index + seen) % len(QUESTIONS)])
        ids[raw["update_id"]] = action
    return ids


class Timing:
    """When each update was delivered by getUpdates, began (group -1) and ended (group 99)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.delivered: dict[int, float] = {}
        self.began: dict[int, float] = {}
        self.ended: dict[int, float] = {}
        # Wrap the fake server's getUpdates to stamp each update when it leaves the server.
        original = fake._get_updates

        async def get_updates(params: dict[str, Any]) -> list[dict[str, Any]]:
            batch = await original(params)
            now = time.perf_counter()
            for raw in batch:
                self.delivered.setdefault(raw["update_id"], now)
            return batch

        fake._get_updates = get_updates  # type: ignore[method-assign]

    def watch(self, app: Application) -> None:
        app.add_handler(TypeHandler(Update, self._begin), group=-1)
        app.add_handler(TypeHandler(Update, self._end), group=99)

    async def _begin(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self.began.setdefault(update.update_id, time.perf_counter())

    async def _end(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        self.ended.setdefault(update.update_id, time.perf_counter())


@dataclass(frozen=True)
class Measure:
    updates: int
    seconds: float
    handling: list[float]  # seconds, per update
    waiting: list[float]  # delivered -> ended
    by_action: dict[str, list[float]]  # handling, per kind of update
    cpu: float  # seconds of CPU this process used meanwhile (all threads; the fake included)
    api_calls: int  # answered by the fake server meanwhile, getUpdates not counted
    statements: int | None  # SQL statements meanwhile (the bot only)
    connections: int | None = None  # database connections opened meanwhile (the bot only)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        h50, h99 = percentile(self.handling, 50), percentile(self.handling, 99)
        w50, w99 = percentile(self.waiting, 50), percentile(self.waiting, 99)
        return (f"{self.rate:8.1f} updates/s ({self.updates} in {self.seconds:.2f} s, "
                f"CPU {self.cpu / self.seconds:.0%} of a core, "
                f"{self.cpu / self.updates * 1000:.2f} ms per update); "
                f"handling p50 {h50 * 1000:.1f} ms, p99 {h99 * 1000:.1f} ms; "
                f"delivered->handled p50 {w50 * 1000:.0f} ms, p99 {w99 * 1000:.0f} ms")

    def work(self) -> str:
        text = f"{self.api_calls / self.updates:.2f} API calls"
        if self.statements is not None:
            text += f" and {self.statements / self.updates:.1f} SQL statements"
        text += " per update"
        if self.connections is not None:
            text += f"; {self.connections} database connections opened"
        return text

    def breakdown(self) -> str:
        return "; ".join(
            f"{LABELS[action]} p50 {percentile(times, 50) * 1000:.1f} / "
            f"p99 {percentile(times, 99) * 1000:.1f} ms"
            for action, times in self.by_action.items())


class StatementCount:
    """SQL statements the database engine executes (the bot's handlers, jobs and sender), and
    the connections it opens (a pool smaller than the work at once keeps opening new ones)."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine.sync_engine
        self.count = 0
        self.connections = 0
        event.listen(self.engine, "before_cursor_execute", self._note)
        event.listen(self.engine, "connect", self._connected)

    def _note(self, *_args: Any) -> None:
        self.count += 1

    def _connected(self, *_args: Any) -> None:
        self.connections += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)
        event.remove(self.engine, "connect", self._connected)


async def drive(fake: FakeTelegram, timing: Timing, parents: list[Parent], count: int,
                label: str, statements: StatementCount | None = None,
                script: tuple[str, ...] = SCRIPT) -> Measure:
    """Queue the updates for a bot that is polling, and wait until it handled them all."""
    # The seed, the fake server's records and what an earlier phase left are kept out of the
    # garbage collector's way: in production the bot holds none of them.
    gc.collect()
    gc.freeze()
    handled_before = len(timing.ended)
    calls_before = len(fake.calls)
    statements_before = statements.count if statements is not None else 0
    connections_before = statements.connections if statements is not None else 0
    cpu = time.process_time()
    ids = queue_updates(fake, parents, count, script)
    deadline = time.monotonic() + 120.0 + count / 5
    next_line = time.monotonic() + 10.0
    while (done := len(timing.ended) - handled_before) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{label}: only {done} of {count} updates handled")
        if time.monotonic() >= next_line:
            next_line += 10.0
            print(f"  ... {label}: {done}/{count} handled", flush=True)
        await asyncio.sleep(0.05)
    cpu = time.process_time() - cpu
    api_calls = sum(1 for c in fake.calls[calls_before:] if c.method != "getUpdates")
    first = min(timing.delivered[i] for i in ids)
    last = max(timing.ended[i] for i in ids)
    by_action: dict[str, list[float]] = {action: [] for action in LABELS}
    for i, action in ids.items():
        by_action[action].append(timing.ended[i] - timing.began[i])
    return Measure(
        updates=count, seconds=last - first,
        handling=[timing.ended[i] - timing.began[i] for i in ids],
        waiting=[timing.ended[i] - timing.delivered[i] for i in ids],
        by_action={action: times for action, times in by_action.items() if times}, cpu=cpu,
        api_calls=api_calls,
        statements=statements.count - statements_before if statements is not None else None,
        connections=(statements.connections - connections_before if statements is not None
                     else None),
    )


# --------------------------------------------------------------------------------------------
# the two bots


def echo_application(fake: FakeTelegram) -> Application:
    """The baseline: python-telegram-bot with one API call per update, nothing else."""
    app = fake.application_builder().build()

    async def message(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "ok")

    async def button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()

    app.add_handler(MessageHandler(filters.ALL, message))
    app.add_handler(CallbackQueryHandler(button))
    return app


def calls_only_application(fake: FakeTelegram) -> Application:
    """``--calls-only``: the bot's Bot API calls per update and nothing else (no database,
    no routing): what the bot's Telegram side costs, on the bot's own transport and with its
    8 updates side by side. The rest of the bot's time is its own work."""
    app = (fake.application_builder()
           .request(AiohttpRequest()).get_updates_request(AiohttpRequest(connection_pool_size=1))
           .concurrent_updates(PerChatUpdateProcessor(8)).build())
    week = "<b>Deze week</b>\n\n" + "\n\n".join(
        f"📅 <b>dinsdag {n + 8} december</b>, 14:00–15:30\n<b>Ouderbabbel: slapen</b>\n"
        "📍 Bibliotheek Sint-Truiden, Kazernestraat 13" for n in range(3))

    async def message(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        incoming = update.effective_message
        if incoming.text == "/week":
            await incoming.reply_html(week)
            return
        # A question: the parent is told who answers; the message is relayed to them.
        await incoming.reply_text("Dank je. Brugfiguur 1 antwoordt je vandaag.")
        await incoming.copy(FIRST_STAFF_ID)

    async def button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and query.message is not None
        await query.answer("Dank je!")
        # The pressed message redrawn (its own text and buttons: always a change).
        await query.edit_message_text(f"<b>🔔 Herinnering</b>\n\nJe zei: {query.data}.",
                                      parse_mode="HTML",
                                      reply_markup=query.message.reply_markup)

    app.add_handler(MessageHandler(filters.ALL, message))
    app.add_handler(CallbackQueryHandler(button))
    return app


async def run_echo(fake: FakeTelegram, timing: Timing, parents: list[Parent],
                   count: int, build: Callable[[FakeTelegram], Application] = echo_application,
                   label: str = "echo bot", script: tuple[str, ...] = SCRIPT) -> Measure:
    app = build(fake)
    timing.watch(app)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1,
                                        allowed_updates=ALLOWED_UPDATES)
        try:
            measure = await drive(fake, timing, parents, count, label, script=script)
        finally:
            await app.updater.stop()
            await app.stop()
    return measure


class ErrorCount(logging.Handler):
    """Counts ERROR records (the bot's error handler logs every failed update)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def run_bot(fake: FakeTelegram, timing: Timing, db: Database, parents: list[Parent],
                  count: int, before: Callable[[Application], Awaitable[None]] | None = None,
                  script: tuple[str, ...] = SCRIPT) -> tuple[Measure, int]:
    settings = Settings(token=DEFAULT_TOKEN, database_url=db.url, api_base_url=fake.base_url,
                        api_file_url=fake.file_url, coordinator_ids=frozenset({COORDINATOR_ID}))
    app = build_application(settings, db=db)
    timing.watch(app)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    statements = StatementCount(db)
    try:
        async with running(app):
            # Let the reminder planner's first round (one second after the start) pass.
            for _ in range(100):
                if "reminders_planned_at" in app.bot_data:
                    break
                await asyncio.sleep(0.05)
            if before is not None:
                await before(app)
            measure = await drive(fake, timing, parents, count, "bot", statements, script)
    finally:
        statements.close()
        logging.getLogger().removeHandler(errors)
    return measure, errors.count


# --------------------------------------------------------------------------------------------


async def run_one(backend: str, parents_count: int, count: int, latency: float = 0.0,
                  calls_only: bool = False, script: tuple[str, ...] = SCRIPT) -> list[Row]:
    async with scratch_database(backend, "bench_inbound") as url:
        db = Database.create(url)
        # latency: every API call is answered after this long, as Telegram's round trips.
        fake = FakeTelegram(latency=latency, call_latency=latency)
        await fake.start()
        try:
            seeded = time.monotonic()
            parents = await seed(db, fake, parents_count)
            print(f"database           {backend} (seeded in {time.monotonic() - seeded:.1f} s)",
                  flush=True)
            timing = Timing(fake)
            # The echo bot before and after the bot: a machine that gets busier or quieter
            # meanwhile moves both the same way.
            before = await run_echo(fake, timing, parents, count, script=script)
            print(f"echo bot, before   {before.line()}", flush=True)
            print(f"  work             {before.work()}", flush=True)
            failed_before = sum(1 for c in fake.calls if not c.ok)
            bot, errors = await run_bot(fake, timing, db, parents, count, script=script)
            print(f"bot                {bot.line()}", flush=True)
            print(f"  work             {bot.work()} (jobs and outbox sender included)")
            print(f"  by kind          {bot.breakdown()}", flush=True)
            failed = sum(1 for c in fake.calls if not c.ok) - failed_before
            after = await run_echo(fake, timing, parents, count, script=script)
            print(f"echo bot, after    {after.line()}", flush=True)
            if calls_only:
                floor = await run_echo(fake, timing, parents, count, calls_only_application,
                                       "calls only", script)
                print(f"calls only         {floor.line()}", flush=True)
                print(f"  work             {floor.work()}; "
                      f"{floor.rate / ((before.rate + after.rate) / 2):.2f} of the echo bot")
            async with db.session() as session:
                rsvps = await session.scalar(select(func.count()).select_from(Rsvp))
                opened = await session.scalar(select(func.count()).select_from(Question)
                                              .where(Question.status == "open"))
        finally:
            await fake.stop()
            await db.close()
            gc.unfreeze()
    echo_rate = (before.rate + after.rate) / 2
    ratio = bot.rate / echo_rate if echo_rate else 0.0
    # Per CPU second: what the other processes of the machine did meanwhile hardly matters.
    cpu_ratio = (bot.updates / bot.cpu) / (
        (before.updates + after.updates) / (before.cpu + after.cpu))
    ok = ratio >= RATIO_TARGET and errors == 0 and failed == 0
    print(f"parents            {parents_count} (and a brugfiguur per school, its contact)")
    print(f"updates            {count}: " + ", ".join(
        f"{len(times)} {LABELS[action]}" for action, times in bot.by_action.items()))
    print(f"done               {rsvps} RSVPs, {opened} open questions; {errors} errors logged, "
          f"{failed} failed API calls, {len(fake.server_errors)} fake server errors")
    print(f"ratio              {ratio:.3f} of the echo bot's updates/s (mean of before and "
          f"after: {echo_rate:.1f}); per CPU second {cpu_ratio:.3f}")
    print(f"machine load       {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"(1, 5, 15 min; {os.cpu_count()} cores)")
    print(f"target             {'met' if ok else 'MISSED'} (ratio >= {RATIO_TARGET}, "
          "no error)", flush=True)
    h50, h99 = percentile(bot.handling, 50), percentile(bot.handling, 99)
    rtt = f", {latency * 1000:.0f} ms round trips" if latency else ""
    return [Row(f"inbound, {count:,} updates, {parents_count:,} parents, {backend}{rtt}",
                f"{bot.rate:.0f} updates/s vs echo {echo_rate:.0f} = {ratio:.2f}; "
                f"handling p50 {h50 * 1000:.1f} / p99 {h99 * 1000:.1f} ms",
                f">= {RATIO_TARGET} of echo", ok)]


async def bench(databases: list[str], parents: int, updates: int, latency: float = 0.0,
                calls_only: bool = False, script: tuple[str, ...] = SCRIPT) -> list[Row]:
    rows: list[Row] = []
    for backend in databases:
        rows += await run_one(backend, parents, updates, latency, calls_only, script)
        print()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inbound",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--parents", type=int, default=2_000)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds before the fake server answers each call (Telegram's "
                             "round trip: 0.02 to 0.1); default 0, the CPU alone")
    parser.add_argument("--script", default=",".join(SCRIPT),
                        help="what each parent does, in turn, comma-separated (rsvp, week, "
                             "topic, question); e.g. 'week' for /week alone. Default: "
                             "%(default)s")
    parser.add_argument("--calls-only", action="store_true",
                        help="also run a bot that makes the bot's Bot API calls per update and "
                             "nothing else: the Telegram side's share")
    args = parser.parse_args(argv)
    script = tuple(args.script.split(","))
    if not script or not set(script) <= set(LABELS):
        parser.error(f"--script: each action one of {', '.join(LABELS)}")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = asyncio.run(bench(databases, args.parents, args.updates, args.latency,
                             args.calls_only, script))
    print_table(rows)
    return 0 if all(r.met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
