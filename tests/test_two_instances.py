"""Two instances on one PostgreSQL database: one sends at a time, and when it is killed
half-way the other takes over; every parent gets each message once (the one request in
flight at the kill excepted), none is lost. One person's updates reaching both instances at
once run one after the other; a sender cut off from its lock stops sending."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from telegram import Update

from bot.app import build_application, running
from bot.config import Settings
from bot.scheduler.leader import SenderLeadership
from bot.scheduler.outbox import OutboxSender
from bot.scheduler.reminders import run_round
from bot.services import outbox
from bot.services.outbox import NewMessage
from storage.db import Database
from storage.models import (
    Activity,
    ActivitySchool,
    ActivityText,
    OutboxMessage,
    Person,
    PersonSchool,
    Question,
    Reminder,
    School,
)
from tests.conftest import TEST_DATABASE_URL, FixedClock
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                                reason="two instances need PostgreSQL (TEST_DATABASE_URL)")

PARENTS = 1000
REMINDED = 500
FIRST_CHAT = 700_000


async def seed(db: Database, clock: FixedClock) -> None:
    """1,000 parents of one school; 500 of them have a reminder due now."""
    now = clock.now()
    async with db.session() as session:
        school = await session.scalar(select(School).where(School.code == "klimop"))
        assert school is not None
        await session.execute(insert(Person), [
            {"telegram_id": FIRST_CHAT + i, "first_name": f"Ouder {i}", "locale": "nl",
             "role": "parent", "created_at": now, "onboarded_at": now} for i in range(PARENTS)])
        people = list(await session.scalars(select(Person.id).where(
            Person.telegram_id >= FIRST_CHAT).order_by(Person.id)))
        await session.execute(insert(PersonSchool), [
            {"person_id": p, "school_id": school.id} for p in people])
        # The planner's own "2 hours before" rows fall due in half an hour: only the 500
        # seeded below are due now.
        start = now + timedelta(hours=2, minutes=30)
        activity = Activity(external_id="babbel", kind="ouderbabbel", starts_at=start,
                            ends_at=start + timedelta(hours=1), place_name="Refter",
                            schools=[ActivitySchool(school_id=school.id)],
                            texts=[ActivityText(locale="nl", title="Ouderbabbel")])
        session.add(activity)
        await session.flush()
        await session.execute(insert(Reminder), [
            {"activity_id": activity.id, "occurrence_start": start, "person_id": p,
             "kind": "2h", "due_at": now - timedelta(minutes=1), "status": "planned"}
            for p in people[:REMINDED]])
        await outbox.enqueue_many(session, [
            NewMessage(f"broadcast:1:{p}", FIRST_CHAT + i, p, "text",
                       {"text": "Het programma van deze week"}, group_key="broadcast:1")
            for i, p in enumerate(people)])
        await session.commit()


async def test_two_instances_send_everything_once_while_one_is_killed(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock
) -> None:
    await seed(db, clock)
    apps = []
    for _ in range(2):
        app = build_application(settings)  # each its own engine and pool, as two processes
        app.bot_data["clock"] = clock
        # Faster than Telegram allows, so the test is quick; a short lease and retry, so the
        # take-over is seen within seconds (the lease stays well above the 2 s of work a
        # sender claims at once, or it would take its own rows for abandoned ones).
        app.bot_data["outbox_options"] = {"rate": 200.0, "lease": timedelta(seconds=8)}
        app.bot_data["leadership_options"] = {"retry": 0.5}
        apps.append(app)

    def texts_to_parents() -> Counter[tuple[int, str]]:
        return Counter((c.chat_id, c.params["text"]) for c in fake.calls_of("sendMessage")
                       if c.ok and isinstance(c.chat_id, int) and c.chat_id >= FIRST_CHAT)

    async with running(apps[0], polling=False), running(apps[1], polling=False):
        # Both run the reminder planner at once: each reminder is handed over once.
        await asyncio.gather(run_round(apps[0]), run_round(apps[1]))
        leaders = [a for a in apps if a.bot_data["outbox"].leading]
        for _ in range(50):
            if leaders:
                break
            await asyncio.sleep(0.1)
            leaders = [a for a in apps if a.bot_data["outbox"].leading]
        assert len(leaders) == 1, "exactly one instance sends"
        leader = leaders[0]
        other = apps[1] if leader is apps[0] else apps[0]

        await fake.wait_for("sendMessage", lambda _call: sum(texts_to_parents().values())
                            >= (PARENTS + REMINDED) // 2, after=0, timeout=60)
        leadership: SenderLeadership = leader.bot_data["outbox"]
        assert leadership.sender is not None
        in_flight = set(leadership.sender._sending)  # the rows whose request is under way
        await leadership.abandon()  # killed: no write-back, its lock connection dropped

        expected = PARENTS + REMINDED
        await fake.wait_for("sendMessage", lambda _call: len(texts_to_parents()) >= expected,
                            after=0, timeout=60)
        assert other.bot_data["outbox"].leading, "the other instance took over"

    sent = texts_to_parents()
    broadcast = {chat for chat, text in sent if text.startswith("Het programma")}
    reminded = {chat for chat, text in sent if not text.startswith("Het programma")}
    assert len(broadcast) == PARENTS and len(reminded) == REMINDED  # none missing
    # Exactly once, but for the one request in flight at the kill (Telegram may have got it
    # before the killed instance could write so down): sent again by the other instance.
    twice = {chat for (chat, _text), n in sent.items() for _ in range(n - 1)}
    assert len(in_flight) <= 1 and sum(n - 1 for n in sent.values()) <= len(in_flight)
    async with db.session() as session:
        chats_in_flight = set(await session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.id.in_(in_flight))))
    assert twice <= chats_in_flight, (twice, chats_in_flight)


async def test_one_persons_updates_at_two_instances_at_once_run_one_after_the_other(
    settings: Settings, db: Database, fake: FakeTelegram, clock: FixedClock,
    caplog: pytest.LogCaptureFixture
) -> None:
    """Behind a load balancer, a person's quick messages may reach both instances at the same
    moment: they are handled one after the other, as on one instance."""
    apps = [build_application(settings, db=db) for _ in range(2)]
    for app in apps:
        app.bot_data["clock"] = clock
    async with running(apps[0], polling=False), running(apps[1], polling=False):

        async def at_once(*raws: dict) -> None:
            updates = [Update.de_json(raw, app.bot) for raw, app in zip(raws, apps, strict=True)]
            await asyncio.gather(*(app.process_update(u)
                                   for app, u in zip(apps, updates, strict=True)))

        # A new person: /start and a first message together; registered once, no error.
        ayse = fake.user(7401, "Ayşe", "tr")
        with caplog.at_level(logging.ERROR):
            await at_once(fake.send_text(ayse, "/start s_klimop"), fake.send_text(ayse, "merhaba"))
        assert "update failed" not in caplog.text
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Person).where(
                Person.telegram_id == ayse.id)) == 1

        # An onboarded parent's two messages: one question, asked about once.
        els = fake.user(7402, "Els", "nl")
        await apps[0].process_update(Update.de_json(fake.send_text(els, "/start s_klimop"),
                                                    apps[0].bot))
        for data in ("lang:nl", "privacy:ok"):
            screen = fake.last_message(els.id)
            assert screen is not None
            await apps[0].process_update(Update.de_json(
                fake.press(els, screen["message_id"], data), apps[0].bot))
        await at_once(fake.send_text(els, "Wanneer is de oudercontact?"),
                      fake.send_text(els, "En moet ik iets meebrengen?"))
        async with db.session() as session:
            person = await session.scalar(select(Person.id).where(Person.telegram_id == els.id))
            drafts = await session.scalar(select(func.count()).select_from(Question).where(
                Question.parent_id == person))
        assert drafts == 1
        assert fake.texts(els.id).count("Waarover gaat je vraag? Tik op een knop.") == 1


async def test_the_senders_lock_connection_tells_a_vanished_host_and_a_silent_one_steps_down(
    db: Database, fake: FakeTelegram, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    async with fake.bot() as bot:
        leadership = SenderLeadership(db, lambda: OutboxSender(bot, db), retry=0.2,
                                      check=0.3).start()
        try:
            for _ in range(50):
                if leadership.leading:
                    break
                await asyncio.sleep(0.05)
            assert leadership.leading
            connection = leadership._connection
            assert connection is not None
            # The server probes this connection's host soon, and drops it when it is gone.
            assert await connection.scalar(text("SHOW tcp_keepalives_idle")) in ("10", "10s")
            assert await connection.scalar(text("SHOW tcp_keepalives_count")) == "3"

            execute = AsyncConnection.execute

            async def silence(self: AsyncConnection, *args: Any, **kwargs: Any) -> Any:
                if self is connection:
                    await asyncio.sleep(60)  # the database no longer answers this instance
                return await execute(self, *args, **kwargs)

            monkeypatch.setattr(AsyncConnection, "execute", silence)
            with caplog.at_level(logging.WARNING):
                for _ in range(40):
                    if "leadership lost" in caplog.text:
                        break
                    await asyncio.sleep(0.05)
            assert "leadership lost" in caplog.text  # it stopped sending within `check`
        finally:
            await leadership.stop()
