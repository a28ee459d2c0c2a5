"""What happens to a reminder after it was planned: it follows the audience of its activity
and the parent's schools, and once in the outbox it is never sent when it has become
worthless (cancelled, moved, "I can't come", the activity has begun). A reminder that did not
arrive is marked undelivered, so the coordinator's figures count only what arrived.

The planner, the hand-over and the outbox sender run here without the Application, on the
test's clock; the sender talks to the fake Bot API server.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from bot.handlers.rsvp import render_reminder
from bot.i18n import BRUSSELS
from bot.scheduler.outbox import OutboxSender
from bot.services import importer, outbox, programme, reminders, rsvp
from bot.services.programme import ActivityData, Kind, LocalText, Place, activity_data
from bot.services.reminders import Answer
from storage import outbox as outbox_repo
from storage import programme as programme_repo
from storage.db import Database
from storage.models import (
    Activity,
    OutboxMessage,
    Person,
    PersonSchool,
    Reminder,
    School,
    utcnow,
)
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram

START = datetime(2026, 11, 25, 13, 30, tzinfo=BRUSSELS)
BABBEL = ActivityData(
    external_id="babbel-nov", kind=Kind.OUDERBABBEL, starts_at=START,
    ends_at=START + timedelta(hours=1, minutes=30), all_schools=True,
    place=Place("Bibliotheek", "Kazernestraat 13, 3800 Sint-Truiden", 50.8165, 5.1852),
    texts={"nl": LocalText("Ouderbabbel: slapen", "Over goed slapen.")},
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


async def setup(db: Database) -> tuple[int, dict[str, int]]:
    """The ouderbabbel (for all schools) and three parents; (activity id, name -> person id)."""
    async with db.session() as session:
        await importer.apply(session, [BABBEL])
        activity = (await programme_repo.by_external_ids(session, ["babbel-nov"]))["babbel-nov"]
        codes = {s.code: s.id for s in await session.scalars(select(School))}
        people = {}
        for n, (name, school) in enumerate((("ayse", "wijdeland"), ("els", "vlindertje"),
                                            ("jan", "kabouterland"))):
            person = Person(telegram_id=8800 + n, first_name=name, locale="nl", role="parent",
                            onboarded_at=utcnow(), schools=[PersonSchool(school_id=codes[school])])
            session.add(person)
            await session.flush()
            people[name] = person.id
        await reminders.plan(session, at(22, 10))
        await session.commit()
        return activity.id, people


async def hand_over(db: Database, moment: datetime) -> reminders.HandOver:
    async with db.session() as session:
        result = await reminders.hand_over_due(session, moment, render_reminder)
        await session.commit()
        return result


async def plan(db: Database, moment: datetime) -> None:
    async with db.session() as session:
        await reminders.plan(session, moment)
        await session.commit()


async def day_reminders(db: Database) -> dict[int, tuple[str, str | None]]:
    """person id -> (status, reason) of the reminders the day before."""
    async with db.session() as session:
        rows = await session.scalars(select(Reminder).where(Reminder.kind == "day"))
        return {r.person_id: (r.status, r.reason) for r in rows}


async def outbox_rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_reminder_follows_the_audience_of_the_activity_and_the_parent(
        db: Database) -> None:
    _activity, people = await setup(db)
    async with db.session() as session:
        # The ouderbabbel becomes one for Het Wijdeland and Kabouterland only ...
        await importer.apply(session, [ActivityData(**{
            **BABBEL.__dict__, "all_schools": False, "school_codes": ("wijdeland",
                                                                     "kabouterland")})])
        # ... and Jan's child moves from Kabouterland to Klim-op.
        klimop = await session.scalar(select(School.id).where(School.code == "klimop"))
        await session.execute(delete(PersonSchool).where(PersonSchool.person_id == people["jan"]))
        session.add(PersonSchool(person_id=people["jan"], school_id=klimop))
        await session.commit()

    result = await hand_over(db, at(24, 18))
    assert result.sent == 1 and result.reasons == {"not_audience": 2}
    assert await day_reminders(db) == {people["ayse"]: ("sent", None),
                                       people["els"]: ("skipped", "not_audience"),
                                       people["jan"]: ("skipped", "not_audience")}
    assert {row.person_id for row in await outbox_rows(db)} == {people["ayse"]}


async def test_an_activity_moved_away_and_back_gets_its_reminders_again(db: Database) -> None:
    """Moved to 14:30 by mistake, back to 13:30 five minutes later: the 13:30 reminders are
    planned again (they were made obsolete, and inserting them anew was ignored)."""
    await setup(db)
    moved = ActivityData(**{**BABBEL.__dict__, "starts_at": START + timedelta(hours=1),
                            "ends_at": START + timedelta(hours=2, minutes=30)})
    for version, moment in ((moved, at(22, 11)), (BABBEL, at(22, 11, 5))):
        async with db.session() as session:
            await importer.apply(session, [version])
            await reminders.plan(session, moment)
            await session.commit()
    result = await hand_over(db, at(24, 18))
    assert result.sent == 3
    async with db.session() as session:
        statuses = {(r.occurrence_start, r.status) for r in await session.scalars(
            select(Reminder).where(Reminder.kind == "day"))}
    assert statuses == {(START.astimezone(UTC), "sent"),
                        ((START + timedelta(hours=1)).astimezone(UTC), "obsolete")}


async def test_a_whole_day_event_gets_no_in_two_hours_reminder(db: Database) -> None:
    """A calendar's all-day event starts at midnight: "in two hours" would come at 22:00 the
    evening before. The day before and the week before stay."""
    day = datetime(2026, 11, 25, tzinfo=BRUSSELS)
    whole_day = ActivityData(**{**BABBEL.__dict__, "external_id": "speeldag",
                                "starts_at": day, "ends_at": day + timedelta(days=1)})
    async with db.session() as session:
        await importer.apply(session, [BABBEL, whole_day])
        codes = {s.code: s.id for s in await session.scalars(select(School))}
        session.add(Person(telegram_id=8890, first_name="els", locale="nl", role="parent",
                           onboarded_at=utcnow(),
                           schools=[PersonSchool(school_id=codes["vlindertje"])]))
        await session.flush()
        await reminders.plan(session, at(24, 10))
        await session.commit()
        kinds = {(external_id, kind) for external_id, kind in (await session.execute(
            select(Activity.external_id, Reminder.kind)
            .join(Reminder, Reminder.activity_id == Activity.id))).all()}
    assert ("babbel-nov", "2h") in kinds
    assert ("speeldag", "day") in kinds and ("speeldag", "2h") not in kinds


async def test_a_press_on_a_moved_or_cancelled_occurrence_says_which(db: Database) -> None:
    activity_id, people = await setup(db)
    async with db.session() as session:
        [reminder] = await session.scalars(select(Reminder.id).where(
            Reminder.person_id == people["ayse"], Reminder.kind == "day"))

    def moved_to(start: datetime) -> ActivityData:
        return ActivityData(**{**BABBEL.__dict__, "starts_at": start,
                               "ends_at": start + timedelta(hours=1, minutes=30)})

    # Moved to a time ahead: the reminder's buttons answer for the new time.
    async with db.session() as session:
        await importer.apply(session, [moved_to(START + timedelta(hours=1))])
        await session.commit()
        refusal, view = await rsvp.view(session, reminder, people["ayse"], at(22, 12))
    assert refusal is None and view is not None
    assert view.item.starts_at == START + timedelta(hours=1)
    # Moved to a day gone by: no new time to answer for.
    async with db.session() as session:
        await importer.apply(session, [moved_to(START - timedelta(days=4))])
        await session.commit()
        refusal, _view = await rsvp.view(session, reminder, people["ayse"], at(22, 12))
    assert refusal is rsvp.Refusal.MOVED
    async with db.session() as session:
        await importer.apply(session, [BABBEL])
        await programme.cancel_occurrence(session, activity_id, START)
        await session.commit()
        refusal, _view = await rsvp.view(session, reminder, people["ayse"], at(22, 12))
    assert refusal is rsvp.Refusal.CANCELLED


async def test_a_cancelled_occurrence_takes_its_waiting_reminders_out_of_the_outbox(
        db: Database) -> None:
    activity_id, _people = await setup(db)
    assert (await hand_over(db, at(24, 18))).sent == 3  # nobody has sent them yet
    rows = await outbox_rows(db)
    assert len(rows) == 6  # the reminder and its map pin, for each parent
    # The reminder id rides on the reminder itself, not on the pin after it.
    assert sorted(r.kind for r in rows if r.reminder_id is not None) == ["text"] * 3

    async with db.session() as session:
        await programme.cancel_occurrence(session, activity_id, START)
        await session.commit()
    await plan(db, at(24, 18, 5))  # the cancellation woke the planner

    assert {(r.status, r.error) for r in await outbox_rows(db)} == {("dropped", "gone")}
    assert set((await day_reminders(db)).values()) == {("undelivered", "gone")}


async def test_i_cannot_come_takes_a_waiting_reminder_out_of_the_outbox(db: Database) -> None:
    _activity, people = await setup(db)
    await hand_over(db, at(24, 18))
    async with db.session() as session:
        ayse = await session.scalar(select(Reminder.id).where(
            Reminder.person_id == people["ayse"], Reminder.kind == "day"))
        assert ayse is not None
        refusal, _view = await rsvp.record(session, ayse, people["ayse"], Answer.NO, at(24, 18))
        assert refusal is None
        await session.commit()
    statuses = {(r.person_id, r.kind, r.status, r.error) for r in await outbox_rows(db)}
    assert statuses == {
        (people["ayse"], "text", "dropped", "not_coming"),
        (people["ayse"], "location", "dropped", "not_coming"),
        (people["els"], "text", "pending", None), (people["els"], "location", "pending", None),
        (people["jan"], "text", "pending", None), (people["jan"], "location", "pending", None),
    }
    assert (await day_reminders(db))[people["ayse"]] == ("undelivered", "not_coming")


async def drain(db: Database, fake: FakeTelegram, clock: FixedClock) -> None:
    """Run the outbox sender on the test's clock until nothing is pending or sending."""
    async with fake.bot() as bot:
        sender = OutboxSender(bot, db, clock=clock).start()
        sender.wake()
        deadline = time.monotonic() + 10
        while any(r.status in (outbox_repo.PENDING, outbox_repo.SENDING)
                  and r.not_before <= utcnow() for r in await outbox_rows(db)):
            assert time.monotonic() < deadline, [(r.status, r.error) for r in
                                                 await outbox_rows(db)]
            await asyncio.sleep(0.05)
        await sender.stop()


async def test_the_outbox_never_sends_a_reminder_late_and_marks_what_did_not_arrive(
        db: Database, fake: FakeTelegram) -> None:
    """Two hours before: Jan has blocked the bot, and Els's own quiet hours (12-14) would
    hold hers until after the start. Only Ayşe's arrives, and only hers is counted."""
    _activity, people = await setup(db)
    async with db.session() as session:
        await session.execute(delete(Reminder).where(Reminder.kind == "day"))  # not in play
        els = await session.get(Person, people["els"])
        assert els is not None
        els.quiet_hours = "12-14"
        await session.commit()
    fake.block_chat(8802)
    # Handed over at 11:30, before Els's quiet hours; sent at 12:05, in them.
    assert (await hand_over(db, at(25, 11, 30))).sent == 3
    await drain(db, fake, FixedClock(at(25, 12, 5)))

    assert fake.sent_count_per_chat() == {8800: 2}  # Ayşe: the reminder and its map pin
    async with db.session() as session:
        found = {r.person_id: (r.status, r.reason) for r in await session.scalars(
            select(Reminder).where(Reminder.kind == "2h"))}
        assert found == {people["ayse"]: ("sent", None),
                         people["els"]: ("undelivered", "expired"),
                         people["jan"]: ("undelivered", "blocked")}
        [figures] = await rsvp.overview(session, at(25, 12, 5))
        assert figures.reached == 1


async def test_a_reminder_claimed_after_the_start_is_dropped(
        db: Database, fake: FakeTelegram) -> None:
    await setup(db)
    await hand_over(db, at(24, 18))
    await drain(db, fake, FixedClock(at(25, 13, 30)))  # the sender was down until the start
    assert fake.sent_count_per_chat() == {}
    assert {(r.status, r.error) for r in await outbox_rows(db)} == {("dropped", "expired")}
    assert set((await day_reminders(db)).values()) == {("undelivered", "expired")}


async def test_where_a_reminded_parent_answers_after_a_move(db: Database) -> None:
    """``where_now``: through the moves told to the parent; a move not told yet as the
    planner will follow it; told it no longer takes place: nowhere."""
    activity_id, people = await setup(db)
    later = START + timedelta(hours=1)
    async with db.session() as session:
        await importer.apply(session, [ActivityData(**{
            **BABBEL.__dict__, "starts_at": later, "ends_at": later + timedelta(hours=1)})])
        await session.commit()
        row = await programme_repo.record_by_id(session, activity_id)
        assert row is not None
        data = activity_data(row)
        assert await reminders.where_now(session, data, START, people["ayse"],
                                         at(22, 12)) == later
        await outbox.enqueue(session, dedupe_key=reminders.moved_key(
            activity_id, START, None, people["els"]), chat_id=8801, person_id=people["els"],
            kind="text", payload={"text": "⚠️"}, group_key=f"moved:{activity_id}")
        assert await reminders.where_now(session, data, START, people["els"],
                                         at(22, 12)) is None
        assert await reminders.where_now(session, data, later, people["els"],
                                         at(22, 12)) == later  # where it is
