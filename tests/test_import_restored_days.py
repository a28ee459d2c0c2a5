"""A day (or a whole activity) brought back in the bot is not cancelled again by a file that
still says it is off: cancelled_dates, a calendar's EXDATE, or its STATUS:CANCELLED. What is
remembered (activity_restorations) is forgotten when it is cancelled again, in the bot or by
the whole activity called off, and when the file no longer says it is off. The end-to-end
side (what the coordinator reads, who is told): test_import_restored_days_e2e.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS
from bot.services import cancellation, importer
from bot.services import programme as programme_service
from bot.services.importer import ImportSummary
from bot.services.importer.store import Kept, brought_back
from bot.services.programme import ActivityData, ProgrammeItem
from storage.db import Database
from storage.models import Activity, ActivityCancellation, ActivityRestoration

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # the conftest clock: Sunday 22 November


def local(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BRUSSELS).astimezone(UTC)


WED_25, WED_2 = local(25, 14), local(2, 14, month=12)
HEADER = "id;kind;schools;date;start;end;repeat;title_nl;cancelled_dates"


def sheet(cancelled: str) -> bytes:
    """Yoga every Wednesday at Het Wijdeland, off on the ``cancelled`` days."""
    return (f"{HEADER}\nyoga;workshop;wijdeland;2026-11-04;14:00;15:00;"
            f'"FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216";Kinderyoga;{cancelled}\n').encode()


def calendar(*extra: str, exdate: str = "") -> bytes:
    """The same yoga as a calendar event; ``extra`` lines (STATUS:CANCELLED), EXDATE days."""
    lines = ["UID:yoga", "SUMMARY:Kinderyoga", "CATEGORIES:workshop,wijdeland",
             "DTSTART;TZID=Europe/Brussels:20261104T140000",
             "DTEND;TZID=Europe/Brussels:20261104T150000",
             "RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216", *extra]
    if exdate:
        lines.append(f"EXDATE;TZID=Europe/Brussels:{exdate}")
    body = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT",
                      "DTSTAMP:20261101T000000Z", *lines, "END:VEVENT", "END:VCALENDAR", ""])
    return body.replace("\n", "\r\n").encode()


def good_news(locale: str, item: ProgrammeItem) -> str:
    return f"✅ {item.title}"


async def send(session: AsyncSession, data: bytes, name: str = "programma.csv",
               now: datetime = NOW) -> ImportSummary:
    outcome = await importer.import_file(session, name, data, now=now)
    assert outcome.errors == [] and outcome.summary is not None
    await session.commit()
    return outcome.summary


async def yoga(session: AsyncSession) -> ActivityData:
    found = await session.scalar(select(Activity.id).where(Activity.external_id == "yoga"))
    assert found is not None
    data = await cancellation.load(session, found)
    assert data is not None
    return data


async def undo(session: AsyncSession, start: datetime, which: str = cancellation.ONE) -> None:
    """✅ Not cancelled after all, as /activities does it."""
    data = await yoga(session)
    assert cancellation.can_undo(data, start, NOW, BRUSSELS, which)
    assert await cancellation.undo(session, data, start, NOW, good_news, BRUSSELS, which)
    await session.commit()


async def is_open(session: AsyncSession, start: datetime) -> bool:
    return cancellation.is_open(await yoga(session), start)


async def remembered(session: AsyncSession) -> list[datetime | None]:
    return list(await session.scalars(select(ActivityRestoration.occurrence_start)
                                      .order_by(ActivityRestoration.id)))


async def test_a_day_brought_back_is_not_cancelled_again_by_the_same_file(db: Database) -> None:
    async with db.session() as session:
        await send(session, sheet(""))
        first = await send(session, sheet("2026-11-25"))
        activity = (await yoga(session)).id
        assert first.cancelled == ((activity, WED_25),)
        await undo(session, WED_25)
        assert await is_open(session, WED_25)
        assert await remembered(session) == [WED_25]

        again = await send(session, sheet("2026-11-25"))
        assert again.cancelled == ()  # nobody is told it is off
        assert again == ImportSummary(0, 0, 1, days_brought_back=(("Kinderyoga", WED_25),))
        assert await is_open(session, WED_25)
        # Every import says so again, while the file still lists it.
        third = await send(session, sheet("2026-11-25 2026-12-02"))
        assert third.cancelled == ((activity, WED_2),)  # another day: cancelled as usual
        assert third.days_brought_back == (("Kinderyoga", WED_25),)
        assert await is_open(session, WED_25) and not await is_open(session, WED_2)
        assert await remembered(session) == [WED_25]


async def test_cancelled_again_in_the_bot_the_usual_rules_hold_again(db: Database) -> None:
    async with db.session() as session:
        await send(session, sheet("2026-11-25"))
        await undo(session, WED_25)
        data = await yoga(session)
        assert data.id is not None
        assert await programme_service.cancel_occurrence(session, data.id, WED_25)
        await session.commit()

        again = await send(session, sheet("2026-11-25"))
        assert again == ImportSummary(0, 0, 1)  # cancelled already, nothing to say
        assert not await is_open(session, WED_25)
        assert await remembered(session) == []
        # Brought back once more: remembered once more.
        await undo(session, WED_25)
        third = await send(session, sheet("2026-11-25"))
        assert (third.cancelled, third.days_brought_back) == ((), (("Kinderyoga", WED_25),))
        assert await remembered(session) == [WED_25]


async def test_a_file_that_no_longer_lists_the_day_forgets_it(db: Database) -> None:
    """File and bot agree: a later file that lists the day again (it is off after all)
    cancels it, as any day."""
    async with db.session() as session:
        await send(session, sheet("2026-11-25"))
        await undo(session, WED_25)
        fixed = await send(session, sheet(""))
        assert fixed == ImportSummary(0, 0, 1)
        assert await remembered(session) == []
        off = await send(session, sheet("2026-11-25"))
        assert off.cancelled == (((await yoga(session)).id, WED_25),)
        assert off.days_brought_back == ()


async def test_a_day_over_stays_as_it_was_and_is_not_named(db: Database) -> None:
    async with db.session() as session:
        await send(session, sheet("2026-11-25"))
        await undo(session, WED_25)
        later = await send(session, sheet("2026-11-25"), now=local(26, 9))
        assert later == ImportSummary(0, 0, 1)  # it took place: not cancelled, not named
        assert await is_open(session, WED_25)


async def test_the_whole_activity_called_off_forgets_its_days(db: Database) -> None:
    """Brought back, then called off "every time" and brought back as a whole: the day the
    spreadsheet lists is cancelled again (a spreadsheet never calls a whole activity off,
    and what the whole activity's call-off forgot is forgotten)."""
    async with db.session() as session:
        await send(session, sheet("2026-11-25"))
        await undo(session, WED_25)
        data = await yoga(session)
        assert data.id is not None
        assert await programme_service.cancel_activity(session, data.id)
        await session.commit()
        await undo(session, WED_25, cancellation.EVERY)
        assert await remembered(session) == [None]  # the whole activity, nothing else

        again = await send(session, sheet("2026-11-25"))
        assert again.cancelled == ((data.id, WED_25),)
        assert (again.days_brought_back, again.brought_back) == ((), ())
        assert await remembered(session) == []
        assert (await yoga(session)).cancelled_at is None  # still on as a whole


async def test_a_calendar_exdate_is_a_cancelled_date_too(db: Database) -> None:
    async with db.session() as session:
        await send(session, calendar(), "agenda.ics")
        first = await send(session, calendar(exdate="20261125T140000"), "agenda.ics")
        assert first.cancelled == (((await yoga(session)).id, WED_25),)
        await undo(session, WED_25)
        again = await send(session, calendar(exdate="20261125T140000"), "agenda.ics")
        assert (again.cancelled, again.days_brought_back) == ((), (("Kinderyoga", WED_25),))
        assert await is_open(session, WED_25)


async def test_a_calendar_that_still_calls_the_activity_off_does_not_again(
        db: Database) -> None:
    async with db.session() as session:
        await send(session, calendar(), "agenda.ics")
        off = await send(session, calendar("STATUS:CANCELLED"), "agenda.ics")
        activity = (await yoga(session)).id
        assert off.cancelled == ((activity, None),)
        await undo(session, WED_25, cancellation.EVERY)

        again = await send(session, calendar("STATUS:CANCELLED"), "agenda.ics")
        assert again == ImportSummary(0, 0, 1, brought_back=("Kinderyoga",))
        assert (await yoga(session)).cancelled_at is None
        # Taken out of the calendar: forgotten; put back: called off as usual.
        assert await send(session, calendar(), "agenda.ics") == ImportSummary(0, 0, 1)
        assert await remembered(session) == []
        back = await send(session, calendar("STATUS:CANCELLED"), "agenda.ics")
        assert back.cancelled == ((activity, None),) and back.brought_back == ()
        # Called off again (by the file, or in the bot): brought back once more, remembered
        # once more; the days it lists and that were brought back stay too.
        await undo(session, WED_25, cancellation.EVERY)
        again = await send(session, calendar("STATUS:CANCELLED", exdate="20261125T140000"),
                           "agenda.ics")
        assert again.cancelled == ((activity, WED_25),)  # a day never brought back
        await undo(session, WED_25)
        third = await send(session, calendar("STATUS:CANCELLED", exdate="20261125T140000"),
                           "agenda.ics")
        assert (third.cancelled, third.brought_back, third.days_brought_back) == (
            (), ("Kinderyoga",), (("Kinderyoga", WED_25),))
        assert set(await remembered(session)) == {None, WED_25}


async def test_a_calendar_move_from_a_day_brought_back_is_no_move(db: Database) -> None:
    """Wednesday 25 changed on its own to Thursday 26 in the calendar, then brought back in
    the bot: the day takes place, so the calendar sent again moves nobody's answer."""
    moved_once = "\n".join([
        "END:VEVENT", "BEGIN:VEVENT", "DTSTAMP:20261101T000000Z", "UID:yoga",
        "RECURRENCE-ID;TZID=Europe/Brussels:20261125T140000", "SUMMARY:Kinderyoga",
        "CATEGORIES:workshop,wijdeland", "DTSTART;TZID=Europe/Brussels:20261126T160000",
        "DTEND;TZID=Europe/Brussels:20261126T170000"])
    async with db.session() as session:
        first = await send(session, calendar(moved_once), "agenda.ics")
        assert len(first.moved) == 1 and first.cancelled == ()
        await undo(session, WED_25)
        again = await send(session, calendar(moved_once), "agenda.ics")
        assert again.moved == () and again.cancelled == ()
        assert again.days_brought_back == (("Kinderyoga", WED_25),)


def test_what_stays_brought_back_and_what_is_forgotten() -> None:
    """The rule as a plain function: kept while the file says it is off and the bot has not
    cancelled it again."""
    row = Activity(id=1, external_id="yoga", cancelled_at=None, cancellations=[])
    day, whole = (ActivityRestoration(activity_id=1, occurrence_start=WED_25),
                  ActivityRestoration(activity_id=1, occurrence_start=None))
    listed = ActivityData(external_id="yoga", kind=programme_service.Kind.WORKSHOP,
                          starts_at=local(4, 14), ends_at=local(4, 15),
                          rrule="FREQ=WEEKLY;BYDAY=WE", cancelled_starts=frozenset({WED_25}))
    assert brought_back(row, listed, [day]) == (Kept(frozenset({WED_25.date()})), [])
    unlisted = ActivityData(external_id="yoga", kind=programme_service.Kind.WORKSHOP,
                            starts_at=local(4, 14), ends_at=local(4, 15),
                            rrule="FREQ=WEEKLY;BYDAY=WE")
    assert brought_back(row, unlisted, [day, whole]) == (Kept(), [day, whole])
    off = replace(listed, cancelled=True)
    assert brought_back(row, off, [day, whole]) == (
        Kept(frozenset({WED_25.date()}), whole=True), [])
    assert brought_back(row, off, [day]) == (Kept(), [day])  # called off now: forgotten
    row.cancellations = [ActivityCancellation(occurrence_start=WED_25 + timedelta(hours=1))]
    assert brought_back(row, listed, [day]) == (Kept(), [day])  # cancelled again that day
    row.cancellations, row.cancelled_at = [], NOW
    assert brought_back(row, off, [day, whole]) == (Kept(), [day, whole])


async def test_the_rows_go_with_their_activity(db: Database) -> None:
    async with db.session() as session:
        await send(session, sheet("2026-11-25"))
        await undo(session, WED_25)
        await session.execute(text("DELETE FROM activities"))
        await session.commit()
        assert await session.scalar(
            select(func.count()).select_from(ActivityRestoration)) == 0
