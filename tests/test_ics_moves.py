"""A calendar file's changed occurrences (RECURRENCE-ID) read as moves, and schools named in
CATEGORIES by their full name. The end-to-end side (who is told what): test_ics_moves_e2e.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.i18n import BRUSSELS
from bot.services import importer
from bot.services.importer import CalendarMove, parse_ics
from bot.services.importer.ics import school_names
from storage.db import Database
from storage.models import Activity, ActivityText

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # the conftest clock: Sunday 22 November


def calendar(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\nDTSTAMP:20261101T000000Z\n{event.strip()}\nEND:VEVENT\n"
                   for event in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//review//EN\n{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def local(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BRUSSELS).astimezone(UTC)


YOGA_SERIES = """
UID:yoga-wijdeland
SUMMARY:Kinderyoga
CATEGORIES:workshop,wijdeland
LOCATION:Turnzaal Het Wijdeland\\, Kerkstraat 12\\, 3800 Brustem
DTSTART;TZID=Europe/Brussels:20261104T140000
DTEND;TZID=Europe/Brussels:20261104T150000
RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216
"""

# In Outlook or Google: "change only this occurrence", Wednesday 25 to Thursday 26 at 16:00.
YOGA_MOVED_ONCE = """
UID:yoga-wijdeland
RECURRENCE-ID;TZID=Europe/Brussels:20261125T140000
SUMMARY:Kinderyoga
CATEGORIES:workshop,wijdeland
LOCATION:Turnzaal Het Wijdeland\\, Kerkstraat 12\\, 3800 Brustem
DTSTART;TZID=Europe/Brussels:20261126T160000
DTEND;TZID=Europe/Brussels:20261126T170000
"""

OVERRIDE_ID = "yoga-wijdeland#20261125T130000Z"


def babbel(categories: str) -> str:
    return f"""
UID:babbel
SUMMARY:Ouderbabbel
CATEGORIES:{categories}
DTSTART;TZID=Europe/Brussels:20261201T084500
DTEND;TZID=Europe/Brussels:20261201T101500
"""


# --- a changed occurrence is a move ---------------------------------------------------------


def test_a_changed_occurrence_is_a_cancelled_day_of_its_series_and_a_move() -> None:
    result = parse_ics(calendar(YOGA_SERIES, YOGA_MOVED_ONCE), now=NOW)
    assert result.errors == []
    series, override = result.rows
    assert series.cancelled_starts == {local(25, 14)}
    assert (override.external_id, override.starts_at, override.rrule) == (
        OVERRIDE_ID, local(26, 16), None)
    assert result.moves == (CalendarMove("yoga-wijdeland", local(25, 14), OVERRIDE_ID,
                                         local(26, 16)),)


def test_an_occurrence_changed_only_in_its_place_is_a_move_to_the_same_time() -> None:
    elsewhere = YOGA_MOVED_ONCE.replace("20261126T16", "20261125T14").replace(
        "20261126T17", "20261125T15").replace("Turnzaal Het Wijdeland", "Refter")
    result = parse_ics(calendar(YOGA_SERIES, elsewhere), now=NOW)
    assert result.moves == (CalendarMove("yoga-wijdeland", local(25, 14), OVERRIDE_ID,
                                         local(25, 14)),)
    assert result.rows[1].place.name == "Refter"


@pytest.mark.parametrize("events", [
    # The occurrence itself called off: a cancellation, not a move.
    (YOGA_SERIES, YOGA_MOVED_ONCE.replace("SUMMARY:", "STATUS:CANCELLED\nSUMMARY:")),
    # The whole series called off: its cancellation tells the parents.
    (YOGA_SERIES.replace("SUMMARY:", "STATUS:CANCELLED\nSUMMARY:"), YOGA_MOVED_ONCE),
    # Only the changed occurrence, without its series: nothing moved away.
    (YOGA_MOVED_ONCE,),
    # A RECURRENCE-ID that is no day of the series.
    (YOGA_SERIES, YOGA_MOVED_ONCE.replace("RECURRENCE-ID;TZID=Europe/Brussels:20261125",
                                          "RECURRENCE-ID;TZID=Europe/Brussels:20261124")),
])
def test_no_move_without_an_occurrence_that_goes_on_elsewhere(events: tuple[str, ...]) -> None:
    result = parse_ics(calendar(*events), now=NOW)
    assert result.errors == [] and result.moves == ()


def test_the_same_occurrence_changed_twice_is_an_error_not_a_crash() -> None:
    result = parse_ics(calendar(YOGA_SERIES, YOGA_MOVED_ONCE, YOGA_MOVED_ONCE), now=NOW)
    assert [(e.row, e.column, e.message_id, e.params) for e in result.errors] == [
        (3, "RECURRENCE-ID", importer.MSG_DUPLICATE_ID,
         {"value": "yoga-wijdeland 2026-11-25 14:00", "row": 2})]


async def test_an_import_reports_a_move_ahead_as_moved_not_cancelled(db: Database) -> None:
    async with db.session() as session:
        first = await importer.import_file(session, "agenda.ics", calendar(YOGA_SERIES),
                                           now=NOW)
        assert first.summary is not None
        moved = await importer.import_file(
            session, "agenda.ics", calendar(YOGA_SERIES, YOGA_MOVED_ONCE), now=NOW)
        assert moved.summary is not None
        ids = {row.external_id: row.id for row in await session.scalars(select(Activity))}
        assert moved.summary.cancelled == ()
        assert [(m.activity_id, m.old_start, m.to_activity_id, m.new_start)
                for m in moved.summary.moved] == [
            (ids["yoga-wijdeland"], local(25, 14), ids[OVERRIDE_ID], local(26, 16))]
        # Sent again: the same move read from the file (the notices' keys keep it once).
        again = await importer.import_file(
            session, "agenda.ics", calendar(YOGA_SERIES, YOGA_MOVED_ONCE), now=NOW)
        assert again.summary is not None
        assert (again.summary.cancelled, len(again.summary.moved)) == ((), 1)


async def test_a_move_into_the_past_stays_a_cancelled_day(db: Database) -> None:
    """Wednesday 25 "moved" to the Thursday before (a day mistyped): those who come on
    Wednesday must hear it is off there."""
    earlier = YOGA_MOVED_ONCE.replace("20261126T16", "20261119T16").replace(
        "20261126T17", "20261119T17")
    async with db.session() as session:
        await importer.import_file(session, "agenda.ics", calendar(YOGA_SERIES), now=NOW)
        outcome = await importer.import_file(
            session, "agenda.ics", calendar(YOGA_SERIES, earlier), now=NOW)
        assert outcome.summary is not None
        series = await session.scalar(
            select(Activity.id).where(Activity.external_id == "yoga-wijdeland"))
        assert outcome.summary.moved == ()
        assert outcome.summary.cancelled == ((series, local(25, 14)),)


# --- a school named in CATEGORIES by its full name ------------------------------------------


def test_a_category_with_the_schools_full_name_is_not_read_as_every_school() -> None:
    event = """
UID:babbel-klimop
SUMMARY:Ouderbabbel Klim-op
CATEGORIES:ouderbabbel,Vrije basisschool Klim-op
DTSTART;TZID=Europe/Brussels:20261201T084500
DTEND;TZID=Europe/Brussels:20261201T101500
"""
    result = parse_ics(calendar(event), now=NOW)
    # Either the school is recognised, or the coordinator is told what to fix.
    assert result.errors or [row.school_codes for row in result.rows] == [("klimop",)], (
        result.rows[0].all_schools, result.rows[0].school_codes)


@pytest.mark.parametrize(("categories", "codes"), [
    ("ouderbabbel,Vrije basisschool Klim-op", ("klimop",)),
    ("VRIJE BASISSCHOOL KLIM OP", ("klimop",)),  # capitals, a space for the hyphen
    ("Vrije basisschool Klîm-öp", ("klimop",)),  # accents
    ("Freinetschool Het Wijdeland (Brustem)", ("wijdeland",)),
    ("Freinetschool Het Wijdeland", ("wijdeland",)),  # without what is between brackets
    ("Leefschool De Villa,klimop", ("devilla", "klimop")),  # a name and a code
    # Its comma not escaped: the name is cut in two categories, the first still names it.
    ("Vrije Kleuterschool Kabouterland, Sint-Rita (Nieuw Sint-Truiden)", ("kabouterland",)),
    ("Vrije Kleuterschool Kabouterland\\, Sint-Rita (Nieuw Sint-Truiden)", ("kabouterland",)),
])
def test_a_school_is_named_by_its_name_as_by_its_code(categories: str,
                                                      codes: tuple[str, ...]) -> None:
    result = parse_ics(calendar(babbel(categories)), now=NOW)
    assert result.errors == []
    [row] = result.rows
    assert (row.all_schools, row.school_codes) == (False, codes)


@pytest.mark.parametrize("category", ["Vrije basisschool Klim-opp", "Freinetschool Wijdeland",
                                      "Basisschool Sint-Rita"])
def test_a_near_miss_of_a_schools_name_is_an_error(category: str) -> None:
    result = parse_ics(calendar(babbel(f"ouderbabbel,{category}")), now=NOW)
    assert [(e.column, e.message_id, e.params) for e in result.errors] == [
        ("CATEGORIES", importer.MSG_UNKNOWN_CATEGORY, {"value": category})]


def test_the_calendars_own_categories_are_still_left_alone() -> None:
    result = parse_ics(calendar(babbel("ouderbabbel,Rode categorie,Sint-Rita")), now=NOW)
    assert result.errors == [] and result.rows[0].all_schools


def test_the_names_are_the_databases_when_given() -> None:
    """The import reads the schools from the database: code and name."""
    names = {"klimop": "Vrije basisschool Klim-op", "zon": "Basisschool De Zon"}
    result = parse_ics(calendar(babbel("Basisschool De Zon")), names, now=NOW)
    assert result.errors == [] and result.rows[0].school_codes == ("zon",)
    # Codes alone have no names: the name is the calendar's own category.
    result = parse_ics(calendar(babbel("Basisschool De Zon")), frozenset(names), now=NOW)
    assert result.errors == [] and result.rows[0].all_schools


def test_a_name_form_two_schools_share_names_neither() -> None:
    names = school_names({"a": "Basisschool De Zon (Velm)", "b": "Basisschool De Zon (Gingelom)"})
    assert "basisschooldezon" not in names
    assert names["basisschooldezonvelm"] == "a"


@pytest.mark.parametrize(("summary", "expected"), [
    ("Kinderyoga", "Çocuk yogası"),  # the series' title: its translation goes with it
    ("Kinderyoga in de refter", ""),  # a title of its own: not the series' translation
])
async def test_the_series_translations_go_with_its_occurrence_moved(
    db: Database, summary: str, expected: str
) -> None:
    """The team translated the series in the bot; the calendar's occurrence of its own has
    only the Dutch: a Turkish parent is told the move in Turkish."""
    async with db.session() as session:
        await importer.import_file(session, "agenda.ics", calendar(YOGA_SERIES), now=NOW)
        yoga = await session.scalar(select(Activity).where(
            Activity.external_id == "yoga-wijdeland"))
        assert yoga is not None
        yoga.texts.append(ActivityText(locale="tr", title="Çocuk yogası", description=""))
        await session.flush()
        moved = YOGA_MOVED_ONCE.replace("SUMMARY:Kinderyoga", f"SUMMARY:{summary}")
        await importer.import_file(session, "agenda.ics", calendar(YOGA_SERIES, moved),
                                   now=NOW)
        override = await session.scalar(select(Activity).where(
            Activity.external_id == OVERRIDE_ID))
        assert override is not None
        assert {t.locale: t.title for t in override.texts}.get("tr", "") == expected
