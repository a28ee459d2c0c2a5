"""At the edges of time (Europe/Brussels): a whole-day event's reminder and answers through its
morning, an activity of several days on /week while it runs, the night summer time ends, an
evening until midnight, and a series moved to a later hour that keeps its last day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.handlers.rsvp import render_reminder
from bot.i18n import BRUSSELS
from bot.services import activity_draft, importer, reminders, rsvp
from bot.services.programme import (
    ActivityData,
    Kind,
    LocalText,
    Place,
    next_occurrence,
    occurrences,
)
from storage.db import Database
from storage.models import Person, PersonSchool, Reminder, School, utcnow
from tests.conftest import FixedClock
from tests.helpers import Chat
from tests.test_programme_e2e import coordinator_of, onboard


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Brussels wall-clock moment in 2026, as aware UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=BRUSSELS).astimezone(UTC)


# A calendar's whole-day event: the open play day on Wednesday 25 November 2026.
PLAY_DAY_START = datetime(2026, 11, 25, tzinfo=BRUSSELS)
PLAY_DAY = ActivityData(
    external_id="speeldag", kind=Kind.OPEN_ACTIVITY, starts_at=PLAY_DAY_START,
    ends_at=PLAY_DAY_START + timedelta(days=1), all_schools=True, place=Place("Wijkcentrum"),
    texts={"nl": LocalText("Speeldag in de wijk", "")},
)


async def play_day_and_a_parent(db: Database) -> int:
    """The play day, one Dutch-speaking parent (the usual quiet hours, 21-08), and the
    planner's round on Sunday 22 November: the parent's id."""
    async with db.session() as session:
        await importer.apply(session, [PLAY_DAY])
        school = await session.scalar(select(School.id).where(School.code == "vlindertje"))
        person = Person(telegram_id=8870, first_name="Els", locale="nl", role="parent",
                        onboarded_at=utcnow(), schools=[PersonSchool(school_id=school)])
        session.add(person)
        await session.flush()
        await reminders.plan(session, at(22, 10))
        await session.commit()
        return person.id


async def test_a_whole_day_reminder_held_by_quiet_hours_goes_out_in_the_morning(
        db: Database) -> None:
    await play_day_and_a_parent(db)
    # The day-before reminder fell due Tuesday 18:00; the bot hands it over at 21:30.
    async with db.session() as session:
        late = await reminders.hand_over_due(session, at(24, 21, 30), render_reminder)
        await session.commit()
    assert late.dropped == 0, "the play day's reminder was dropped for the quiet hours"
    assert late.deferred == 1
    # The quiet hours end at 08:00 on the play day itself: it goes then, saying "today".
    async with db.session() as session:
        morning = await reminders.hand_over_due(session, at(25, 8), render_reminder)
        await session.commit()
    assert morning.sent == 1


async def test_a_parent_can_still_say_they_come_on_the_morning_of_a_whole_day_event(
        db: Database) -> None:
    parent = await play_day_and_a_parent(db)
    async with db.session() as session:
        assert (await reminders.hand_over_due(session, at(24, 18), render_reminder)).sent == 1
        await session.commit()
        reminder_id = await session.scalar(select(Reminder.id).where(
            Reminder.person_id == parent, Reminder.kind == "day"))
    assert reminder_id is not None
    async with db.session() as session:
        refusal, _view, change = await rsvp.decide(
            session, reminder_id, parent, reminders.Answer.YES, at(25, 8, 30))
    assert refusal is None, f"refused: {refusal}"
    assert change is not None


PLAY_WEEK_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Brede School//Programma//NL
BEGIN:VEVENT
UID:speelweek-2026@bredeschool.example
SUMMARY:Speelweek in de wijk
CATEGORIES:open_activity,vlindertje
DTSTART;VALUE=DATE:20261123
DTEND;VALUE=DATE:20261128
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()


async def test_week_on_wednesday_still_shows_the_play_week_that_runs_until_friday(
        chat: Chat, clock: FixedClock) -> None:
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=PLAY_WEEK_ICS)
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    els = await onboard(chat, 9811, "Els", "nl", "vlindertje")
    [sunday] = await els.says("/week")  # Sunday 22 November: it is still to come
    assert "Speelweek in de wijk" in sunday["text"]
    clock.moment = at(25, 10)  # Wednesday 25 November, 10:00: day three of five
    [wednesday] = await els.says("/week")
    assert "Speelweek in de wijk" in wednesday["text"], wednesday["text"]


def test_the_next_sleep_over_ends_at_nine_the_night_summer_time_ends() -> None:
    sleep_over = ActivityData(
        external_id="slaapfeest", kind=Kind.HOLIDAY_ACTIVITY,
        starts_at=datetime(2026, 10, 10, 19, tzinfo=BRUSSELS),
        ends_at=datetime(2026, 10, 11, 9, tzinfo=BRUSSELS),
        rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=4", all_schools=True,
        texts={"nl": LocalText("Slaapfeest", "")})
    since = datetime(2026, 10, 20, 12, tzinfo=BRUSSELS)
    [listed] = occurrences(sleep_over, since, datetime(2026, 10, 26, tzinfo=BRUSSELS))
    assert listed.ends_at == datetime(2026, 10, 25, 9, tzinfo=BRUSSELS)  # as parents read it
    coming = next_occurrence(sleep_over, since)
    assert coming is not None and coming.starts_at == listed.starts_at
    assert coming.ends_at == listed.ends_at, (
        f"ends {coming.ends_at.astimezone(BRUSSELS):%H:%M}, parents read 09:00")


def test_an_evening_activity_may_end_at_midnight() -> None:
    draft = {"kind": "ouderbabbel", "all_schools": True, "date": "2027-03-05",
             "start": "20:00"}
    data, problem = activity_draft.answer(draft, "end", "00:00", today=date(2027, 3, 1))
    assert problem is None, problem
    made = activity_draft.to_activity({**data, "texts": {"nl": {"title": "Iftar"}}}, "bot-1")
    assert made.ends_at == datetime(2027, 3, 6, tzinfo=BRUSSELS)


def test_moving_a_series_an_hour_later_keeps_its_last_day() -> None:
    yoga = ActivityData(
        external_id="yoga-outlook", kind=Kind.WORKSHOP,
        starts_at=datetime(2026, 9, 2, 14, tzinfo=BRUSSELS),
        ends_at=datetime(2026, 9, 2, 15, tzinfo=BRUSSELS),
        # As Outlook writes it: until the last one's start, 14:00 in Brussels, in UTC.
        rrule="FREQ=WEEKLY;UNTIL=20270630T120000Z;INTERVAL=1;BYDAY=WE;WKST=MO",
        all_schools=True, texts={"nl": LocalText("Kinderyoga", "")})
    june = (datetime(2027, 6, 28, tzinfo=BRUSSELS), datetime(2027, 7, 1, tzinfo=BRUSSELS))
    [last] = occurrences(yoga, *june)
    assert last.starts_at == datetime(2027, 6, 30, 14, tzinfo=BRUSSELS)
    # The coordinator changes the hours in /activity: 15:00-16:00 from now on.
    draft = activity_draft.from_activity(yoga, datetime(2026, 9, 1, tzinfo=UTC))
    moved = activity_draft.to_activity({**draft, "start": "15:00", "end": "16:00"},
                                       yoga.external_id)
    assert [o.starts_at for o in occurrences(moved, *june)] == [
        datetime(2027, 6, 30, 15, tzinfo=BRUSSELS)], "the last Wednesday is gone"


def test_a_spreadsheet_row_may_end_at_midnight() -> None:
    """In the file too: "00:00" or "24:00" after an evening start is that night's midnight;
    an end before the start on the same day is still an error."""
    from tests.test_reminders_e2e import HEADER

    def row(end: str) -> str:
        return (f"iftar-{end[:2]};ouderbabbel;alle;2027-03-05;20:00;{end};;Zaal;;;;"
                "Iftar;;;;;;")

    body = "\n".join([HEADER, row("00:00"), row("24:00")]).encode()
    result = importer.parse_csv(body)
    assert result.errors == []
    assert [r.ends_at for r in result.rows] == [datetime(2027, 3, 6, tzinfo=BRUSSELS)] * 2
    wrong = importer.parse_csv("\n".join([HEADER, row("19:00")]).encode())
    assert [e.column for e in wrong.errors] == ["end"]


def test_an_evening_into_the_night_or_the_morning_ends_the_next_day() -> None:
    """New Year's Eve from 23:30 to 00:30, a sleep-over from 19:00 to 09:00: an end before an
    evening start, until noon, is the next day's, in the file and in /activity. An afternoon
    "until 02:00" is more likely a typo, and stays refused."""
    from tests.test_reminders_e2e import HEADER

    def row(ident: str, start: str, end: str) -> str:
        return f"{ident};andere;alle;2026-12-31;{start};{end};;Zaal;;;;Samen;;;;;;"

    result = importer.parse_csv("\n".join(
        [HEADER, row("eve", "23:30", "00:30"), row("sleep", "19:00", "09:00")]).encode())
    assert result.errors == []
    assert [r.ends_at for r in result.rows] == [datetime(2027, 1, 1, 0, 30, tzinfo=BRUSSELS),
                                                datetime(2027, 1, 1, 9, tzinfo=BRUSSELS)]
    wrong = importer.parse_csv("\n".join([HEADER, row("typo", "14:00", "02:00")]).encode())
    assert [e.column for e in wrong.errors] == ["end"]

    draft = {"date": "2026-12-31", "start": "23:30"}
    data, problem = activity_draft.answer(draft, "end", "00:30")
    assert problem is None and (data["end"], data["span_days"]) == ("00:30", 1)
    # A later end of the same evening undoes the next day.
    data, problem = activity_draft.answer(data, "end", "23:45")
    assert problem is None and data["span_days"] == 0
    assert activity_draft.answer({**draft, "start": "14:00"}, "end", "02:00")[1] == (
        activity_draft.END_NOT_AFTER_START)
