"""The outbox sender end to end: the real Application and bot against the fake Bot API server.

Each test enqueues rows as a broadcast or a reminder would, wakes the sender that post_init
started, and reads what arrived from the fake server's records.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from telegram.ext import Application

from bot.app import build_application, running
from bot.config import Settings
from bot.i18n import BRUSSELS
from bot.scheduler.leader import SenderLeadership
from bot.scheduler.outbox import OutboxSender, wake
from bot.services import outbox
from bot.services.outbox import URGENT, NewMessage, Progress
from storage.db import Database
from storage.models import OutboxMessage, Person, utcnow
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram

BUTTONS = {"inline_keyboard": [[{"text": "👍 Ik kom", "callback_data": "rsvp:3:yes"},
                                {"text": "Nee", "callback_data": "rsvp:3:no"}]]}


@pytest.fixture
async def app(settings: Settings, db: Database, fake: FakeTelegram,
              clock: FixedClock) -> AsyncIterator[Application]:
    """The Application as ``python -m bot`` runs it (post_init starts the sender), no polling;
    the test's clock stands at daytime, so no quiet hours hold anything back."""
    application = build_application(settings, db=db)
    application.bot_data["clock"] = clock
    async with running(application, polling=False):
        yield application


async def add_parents(db: Database, n: int, first_id: int = 60_000) -> list[tuple[int, int]]:
    """(person id, chat id) of n onboarded parents."""
    async with db.session() as session:
        people = [Person(telegram_id=first_id + i, first_name=f"Ouder {i}", locale="nl",
                         role="parent", onboarded_at=utcnow()) for i in range(n)]
        session.add_all(people)
        await session.commit()
        return [(p.id, p.telegram_id) for p in people]


async def broadcast(app: Application, db: Database, parents: list[tuple[int, int]],
                    number: int = 1, text: str = "Morgen is er geen school.", **payload) -> str:
    """Enqueue a broadcast to every parent, commit, wake the sender; returns the group key."""
    group = f"broadcast:{number}"
    async with db.session() as session:
        await outbox.enqueue_many(session, [
            NewMessage(f"{group}:{person}", chat, person, "text", {"text": text, **payload},
                       group_key=group)
            for person, chat in parents
        ])
        await session.commit()
    wake(app)
    return group


async def finished(db: Database, group: str, timeout: float = 10.0) -> Progress:  # noqa: ASYNC109
    """Wait until no message of the group is pending; returns its progress."""
    deadline = time.monotonic() + timeout
    while True:
        async with db.session() as session:
            progress = await outbox.progress(session, group)
        if progress.pending == 0:
            return progress
        assert time.monotonic() < deadline, progress
        await asyncio.sleep(0.05)


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_sixty_parents_get_one_message_each(app: Application, db: Database,
                                                  fake: FakeTelegram) -> None:
    fake.enforce_limits = True  # Telegram's 30/s and 1/s per chat, answered with 429
    parents = await add_parents(db, 60)
    group = await broadcast(app, db, parents, reply_markup=BUTTONS)
    progress = await finished(db, group)

    assert progress == Progress(total=60, sent=60)
    assert fake.sent_count_per_chat() == {chat: 1 for _, chat in parents}
    assert fake.too_many_requests == 0
    message = fake.last_message(parents[0][1])
    assert message is not None and message["text"] == "Morgen is er geen school."
    assert FakeTelegram.inline_buttons(message) == [("👍 Ik kom", "rsvp:3:yes"),
                                                     ("Nee", "rsvp:3:no")]
    assert {r.telegram_message_id for r in await rows(db)} == {1}  # each chat's first message
    # About 30 per second, evenly spaced, and never more than 30 in a second (no 429).
    sends = fake.calls_of("sendMessage")
    assert 1.5 < sends[-1].at - sends[0].at < 3.0


async def test_flood_control_errors_and_a_blocked_parent(app: Application, db: Database,
                                                         fake: FakeTelegram) -> None:
    parents = await add_parents(db, 40)
    blocked_person, blocked_chat = parents[7]
    fake.fail_next("sendMessage", 429, retry_after=1, chat_id=parents[0][1])
    fake.fail_next("sendMessage", 500, chat_id=parents[1][1])
    fake.block_chat(blocked_chat)
    started = time.monotonic()
    group = await broadcast(app, db, parents)
    async with db.session() as session:  # a reminder for the blocked parent, due after
        await outbox.enqueue(session, dedupe_key=f"reminder:5:{blocked_person}:day",
                             chat_id=blocked_chat, person_id=blocked_person, kind="text",
                             payload={"text": "Herinnering"}, group_key="reminders")
        await session.commit()
    progress = await finished(db, group)

    assert progress == Progress(total=40, sent=39, blocked=1, errors={"blocked": 1})
    counts = fake.sent_count_per_chat()
    assert counts == {chat: 1 for _, chat in parents if chat != blocked_chat}
    # One 403 and nothing more for the blocked parent: the reminder was dropped unsent.
    assert len(fake.calls_of("sendMessage", chat_id=blocked_chat)) == 1
    async with db.session() as session:
        person = await session.get(Person, blocked_person)
        assert person is not None and person.blocked_at is not None
        assert await outbox.progress(session, "reminders") == Progress(
            total=1, blocked=1, errors={"blocked": 1})
    # Everything paused for the 429's retry_after; tries stay bounded.
    assert time.monotonic() - started >= 1.0
    assert max(r.attempts for r in await rows(db)) <= 2
    failed = [c for c in fake.calls_of("sendMessage") if not c.ok]
    assert sorted(c.error_code for c in failed) == [403, 429, 500]


async def test_a_crash_mid_send_sends_again_at_most_what_was_in_flight(
    app: Application, db: Database, fake: FakeTelegram
) -> None:
    fake.latency = 0.05  # each send takes a while, as over the internet
    parents = await add_parents(db, 40)
    group = await broadcast(app, db, parents)
    sender: SenderLeadership = app.bot_data["outbox"]
    await fake.wait_for("sendMessage", lambda _: len(fake.calls_of("sendMessage")) >= 20,
                        after=0)
    in_flight = sender.in_flight
    await sender.abandon()  # the process dies: nothing is written back
    left = [r for r in await rows(db) if r.status == "sending"]
    assert left, "the crash should leave claimed rows behind"

    # A new process: the same database, a short lease so the test need not wait a minute.
    app.bot_data["outbox"] = OutboxSender(app.bot, db, lease=timedelta(seconds=1),
                                          clock=app.bot_data["clock"]).start()
    progress = await finished(db, group)

    assert progress == Progress(total=40, sent=40)
    counts = fake.sent_count_per_chat()
    assert set(counts) == {chat for _, chat in parents}
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates <= in_flight


async def test_a_long_text_arrives_as_parts_in_order(app: Application, db: Database,
                                                     fake: FakeTelegram) -> None:
    [(person, chat)] = await add_parents(db, 1)
    paragraphs = [(f"Alinea {i}: " + "de activiteit gaat door in de turnzaal. " * 20).strip()
                  for i in range(8)]
    text = "\n\n".join(paragraphs)
    assert 6000 < len(text) < 8192
    async with db.session() as session:
        await outbox.enqueue(session, dedupe_key="broadcast:4:1", chat_id=chat,
                             person_id=person, kind="text",
                             payload={"text": text, "reply_markup": BUTTONS},
                             group_key="broadcast:4")
        await session.commit()
    wake(app)
    assert await finished(db, "broadcast:4") == Progress(total=1, sent=1)

    first, second = fake.transcript(chat)
    assert first["text"] + "\n\n" + second["text"] == text
    assert "reply_markup" not in first
    assert FakeTelegram.inline_buttons(second)[0] == ("👍 Ik kom", "rsvp:3:yes")
    one, two = fake.calls_of("sendMessage", chat_id=chat)
    assert two.at - one.at >= 1.0  # one message per second in a chat


async def test_a_planned_message_waits_for_its_time(app: Application, db: Database,
                                                    fake: FakeTelegram) -> None:
    [(person, chat)] = await add_parents(db, 1)
    due = utcnow() + timedelta(seconds=1)
    due_monotonic = time.monotonic() + 1.0
    async with db.session() as session:
        await outbox.enqueue(session, dedupe_key="reminder:8:1:hour", chat_id=chat,
                             person_id=person, kind="text", payload={"text": "Straks!"},
                             not_before=due)
        await session.commit()
    wake(app)
    call = await fake.wait_for("sendMessage", chat_id=chat, after=0, timeout=4)
    assert due_monotonic - 0.05 <= call.at <= due_monotonic + 2.0


async def test_every_kind_of_payload(app: Application, db: Database, fake: FakeTelegram) -> None:
    parents = await add_parents(db, 6)
    staff = fake.user(900_002, "Brugfiguur")
    source = fake.send_text(staff, "Het antwoord op je vraag: ja.")["message"]
    payloads = [
        ("photo", {"file_id": "PHOTO-affiche", "caption": "De <b>affiche</b>",
                   "parse_mode": "HTML"}),
        ("document", {"file_id": "DOC-brief", "caption": "Brief"}),
        ("voice", {"file_id": "VOICE-uitleg"}),
        ("copy", {"from_chat_id": staff.id, "message_id": source["message_id"],
                  "reply_markup": BUTTONS}),
        ("location", {"latitude": 50.8167, "longitude": 5.1861, "disable_notification": True}),
        ("text", {"text": "<b>kapot", "parse_mode": "HTML"}),  # Telegram refuses: 400
    ]
    async with db.session() as session:
        await outbox.enqueue_many(session, [
            NewMessage(f"kinds:{kind}", chat, person, kind, payload, group_key="kinds")
            for (person, chat), (kind, payload) in zip(parents, payloads, strict=True)
        ])
        await session.commit()
    wake(app)
    progress = await finished(db, "kinds")

    assert progress == Progress(total=6, sent=5, failed=1, errors={"bad_request": 1})
    methods = [c.method for c in fake.calls if c.ok and c.chat_id in {p[1] for p in parents}]
    assert sorted(methods) == ["copyMessage", "sendDocument", "sendLocation", "sendPhoto",
                               "sendVoice"]
    photo = fake.last_message(parents[0][1])
    assert photo is not None and photo["caption"] == "De affiche"
    copied = fake.last_message(parents[3][1])
    assert copied is not None and copied["text"] == "Het antwoord op je vraag: ja."
    assert FakeTelegram.inline_buttons(copied)[1] == ("Nee", "rsvp:3:no")
    assert len(fake.calls_of("sendMessage")) == 1  # a 400 is not retried


async def test_stopped_parents_get_only_what_they_asked_for(app: Application, db: Database,
                                                            fake: FakeTelegram) -> None:
    (p1, c1), (p2, c2) = await add_parents(db, 2)
    async with db.session() as session:
        for person in (p1, p2):
            (await session.get(Person, person)).stopped_at = utcnow()  # type: ignore[union-attr]
        await session.commit()
    async with db.session() as session:
        await outbox.enqueue_many(session, [
            NewMessage(f"broadcast:6:{p1}", c1, p1, "text", {"text": "Nieuws"}, group_key="g"),
            NewMessage(f"answer:3:{p2}", c2, p2, "text", {"text": "Antwoord", "always": True},
                       group_key="g"),
        ])
        await session.commit()
    wake(app)
    assert await finished(db, "g") == Progress(total=2, sent=1, stopped=1,
                                               errors={"stopped": 1})
    assert fake.sent_count_per_chat() == {c2: 1}


async def test_a_row_that_keeps_dying_in_flight_is_given_up(app: Application, db: Database,
                                                            fake: FakeTelegram) -> None:
    [(person, chat)] = await add_parents(db, 1)
    async with db.session() as session:
        await outbox.enqueue(session, dedupe_key="poison", chat_id=chat, person_id=person,
                             kind="text", payload={"text": "x"}, group_key="p")
        row = await session.scalar(select(OutboxMessage))
        assert row is not None
        # Claimed six times already, each time by a sender that died before the answer.
        row.status, row.attempts = "sending", 6
        row.claimed_at = utcnow() - timedelta(minutes=5)
        await session.commit()
    wake(app)
    assert await finished(db, "p") == Progress(total=1, failed=1, errors={"gave_up": 1})
    assert fake.sent_count_per_chat() == {}


async def test_an_urgent_row_passes_quiet_hours_but_not_a_stop(
        app: Application, db: Database, fake: FakeTelegram, clock: FixedClock) -> None:
    """📣 Urgent at 23:00: it reaches the parent whose quiet hours it is, at once; the one
    who used /stop meanwhile gets nothing (``always`` would have reached her)."""
    night = datetime.now(BRUSSELS).replace(hour=23, minute=0, second=0, microsecond=0)
    clock.moment = night + timedelta(days=21)  # a morning ahead of the wall clock: held
    (awake, c1), (stopped, c2), (plain, c3) = await add_parents(db, 3)
    async with db.session() as session:
        (await session.get(Person, stopped)).stopped_at = utcnow()  # type: ignore[union-attr]
        await outbox.enqueue_many(session, [
            NewMessage(f"announce:9:{person}", chat, person, "text", {"text": "School dicht!",
                       **({} if person == plain else {URGENT: True})}, group_key="announce:9")
            for person, chat in ((awake, c1), (stopped, c2), (plain, c3))])
        await session.commit()
    wake(app)
    await wait_for_status(db, "announce:9", {"sent", "dropped"}, 2)
    assert fake.sent_count_per_chat() == {c1: 1}
    async with db.session() as session:
        rows = {row.person_id: row for row in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.group_key == "announce:9"))}
    assert (rows[stopped].status, rows[stopped].error) == ("dropped", "stopped")
    assert (rows[plain].status, rows[plain].error) == ("pending", "quiet")  # the morning


async def wait_for_status(db: Database, group: str, statuses: set[str], count: int) -> None:
    """Until ``count`` rows of the group have one of these statuses (10 s at most)."""
    for _tick in range(100):
        async with db.session() as session:
            found = list(await session.scalars(select(OutboxMessage.status).where(
                OutboxMessage.group_key == group, OutboxMessage.status.in_(statuses))))
        if len(found) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{group}: {found}")
