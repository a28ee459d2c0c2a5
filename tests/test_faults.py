"""Telegram faults: while a broadcast, due reminders and relayed answers go out at once, the fake
Bot API server answers a random share of the sends to parents with 429 (retry_after), 500 or
502, drops the connection or does not answer at all (before or after it created the message),
and some parents have blocked the bot. Nothing is lost, nothing is sent twice unless a fault
made it ambiguous (then exactly once more), no retry storm, blocked parents are marked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.app import build_application, running
from bot.config import Settings
from bot.scheduler.outbox import OutboxSender
from bot.scheduler.reminders import run_round
from bot.services.outbox import Progress
from storage.db import Database
from storage.models import (
    Activity,
    ActivitySchool,
    ActivityText,
    Broadcast,
    OutboxMessage,
    Person,
    PersonSchool,
    QuestionMessage,
    Reminder,
    School,
)
from tests.conftest import FixedClock
from tests.fake_telegram import MESSAGE_METHODS, FakeTelegram
from tests.helpers import Chat, Handled
from tests.helpers import Person as Talker
from tests.test_broadcast_e2e import wait_until
from tests.test_outbox_e2e import add_parents, finished
from tests.test_outbox_e2e import broadcast as enqueue_broadcast
from tests.test_programme_e2e import coordinator_with_programme
from tests.test_questions_e2e import MONDAY_10, join_team

SEED = 7
PARENTS = 150
FIRST_CHAT = 6_000_000
LOCALES = ("nl", "tr", "pa")
BLOCKED = 6  # parents who blocked the bot
FAULT_RATE = 0.12
MAX_FAULTS_PER_CHAT = 2  # so no message can run out of tries: the test knows what to expect
KINDS = {"429": 2, "500": 2, "502": 1, "drop": 2, "drop_after": 1, "timeout": 1,
         "timeout_after": 1}
AMBIGUOUS = ("drop_after", "timeout_after")  # the message exists; the bot cannot know
RATE = 100.0  # the fake server enforces no limits: 30/s would only make the test slower
# A request the fake server never answers holds the sender (one request at a time) until it
# gives up: 1 s here rather than 5, or the many injected timeouts would make the test slow.
REQUEST_TIMEOUT = 1.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest's settings with a faster outbox (OUTBOX_RATE and OUTBOX_REQUEST_TIMEOUT,
    as an operator sets them)."""
    return dataclasses.replace(settings, outbox_rate=RATE,
                               outbox_request_timeout=REQUEST_TIMEOUT)


@pytest.fixture
async def bot(settings: Settings, db: Database, fake: FakeTelegram,
              clock: FixedClock) -> AsyncIterator[Handled]:
    """The real Application on a Monday morning (everyone green, no quiet hours)."""
    clock.moment = MONDAY_10
    app = build_application(settings, db=db)
    app.bot_data["clock"] = clock
    handled = Handled().watch(app)
    async with running(app):
        yield handled


async def seed_parents(db: Database, clock: FixedClock) -> list[tuple[int, int]]:
    """Parents of Klim-op in three languages; returns (person id, chat id) pairs."""
    now = clock.now()
    async with db.session() as session:
        school = await session.scalar(select(School).where(School.code == "klimop"))
        assert school is not None
        await session.execute(insert(Person), [
            {"telegram_id": FIRST_CHAT + i, "first_name": f"Ouder{i}",
             "locale": LOCALES[i % 3], "role": "parent", "created_at": now,
             "onboarded_at": now} for i in range(PARENTS)])
        people = (await session.execute(
            select(Person.id, Person.telegram_id).where(Person.telegram_id >= FIRST_CHAT)
            .order_by(Person.id))).all()
        await session.execute(insert(PersonSchool), [
            {"person_id": p, "school_id": school.id} for p, _chat in people])
        await session.commit()
    return [(p, chat) for p, chat in people]


async def seed_reminders(db: Database, clock: FixedClock,
                         parents: list[tuple[int, int]]) -> None:
    """An ouderbabbel at Klim-op (with a map pin) and its reminder due now for each parent."""
    now = clock.now()
    async with db.session() as session:
        school = await session.scalar(select(School).where(School.code == "klimop"))
        assert school is not None
        # The planner's own "2 hours before" rows fall due in half an hour: only these now.
        start = now + timedelta(hours=2, minutes=30)
        activity = Activity(external_id="babbel-fouten", kind="ouderbabbel", starts_at=start,
                            ends_at=start + timedelta(hours=1), place_name="Refter",
                            latitude=50.8167, longitude=5.1861,
                            schools=[ActivitySchool(school_id=school.id)],
                            texts=[ActivityText(locale="nl", title="Ouderbabbel")])
        session.add(activity)
        await session.flush()
        await session.execute(insert(Reminder), [
            {"activity_id": activity.id, "occurrence_start": start, "person_id": p,
             "kind": "2h", "due_at": now - timedelta(minutes=1), "status": "planned"}
            for p, _chat in parents])
        await session.commit()


async def ask(chat: Chat, chat_id: int, name: str, text: str) -> Talker:
    """A seeded parent asks a question (before any fault: the bot answers them directly)."""
    parent = chat.person(chat_id, name)
    await parent.says("/ask")
    await parent.picks_topic("school")
    await parent.says(text)
    return parent


def signature(kind: str, payload: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a message, the same for an outbox row and the request it became."""
    if kind in ("text", "sendMessage"):
        return ("text", payload["text"])
    if kind in ("copy", "copyMessage"):
        return ("copy", payload["from_chat_id"], payload["message_id"])
    if kind in ("location", "sendLocation"):
        return ("location", float(payload["latitude"]), float(payload["longitude"]))
    return (kind, payload.get("file_id") or payload.get("photo") or payload.get("voice"))


def row_signature(row: OutboxMessage, answers: dict[int, QuestionMessage]) -> tuple[Any, ...]:
    """A sent row's signature; a question's rows keep no payload once sent, so an answer's
    copy is read from the answer it copied (its key: ``q:<id>:answer:<answer id>``)."""
    copied = re.fullmatch(r"q:\d+:answer:(\d+)", row.dedupe_key)
    if copied is not None:
        answer = answers[int(copied[1])]
        return ("copy", answer.chat_id, answer.message_id)
    return signature(row.kind, json.loads(row.payload))


async def test_faults_during_a_broadcast_reminders_and_answers(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    assert bot.app is not None
    greet = await coordinator_with_programme(chat)
    fatma = await join_team(chat, greet, 8101, "Fatma", {"nl", "tr"}, db, contact_of="klimop")
    parents = await seed_parents(db, clock)
    chats = {c for _p, c in parents}
    rng = random.Random(SEED)
    blocked = set(rng.sample(sorted(chats), BLOCKED))
    # Three questions: Turkish and Dutch reach Fatma, Punjabi (nobody speaks it) the
    # coordinator. Their answers are relayed while the faults go on.
    askers = [min(c for c in chats - blocked if LOCALES[(c - FIRST_CHAT) % 3] == locale)
              for locale in LOCALES]
    questions = {c: f"Vraag van ouder {c}" for c in askers}
    for c in askers:
        await ask(chat, c, f"Ouder{c - FIRST_CHAT}", questions[c])
    holders = {askers[0]: fatma, askers[1]: fatma, askers[2]: greet}
    await wait_until(lambda: all(questions[c] in fake.texts(holders[c].id) for c in askers),
                     fake)

    # From here on, the sends to parents fail at random; some parents blocked the bot.
    for c in blocked:
        fake.block_chat(c)
    fake.random_faults(FAULT_RATE, seed=SEED, kinds=KINDS, chat_ids=chats,
                       max_per_chat=MAX_FAULTS_PER_CHAT, retry_after=1)
    start = fake.mark()

    [draft] = await greet.says("/broadcast")
    assert f"Het bereikt {PARENTS} ouders." in draft["text"], draft["text"]
    await greet.taps("📤 Verstuur naar")
    await greet.taps("✅ Ja, nu versturen")
    await seed_reminders(db, clock, parents)
    await run_round(bot.app)  # (or the reminders job, if it wakes first)
    for c in askers:
        holder = holders[c]
        copy = [m for m in fake.transcript(holder.id) if m.get("text") == questions[c]][-1]
        [confirmed] = await holder.says(f"Antwoord voor {c}", reply_to=copy)
        assert confirmed["text"].startswith("✅"), confirmed["text"]
        await holder.sends("voice", reply_to_message_id=copy["message_id"])

    # Everything settles: no row waits, and the broadcast's report is out.
    async def unsettled() -> int:
        async with db.session() as session:
            rows = await session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.status.in_(("pending", "sending"))))
            return len(rows.all())

    async def broadcast_done() -> bool:
        async with db.session() as session:
            row = await session.scalar(select(Broadcast))
            return row is not None and row.status == "done"

    await wait_async(unsettled, lambda n: n == 0, fake)
    await wait_async(broadcast_done, bool, fake)

    async with db.session() as session:
        # Not the notes of the bot's direct "Fatma has your question" (questions.
        # record_confirmation): sent rows the outbox never sends.
        rows = [r for r in await session.scalars(select(OutboxMessage)
                                                 .where(OutboxMessage.chat_id.in_(chats)))
                if not re.fullmatch(r"q:\d+:opened:\d+", r.dedupe_key)]
        people = {p.telegram_id: p for p in await session.scalars(
            select(Person).where(Person.telegram_id.in_(chats)))}
        report = await session.scalar(select(Broadcast))
        answers = {m.id: m for m in await session.scalars(
            select(QuestionMessage).where(QuestionMessage.from_parent.is_(False)))}
    requests = [c for c in fake.calls[start:] if c.method in MESSAGE_METHODS
                and c.chat_id in chats]
    injected = [c for c in requests if c.fault]
    assert {c.fault for c in injected} == set(KINDS), fake.faults_injected  # every kind seen

    # Nothing lost: every row to a parent who did not block the bot was sent; each arrived
    # once, plus exactly once more for each fault that left the bot in doubt.
    for c in chats - blocked:
        expected = Counter(row_signature(r, answers) for r in rows if r.chat_id == c)
        assert all(r.status == "sent" for r in rows if r.chat_id == c), c
        arrived = [x for x in requests if x.chat_id == c and x.ok]
        firm = Counter(signature(x.method, x.params) for x in arrived
                       if x.fault not in AMBIGUOUS)
        assert firm == expected, (c, firm, expected)
        assert all(signature(x.method, x.params) in expected for x in arrived)
    kinds = Counter(r.kind for r in rows if r.chat_id not in blocked)
    # The programme and a reminder (text and map pin) each; two answers (text, voice) each
    # for the three who asked.
    assert kinds == {"text": 2 * (PARENTS - BLOCKED), "location": PARENTS - BLOCKED,
                     "copy": 2 * len(askers)}, kinds
    ambiguous = [x for x in injected if x.fault in AMBIGUOUS and x.chat_id not in blocked]
    assert all(x.ok for x in ambiguous)  # each left one more copy, counted above
    duplicates = len(ambiguous)

    # Blocked parents: nothing arrived, marked inactive, and asked only once or twice.
    for c in blocked:
        assert not any(x.ok for x in requests if x.chat_id == c)
        refused = [x for x in requests if x.chat_id == c and x.error_code == 403]
        assert 1 <= len(refused) <= 2, refused
        assert people[c].blocked_at is not None
        assert not any(r.status == "sent" for r in rows if r.chat_id == c)
    assert report is not None
    assert (report.total, report.sent, report.blocked, report.failed) == (
        PARENTS, PARENTS - BLOCKED, BLOCKED, 0)

    # No retry storm: each request is a send, a fault or a 403, nothing more; tries bounded.
    sent_rows = sum(1 for r in rows if r.status == "sent")
    forbidden = sum(1 for x in requests if x.error_code == 403 and not x.fault)
    assert len(requests) == sent_rows + len(injected) + forbidden
    assert len(requests) <= 1.5 * len(rows)
    sender: OutboxSender = bot.app.bot_data["outbox"].sender
    assert max(r.attempts for r in rows) <= min(sender.max_attempts, 1 + MAX_FAULTS_PER_CHAT)
    # A 429 pauses all sending for retry_after: only the requests in flight come after it.
    for flood in (x for x in injected if x.fault == "429"):
        after = [x for x in requests if flood.at < x.at < flood.at + 0.95]
        assert len(after) < 8, (flood, after)
    print(f"\n{len(rows)} rows, {len(requests)} requests, faults {dict(fake.faults_injected)}, "
          f"{duplicates} ambiguous duplicate(s)")


async def wait_async(read: Any, done: Any, fake: FakeTelegram, seconds: float = 45.0) -> None:
    """Poll an async reading until ``done(value)``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not done(value := await read()):
        assert loop.time() < deadline, f"{value}\n{fake.summary()}"
        await asyncio.sleep(0.1)


# --------------------------------------------------------------------------------------------
# A slow Telegram: rows wait in the sender longer than their lease


@pytest.fixture
async def app(settings: Settings, db: Database, fake: FakeTelegram,
              clock: FixedClock) -> AsyncIterator[Any]:
    application = build_application(settings, db=db)
    application.bot_data["clock"] = clock
    async with running(application, polling=False):
        yield application


async def test_rows_waiting_longer_than_the_lease_are_not_sent_twice(
    app: Any, db: Database, fake: FakeTelegram
) -> None:
    """Regression: the sender took the rows it still held, once older than the lease, for a
    dead sender's and sent them again (138 duplicates for 100 messages here)."""
    fake.latency = 0.03  # one request at a time: about 30 messages/s
    await app.bot_data["outbox"].stop()
    app.bot_data["outbox"] = OutboxSender(app.bot, db, rate=200.0, max_in_flight=1,
                                          lease=timedelta(seconds=1),
                                          clock=app.bot_data["clock"]).start()
    parents = await add_parents(db, 100)
    group = await enqueue_broadcast(app, db, parents)  # a batch of 3 s for a lease of 1 s
    assert await finished(db, group, timeout=30) == Progress(total=100, sent=100)
    await fake.wait_idle(quiet=2.5, timeout=30)  # a second copy would come within 2 s
    assert fake.sent_count_per_chat() == {chat: 1 for _person, chat in parents}


# --------------------------------------------------------------------------------------------
# The fake server's random faults themselves


async def test_the_fake_servers_random_faults_do_what_they_say(fake: FakeTelegram) -> None:
    from telegram.error import NetworkError, RetryAfter, TimedOut

    expected: dict[str, type[Exception]] = {
        "429": RetryAfter, "500": NetworkError, "502": NetworkError, "drop": NetworkError,
        "drop_after": NetworkError, "timeout": TimedOut, "timeout_after": TimedOut}
    async with fake.bot() as telegram:
        for n, (kind, error) in enumerate(expected.items()):
            fake.random_faults(1.0, kinds=[kind], chat_ids=[n], hang=0.5, retry_after=2)
            with pytest.raises(error):
                await telegram.send_message(n, f"bericht {n}", read_timeout=0.2)
            [call] = fake.calls_of("sendMessage", chat_id=n)
            assert call.fault == kind
            # Only the "after" kinds created the message (the bot cannot know it did).
            assert call.ok == kind.endswith("_after") == bool(fake.transcript(n)), kind
        fake.random_faults(0)  # off again: everything works
        assert (await telegram.send_message(1, "weer goed")).text == "weer goed"
        fake.random_faults(1.0, kinds=["500"], chat_ids=[2], max_per_chat=1)
        with pytest.raises(NetworkError):
            await telegram.send_message(2, "een")
        assert (await telegram.send_message(2, "twee")).text == "twee"  # cap reached
        await telegram.send_message(3, "niet aangewezen")  # not a chosen chat
    assert fake.faults_injected == {**dict.fromkeys(expected, 1), "500": 2}
