"""A calendar's whole-day event (an open play day): its day is never said with "00:00", and
"add to calendar" gives the parent's phone a whole-day entry, not a midnight appointment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from icalendar import Calendar

from bot.handlers.report_files import tables
from bot.handlers.rsvp import reminder_text, render_moved
from bot.i18n import use_locale
from bot.services import report
from bot.services.calendar_file import occurrence_ics
from bot.services.programme import Kind, Place, ProgrammeItem
from bot.services.reminders import Moved, ReminderKind, ReminderView
from bot.services.report import Month
from storage.db import Database
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import day_reminder_of, local, nl_reminder_id

ALL_DAY_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Brede School//Programma//NL
BEGIN:VEVENT
UID:speeldag-2026@bredeschool.example
SUMMARY:Speeldag in de wijk
CATEGORIES:open_activity,vlindertje
DTSTART;VALUE=DATE:20261125
DTEND;VALUE=DATE:20261126
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()


async def coordinator_with_play_day(chat: Chat) -> Person:
    """The coordinator, who imported a calendar with one whole-day event (25 November)."""
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=ALL_DAY_ICS)
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    return greet


async def test_add_to_calendar_of_an_all_day_event_is_an_all_day_entry(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    await coordinator_with_play_day(chat)
    els = await onboard(chat, 9304, "Els", "nl", "vlindertje")
    reminder = await day_reminder_of(bot, clock, fake, els)
    assert "Speeldag in de wijk" in reminder["text"]
    [document] = await els.taps(data=f"rv:{nl_reminder_id(reminder)}:ics")
    content = fake.file_content(document["document"]["file_id"])
    event = next(iter(Calendar.from_ical(content).walk("VEVENT")))
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    # A whole day: DTSTART;VALUE=DATE, as the coordinator's own calendar had it.
    assert not isinstance(start, datetime) and start == date(2026, 11, 25), start
    assert not isinstance(end, datetime) and end == date(2026, 11, 26), end


def test_a_timed_event_stays_timed_in_the_calendar_file() -> None:
    item = ProgrammeItem(
        activity_id=1, external_id="yoga", kind=Kind.WORKSHOP, title="Kinderyoga",
        description="", title_is_dutch_fallback=False, description_is_dutch_fallback=False,
        starts_at=datetime(2026, 11, 25, 13, 0, tzinfo=UTC),
        ends_at=datetime(2026, 11, 25, 14, 0, tzinfo=UTC), place=Place("Turnzaal"),
        school_ids=(), all_schools=True)
    event = next(iter(Calendar.from_ical(occurrence_ics(
        item, now=datetime(2026, 11, 20, tzinfo=UTC))).walk("VEVENT")))
    assert event.decoded("dtstart") == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


async def test_the_cancellation_of_an_all_day_event_shows_no_midnight_hour(
    chat: Chat, fake: FakeTelegram, db: Database, clock: FixedClock, bot: Handled
) -> None:
    greet = await coordinator_with_play_day(chat)
    ayse = await onboard(chat, 9307, "Ayşe", "tr", "vlindertje")
    reminder = await day_reminder_of(bot, clock, fake, ayse)
    await ayse.taps(data=f"rv:{nl_reminder_id(reminder)}:yes")
    clock.moment = local(24, 20).astimezone(UTC)
    [listing] = await greet.says("/activities")
    labels = [label for label, _data in fake.inline_buttons(listing)]
    assert "Speeldag in de wijk · wo 25/11" in labels, labels  # no "00:00"
    [answers] = await greet.says("/rsvps")
    assert "🗓 woensdag 25 november 2026\n✅ 1 komen" in answers["text"], answers["text"]
    await greet.taps("Speeldag in de wijk")
    await greet.taps("❌ Deze activiteit annuleren")
    confirm = fake.message(greet.id, listing["message_id"])
    assert confirm is not None
    assert confirm["text"].startswith(
        "Speeldag in de wijk annuleren op woensdag 25 november 2026?"), confirm["text"]
    await greet.taps("❌ Ja, annuleren")
    await wait_until(lambda: any(t.startswith("❌") for t in fake.texts(ayse.id)), fake)
    notice = next(t for t in fake.texts(ayse.id) if t.startswith("❌"))
    assert "25 Kasım 2026" in notice, notice
    assert "00:00" not in notice, notice


def _play_day(**changes: object) -> ProgrammeItem:
    item = ProgrammeItem(
        activity_id=1, external_id="speeldag", kind=Kind.OPEN_ACTIVITY,
        title="Speeldag in de wijk", description="", title_is_dutch_fallback=False,
        description_is_dutch_fallback=False,
        starts_at=datetime(2026, 11, 24, 23, 0, tzinfo=UTC),  # 25 November, 00:00 in Brussels
        ends_at=datetime(2026, 11, 25, 23, 0, tzinfo=UTC), place=Place("Wijkcentrum"),
        school_ids=(), all_schools=True)
    return replace(item, **changes)  # type: ignore[arg-type]


def test_a_whole_day_reminder_held_until_its_morning_says_today_without_an_hour() -> None:
    """The day-before reminder held by quiet hours goes out on the day itself: "today", not
    "today at 00:00". A timed activity keeps its hour."""
    view = ReminderView(1, ReminderKind.DAY, _play_day(), "nl",
                        sent_at=datetime(2026, 11, 25, 7, 0, tzinfo=UTC))
    with use_locale("nl"):
        assert reminder_text(view).startswith("<b>🔔 Herinnering: vandaag</b>")
        timed = replace(view, item=_play_day(
            starts_at=datetime(2026, 11, 25, 13, 0, tzinfo=UTC),
            ends_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC)))
        assert reminder_text(timed).startswith("<b>🔔 Herinnering: vandaag om 14:00</b>")


def test_a_whole_day_that_no_longer_takes_place_then_is_named_without_midnight() -> None:
    text = render_moved(Moved(1, 2, "nl", datetime(2026, 11, 24, 23, 0, tzinfo=UTC), None,
                              "Speeldag in de wijk", all_day=True))[1]["text"]
    assert "woensdag 25 november 2026 gaat" in text and "00:00" not in text, text


async def test_the_reports_activity_sheet_gives_an_all_day_event_no_time(
    chat: Chat, db: Database
) -> None:
    """The coordinator's spreadsheet: the play day's Time cell is empty, not "00:00"."""
    await coordinator_with_play_day(chat)
    async with db.session() as session:
        built = await report.build(session, Month(2026, 11))
    with use_locale("nl"):
        _name, activities = tables(built)[2]
    [row] = [r for r in activities[1:] if r[3] == "Speeldag in de wijk"]
    assert (row[0], row[1]) == (date(2026, 11, 25), "")
