"""The calendar's awkward days in Brussels, as a parent and the coordinator live them.

The turn of the year (ISO week 53 of 2026: Monday 28 December to Sunday 3 January), the two
nights the clocks change in 2027 (28 March 02:00→03:00, 31 October 03:00→02:00), and the
seconds around midnight. The bot's clock is the test's (``FixedClock``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.handlers.question_texts import when_answered
from bot.handlers.rsvp import render_reminder
from bot.i18n import BRUSSELS, use_locale
from bot.scheduler.report import send_due
from bot.services import importer, reminders, rsvp
from bot.services.availability import AvailabilityMap, Level
from bot.services.programme import ActivityData, Kind, LocalText, Place, occurrences
from bot.services.reminders import QuietHours
from storage.db import Database
from storage.models import OutboxMessage, PersonSchool, Reminder, School, utcnow
from storage.models import Person as PersonRow
from tests.conftest import FixedClock
from tests.fake_telegram import FakeTelegram
from tests.helpers import Chat, Handled, Person, pa_day, pa_time
from tests.test_broadcast_e2e import wait_until
from tests.test_programme_e2e import coordinator_of, onboard
from tests.test_reminders_e2e import HEADER, nl_reminder_id, reminders_in, round_at


def bx(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
       second: int = 0) -> datetime:
    """A Brussels wall-clock moment, as aware UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BRUSSELS).astimezone(UTC)


def row(ident: str, kind: str, day: str, start: str, end: str, title: str, *,
        repeat: str = "", title_tr: str = "", title_pa: str = "") -> str:
    """A line of the coordinator's spreadsheet (CSV), for 't Vlindertje."""
    return (f'{ident};{kind};vlindertje;{day};{start};{end};"{repeat}";Zaal De Brug;;;;'
            f"{title};;{title_tr};;{title_pa};;")


NEW_YEARS_EVE = row("oudejaar", "andere", "2026-12-31", "23:30", "00:00",
                    "Oudejaarsavond samen", title_tr="Yılbaşı gecesi",
                    title_pa="ਨਵੇਂ ਸਾਲ ਦੀ ਸ਼ਾਮ")
YOGA_JANUARY = row("yoga-jan", "workshop", "2027-01-04", "14:00", "15:00", "Kinderyoga",
                   title_tr="Çocuk yogası", title_pa="ਬੱਚਿਆਂ ਦਾ ਯੋਗਾ")
# Every first Tuesday of the month: 1 December, then 5 January across the year.
MONTHLY_BABBEL = row("babbel", "ouderbabbel", "2026-09-01", "19:00", "20:30", "Ouderbabbel",
                     repeat="FREQ=MONTHLY;BYDAY=1TU;UNTIL=20270630",
                     title_tr="Veli sohbeti", title_pa="ਮਾਪਿਆਂ ਦੀ ਗੱਲਬਾਤ")
YEAR_END = [NEW_YEARS_EVE, YOGA_JANUARY, MONTHLY_BABBEL]


async def import_rows(coordinator: Person, rows: list[str]) -> None:
    content = "\n".join([HEADER, *rows]).encode()
    [reply] = await coordinator.sends("document", file_name="p.csv", mime_type="text/csv",
                                      content=content)
    assert reply["text"].startswith("Ingelezen"), reply["text"]


async def week_of(person: Person) -> str:
    [week] = await person.says("/week")
    return str(week["text"])


async def year_end_school(chat: Chat, clock: FixedClock) -> tuple[Person, Person, Person,
                                                                   Person]:
    """Today is Saturday 5 December 2026: the coordinator imports the holidays' programme;
    a Dutch, a Turkish and a Punjabi parent of 't Vlindertje."""
    clock.moment = bx(2026, 12, 5, 10)
    greet = await coordinator_of(chat)
    await import_rows(greet, YEAR_END)
    return (greet, await onboard(chat, 9701, "Els", "nl", "vlindertje"),
            await onboard(chat, 9702, "Ayşe", "tr", "vlindertje"),
            await onboard(chat, 9703, "Harpreet", "pa", "vlindertje"))


# --------------------------------------------------------------------------------------------
# the turn of the year


async def test_week_on_new_years_eve_and_new_years_day_runs_into_january(
        chat: Chat, clock: FixedClock) -> None:
    """/week on Thursday 31 December: seven days into 2027, the evening, Monday's yoga and the
    first Tuesday's ouderbabbel of January, in each parent's language. Just after midnight the
    evening is over and the seven days start on 1 January."""
    _greet, els, ayse, harpreet = await year_end_school(chat, clock)
    clock.moment = bx(2026, 12, 31, 10)
    nl = await week_of(els)
    assert nl.startswith("Programma van donderdag 31 december 2026 tot woensdag 6 januari 2027")
    assert "donderdag 31 december 2026, 23:30–24:00" in nl
    assert "maandag 4 januari 2027, 14:00–15:00" in nl
    assert "dinsdag 5 januari 2027, 19:00–20:30" in nl
    tr = await week_of(ayse)
    assert tr.startswith("31 Aralık 2026 Perşembe - 6 Ocak 2027 Çarşamba programı")
    assert "Yılbaşı gecesi" in tr and "5 Ocak 2027 Salı, 19:00–20:30" in tr
    pa = await week_of(harpreet)
    assert pa_day(date(2026, 12, 31)) in pa and pa_day(date(2027, 1, 6)) in pa
    assert f"{pa_day(date(2027, 1, 5))}, {pa_time(19)}–{pa_time(20, 30)}" in pa

    clock.moment = bx(2027, 1, 1, 0, 10)
    nl = await week_of(els)
    assert nl.startswith("Programma van vrijdag 1 januari 2027 tot donderdag 7 januari 2027")
    assert "Oudejaarsavond" not in nl  # over at midnight
    assert "Kinderyoga" in nl and "dinsdag 5 januari 2027" in nl


async def test_week_on_sunday_evening_and_just_after_midnight(
        chat: Chat, clock: FixedClock) -> None:
    """Sunday 27 December at 23:55: Sunday to Saturday; five minutes later, Monday 28
    December 00:05, the week that has just begun, Monday to Sunday 3 January."""
    _greet, els, _ayse, _harpreet = await year_end_school(chat, clock)
    clock.moment = bx(2026, 12, 27, 23, 55)
    sunday = await week_of(els)
    assert sunday.startswith("Programma van zondag 27 december 2026 tot zaterdag 2 januari 2027")
    assert "Oudejaarsavond samen" in sunday and "Kinderyoga" not in sunday
    clock.moment = bx(2026, 12, 28, 0, 5)
    monday = await week_of(els)
    assert monday.startswith("Programma van maandag 28 december 2026 tot zondag 3 januari 2027")
    assert "Oudejaarsavond samen" in monday and "Kinderyoga" not in monday


async def test_the_broadcast_of_week_53_is_28_december_to_3_january_in_three_languages(
        chat: Chat, clock: FixedClock, fake: FakeTelegram) -> None:
    """/broadcast on Sunday 27 December: next week is 28 December 2026 to 3 January 2027 (the
    ISO week 53), named by its dates in each parent's language; it holds New Year's Eve, not
    January's yoga or ouderbabbel."""
    greet, els, ayse, harpreet = await year_end_school(chat, clock)
    clock.moment = bx(2026, 12, 27, 10)
    [draft] = await greet.says("/broadcast")
    assert draft["text"].startswith(
        "📤 Het programma van volgende week, 28 december 2026 tot 3 januari 2027.")
    await greet.taps("📤 Verstuur naar 3 ouders")
    await greet.taps("✅ Ja, nu versturen")
    await wait_until(lambda: greet.last_text().startswith("Het rondsturen is klaar."), fake, 10)
    nl = els.last_text()
    assert nl.startswith("Programma van maandag 28 december 2026 tot zondag 3 januari 2027")
    assert "Oudejaarsavond samen" in nl
    assert "Kinderyoga" not in nl and "Ouderbabbel" not in nl
    assert ayse.last_text().startswith("28 Aralık 2026 Pazartesi - 3 Ocak 2027 Pazar programı")
    pa = harpreet.last_text()
    assert pa.startswith(pa_day(date(2026, 12, 28))) and pa_day(date(2027, 1, 3)) in pa
    [listing] = await greet.says("/broadcasts")
    assert "📅 Programma, week van 28 december 2026" in listing["text"]


CHRISTMAS_CAMP_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Brede School//Programma//NL
BEGIN:VEVENT
UID:kerstkamp-2026@bredeschool.example
SUMMARY:Kerstvakantiekamp
CATEGORIES:holiday_activity,vlindertje
DTSTART;VALUE=DATE:20261228
DTEND;VALUE=DATE:20270102
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n").encode()


async def test_this_weeks_broadcast_on_tuesday_holds_the_christmas_camp_still_running(
        chat: Chat, clock: FixedClock, fake: FakeTelegram) -> None:
    """A holiday camp from Monday 28 December to Friday 1 January (a calendar's all-day
    event). On Tuesday /week shows it; the coordinator's 📅 This week, from today to Sunday,
    should reach its parents too: nothing of it is over, and every activity is open."""
    clock.moment = bx(2026, 12, 5, 10)
    greet = await coordinator_of(chat)
    [reply] = await greet.sends("document", file_name="agenda.ics", mime_type="text/calendar",
                                content=CHRISTMAS_CAMP_ICS)
    assert reply["text"].startswith("Ingelezen"), reply["text"]
    els = await onboard(chat, 9711, "Els", "nl", "vlindertje")
    clock.moment = bx(2026, 12, 29, 10)
    assert "Kerstvakantiekamp" in await week_of(els)
    [draft] = await greet.says("/broadcast")
    await greet.taps("📅 Deze week")
    screen = fake.message(greet.id, draft["message_id"])
    assert screen is not None
    assert "Het bereikt 1 ouder." in screen["text"], screen["text"]


async def test_new_years_eve_reminders_and_answers_around_midnight(
        chat: Chat, clock: FixedClock, fake: FakeTelegram, bot: Handled) -> None:
    """The evening of 31 December at 23:30: the reminder of the day before (Wednesday 30
    December, 18:00) says "tomorrow"; the two-hours one would come at 21:30, in the quiet
    hours, and could only go after the start: none. An answer at 23:29:59 counts, at 23:30:01
    it has started, after midnight it is over."""
    _greet, els, ayse, _harpreet = await year_end_school(chat, clock)
    await round_at(bot, clock, bx(2026, 12, 29, 10))
    assert (await round_at(bot, clock, bx(2026, 12, 30, 17, 59))).sent == 0
    assert (await round_at(bot, clock, bx(2026, 12, 30, 18))).sent == 3
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 1
                     and len(reminders_in(fake, ayse.id)) == 1, fake)
    [reminder] = reminders_in(fake, els.id)
    assert reminder["text"].startswith("🔔 Herinnering: morgen")
    assert reminders_in(fake, ayse.id)[0]["text"].startswith("🔔 Hatırlatma: yarın")
    late = await round_at(bot, clock, bx(2026, 12, 31, 21, 30))
    assert (late.sent, late.dropped) == (0, 3)

    rid = nl_reminder_id(reminder)
    clock.moment = bx(2026, 12, 31, 23, 29, 59)
    await els.taps(data=f"rv:{rid}:yes")
    shown = fake.message(els.id, reminder["message_id"])
    assert shown is not None and "Je zei: ✅ Ik kom." in shown["text"]
    clock.moment = bx(2026, 12, 31, 23, 30, 1)
    await els.taps(data=f"rv:{rid}:no")
    assert els.alerts() == ["Deze activiteit is al begonnen. Je antwoord kan niet meer "
                            "veranderen."]
    clock.moment = bx(2027, 1, 1, 0, 0, 1)
    await els.taps(data=f"rv:{rid}:no")
    assert els.alerts() == ["Deze activiteit is voorbij."]

    # The first Tuesday of January: its reminder the evening before, Monday 4 January.
    assert (await round_at(bot, clock, bx(2027, 1, 4, 17, 59))).sent == 0
    assert (await round_at(bot, clock, bx(2027, 1, 4, 18))).sent == 3
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 2, fake)
    babbel = reminders_in(fake, els.id)[1]["text"]
    assert babbel.startswith("🔔 Herinnering: morgen") and "dinsdag 5 januari 2027" in babbel


async def test_decembers_report_comes_on_new_years_day_with_the_evening_of_the_31st(
        chat: Chat, clock: FixedClock, fake: FakeTelegram, bot: Handled) -> None:
    """On Friday 1 January from 08:00 the coordinator gets December's report by itself: the
    evening of the 31st (23:30) is December's, with the parent who said she comes."""
    assert bot.app is not None and bot.app.job_queue is not None
    bot.app.job_queue.scheduler.pause()
    greet, els, _ayse, _harpreet = await year_end_school(chat, clock)
    await round_at(bot, clock, bx(2026, 12, 29, 10))
    await round_at(bot, clock, bx(2026, 12, 30, 18))
    await wait_until(lambda: len(reminders_in(fake, els.id)) == 1, fake)
    clock.moment = bx(2026, 12, 31, 23)
    await els.taps(data=f"rv:{nl_reminder_id(reminders_in(fake, els.id)[0])}:yes")
    clock.moment = bx(2027, 1, 1, 7, 59)
    assert await send_due(bot.app) == 0
    clock.moment = bx(2027, 1, 1, 8, 5)
    mark = len(fake.transcript(greet.id))
    assert await send_due(bot.app) == 1
    photo, _xlsx, table = fake.transcript(greet.id)[mark:mark + 3]
    assert photo["caption"].startswith("📊 Rapport van december 2026\nOuders bereikt: 3 · "
                                       "Komen: 1")
    assert table["document"]["file_name"] == "brede-school-2026-12.csv"
    csv = fake.file_content(table["document"]["file_id"]).decode("utf-8-sig")
    assert "2026-12-31;23:30;Activiteit;Oudejaarsavond samen;" in csv
    assert "\r\n2027-01" not in csv  # nothing of January yet
    assert await send_due(bot.app) == 0  # once


# --------------------------------------------------------------------------------------------
# the clocks change


async def parents_with_quiet_hours(db: Database, rows: list[str], now: datetime) -> None:
    """The programme, and two Dutch parents of 't Vlindertje: Els with the usual quiet hours
    (21-08) and Jan, who chose 22-07 in /settings; the planner's round at ``now``."""
    body = "\n".join([HEADER, *rows]).encode()
    async with db.session() as session:
        outcome = await importer.import_file(session, "p.csv", body, BRUSSELS, now)
        assert outcome.errors == []
        school = await session.scalar(select(School.id).where(School.code == "vlindertje"))
        for n, (name, quiet) in enumerate([("Els", None), ("Jan", "22-07")]):
            session.add(PersonRow(telegram_id=8801 + n, first_name=name, locale="nl",
                                  role="parent", onboarded_at=utcnow(), quiet_hours=quiet,
                                  schools=[PersonSchool(school_id=school)]))
        await session.commit()
    async with db.session() as session:
        await reminders.plan(session, now)
        await session.commit()


async def handed_over(db: Database, moment: datetime) -> list[tuple[int, str]]:
    """The planner hands over what is due at ``moment``: (chat, first line) of each
    reminder it puts in the outbox."""
    async with db.session() as session:
        before = set(await session.scalars(select(OutboxMessage.id)))
        await reminders.hand_over_due(session, moment, render_reminder)
        await session.commit()
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "text")
                                     .order_by(OutboxMessage.id))
        return [(r.chat_id, json.loads(r.payload)["text"].split("\n")[0])
                for r in rows if r.id not in before]


ELS, JAN = 8801, 8802
MORGEN = "<b>🔔 Herinnering: morgen</b>"
TWO_HOURS = "<b>🔔 Herinnering: over twee uur</b>"


async def test_reminders_keep_brussels_hours_when_summer_time_starts(db: Database) -> None:
    """Sunday 28 March 2027, 02:00 becomes 03:00. Sunday's 09:30 workshop: Jan (quiet until
    07:00) gets "in two hours" at 07:30 summer time; Els (quiet until 08:00) gets it at
    08:00 as "today at 09:30". Monday's 10:00 workshop: "tomorrow" at 18:00 summer time on
    Sunday, "in two hours" at 08:00 on Monday."""
    await parents_with_quiet_hours(db, [
        row("zo", "workshop", "2027-03-28", "09:30", "10:30", "Zondag"),
        row("ma", "workshop", "2027-03-29", "10:00", "11:00", "Maandag"),
    ], bx(2027, 3, 26, 12))
    assert len(await handed_over(db, bx(2027, 3, 27, 18))) == 2  # Sunday's, the day before
    assert await handed_over(db, bx(2027, 3, 28, 7, 29)) == []
    assert await handed_over(db, bx(2027, 3, 28, 7, 30)) == [(JAN, TWO_HOURS)]
    assert await handed_over(db, bx(2027, 3, 28, 8)) == [
        (ELS, "<b>🔔 Herinnering: vandaag om 09:30</b>")]
    assert await handed_over(db, bx(2027, 3, 28, 17, 59)) == []
    assert await handed_over(db, bx(2027, 3, 28, 18)) == [(ELS, MORGEN), (JAN, MORGEN)]
    assert bx(2027, 3, 28, 18) == datetime(2027, 3, 28, 16, tzinfo=UTC)
    assert await handed_over(db, bx(2027, 3, 29, 7, 59)) == []
    assert await handed_over(db, bx(2027, 3, 29, 8)) == [(ELS, TWO_HOURS), (JAN, TWO_HOURS)]


async def test_reminders_keep_brussels_hours_when_summer_time_ends(db: Database) -> None:
    """Sunday 31 October 2027, 03:00 becomes 02:00 again. Monday's 10:00 workshop:
    "tomorrow" at 18:00 winter time on Sunday (17:00 UTC, not 16:00), "in two hours" at
    08:00 on Monday (07:00 UTC). Sunday's 09:30: Jan at 07:30, Els at 08:00."""
    await parents_with_quiet_hours(db, [
        row("zo", "workshop", "2027-10-31", "09:30", "10:30", "Zondag"),
        row("ma", "workshop", "2027-11-01", "10:00", "11:00", "Maandag"),
    ], bx(2027, 10, 29, 12))
    assert len(await handed_over(db, bx(2027, 10, 30, 18))) == 2
    assert await handed_over(db, bx(2027, 10, 31, 7, 29)) == []
    assert await handed_over(db, bx(2027, 10, 31, 7, 30)) == [(JAN, TWO_HOURS)]
    assert await handed_over(db, bx(2027, 10, 31, 8)) == [
        (ELS, "<b>🔔 Herinnering: vandaag om 09:30</b>")]
    assert await handed_over(db, datetime(2027, 10, 31, 16, 59, tzinfo=UTC)) == []
    assert await handed_over(db, datetime(2027, 10, 31, 17, tzinfo=UTC)) == [
        (ELS, MORGEN), (JAN, MORGEN)]
    assert await handed_over(db, datetime(2027, 11, 1, 6, 59, tzinfo=UTC)) == []
    assert await handed_over(db, datetime(2027, 11, 1, 7, tzinfo=UTC)) == [
        (ELS, TWO_HOURS), (JAN, TWO_HOURS)]


def test_half_past_two_on_the_nights_the_clocks_change() -> None:
    """02:30 on 28 March 2027 does not exist: the sheet says so. 02:30 on 31 October 2027
    comes twice: the activity is at the first one (summer time) and reads 02:30."""
    skipped = importer.parse_csv("\n".join([HEADER, row(
        "nacht", "andere", "2027-03-28", "02:30", "04:00", "Nacht")]).encode())
    assert [e.column for e in skipped.errors] == ["start"]
    twice = importer.parse_csv("\n".join([HEADER, row(
        "nacht", "andere", "2027-10-31", "02:30", "03:30", "Nacht")]).encode())
    assert twice.errors == []
    [night] = twice.rows
    assert night.starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert night.starts_at.astimezone(BRUSSELS).strftime("%H:%M") == "02:30"
    assert night.ends_at - night.starts_at == timedelta(hours=2)  # to 03:30 winter time


def test_quiet_hours_end_at_the_parents_hour_on_both_nights() -> None:
    """Jan chose 22-07: the night summer time starts his quiet hours still end at 07:00 (of
    summer time), the night it ends at 07:00 of winter time; the usual 21-08 likewise."""
    jan, usual = QuietHours(22, 7), QuietHours()
    for night, morning in ((bx(2027, 3, 28, 1, 30), (2027, 3, 28)),
                           (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), (2027, 10, 31)),
                           (datetime(2027, 10, 31, 1, 30, tzinfo=UTC), (2027, 10, 31))):
        assert jan.covers(night) and usual.covers(night)
        assert jan.end_after(night) == bx(*morning, 7)
        assert usual.end_after(night) == bx(*morning, 8)
    assert not jan.covers(bx(2027, 3, 28, 7)) and usual.covers(bx(2027, 3, 28, 7, 59))


def test_a_brugfiguurs_green_monday_across_the_change_and_the_parent_is_told_tomorrow() -> None:
    """The usual map (Monday–Friday 09–17 green, lunch orange, evenings and weekends red).
    A question on Sunday evening waits for Monday 09:00 Brussels time, whichever the offset,
    and the parent reads "tomorrow from 09:00" until midnight, "today" after it."""
    amap = AvailabilityMap.default()
    for sunday, monday_nine in ((bx(2027, 3, 28, 20), datetime(2027, 3, 29, 7, tzinfo=UTC)),
                                (bx(2027, 10, 31, 20), datetime(2027, 11, 1, 8, tzinfo=UTC))):
        assert amap.level_at(sunday) is Level.RED
        assert amap.next_green(sunday) == monday_nine
        assert amap.level_at(monday_nine + timedelta(hours=3)) is Level.ORANGE  # 12:00
        with use_locale("nl"):
            assert when_answered("Ayşe", monday_nine, sunday) == (
                "✅ Dankjewel! Ayşe antwoordt je morgen vanaf 09:00.")
    with use_locale("tr"):
        assert "yarın" in when_answered("Ayşe", datetime(2027, 3, 29, 7, tzinfo=UTC),
                                        bx(2027, 3, 28, 23, 59, 59))
        assert "bugün" in when_answered("Ayşe", datetime(2027, 3, 29, 7, tzinfo=UTC),
                                        bx(2027, 3, 29, 0, 0, 1))


def test_the_monthly_ouderbabbel_keeps_seven_in_the_evening_across_year_and_clocks() -> None:
    """First Tuesday of the month, 19:00: December, January across the year, April after the
    clocks went forward, November after they went back."""
    babbel = ActivityData(
        external_id="babbel", kind=Kind.OUDERBABBEL,
        starts_at=datetime(2026, 9, 1, 19, tzinfo=BRUSSELS),
        ends_at=datetime(2026, 9, 1, 20, 30, tzinfo=BRUSSELS),
        rrule="FREQ=MONTHLY;BYDAY=1TU", all_schools=True, place=Place("Zaal"),
        texts={"nl": LocalText("Ouderbabbel", "")})
    found = occurrences(babbel, bx(2026, 12, 1), bx(2027, 12, 1))
    local = [o.starts_at.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M") for o in found]
    assert local[:5] == ["2026-12-01 19:00", "2027-01-05 19:00", "2027-02-02 19:00",
                         "2027-03-02 19:00", "2027-04-06 19:00"]
    assert local[-1] == "2027-11-02 19:00"
    assert {o.ends_at - o.starts_at for o in found} == {timedelta(minutes=90)}


# --------------------------------------------------------------------------------------------
# midnight


async def test_a_whole_day_on_the_31st_takes_answers_until_midnight(db: Database) -> None:
    """Oudejaarsdag, a whole-day play day on Thursday 31 December: a "yes" at 23:59:59 still
    counts; at 00:00:01 on 1 January the day is over."""
    start = datetime(2026, 12, 31, tzinfo=BRUSSELS)
    play_day = ActivityData(
        external_id="speeldag-oudejaar", kind=Kind.OPEN_ACTIVITY, starts_at=start,
        ends_at=start + timedelta(days=1), all_schools=True, place=Place("Wijkcentrum"),
        texts={"nl": LocalText("Speeldag", "")})
    async with db.session() as session:
        await importer.apply(session, [play_day])
        school = await session.scalar(select(School.id).where(School.code == "vlindertje"))
        person = PersonRow(telegram_id=8870, first_name="Els", locale="nl", role="parent",
                           onboarded_at=utcnow(), schools=[PersonSchool(school_id=school)])
        session.add(person)
        await session.flush()
        await reminders.plan(session, bx(2026, 12, 28, 10))
        assert (await reminders.hand_over_due(session, bx(2026, 12, 30, 18),
                                              render_reminder)).sent == 1
        await session.commit()
        reminder_id = await session.scalar(select(Reminder.id).where(
            Reminder.person_id == person.id))
        parent = person.id
    assert reminder_id is not None
    async with db.session() as session:
        refusal, _view, change = await rsvp.decide(
            session, reminder_id, parent, reminders.Answer.YES, bx(2026, 12, 31, 23, 59, 59))
    assert refusal is None and change is not None
    async with db.session() as session:
        refusal, _view, change = await rsvp.decide(
            session, reminder_id, parent, reminders.Answer.YES, bx(2027, 1, 1, 0, 0, 1))
    assert refusal is rsvp.Refusal.OVER and change is None


def test_new_years_eve_until_half_past_midnight_can_be_put_in_the_sheet() -> None:
    """The coordinator's sheet has one date per row: a New Year's Eve gathering from 23:30 to
    00:30 can only mean half past midnight that night. The row should be read so, as an end
    at 00:00 already is, not refused ("the end is not after the start")."""
    result = importer.parse_csv("\n".join([HEADER, row(
        "oudejaar", "andere", "2026-12-31", "23:30", "00:30", "Oudejaarsavond")]).encode())
    assert result.errors == []
    [evening] = result.rows
    assert evening.ends_at == datetime(2027, 1, 1, 0, 30, tzinfo=BRUSSELS)
