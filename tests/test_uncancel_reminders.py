"""A cancelled day that goes ahead after all gets its reminders back: which come back, which
one goes late (one per parent, none once the day has begun), and who of those who heard of the
cancellation is told at once. The rules as plain functions, then ``bring_back`` on a database
without the Application (the planner's hand-over run by hand, on the test's moments)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.services import cancellation, programme, reminders
from bot.services.broadcast import Recipient
from bot.services.programme import Kind
from bot.services.reminders import QuietHours, ReminderKind, late_kind
from storage import outbox as outbox_repo
from storage.db import Database
from storage.models import OutboxMessage, Person, PersonSchool, Reminder, School
from tests.test_reminder_delivery import START, at, hand_over, outbox_rows, setup

WEEK, DAY, TWO = ReminderKind.WEEK, ReminderKind.DAY, ReminderKind.TWO_HOURS
USUAL = QuietHours()
NONE = QuietHours(0, 0)


# --------------------------------------------------------------------------------------------
# the rules


def test_one_late_reminder_the_latest_kind_that_passed() -> None:
    assert late_kind([DAY], [], START, at(25, 9), USUAL) is DAY
    assert late_kind([DAY, WEEK], [], START, at(25, 9), USUAL) is DAY
    assert late_kind([WEEK], [at(24, 18)], START, at(22, 10), USUAL) is WEEK
    assert late_kind([], [at(25, 11, 30)], START, at(25, 9), USUAL) is None


def test_no_late_reminder_once_the_day_has_begun() -> None:
    assert late_kind([DAY, TWO], [], START, START, USUAL) is None
    assert late_kind([DAY, TWO], [], START, START + timedelta(minutes=1), USUAL) is None
    assert late_kind([TWO], [], START, START - timedelta(minutes=1), NONE) is TWO


def test_no_late_reminder_when_the_next_one_comes_within_the_hour() -> None:
    two_hours = START - timedelta(hours=2)  # 11:30
    assert late_kind([DAY], [two_hours], START, at(25, 10, 30), USUAL) is None
    assert late_kind([DAY], [two_hours], START, at(25, 10, 29), USUAL) is DAY
    # At 22:00 in the usual quiet hours the late one would go at 08:00, with a two-hours
    # reminder of a 09:30 activity (07:30, also held until 08:00): that one says it.
    early = datetime(2026, 11, 25, 9, 30, tzinfo=START.tzinfo)
    assert late_kind([DAY], [early - timedelta(hours=2)], early, at(24, 22), USUAL) is None
    # A parent who takes messages at any hour gets the late one now, at 22:00.
    assert late_kind([DAY], [early - timedelta(hours=2)], early, at(24, 22), NONE) is DAY


def test_those_who_said_they_come_are_told_at_once_the_others_offered() -> None:
    ayse, els, jan = (Recipient(n, 100 + n, "nl", frozenset({1})) for n in (1, 2, 3))
    heard = cancellation.split_heard([ayse, els], [ayse, jan])  # Jan never heard of it
    assert heard.coming == [ayse] and heard.others == [els]


# --------------------------------------------------------------------------------------------
# bring_back, on a database


async def statuses(db: Database, kind: str) -> dict[int, tuple[str, str | None]]:
    async with db.session() as session:
        rows = await session.scalars(select(Reminder).where(Reminder.kind == kind))
        return {r.person_id: (r.status, r.reason) for r in rows}


async def cancel(db: Database, activity_id: int, moment: datetime) -> None:
    """Cancelled, and the planner's round that follows (it drops what waits in the outbox)."""
    async with db.session() as session:
        await programme.cancel_occurrence(session, activity_id, START)
        await session.commit()
    async with db.session() as session:
        await reminders.plan(session, moment)
        await session.commit()


async def undo(db: Database, activity_id: int, moment: datetime) -> reminders.BroughtBack:
    async with db.session() as session:
        assert await programme.uncancel_occurrence(session, activity_id, START)
        back = await reminders.bring_back(session, activity_id, START, moment)
        await session.commit()
        return back


async def test_the_reminders_the_cancellation_took_come_back_once(db: Database) -> None:
    """Tuesday 18:00 the day-before reminders go to the outbox; Ayşe's is delivered, Els's
    and Jan's still wait when the day is cancelled. Undone on Wednesday at 09:00: Els and Jan
    get theirs, late, once; Ayşe's is not sent again; the two-hours ones are planned."""
    activity_id, people = await setup(db)
    assert (await hand_over(db, at(24, 18))).sent == 3
    async with db.session() as session:
        for n, row_id in enumerate(await session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.person_id == people["ayse"]))):  # the reminder and its map pin
            await outbox_repo.mark_sent(session, row_id, telegram_message_id=n + 1,
                                        now=at(24, 18))
        await session.commit()
    await cancel(db, activity_id, at(24, 18, 5))
    assert await statuses(db, "day") == {people["ayse"]: ("sent", None),
                                         people["els"]: ("undelivered", "gone"),
                                         people["jan"]: ("undelivered", "gone")}
    assert set((await statuses(db, "2h")).values()) == {("obsolete", None)}

    back = await undo(db, activity_id, at(25, 9))
    assert (back.late, back.superseded) == (2, 0)
    assert await statuses(db, "day") == {people["ayse"]: ("sent", None),
                                         people["els"]: ("planned", None),
                                         people["jan"]: ("planned", None)}
    assert set((await statuses(db, "2h")).values()) == {("planned", None)}
    # The dropped rows are set apart under other keys: the reminder's own are free again.
    dropped = [r for r in await outbox_rows(db) if r.status == "dropped"]
    assert len(dropped) == 4 and {r.error for r in dropped} == {"undone"}
    assert all(r.dedupe_key.rsplit(":", 1)[-1] == f"u{r.id}" for r in dropped)

    result = await hand_over(db, at(25, 9))
    assert result.sent == 2 and result.skipped == 0
    pending = [r for r in await outbox_rows(db) if r.status == "pending"]
    assert sorted(r.person_id for r in pending if r.kind == "text") == sorted(
        [people["els"], people["jan"]])
    assert all(r.dedupe_key.startswith("reminder:") and ":u" not in r.dedupe_key
               for r in pending)
    # Brought back again (a second tap, a second round): nothing more.
    async with db.session() as session:
        again = await reminders.bring_back(session, activity_id, START, at(25, 9, 1))
        await session.commit()
    assert (again.late, again.superseded) == (0, 0)
    assert (await hand_over(db, at(25, 9, 1))).sent == 0


async def test_nothing_comes_back_once_the_day_has_begun(db: Database) -> None:
    activity_id, _people = await setup(db)
    await cancel(db, activity_id, at(24, 17))
    async with db.session() as session:
        back = await reminders.bring_back(session, activity_id, START, START)
        await session.commit()
    assert (back.late, back.superseded) == (0, 0)
    assert set((await statuses(db, "day")).values()) == {("obsolete", None)}
    assert (await hand_over(db, START)).sent == 0
    # Still cancelled: nothing comes back either.
    async with db.session() as session:
        await reminders.bring_back(session, activity_id, START, at(25, 9))
        await session.commit()
    assert set((await statuses(db, "day")).values()) == {("obsolete", None)}


async def test_never_planned_ones_are_planned_the_passed_ones_for_who_had_joined(
        db: Database) -> None:
    """Cancelled before any reminder was planned; the coordinator wants a week-ahead one for
    ouderbabbels too. Undone on Tuesday at 20:00: of the week's and the day's (both passed)
    each parent gets the day's, late; the two-hours one is planned; a parent who joined on
    Tuesday at 19:00 did not have the passed ones coming, and gets only the two-hours one."""
    activity_id, people = await setup(db)
    async with db.session() as session:
        await session.execute(Reminder.__table__.delete())
        await session.execute(update(Person).values(onboarded_at=at(15, 10)))
        await reminders.set_reminder_kind(session, Kind.OUDERBABBEL, WEEK, on=True)
        await programme.cancel_occurrence(session, activity_id, START)
        school = await session.scalar(select(School.id).where(School.code == "wijdeland"))
        assert school is not None
        late_comer = Person(telegram_id=8899, first_name="Fatma", locale="tr", role="parent",
                            onboarded_at=at(24, 19), schools=[PersonSchool(school_id=school)])
        session.add(late_comer)
        await session.commit()
        fatma = late_comer.id
    back = await undo(db, activity_id, at(24, 20))
    assert (back.late, back.superseded) == (3, 3)
    assert set((await statuses(db, "week")).values()) == {("skipped", "superseded")}
    assert await statuses(db, "day") == {people[name]: ("planned", None)
                                         for name in ("ayse", "els", "jan")}
    assert set(await statuses(db, "2h")) == {*people.values(), fatma}
    result = await hand_over(db, at(24, 20))
    assert result.sent == 3
