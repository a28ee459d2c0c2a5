"""The monthly report: on a seeded October 2026, every figure of the workbook is the one
counted by hand below; the CSV holds the same; the chart is a picture; no cell names a parent.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.handlers.programme_text import KIND_LABELS
from bot.handlers.report import parse_month
from bot.handlers.report_files import csv_bytes, report_files
from bot.i18n import BRUSSELS, _, use_locale
from bot.scheduler.report import due_month
from bot.services import people, report
from bot.services.programme import ActivityData, Kind
from bot.services.report import Month
from bot.services.roles import Role
from bot.services.rsvp import called_off
from storage import people as people_repo
from storage.db import Database
from storage.models import (
    Activity,
    ActivityCancellation,
    ActivitySchool,
    ActivityText,
    MonthlyCount,
    Person,
    PersonSchool,
    Question,
    Reminder,
    Rsvp,
    School,
)

OCTOBER = Month(2026, 10)
# Parents' first names and Telegram ids: none of them may show up in a report.
PARENTS = {
    "p1": ("Zeynep", 910000001, "tr", ("klimop",), (2026, 10, 3), None),
    "p2": ("Harpreet", 910000002, "pa", ("klimop", "wijdeland"), (2026, 9, 15), None),
    "p3": ("Elske", 910000003, "nl", ("wijdeland",), (2026, 10, 10), (2026, 10, 20)),
    "p4": ("Ayşegül", 910000004, "tr", ("debrug",), (2026, 8, 1), None),
    # Erases their data on 28 October: only counts remain.
    "p5": ("Gurpreet", 910000005, "pa", ("debrug",), (2026, 10, 5), (2026, 10, 6)),
}
STAFF = ("Fatmagül", 910000099)


def local(*parts: int) -> datetime:
    """A Brussels wall-clock time, as aware UTC."""
    return datetime(*parts, tzinfo=BRUSSELS).astimezone(UTC)  # type: ignore[misc]


def activity(external_id: str, kind: Kind, title: str, start: datetime, schools: list[int],
             *, rrule: str | None = None, cancelled: tuple[datetime, ...] = ()) -> Activity:
    return Activity(
        external_id=external_id, kind=kind.value, starts_at=start,
        ends_at=start + timedelta(hours=1), rrule=rrule, all_schools=not schools,
        schools=[ActivitySchool(school_id=s) for s in schools],
        texts=[ActivityText(locale="nl", title=title, description="")],
        cancellations=[ActivityCancellation(occurrence_start=c) for c in cancelled])


async def seed_october(db: Database) -> dict[str, int]:
    """Parents, activities, reminders, RSVPs and questions around October 2026; returns the
    person ids by key ("p1"...) and the school ids by code."""
    ids: dict[str, int] = {}
    async with db.session() as session:
        schools = {s.code: s.id for s in await session.scalars(select(School))}
        ids.update(schools)
        for key, (name, tg, locale, codes, joined, stopped) in PARENTS.items():
            person = Person(telegram_id=tg, first_name=name, locale=locale, role="parent",
                            onboarded_at=local(*joined, 12),
                            stopped_at=local(*stopped, 12) if stopped else None,
                            schools=[PersonSchool(school_id=schools[c]) for c in codes])
            session.add(person)
            await session.flush()
            ids[key] = person.id
        session.add(Person(telegram_id=STAFF[1], first_name=STAFF[0], locale="tr",
                           role="brugfiguur", onboarded_at=local(2026, 10, 2, 9)))
        k, w, d = schools["klimop"], schools["wijdeland"], schools["debrug"]
        a1 = activity("yoga", Kind.WORKSHOP, "Kinderyoga", local(2026, 10, 14, 14, 0), [k])
        # Every Tuesday from 6 October, four times; not on 20 October.
        a2 = activity("babbel", Kind.OUDERBABBEL, "Ouderbabbel", local(2026, 10, 6, 9, 0), [],
                      rrule="FREQ=WEEKLY;COUNT=4", cancelled=(local(2026, 10, 20, 9, 0),))
        # Half past midnight on 1 October in Brussels: still 30 September in UTC.
        a3 = activity("nacht", Kind.OPEN_ACTIVITY, "Nachtwandeling", local(2026, 10, 1, 0, 30),
                      [w, d])
        a4 = activity("kamp", Kind.HOLIDAY_ACTIVITY, "Herfstkamp", local(2026, 11, 2, 10, 0), [w])
        a5 = activity("feest", Kind.OTHER, "Septemberfeest", local(2026, 9, 20, 15, 0), [k])
        session.add_all([a1, a2, a3, a4, a5])
        await session.flush()
        p = ids

        def reminder(a: Activity, start: datetime, who: str, kind: str, status: str) -> Reminder:
            return Reminder(activity_id=a.id, occurrence_start=start, person_id=p[who],
                            kind=kind, due_at=start - timedelta(days=1), status=status)

        oct1, oct6, oct13 = local(2026, 10, 1, 0, 30), local(2026, 10, 6, 9), local(2026, 10, 13, 9)
        oct14, oct27 = local(2026, 10, 14, 14), local(2026, 10, 27, 9)
        sep20, nov2 = local(2026, 9, 20, 15), local(2026, 11, 2, 10)
        session.add_all([
            reminder(a1, oct14, "p1", "day", "sent"), reminder(a1, oct14, "p1", "2h", "sent"),
            reminder(a1, oct14, "p2", "day", "sent"), reminder(a1, oct14, "p2", "2h", "skipped"),
            reminder(a2, oct6, "p1", "day", "sent"), reminder(a2, oct6, "p3", "day", "sent"),
            reminder(a2, oct6, "p4", "day", "sent"), reminder(a2, oct6, "p5", "day", "sent"),
            reminder(a2, oct13, "p4", "day", "sent"), reminder(a2, oct13, "p2", "day", "planned"),
            reminder(a2, oct27, "p3", "day", "skipped"),
            reminder(a2, oct27, "p1", "day", "dropped"),
            reminder(a3, oct1, "p3", "day", "sent"), reminder(a3, oct1, "p4", "day", "sent"),
            reminder(a4, nov2, "p2", "week", "sent"),
            reminder(a5, sep20, "p1", "day", "sent"), reminder(a5, sep20, "p2", "day", "sent"),
        ])

        def rsvp(a: Activity, start: datetime, who: str, answer: str,
                 children: int | None = None) -> Rsvp:
            return Rsvp(activity_id=a.id, occurrence_start=start, person_id=p[who],
                        answer=answer, children=children)

        session.add_all([
            rsvp(a1, oct14, "p1", "yes", 2), rsvp(a1, oct14, "p2", "no"),
            rsvp(a2, oct6, "p1", "yes"), rsvp(a2, oct6, "p3", "maybe"), rsvp(a2, oct6, "p4", "yes"),
            rsvp(a2, oct6, "p5", "yes"),
            rsvp(a2, oct13, "p4", "no"), rsvp(a3, oct1, "p3", "yes"), rsvp(a2, oct27, "p1", "no"),
            rsvp(a5, sep20, "p1", "yes"), rsvp(a5, sep20, "p2", "yes"), rsvp(a4, nov2, "p2", "yes"),
        ])

        def question(who: str, school: str, locale: str, topic: str, opened: datetime,
                     answer_after: int | None, escalated: bool = False) -> Question:
            return Question(
                parent_id=p[who], school_id=schools[school], locale=locale, topic=topic,
                status="open", created_at=opened, opened_at=opened,
                first_answer_at=opened + timedelta(minutes=answer_after)
                if answer_after is not None else None,
                escalated_at=opened + timedelta(hours=4) if escalated else None)

        session.add_all([
            question("p1", "klimop", "tr", "letter", local(2026, 10, 2, 10), 30),
            question("p2", "wijdeland", "pa", "allowance", local(2026, 10, 5, 10), 90),
            question("p4", "debrug", "tr", "letter", local(2026, 10, 7, 10), 240, escalated=True),
            question("p3", "wijdeland", "nl", "childcare", local(2026, 10, 21, 10), None),
            # 23:30 on 30 September in Brussels: September, though 21:30 UTC.
            question("p1", "klimop", "tr", "school", local(2026, 9, 30, 23, 30), 10),
            question("p5", "debrug", "pa", "work", local(2026, 10, 8, 10), 5),
            Question(parent_id=p["p2"], school_id=k, locale="pa", topic="work", status="draft",
                     created_at=local(2026, 10, 9, 10)),
        ])
        await session.flush()
        # p5 erases their data on 28 October, as people.forget does (with that day's date).
        row = await session.get(Person, p["p5"])
        assert row is not None
        await report.note_erasure(session, row, local(2026, 10, 28, 12))
        await people_repo.erase(session, p["p5"])
        await session.commit()
    return ids


SCHOOL_NAMES = {
    "klimop": "Vrije basisschool Klim-op",
    "wijdeland": "Freinetschool Het Wijdeland (Brustem)",
    "debrug": "Basisschool Sint-Rita - De Brug",
}


def expected_schools(all_names: list[str]) -> list[list[object]]:
    """Per school, counted by hand: reached (distinct parents), coming, questions."""
    by_hand = {
        # Kinderyoga: p1, p2 (both Klim-op); the ouderbabbel of 6/10: p1. Coming: p1 (to
        # both: one parent, counted once, as "reached"). Questions: p1's letter.
        SCHOOL_NAMES["klimop"]: [2, 1, 1],
        # Ouderbabbel 6/10: p3; Nachtwandeling: p3 (yes). p2 is of Wijdeland too, but
        # Kinderyoga was for Klim-op only. Questions: p2's allowance, p3's childcare.
        SCHOOL_NAMES["wijdeland"]: [1, 1, 2],
        # p4 at the ouderbabbel of 6/10 (yes) and 13/10, and the Nachtwandeling; the erased
        # p5 no longer counts. Questions: p4's letter (p5's went with their data).
        SCHOOL_NAMES["debrug"]: [1, 1, 1],
    }
    return [[name, *by_hand.get(name, [0, 0, 0])] for name in all_names]


async def school_names(db: Database) -> list[str]:
    async with db.session() as session:
        return list(await session.scalars(select(School.name).order_by(School.id)))


def sheet_rows(workbook: object, index: int) -> list[list[object]]:
    sheet = workbook.worksheets[index]  # type: ignore[attr-defined]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_every_figure_of_the_workbook_is_counted_by_hand(db: Database) -> None:
    await seed_october(db)
    async with db.session() as session:
        built = await report.build(session, OCTOBER)
    with use_locale("nl"):
        files = report_files(built)
        workshop = _(KIND_LABELS[Kind.WORKSHOP][1])
        ouderbabbel = _(KIND_LABELS[Kind.OUDERBABBEL][1])
        open_activity = _(KIND_LABELS[Kind.OPEN_ACTIVITY][1])
        all_schools = _("All schools")
    book = load_workbook(io.BytesIO(files.xlsx))
    assert len(book.worksheets) == 5

    schools = sheet_rows(book, 0)
    assert len(schools[0]) == 4
    assert schools[1:] == expected_schools(await school_names(db))

    languages = sheet_rows(book, 1)
    # nl: p3 reached, coming (Nachtwandeling), one question. tr: p1 and p4 reached and
    # coming (p1 to two sessions, counted once); p1's and p4's letters. pa: p2 reached, said
    # no; one question.
    assert [row[1:] for row in languages[1:]] == [[1, 1, 1], [2, 2, 2], [1, 0, 1]]

    activities = sheet_rows(book, 2)
    assert len(activities[0]) == 13
    assert activities[1:] == [
        # date, start, kind, title, schools, reminders, reached, coming, maybe, no, children,
        # coming without a number of children, cancelled
        [datetime(2026, 10, 1), "00:30", open_activity, "Nachtwandeling",
         f"{SCHOOL_NAMES['wijdeland']}, {SCHOOL_NAMES['debrug']}", 2, 2, 1, 0, 0, 0, None, None],
        [datetime(2026, 10, 6), "09:00", ouderbabbel, "Ouderbabbel", all_schools,
         3, 3, 2, 1, 0, 0, None, None],
        [datetime(2026, 10, 13), "09:00", ouderbabbel, "Ouderbabbel", all_schools,
         1, 1, 0, 0, 1, 0, None, None],
        # Two reminders to p1 (the day before, two hours before), one to p2.
        [datetime(2026, 10, 14), "14:00", workshop, "Kinderyoga", SCHOOL_NAMES["klimop"],
         3, 2, 1, 0, 1, 2, None, None],
        # 20 October is cancelled; on the 27th (after the clocks went back) nobody was reached.
        [datetime(2026, 10, 27), "09:00", ouderbabbel, "Ouderbabbel", all_schools,
         0, 0, 0, 0, 1, 0, None, None],
    ]

    months = sheet_rows(book, 3)
    assert len(months[0]) == 22
    zero_topics, zero_languages = [0] * 8, [0, 0, 0]
    # month, reached, coming, questions, per topic (school, childcare, allowance, letter,
    # money, work, dutch, other), per language (nl, tr, pa), answered, median, p90 (minutes),
    # escalated, joined, stopped, erased
    assert months[1:] == [
        ["2026-05", 0, 0, 0, *zero_topics, *zero_languages, 0, None, None, 0, 0, 0, 0],
        ["2026-06", 0, 0, 0, *zero_topics, *zero_languages, 0, None, None, 0, 0, 0, 0],
        ["2026-07", 0, 0, 0, *zero_topics, *zero_languages, 0, None, None, 0, 0, 0, 0],
        # p4 joined on 1 August.
        ["2026-08", 0, 0, 0, *zero_topics, *zero_languages, 0, None, None, 0, 1, 0, 0],
        # Septemberfeest: p1 and p2 reached and coming; p1's question of 30/9 at 23:30,
        # answered after 10 minutes; p2 joined.
        ["2026-09", 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 10.0, 10.0, 0, 1, 0, 0],
        # Four questions (p5's went with their data, the draft is no question yet): two
        # letters, an allowance, childcare; answered after 30, 90 and 240 minutes: nearest
        # rank median 90, 90th percentile 240. Joined: p1, p3, and the erased p5 (the
        # brugfiguur is no parent). Stopped: p3, and the erased p5. Erased: p5. Coming: p1
        # (twice), p3 and p4: three parents.
        ["2026-10", 4, 3, 4, 0, 1, 1, 2, 0, 0, 0, 0, 1, 2, 1, 3, 90.0, 240.0, 1, 3, 2, 1],
    ]

    # Per school and month: nothing from May to August; in September the Septemberfeest
    # (Klim-op only) reached p1 and p2, both coming, and p1 asked on the 30th at 23:30.
    names = await school_names(db)
    september = {SCHOOL_NAMES["klimop"]: [2, 2, 1]}
    by_month = [[month, name, 0, 0, 0]
                for month in ("2026-05", "2026-06", "2026-07", "2026-08") for name in names]
    by_month += [["2026-09", name, *september.get(name, [0, 0, 0])] for name in names]
    by_month += [["2026-10", *row] for row in expected_schools(names)]
    school_months = sheet_rows(book, 4)
    assert school_months[0] == ["Maand", "School", "Ouders bereikt", "Komen", "Vragen"]
    assert school_months[1:] == by_month

    # The CSV holds the same tables, one under the other.
    rows = list(csv.reader(io.StringIO(files.csv.decode("utf-8-sig")), delimiter=";"))
    assert files.csv.startswith(b"\xef\xbb\xbf")
    assert [r for r in rows if len(r) == 22][-1] == [
        "2026-10", "4", "3", "4", "0", "1", "1", "2", "0", "0", "0", "0", "1", "2", "1", "3",
        "90", "240", "1", "3", "2", "1"]
    assert ["2026-10-14", "14:00", workshop, "Kinderyoga", SCHOOL_NAMES["klimop"],
            "3", "2", "1", "0", "1", "2", "", ""] in rows

    # The chart: a real picture, not an empty file.
    assert files.chart.startswith(b"\x89PNG\r\n\x1a\n") and len(files.chart) > 20_000
    with Image.open(io.BytesIO(files.chart)) as picture:
        assert picture.width >= 1000 and picture.height >= 1000
    assert files.xlsx_name == "brede-school-2026-10.xlsx"


async def test_no_cell_holds_a_name_or_an_id(db: Database) -> None:
    await seed_october(db)
    async with db.session() as session:
        built = await report.build(session, OCTOBER)
    forbidden = [name for name, *_rest in PARENTS.values()] + [STAFF[0]]
    forbidden += [str(tg) for _n, tg, *_rest in PARENTS.values()] + [str(STAFF[1])]
    for locale in ("nl", "tr", "pa"):
        with use_locale(locale):
            files = report_files(built)
        book = load_workbook(io.BytesIO(files.xlsx))
        cells = [str(cell) for sheet in book.worksheets
                 for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
        cells += files.csv.decode("utf-8-sig").replace("\r\n", ";").split(";")
        assert cells
        for cell in cells:
            assert not any(word in cell for word in forbidden), cell


async def test_erasing_through_forget_counts_this_month(db: Database) -> None:
    async with db.session() as session:
        person = await people.register(session, 920000001, "Noor", Role.PARENT)
        await people.finish_onboarding(session, person.id)
        await session.commit()
        await people.forget(session, person.id)
        # A brugfiguur's erasure is no parent leaving.
        staff = await people.register(session, 920000002, "Fatma", Role.BRUGFIGUUR)
        await people.finish_onboarding(session, staff.id)
        await people.forget(session, staff.id)
        await session.commit()
    now = Month.of(datetime.now(UTC))
    async with db.session() as session:
        counts = {(c.month, c.kind): c.count for c in await session.scalars(select(MonthlyCount))}
        built = await report.build(session, now)
    assert counts == {(str(now), "erased"): 1, (str(now), "erased_joined"): 1}
    assert built.this_month.erased == 1 and built.this_month.joined == 1
    assert built.this_month.stopped == 0


async def test_counters_add_up(db: Database) -> None:
    async with db.session() as session:
        for _i in range(3):
            await report.increment(session, OCTOBER, "erased")
        await report.increment(session, OCTOBER.previous(), "erased", by=2)
        await session.commit()
        rows = sorted((c.month, c.count) for c in await session.scalars(select(MonthlyCount)))
    assert rows == [("2026-09", 2), ("2026-10", 3)]


async def test_the_automatic_report_is_claimed_once_a_month(db: Database) -> None:
    async with db.session() as session:
        assert await report.monthly_enabled(session)
        assert await report.claim_monthly(session, OCTOBER)
        assert not await report.claim_monthly(session, OCTOBER)
        assert await report.claim_monthly(session, OCTOBER.shifted(1))
        await report.set_monthly(session, False)
        await session.commit()
    async with db.session() as session:
        assert not await report.monthly_enabled(session)
        assert not await report.claim_monthly(session, OCTOBER)


def test_months() -> None:
    assert Month.parse("2026-10") == OCTOBER == Month.parse(" 2026-10 ")
    assert Month.parse("2027-1") == Month(2027, 1)
    for bad in ("2026-13", "2026-00", "10-2026", "oktober", "2026/10", "1999-12", ""):
        with pytest.raises(ValueError):
            Month.parse(bad)
    assert str(Month(2027, 1).previous()) == "2026-12"
    assert Month(2026, 12).shifted(1) == Month(2027, 1)
    start, end = OCTOBER.window()
    assert start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # summer time
    assert end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # winter time
    assert Month.of(datetime(2026, 9, 30, 22, 30, tzinfo=UTC)) == OCTOBER


def test_the_month_a_coordinator_asks_for() -> None:
    november = Month(2026, 11)
    with use_locale("nl"):
        assert parse_month([], november) == OCTOBER
        assert parse_month(["2026-11"], november) == november
        assert parse_month(["2026-09"], november) == Month(2026, 9)
        for bad in (["november"], ["2026-13"], ["2026-10", "2026-11"]):
            message = parse_month(bad, november)
            assert isinstance(message, str) and "/report 2026-10" in message
        assert parse_month(["2026-12"], november) == _("That month has not begun yet.")
        # Answers are erased a year after their day: the oldest month is the one whose
        # every day is less than a year ago.
        assert parse_month(["2025-12"], november) == Month(2025, 12)
        assert parse_month(["2025-11"], november) == _(
            "That month is more than a year ago. Its answers are erased after a year, so its "
            "report would miss them.")


def test_when_the_automatic_report_is_due() -> None:
    # 1 December: from 08:00 Brussels time (07:00 UTC), November's report.
    assert due_month(datetime(2026, 12, 1, 6, 59, tzinfo=UTC), BRUSSELS) is None
    assert due_month(datetime(2026, 12, 1, 7, 0, tzinfo=UTC), BRUSSELS) == Month(2026, 11)
    # A bot that was down on the 1st still sends it in the first week, not later.
    assert due_month(datetime(2026, 12, 3, 5, 0, tzinfo=UTC), BRUSSELS) == Month(2026, 11)
    # Down over the New Year weekend (the 1st a Friday), back on Monday the 4th: still due.
    assert due_month(datetime(2027, 1, 4, 9, 0, tzinfo=UTC), BRUSSELS) == Month(2026, 12)
    assert due_month(datetime(2026, 12, 7, 22, 0, tzinfo=UTC), BRUSSELS) == Month(2026, 11)
    assert due_month(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), BRUSSELS) is None
    # 1 January: December's.
    assert due_month(datetime(2027, 1, 1, 10, 0, tzinfo=UTC), BRUSSELS) == Month(2026, 12)


async def test_a_moved_activity_keeps_the_figures_of_its_old_day(db: Database) -> None:
    await seed_october(db)
    async with db.session() as session:
        yoga = await session.scalar(select(Activity).where(Activity.external_id == "yoga"))
        assert yoga is not None
        yoga.starts_at, yoga.ends_at = local(2026, 11, 20, 14), local(2026, 11, 20, 15)
        await session.commit()
        built = await report.build(session, OCTOBER)
    [moved] = [o for o in built.occurrences if o.title_nl == "Kinderyoga"]
    assert (moved.starts_at, moved.reminders, moved.coming, moved.children) == (
        local(2026, 10, 14, 14), 3, 1, 2)
    assert [s.parents_reached for s in built.schools if s.name == SCHOOL_NAMES["klimop"]] == [2]


async def test_an_activity_called_off_every_time_keeps_the_sessions_that_took_place(
        db: Database) -> None:
    """Weekly yoga in October, called off "every time" on the 15th: the report still lists
    the sessions of the 7th and 14th, and none after."""
    async with db.session() as session:
        yoga = activity("yoga-okt", Kind.WORKSHOP, "Kinderyoga", local(2026, 10, 7, 14), [],
                        rrule="FREQ=WEEKLY;COUNT=4")
        yoga.cancelled_at = local(2026, 10, 15, 12)
        session.add(yoga)
        await session.commit()
        built = await report.build(session, OCTOBER)
    assert [(o.title_nl, o.starts_at) for o in built.occurrences] == [
        ("Kinderyoga", local(2026, 10, 7, 14)), ("Kinderyoga", local(2026, 10, 14, 14))]



async def test_a_cancelled_day_counts_nobody_as_coming(db: Database) -> None:
    """Harpreet (p2) said yes, with two children, to the ouderbabbel of 20 October, and a
    reminder of it reached her; then the day was cancelled. She is coming nowhere in the
    report; the day is listed as cancelled, with the reminder that went out."""
    ids = await seed_october(db)
    oct20 = local(2026, 10, 20, 9)
    async with db.session() as session:
        babbel = await session.scalar(select(Activity).where(Activity.external_id == "babbel"))
        assert babbel is not None
        session.add_all([
            Reminder(activity_id=babbel.id, occurrence_start=oct20, person_id=ids["p2"],
                     kind="day", due_at=oct20 - timedelta(days=1), status="sent"),
            Rsvp(activity_id=babbel.id, occurrence_start=oct20, person_id=ids["p2"],
                 answer="yes", children=2)])
        await session.commit()
        built = await report.build(session, OCTOBER)
    [cancelled] = [o for o in built.occurrences if o.starts_at == oct20]
    assert (cancelled.cancelled, cancelled.reminders, cancelled.parents_reached,
            cancelled.coming, cancelled.maybe, cancelled.not_coming, cancelled.children) == (
        True, 1, 1, 0, 0, 0, 0)
    assert not any(o.cancelled for o in built.occurrences if o.starts_at != oct20)
    # As without her "yes": Punjabi nobody coming, three parents in October, one per school.
    assert [f.coming for f in built.languages] == [1, 2, 0]
    assert built.this_month.coming == 3
    by_school = {s.name: s.coming for s in built.schools}
    assert (by_school[SCHOOL_NAMES["klimop"]], by_school[SCHOOL_NAMES["wijdeland"]]) == (1, 1)
    with use_locale("nl"):
        files = report_files(built)
    rows = sheet_rows(load_workbook(io.BytesIO(files.xlsx)), 2)
    assert rows[0][-1] == "Geannuleerd"
    [row] = [r for r in rows[1:] if r[0] == datetime(2026, 10, 20)]
    assert (row[7], row[-1]) == (0, "ja")


async def test_an_activity_called_off_every_time_counts_nobody_coming_after_it(
        db: Database) -> None:
    """Weekly yoga, called off "every time" on the 15th: a "yes" to the 21st is to a session
    that did not take place; one to the 14th, before it, counts."""
    ids = await seed_october(db)
    async with db.session() as session:
        yoga = activity("yoga-okt", Kind.WORKSHOP, "Yoga", local(2026, 10, 7, 14), [],
                        rrule="FREQ=WEEKLY;COUNT=4")
        yoga.cancelled_at = local(2026, 10, 15, 12)
        session.add(yoga)
        await session.flush()
        session.add(Rsvp(activity_id=yoga.id, occurrence_start=local(2026, 10, 21, 14),
                         person_id=ids["p2"], answer="yes", children=1))
        await session.commit()
        built = await report.build(session, OCTOBER)
        assert [f.coming for f in built.languages] == [1, 2, 0]
        session.add(Rsvp(activity_id=yoga.id, occurrence_start=local(2026, 10, 14, 14),
                         person_id=ids["p2"], answer="yes", children=1))
        await session.commit()
        again = await report.build(session, OCTOBER)
    assert [(o.starts_at.day, o.coming, o.cancelled) for o in built.occurrences
            if o.title_nl == "Yoga"] == [(7, 0, False), (14, 0, False), (21, 0, True)]
    assert [f.coming for f in again.languages] == [1, 2, 1]
    assert again.this_month.coming == 4


def test_called_off_is_the_day_or_the_whole_activity_from_then_on() -> None:
    """A day cancelled is off at whatever hour it was moved to; an activity called off as a
    whole keeps the sessions that began before."""
    weekly = ActivityData(external_id="yoga", kind=Kind.WORKSHOP,
                          starts_at=local(2026, 10, 7, 14), ends_at=local(2026, 10, 7, 15),
                          rrule="FREQ=WEEKLY;COUNT=4",
                          cancelled_starts=frozenset({local(2026, 10, 14, 9)}))
    assert called_off(weekly, local(2026, 10, 14, 14))
    assert not called_off(weekly, local(2026, 10, 7, 14))
    assert not called_off(weekly, local(2026, 10, 21, 14))
    off = replace(weekly, cancelled=True, cancelled_at=local(2026, 10, 15, 12))
    assert not called_off(off, local(2026, 10, 7, 14))
    assert called_off(off, local(2026, 10, 21, 14))
    assert called_off(replace(weekly, cancelled=True), local(2026, 10, 7, 14))

def test_the_csv_writes_decimals_as_excel_in_flanders_reads_them() -> None:
    """12.5 minutes with a dot would open as the 12th of May."""
    data = csv_bytes([("Wachttijd", [["mediaan", 12.5], ["p90", 240.0], ["dag", date(2026, 10, 14)],
                                     ["leeg", None]])])
    assert data.decode("utf-8-sig").splitlines() == [
        "Wachttijd", "mediaan;12,5", "p90;240", "dag;2026-10-14", "leeg;"]
