"""Importing the programme: CSV, XLSX and ICS files, their errors, and idempotent upserts."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS
from bot.services import importer
from bot.services.importer import (
    COLUMNS,
    ImportSummary,
    RowError,
    apply,
    import_file,
    parse_csv,
    parse_file,
    parse_ics,
    parse_xlsx,
)
from bot.services.importer.store import school_year_start, still_translates, voice_still_fits
from bot.services.programme import Kind, LocalText, occurrences, week_programme
from storage.db import Database
from storage.models import Activity, ActivityText
from storage.people import school_by_code
from storage.programme import by_external_ids, by_external_ids_any_case

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

HEADER = ["id", "kind", "schools", "date", "start", "end", "repeat", "lat", "lon",
          "title_nl", "title_tr", "cancelled_dates"]
GOOD = {
    "id": "yoga", "kind": "workshop", "schools": "wijdeland", "date": "2026-10-14",
    "start": "14:00", "end": "15:00", "repeat": "FREQ=WEEKLY;BYDAY=WE", "lat": "50.80",
    "lon": "5.22", "title_nl": "Kinderyoga", "title_tr": "Çocuk yogası", "cancelled_dates": "",
}


def csv_bytes(*rows: dict[str, str], header: list[str] = HEADER, sep: str = ";",
              bom: bool = True) -> bytes:
    """A CSV file as Excel writes it: cells holding the separator are quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


# The day the tests import on: what is over, still planned or of an earlier school year is
# counted from then, not from the day the suite runs.
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


async def imported(session: AsyncSession, filename: str, data: bytes) -> importer.ImportOutcome:
    return await import_file(session, filename, data, now=NOW)


async def count_activities(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(Activity)) or 0


# --- the example file --------------------------------------------------------------------


def test_the_example_csv_parses_without_errors() -> None:
    result = parse_csv((EXAMPLES / "programme.csv").read_bytes())
    assert result.errors == []
    assert 8 <= len(result.rows) <= 12
    assert {row.kind for row in result.rows} == set(Kind)
    # Most rows are translated; a few are not, so parents see the Dutch fallback.
    untranslated = [r.external_id for r in result.rows if not {"tr", "pa"} <= set(r.texts)]
    assert 1 <= len(untranslated) <= 4


def test_the_example_xlsx_says_what_the_csv_says() -> None:
    from_csv = parse_csv((EXAMPLES / "programme.csv").read_bytes())
    from_xlsx = parse_xlsx((EXAMPLES / "programme.xlsx").read_bytes())
    assert from_xlsx.errors == []
    assert from_xlsx.rows == from_csv.rows


def test_the_example_header_names_every_column() -> None:
    first_line = (EXAMPLES / "programme.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first_line.split(";") == list(COLUMNS)


async def test_the_example_applies_and_reapplying_changes_nothing(db: Database) -> None:
    data = (EXAMPLES / "programme.csv").read_bytes()
    async with db.session() as session:
        outcome = await imported(session, "programme.csv", data)
        assert outcome.errors == []
        assert outcome.summary == ImportSummary(created=12, updated=0, unchanged=0)
        await session.commit()
    async with db.session() as session:
        again = await imported(session, "programme.csv", data)
        assert again.summary == ImportSummary(created=0, updated=0, unchanged=12)
        xlsx = await imported(session, "Programma.XLSX",
                                 (EXAMPLES / "programme.xlsx").read_bytes())
        assert xlsx.summary == ImportSummary(created=0, updated=0, unchanged=12)
        assert not session.dirty and not session.new

        # Autumn break at Het Wijdeland: yoga on 28 October is cancelled; the circus is on.
        wijdeland = await school_by_code(session, "wijdeland")
        assert wijdeland is not None
        week = await week_programme(session, [wijdeland.id], "tr", date(2026, 10, 26))
        assert [i.external_id for i in week] == ["circus-herfstvakantie-2026"] * 4
        assert week[0].title == "Sonbahar tatilinde sirk okulu"


async def test_a_coming_activity_changed_to_a_day_already_over_is_pointed_out(
    db: Database
) -> None:
    """The parents who said they come hear nothing of a move into the past (a mistyped
    date, most likely): the coordinator's reply names it."""
    party = {**GOOD, "id": "feest", "title_nl": "Kerstfeest", "date": "2026-12-18",
             "repeat": ""}
    async with db.session() as session:
        await imported(session, "p.csv", csv_bytes(GOOD, party))
        typo = {**party, "date": "2025-12-18"}
        changed = await imported(session, "p.csv", csv_bytes(GOOD, typo))
        assert changed.summary is not None and changed.summary.moved_past == ("Kerstfeest",)
        # Over already before the change (last week's date corrected): nothing to point out.
        fixed = {**party, "date": "2026-11-18"}
        again = await imported(session, "p.csv", csv_bytes(GOOD, fixed))
        assert again.summary is not None and again.summary.moved_past == ()
        # A recurring one still has days ahead: not over.
        earlier = {**GOOD, "date": "2026-10-07"}
        series = await imported(session, "p.csv", csv_bytes(earlier, fixed))
        assert series.summary is not None and series.summary.moved_past == ()


async def test_a_changed_row_is_updated_and_the_rest_left_alone(db: Database) -> None:
    other = {**GOOD, "id": "capoeira", "title_nl": "Capoeira", "title_tr": ""}
    async with db.session() as session:
        first = await imported(session, "p.csv", csv_bytes(GOOD, other))
        assert first.summary == ImportSummary(2, 0, 0)
        changed = {**GOOD, "title_tr": "", "start": "14:30", "end": "15:30", "schools": "alle"}
        second = await imported(session, "p.csv", csv_bytes(changed, other))
        assert second.summary == ImportSummary(0, 1, 1)
        await session.commit()

        week = await week_programme(session, [], "tr", date(2026, 10, 12))
        yoga = next(i for i in week if i.external_id == "yoga")
        # An empty translation cell keeps the translation while the Dutch title is the same.
        assert yoga.title == "Çocuk yogası"
        assert yoga.starts_at == local(2026, 10, 14, 14, 30)
        assert yoga.all_schools and yoga.school_ids == ()


async def test_sending_the_file_again_keeps_the_teams_translations(db: Database) -> None:
    """The team translated Capoeira into Punjabi in the bot; the coordinator's file has only
    the Dutch: sending it again keeps the Punjabi, until the Dutch text itself changes."""
    capoeira = {**GOOD, "id": "capoeira", "title_nl": "Capoeira", "title_tr": ""}
    async with db.session() as session:
        await imported(session, "p.csv", csv_bytes(capoeira))
        row = (await by_external_ids(session, ["capoeira"]))["capoeira"]
        row.texts.append(ActivityText(locale="pa", title="ਕਾਪੋਇਰਾ", description=""))
        await session.commit()
        wijdeland = await school_by_code(session, "wijdeland")
        assert wijdeland is not None

        again = await imported(session, "p.csv", csv_bytes(capoeira))
        assert again.summary == ImportSummary(0, 0, 1)
        await session.commit()
        week = await week_programme(session, [wijdeland.id], "pa", date(2026, 10, 12))
        assert next(i for i in week if i.external_id == "capoeira").title == "ਕਾਪੋਇਰਾ"

        # A file with the Turkish title, the team's Turkish description: both stay.
        turkish = {**capoeira, "title_tr": "Kapoeyra"}
        await imported(session, "p.csv", csv_bytes(turkish))
        row = (await by_external_ids(session, ["capoeira"]))["capoeira"]
        next(t for t in row.texts if t.locale == "tr").description = "Dans ve dövüş."
        await session.commit()
        kept = await imported(session, "p.csv", csv_bytes(turkish))
        assert kept.summary == ImportSummary(0, 0, 1)
        await session.commit()
        week = await week_programme(session, [wijdeland.id], "tr", date(2026, 10, 12))
        item = next(i for i in week if i.external_id == "capoeira")
        assert (item.title, item.description) == ("Kapoeyra", "Dans ve dövüş.")

        # A typo fixed in the Dutch description: the team's description goes with it (it
        # translates the old words), the translated title stays.
        described = {**capoeira, "description_nl": "Dansen en vechten."}
        with_description = [*HEADER, "description_nl"]
        await imported(session, "p.csv", csv_bytes(described, header=with_description))
        row = (await by_external_ids(session, ["capoeira"]))["capoeira"]
        next(t for t in row.texts if t.locale == "pa").description = "ਨਾਚ ਅਤੇ ਲੜਾਈ।"
        await session.commit()
        fixed = await imported(session, "p.csv", csv_bytes(
            {**described, "description_nl": "Dansen en vechten, voor iedereen."},
            header=with_description))
        assert fixed.summary == ImportSummary(0, 1, 0)
        await session.commit()
        week = await week_programme(session, [wijdeland.id], "pa", date(2026, 10, 12))
        item = next(i for i in week if i.external_id == "capoeira")
        assert item.title == "ਕਾਪੋਇਰਾ" and not item.title_is_dutch_fallback
        assert item.description == "Dansen en vechten, voor iedereen."

        renamed = await imported(session, "p.csv", csv_bytes(
            {**capoeira, "title_nl": "Capoeira voor kinderen"}))
        assert renamed.summary == ImportSummary(0, 1, 0)
        await session.commit()
        week = await week_programme(session, [wijdeland.id], "pa", date(2026, 10, 12))
        item = next(i for i in week if i.external_id == "capoeira")
        assert item.title == "Capoeira voor kinderen" and item.title_is_dutch_fallback


def test_a_translation_goes_only_with_the_dutch_part_it_translates() -> None:
    shown = LocalText("Ouderbabbel: slapen", "Over goed slapen.")
    assert still_translates(shown, shown) == (True, True)
    assert still_translates(shown, LocalText("Ouderbabbel: slapen", "Over slapen.")) == (
        True, False)
    assert still_translates(shown, LocalText("Ouderbabbel: eten", "Over goed slapen.")) == (
        False, True)
    # A voice message tells the whole activity: any Dutch part changed, and it no longer fits.
    assert voice_still_fits(shown, shown)
    assert not voice_still_fits(shown, LocalText("Ouderbabbel: slapen", "Over slapen."))
    assert not voice_still_fits(shown, LocalText("Ouderbabbel: eten", "Over goed slapen."))


async def test_voice_messages_go_when_the_dutch_they_tell_changes(db: Database) -> None:
    """Voice messages recorded in the bot stay when the file is sent again with the same
    Dutch (an hour changed); when the Dutch title or description changes, every language's
    voice goes, the Dutch one too, as the written translations do (a language the file
    itself translates keeps its written text, not the old voice)."""
    header = [*HEADER, "description_nl"]
    capoeira = {**GOOD, "id": "capoeira", "title_nl": "Capoeira", "title_tr": "Kapoeyra",
                "description_nl": "Dansen en vechten."}

    async def voices() -> dict[str, str | None]:
        row = (await by_external_ids(session, ["capoeira"]))["capoeira"]
        return {t.locale: t.voice_file_id for t in row.texts}

    async with db.session() as session:
        await imported(session, "p.csv", csv_bytes(capoeira, header=header))
        row = (await by_external_ids(session, ["capoeira"]))["capoeira"]
        for text in row.texts:
            text.voice_file_id = f"voice-{text.locale}"
        row.texts.append(ActivityText(locale="pa", title="", description="",
                                      voice_file_id="voice-pa"))
        await session.commit()

        moved = await imported(session, "p.csv", csv_bytes(
            {**capoeira, "start": "14:30"}, header=header))
        assert moved.summary == ImportSummary(0, 1, 0)
        await session.commit()
        assert await voices() == {"nl": "voice-nl", "tr": "voice-tr", "pa": "voice-pa"}

        fixed = await imported(session, "p.csv", csv_bytes(
            {**capoeira, "start": "14:30", "description_nl": "Dansen en vechten, voor iedereen."},
            header=header))
        assert fixed.summary == ImportSummary(0, 1, 0)
        await session.commit()
        # The Turkish title is the file's: it stays, without the voice of the old Dutch.
        assert await voices() == {"nl": None, "tr": None}


# --- CSV dialects ------------------------------------------------------------------------


def test_semicolons_with_a_bom() -> None:
    result = parse_csv(csv_bytes(GOOD, sep=";", bom=True))
    assert result.errors == []
    [yoga] = result.rows
    assert yoga.external_id == "yoga" and yoga.school_codes == ("wijdeland",)
    assert yoga.starts_at == local(2026, 10, 14, 14)
    assert yoga.texts == {"nl": LocalText("Kinderyoga", ""), "tr": LocalText("Çocuk yogası", "")}
    assert yoga.rrule == "FREQ=WEEKLY;BYDAY=WE"
    assert (yoga.place.latitude, yoga.place.longitude) == (50.8, 5.22)


def test_commas_without_a_bom_and_belgian_spellings() -> None:
    row = {**GOOD, "kind": "Open activiteit", "schools": "Alle", "date": "14/10/2026",
           "start": "14u", "end": "15u30", "repeat": "", "title_tr": "Çocuk yogası, açık"}
    data = csv_bytes(row, sep=",", bom=False)
    assert b'"\xc3\x87ocuk yogas\xc4\xb1, a\xc3\xa7\xc4\xb1k"' in data  # quoted
    result = parse_csv(data)
    assert result.errors == []
    [data] = result.rows
    assert data.kind is Kind.OPEN_ACTIVITY and data.all_schools
    assert data.ends_at == local(2026, 10, 14, 15, 30)
    assert data.texts["tr"].title == "Çocuk yogası, açık"


def test_a_decimal_comma_in_a_semicolon_file() -> None:
    [data] = parse_csv(csv_bytes({**GOOD, "lat": "50,8167", "lon": "5,1867"})).rows
    assert (data.place.latitude, data.place.longitude) == (50.8167, 5.1867)


def test_a_windows_1252_file_is_refused_with_advice() -> None:
    data = "id;title_nl\r\nx;Café\r\n".encode("cp1252")
    assert parse_csv(data).errors == [RowError(0, "", importer.MSG_NOT_UTF8)]


def test_unknown_columns_and_empty_rows_are_ignored() -> None:
    header = [*HEADER, "notes"]
    data = csv_bytes({**GOOD, "notes": "zaal reserveren!"}, {}, header=header)
    result = parse_csv(data)
    assert result.errors == [] and len(result.rows) == 1


def test_two_notes_columns_of_the_same_name_are_ignored_too() -> None:
    header = [*HEADER, "opmerking", "opmerking"]
    result = parse_csv(csv_bytes({**GOOD, "opmerking": "zaal!"}, header=header))
    assert result.errors == [] and len(result.rows) == 1
    twice = parse_csv(csv_bytes(GOOD, header=[*HEADER, "title_nl"]))
    assert twice.errors == [
        RowError(1, "title_nl", importer.MSG_DUPLICATE_COLUMN, {"column": "title_nl"})]


def test_a_workbook_that_states_a_wrong_size_is_read_whole() -> None:
    """Some programs write the sheet's size as "A1": openpyxl's read-only mode would then
    see one cell, and six columns missing."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "kind", "schools", "date", "start", "end", "title_nl"])
    sheet.append(["a", "workshop", "klimop", "1/12/2026", "9:00", "10:00", "X"])
    saved = io.BytesIO()
    book.save(saved)
    source = zipfile.ZipFile(io.BytesIO(saved.getvalue()))
    wrong = io.BytesIO()
    with zipfile.ZipFile(wrong, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content, count = re.subn(rb'<dimension ref="[^"]*" ?/>',
                                         b'<dimension ref="A1"/>', content)
                assert count == 1
            target.writestr(item, content)
    result = parse_xlsx(wrong.getvalue())
    assert result.errors == [] and [row.external_id for row in result.rows] == ["a"]


@pytest.mark.parametrize(("written", "codes"), [
    ("Klim-op", ("klimop",)),
    ("'t Vlindertje", ("vlindertje",)),
    ("Het Wijdeland, De Villa", ("devilla", "wijdeland")),
    ("Basisschool Sint-Rita - De Brug", ("debrug",)),
    ("KLIMOP / debrug", ("debrug", "klimop")),
    ("klimop debrug", ("debrug", "klimop")),
])
def test_a_school_is_read_as_the_coordinator_writes_it(written: str,
                                                       codes: tuple[str, ...]) -> None:
    """Its code or its name, whatever the capitals, hyphens and spaces, or a part of its
    name that no other school's has."""
    result = parse_csv(csv_bytes({**GOOD, "schools": written}))
    assert result.errors == [] and result.rows[0].school_codes == codes


# --- what is wrong, where ----------------------------------------------------------------


def error_of(**changes: str) -> RowError:
    """The single error of a file whose second data row (row 3) has these changes."""
    bad = {**GOOD, "id": "second", **changes}
    result = parse_csv(csv_bytes({**GOOD, "id": "first"}, bad))
    assert result.rows == []  # any error: nothing to import
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


@pytest.mark.parametrize(
    ("changes", "column", "message_id", "params"),
    [
        ({"id": ""}, "id", importer.MSG_REQUIRED, {}),
        ({"id": "x" * 101}, "id", importer.MSG_TOO_LONG, {"max": 100}),
        ({"id": "first"}, "id", importer.MSG_DUPLICATE_ID, {"value": "first", "row": 2}),
        # Capitals do not count (Excel's AutoComplete, a capital typed by habit).
        ({"id": "First"}, "id", importer.MSG_DUPLICATE_ID, {"value": "First", "row": 2}),
        ({"kind": "dansles"}, "kind", importer.MSG_UNKNOWN_KIND, {"value": "dansles"}),
        ({"schools": "klimop narnia"}, "schools", importer.MSG_UNKNOWN_SCHOOL,
         {"value": "narnia", "codes": ", ".join(sorted(importer.default_school_codes()))}),
        # A part of two schools' names ("Sint-Rita": Kabouterland and De Brug) is neither.
        ({"schools": "Sint-Rita"}, "schools", importer.MSG_UNKNOWN_SCHOOL,
         {"value": "sint-rita", "codes": ", ".join(sorted(importer.default_school_codes()))}),
        ({"schools": ""}, "schools", importer.MSG_REQUIRED, {}),
        ({"date": "31/02/2026"}, "date", importer.MSG_BAD_DATE, {"value": "31/02/2026"}),
        ({"start": "25:00"}, "start", importer.MSG_BAD_TIME, {"value": "25:00"}),
        ({"end": "half vier"}, "end", importer.MSG_BAD_TIME, {"value": "half vier"}),
        ({"end": "13:00"}, "end", importer.MSG_END_NOT_AFTER_START, {}),
        ({"end": "14:00"}, "end", importer.MSG_END_NOT_AFTER_START, {}),
        # 28 March 2027: Brussels goes from 2:00 straight to 3:00 (summer time).
        ({"date": "2027-03-28", "start": "02:30", "end": "04:00"}, "start",
         importer.MSG_CLOCKS_SKIP, {"value": "02:30"}),
        ({"date": "2027-03-28", "start": "01:00", "end": "02:15"}, "end",
         importer.MSG_CLOCKS_SKIP, {"value": "02:15"}),
        ({"repeat": "FREQ=SOMETIMES"}, "repeat", importer.MSG_BAD_RRULE,
         {"value": "FREQ=SOMETIMES"}),
        ({"repeat": "FREQ=HOURLY"}, "repeat", importer.MSG_BAD_RRULE, {"value": "FREQ=HOURLY"}),
        ({"repeat": "FREQ=WEEKLY;UNTIL=20200101"}, "repeat", importer.MSG_RRULE_NO_DATES, {}),
        ({"lat": "95"}, "lat", importer.MSG_LATITUDE_RANGE, {}),
        ({"lon": "-200"}, "lon", importer.MSG_LONGITUDE_RANGE, {}),
        ({"lat": "noord"}, "lat", importer.MSG_BAD_NUMBER, {"value": "noord"}),
        ({"lat": "nan"}, "lat", importer.MSG_BAD_NUMBER, {"value": "nan"}),
        ({"lon": ""}, "lon", importer.MSG_LAT_LON_PAIR, {}),
        ({"title_nl": ""}, "title_nl", importer.MSG_REQUIRED, {}),
        ({"title_nl": "x" * 201}, "title_nl", importer.MSG_TOO_LONG, {"max": 200}),
        ({"date": "0206-12-01"}, "date", importer.MSG_YEAR_RANGE,
         {"value": "0206-12-01", "first": 2020, "last": 2099}),
        ({"date": "21/10/2620"}, "date", importer.MSG_YEAR_RANGE,
         {"value": "21/10/2620", "first": 2020, "last": 2099}),
        ({"cancelled_dates": "morgen"}, "cancelled_dates", importer.MSG_BAD_DATE,
         {"value": "morgen"}),
        ({"cancelled_dates": "2026-10-21 2026-10-22"}, "cancelled_dates",
         importer.MSG_NOT_AN_OCCURRENCE, {"value": "2026-10-22"}),
    ],
)
def test_each_error_names_its_row_and_column(
    changes: dict[str, str], column: str, message_id: str, params: dict[str, object]
) -> None:
    assert error_of(**changes) == RowError(3, column, message_id, params)


def test_errors_are_msgids_with_named_placeholders() -> None:
    error = error_of(schools="narnia")
    assert error.message_id == "Unknown school code “{value}”."
    assert error.message_id.format(**error.params) == "Unknown school code “narnia”."


def test_every_error_of_a_row_is_reported() -> None:
    result = parse_csv(csv_bytes({**GOOD, "kind": "?", "date": "morgen", "title_nl": ""}))
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "kind"), (2, "date"), (2, "title_nl")
    ]


def test_missing_required_columns_are_named_in_row_1() -> None:
    header = [c for c in HEADER if c not in ("schools", "title_nl")]
    result = parse_csv(csv_bytes(GOOD, header=header))
    assert result.errors == [
        RowError(1, "schools", importer.MSG_MISSING_COLUMN, {"column": "schools"}),
        RowError(1, "title_nl", importer.MSG_MISSING_COLUMN, {"column": "title_nl"}),
    ]


@pytest.mark.parametrize(
    ("filename", "data", "message_id"),
    [
        ("programma.pdf", b"%PDF-1.4", importer.MSG_UNKNOWN_FILE_TYPE),
        ("programma.csv", b"", importer.MSG_EMPTY_FILE),
        ("programma.csv", csv_bytes(), importer.MSG_NO_ACTIVITIES),
        ("programma.xlsx", b"PK\x03\x04 not really a zip", importer.MSG_NOT_XLSX),
        ("agenda.ics", b"BEGIN:VCALENDAR\r\nthis is no calendar", importer.MSG_NOT_ICS),
        ("agenda.ics", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
         importer.MSG_NO_ACTIVITIES),
    ],
)
def test_whole_file_problems(filename: str, data: bytes, message_id: str) -> None:
    assert parse_file(filename, data).errors == [RowError(0, "", message_id)]


async def test_an_error_anywhere_imports_nothing(db: Database) -> None:
    rows = [{**GOOD, "id": f"act-{n}"} for n in range(5)]
    rows[3]["schools"] = "narnia"
    async with db.session() as session:
        outcome = await imported(session, "p.csv", csv_bytes(*rows))
        assert outcome.summary is None
        assert [(e.row, e.column) for e in outcome.errors] == [(5, "schools")]
        await session.commit()
    assert await count_activities(db) == 0


async def test_apply_refuses_school_codes_the_database_lacks(db: Database) -> None:
    [row] = parse_csv(csv_bytes({**GOOD, "schools": "nieuweschool"}),
                      known_schools={"nieuweschool"}).rows
    async with db.session() as session:
        with pytest.raises(importer.UnknownSchoolCode):
            await apply(session, [row])
    assert await count_activities(db) == 0


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_with_real_date_and_time_cells() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([12, "Workshop", "wijdeland", datetime(2026, 10, 14), time(14), time(15),
                  "FREQ=WEEKLY;BYDAY=WE", 50.8, 5.22, "Kinderyoga", "Çocuk yogası",
                  datetime(2026, 10, 28)])
    sheet.append([None] * len(HEADER))
    sheet.append(["13", "ouderbabbel", "klimop", "2026-10-06", "08:45", 0.4375, None, None,
                  None, "Ouderbabbel", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = parse_xlsx(buffer.getvalue())
    assert result.errors == []
    yoga, babbel = result.rows
    assert yoga.external_id == "12" and yoga.kind is Kind.WORKSHOP
    assert yoga.starts_at == local(2026, 10, 14, 14)
    assert yoga.cancelled_starts == {local(2026, 10, 28, 14)}
    assert babbel.ends_at == local(2026, 10, 6, 10, 30)  # 0.4375 of a day
    assert babbel.texts == {"nl": LocalText("Ouderbabbel", "")}


def test_xlsx_errors_use_the_sheet_row_numbers() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["a", "workshop", "klimop", "2026-10-14", "14:00", "15:00"] + [None] * 3
                 + ["Yoga", None, None])
    sheet.append([None] * len(HEADER))  # an empty row keeps its number
    sheet.append(["b", "workshop", "klimop", "gisteren", "14:00", "15:00"] + [None] * 3
                 + ["Yoga", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = parse_xlsx(buffer.getvalue())
    assert [(e.row, e.column) for e in result.errors] == [(4, "date")]


# --- ICS -----------------------------------------------------------------------------------

CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Brede School//Programma//NL
BEGIN:VTIMEZONE
TZID:Europe/Brussels
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:yoga-2026@bredeschool.example
SUMMARY:Kinderyoga
DESCRIPTION:Rustig worden\\, ademen en bewegen.
LOCATION:Turnzaal Het Wijdeland\\, Kerkstraat 12\\, 3800 Brustem
GEO:50.801;5.224
CATEGORIES:workshop,wijdeland
DTSTART;TZID=Europe/Brussels:20261014T140000
DTEND;TZID=Europe/Brussels:20261014T150000
RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216T225959Z
EXDATE;TZID=Europe/Brussels:20261028T140000,20261104T140000
END:VEVENT
BEGIN:VEVENT
UID:yoga-2026@bredeschool.example
RECURRENCE-ID;TZID=Europe/Brussels:20261111T140000
SUMMARY:Kinderyoga (in de refter)
CATEGORIES:workshop,wijdeland
DTSTART;TZID=Europe/Brussels:20261112T140000
DTEND;TZID=Europe/Brussels:20261112T150000
END:VEVENT
BEGIN:VEVENT
UID:speelnamiddag@bredeschool.example
SUMMARY:Speelnamiddag in de wijk
DTSTART:20261010T120000Z
DURATION:PT3H
END:VEVENT
END:VCALENDAR
"""


def ics(text: str = CALENDAR) -> bytes:
    return text.replace("\n", "\r\n").encode()


def test_ics_with_rrule_exdate_and_tzid() -> None:
    result = parse_ics(ics())
    assert result.errors == []
    yoga, play, moved = result.rows
    assert yoga.external_id == "yoga-2026@bredeschool.example"
    assert yoga.kind is Kind.WORKSHOP and yoga.school_codes == ("wijdeland",)
    assert not yoga.all_schools
    assert yoga.texts == {"nl": LocalText("Kinderyoga", "Rustig worden, ademen en bewegen.")}
    assert (yoga.place.name, yoga.place.address) == ("Turnzaal Het Wijdeland",
                                                      "Kerkstraat 12, 3800 Brustem")
    assert (yoga.place.latitude, yoga.place.longitude) == (50.801, 5.224)

    found = occurrences(yoga, local(2026, 10, 1), local(2027, 1, 1))
    days = [o.starts_at.astimezone(BRUSSELS).strftime("%m-%d %H:%M") for o in found]
    # 28 Oct and 4 Nov are EXDATEs, 11 Nov moved to the 12th; UNTIL (UTC) keeps 16 Dec.
    assert days == ["10-14 14:00", "10-21 14:00", "11-18 14:00", "11-25 14:00",
                    "12-02 14:00", "12-09 14:00", "12-16 14:00"]

    assert moved.external_id == "yoga-2026@bredeschool.example#20261111T130000Z"
    assert moved.rrule is None and moved.starts_at == local(2026, 11, 12, 14)

    # No categories: kind "other", for all schools; a UTC start and a DURATION.
    assert play.kind is Kind.OTHER and play.all_schools
    assert play.starts_at == datetime(2026, 10, 10, 12, tzinfo=UTC)
    assert play.ends_at == local(2026, 10, 10, 17)


async def test_reimporting_a_calendar_changes_nothing(db: Database) -> None:
    async with db.session() as session:
        first = await imported(session, "agenda.ics", ics())
        assert first.summary == ImportSummary(3, 0, 0)
        again = await imported(session, "agenda.ics", ics())
        assert again.summary == ImportSummary(0, 0, 3)


def test_ics_errors_name_the_event_and_property() -> None:
    broken = CALENDAR.replace("DURATION:PT3H\n", "").replace(
        "GEO:50.801;5.224", "GEO:95.0;5.224"
    )
    result = parse_ics(ics(broken))
    assert result.rows == []
    assert [(e.row, e.column, e.message_id) for e in result.errors] == [
        (1, "GEO", importer.MSG_LATITUDE_RANGE),
        (3, "DTEND", importer.MSG_REQUIRED),
    ]


def test_a_row_with_more_cells_than_columns_is_an_error() -> None:
    """A repeat rule with a comma, unquoted in a comma file: each cell after it moved one
    column on. Imported, the rule would be cut and the place would read "BYDAY=WE"."""
    header = "id,kind,schools,date,start,end,title_nl,rrule,place"
    good = "yoga,workshop,wijdeland,2026-11-25,14:00,15:00,Kinderyoga,,Turnzaal"
    shifted = ("yoga,workshop,wijdeland,2026-11-25,14:00,15:00,Kinderyoga,FREQ=WEEKLY,"
               "BYDAY=WE,Turnzaal")
    assert parse_csv(f"{header}\n{good}\n".encode()).errors == []
    result = parse_csv(f"{header}\n{shifted}\n".encode())
    assert result.rows == []
    assert [(e.row, e.column, e.message_id) for e in result.errors] == [
        (2, "", importer.MSG_EXTRA_CELLS)]


def test_ics_categories_name_schools_loosely_and_an_unknown_one_is_an_error() -> None:
    """"Wijde-Land" is the code in another spelling; a mistyped code must not turn a
    school's activity into one for all schools."""
    loose = CALENDAR.replace("CATEGORIES:workshop,wijdeland\nDTSTART;TZID=Europe/Brussels:"
                             "20261014", "CATEGORIES:Workshop,Wijde-Land\nDTSTART;"
                             "TZID=Europe/Brussels:20261014")
    result = parse_ics(ics(loose))
    assert result.errors == []
    assert result.rows[0].school_codes == ("wijdeland",) and not result.rows[0].all_schools
    typo = CALENDAR.replace("DURATION:PT3H", "DURATION:PT3H\nCATEGORIES:wijdelnd")
    result = parse_ics(ics(typo))
    assert [(e.row, e.column, e.message_id, e.params) for e in result.errors] == [
        (3, "CATEGORIES", importer.MSG_UNKNOWN_CATEGORY, {"value": "wijdelnd"})]
    # The calendar's own categories are nothing like a code: left alone.
    coloured = CALENDAR.replace("DURATION:PT3H", "DURATION:PT3H\nCATEGORIES:Rode categorie")
    result = parse_ics(ics(coloured))
    assert result.errors == [] and result.rows[1].all_schools


@pytest.mark.parametrize(
    ("old", "new", "column", "message_id"),
    [
        ("DTSTART:20261010T120000Z", "DTSTART:notadate", "DTSTART",
         importer.MSG_BAD_CALENDAR_VALUE),
        ("DTSTART:20261010T120000Z", "DTSTART:00010101T120000Z", "DTSTART",
         importer.MSG_YEAR_RANGE),
        ("DURATION:PT3H", "DURATION:three hours", "DURATION", importer.MSG_BAD_CALENDAR_VALUE),
        ("DTSTART:20261010T120000Z", "DTSTART;VALUE=DURATION:PT1H", "DTSTART",
         importer.MSG_BAD_CALENDAR_VALUE),
        ("DURATION:PT3H", "DTEND:2026101", "DTEND", importer.MSG_BAD_CALENDAR_VALUE),
        ("DURATION:PT3H", "DURATION:PT3H\nEXDATE:20261317T120000Z", "EXDATE",
         importer.MSG_BAD_CALENDAR_VALUE),
        ("DURATION:PT3H", "DURATION:PT3H\nRECURRENCE-ID:yesterday", "RECURRENCE-ID",
         importer.MSG_BAD_CALENDAR_VALUE),
        ("DURATION:PT3H", "DURATION:PT3H\nGEO:north;east", "GEO", importer.MSG_BAD_NUMBER),
    ],
)
def test_an_unreadable_calendar_value_is_an_error_of_its_event(
        old: str, new: str, column: str, message_id: str) -> None:
    """A broken date, duration or place imports nothing and says where, like a bad cell."""
    broken = CALENDAR.replace(old, new)
    result = parse_ics(ics(broken))
    assert result.rows == []
    assert [(e.row, e.column, e.message_id) for e in result.errors] == [(3, column, message_id)]


def test_a_calendar_event_that_cannot_be_read_at_all_is_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever else icalendar cannot read in an event: its number, never a crash."""
    parse_event = importer.ics._parse_event

    def fragile(number: int, *args: object) -> object:
        if number == 3:
            raise KeyError("a property icalendar cannot read")
        return parse_event(number, *args)

    monkeypatch.setattr(importer.ics, "_parse_event", fragile)
    result = parse_ics(ics())
    assert result.rows == []
    assert [(e.row, e.column, e.message_id) for e in result.errors] == [
        (3, "", importer.MSG_BAD_EVENT)]


def test_a_cancelled_event_and_a_long_uid() -> None:
    uid = "040000008200E00074C5B7101A82E008" * 4
    text = CALENDAR.replace("UID:speelnamiddag@bredeschool.example", f"UID:{uid}").replace(
        "DURATION:PT3H\n", "DURATION:PT3H\nSTATUS:CANCELLED\n"
    )
    play = parse_ics(ics(text)).rows[1]
    assert play.cancelled
    assert len(play.external_id) <= 100
    assert play.external_id == parse_ics(ics(text)).rows[1].external_id  # stable


@pytest.mark.parametrize(("now", "start"), [
    (datetime(2026, 12, 4, 12, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=BRUSSELS)),
    (datetime(2027, 6, 30, 12, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=BRUSSELS)),
    (datetime(2027, 8, 31, 21, 59, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=BRUSSELS)),
    (datetime(2027, 8, 31, 22, 0, tzinfo=UTC), datetime(2027, 9, 1, tzinfo=BRUSSELS)),
])
def test_the_school_year_starts_on_1_september(now: datetime, start: datetime) -> None:
    assert school_year_start(now) == start


# --- a table that does not start in A1 -------------------------------------------------------

ROW7 = ["a", "workshop", "klimop", date(2026, 10, 14), time(14), time(15), "Yoga"]
COLUMNS7 = ["id", "kind", "schools", "date", "start", "end", "title_nl"]


def workbook_bytes(*rows: list[object], first_row: int = 1, first_column: int = 1,
                   merged: tuple[str, ...] = ()) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row_number, values in enumerate(rows, start=first_row):
        for column, value in enumerate(values, start=first_column):
            sheet.cell(row=row_number, column=column, value=value)
    for cells in merged:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_sheet_with_a_blank_top_row_is_read_not_called_empty() -> None:
    result = parse_xlsx(workbook_bytes(COLUMNS7, ROW7, first_row=2, first_column=2))
    assert result.errors == [] and [r.external_id for r in result.rows] == ["a"]
    # The same in a CSV that Excel saved with an empty first line, with either separator.
    text = "\r\n" + ";".join(COLUMNS7) + "\r\na;workshop;klimop;2026-10-14;14:00;15:00;Yoga\r\n"
    assert parse_csv(text.encode()).errors == []
    assert [r.external_id for r in parse_csv(text.replace(";", ",").encode()).rows] == ["a"]


def test_a_title_above_the_header_is_passed_over_and_rows_keep_their_numbers() -> None:
    title = ["Programma Brede School, najaar 2026"]
    bad = ["b", "workshop", "klimop", "gisteren", time(14), time(15), "Dans"]
    result = parse_xlsx(workbook_bytes(title, [], COLUMNS7, ROW7, bad))
    assert [(e.row, e.column, e.message_id) for e in result.errors] == [
        (5, "date", importer.MSG_BAD_DATE)]  # as the sheet numbers it
    result = parse_xlsx(workbook_bytes(title, [], COLUMNS7, ROW7))
    assert result.errors == [] and [r.external_id for r in result.rows] == ["a"]
    # A comma in the title does not make a semicolon file a comma file.
    text = ("Programma, najaar 2026\n" + ";".join(COLUMNS7)
            + "\na;workshop;klimop;2026-10-14;14:00;15:00;Yoga, voor iedereen\n")
    result = parse_csv(text.encode())
    assert result.errors == [] and result.rows[0].texts["nl"].title == "Yoga, voor iedereen"


def test_a_header_lacking_columns_is_named_in_its_own_row() -> None:
    result = parse_xlsx(workbook_bytes([], [*COLUMNS7[:-1], "titel"], ROW7))
    assert [(e.row, e.column, e.message_id) for e in result.errors] == [
        (2, "title_nl", importer.MSG_MISSING_COLUMN)]
    assert [e.message_id for e in parse_xlsx(workbook_bytes([], [None, None])).errors] == [
        importer.MSG_EMPTY_FILE]


# --- times stored as a fraction of a day -----------------------------------------------------


@pytest.mark.parametrize(("end", "expected"), [
    (0.9999, time(23, 59)), (0.99999999, time(23, 59)), (0.999, time(23, 59)),
    (0.75, time(18)),
])
def test_an_end_just_before_midnight_as_a_fraction_of_a_day_is_no_crash(
        end: float, expected: time) -> None:
    result = parse_xlsx(workbook_bytes(COLUMNS7, [*ROW7[:4], 0.5, end, "Nachtwandeling"]))
    assert result.errors == []
    assert result.rows[0].ends_at == datetime.combine(date(2026, 10, 14), expected, BRUSSELS)


@pytest.mark.parametrize("end", [-0.25, 24.5, 45123.75])
def test_a_time_number_out_of_the_day_is_a_row_error(end: float) -> None:
    result = parse_xlsx(workbook_bytes(COLUMNS7, [*ROW7[:4], 0.5, end, "Nachtwandeling"]))
    assert [(e.row, e.column, e.message_id) for e in result.errors] == [
        (2, "end", importer.MSG_BAD_TIME)]


# --- merged cells ----------------------------------------------------------------------------


def test_a_day_merged_over_two_rows_counts_for_both() -> None:
    second = ["b", "workshop", "klimop", None, time(16), time(17), "Dans"]
    result = parse_xlsx(workbook_bytes(COLUMNS7, ROW7, second, merged=("D2:D3",)))
    assert result.errors == [], [(e.row, e.column, e.message_id) for e in result.errors]
    assert [r.starts_at.date() for r in result.rows] == [date(2026, 10, 14)] * 2
    # Merged further down than the day's activities: the empty rows stay empty rows.
    result = parse_xlsx(workbook_bytes(COLUMNS7, ROW7, second, [], [], merged=("D2:D6",)))
    assert result.errors == [] and len(result.rows) == 2


def test_a_cell_merged_across_columns_is_not_copied_sideways() -> None:
    """A title merged over the title and description columns is the title only."""
    header = [*COLUMNS7, "description_nl"]
    result = parse_xlsx(workbook_bytes(header, [*ROW7, None], merged=("G2:H2",)))
    assert result.errors == [] and result.rows[0].texts["nl"] == LocalText("Yoga", "")


# --- calendars with a long history -----------------------------------------------------------

GOOGLE_EXPORT = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
X-WR-TIMEZONE:Europe/Brussels
BEGIN:VEVENT
DTSTART:20191008T063000Z
DTEND:20191008T080000Z
UID:old-ouderbabbel-2019@google.com
SUMMARY:Ouderbabbel (2019)
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Brussels:20260310T140000
DTEND;TZID=Europe/Brussels:20260310T150000
UID:last-school-year@google.com
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Brussels:20261014T140000
DTEND;TZID=Europe/Brussels:20261014T150000
RRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216T225959Z
UID:yoga-2026@google.com
SUMMARY:Kinderyoga
END:VEVENT
END:VCALENDAR
"""


def test_a_google_export_with_an_event_from_2019_still_imports_this_years_events() -> None:
    result = parse_ics(ics(GOOGLE_EXPORT))
    # Without a day to count from, only what is older than FIRST_YEAR is left out: the event
    # of last March has no SUMMARY, and that is its error.
    assert [(e.row, e.column) for e in result.errors] == [(2, "SUMMARY")]
    result = parse_ics(ics(GOOGLE_EXPORT), now=NOW)
    assert result.errors == [], [(e.row, e.column, e.message_id) for e in result.errors]
    assert [r.external_id for r in result.rows] == ["yoga-2026@google.com"]
    assert result.skipped == 2  # 2019, and last school year's (its missing title no matter)


async def test_import_file_counts_the_events_left_out(db: Database) -> None:
    async with db.session() as session:
        outcome = await imported(session, "agenda.ics", ics(GOOGLE_EXPORT))
        assert outcome.errors == [] and outcome.summary is not None
        assert outcome.summary.skipped_over == 2
        assert outcome.summary.created_titles == ("Kinderyoga",)


def test_a_calendar_with_only_past_events_says_so() -> None:
    past = GOOGLE_EXPORT.split("BEGIN:VEVENT\nDTSTART;TZID=Europe/Brussels:20261014")[0]
    result = parse_ics(ics(past + "END:VCALENDAR\n"), now=NOW)
    assert [e.message_id for e in result.errors] == [importer.MSG_ALL_EVENTS_OVER]


def test_a_series_begun_before_2020_and_still_going_starts_in_2020() -> None:
    """The weekly yoga set up in 2018 without an end: still on, so imported, from its first
    Wednesday in 2020 (always the same day: sending it again changes nothing)."""
    series = GOOGLE_EXPORT.replace(
        "DTSTART;TZID=Europe/Brussels:20261014T140000\nDTEND;TZID=Europe/Brussels:"
        "20261014T150000\nRRULE:FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216T225959Z",
        "DTSTART;TZID=Europe/Brussels:20180103T140000\nDTEND;TZID=Europe/Brussels:"
        "20180103T150000\nRRULE:FREQ=WEEKLY;BYDAY=WE")
    [yoga] = parse_ics(ics(series), now=NOW).rows
    assert (yoga.starts_at, yoga.ends_at) == (local(2020, 1, 1, 14), local(2020, 1, 1, 15))
    found = occurrences(yoga, local(2026, 11, 23), local(2026, 11, 30))
    assert [o.starts_at for o in found] == [local(2026, 11, 25, 14)]
    # With a COUNT, what is left of it: 2018 and 2019 held 104 Wednesdays.
    counted = series.replace("BYDAY=WE\n", "BYDAY=WE;COUNT=600\n")
    [yoga] = parse_ics(ics(counted), now=NOW).rows
    assert yoga.rrule is not None and "COUNT=496" in yoga.rrule
    # A series that ended in 2019 is over: left out.
    ended = series.replace("BYDAY=WE\n", "BYDAY=WE;UNTIL=20191231T000000Z\n")
    result = parse_ics(ics(ended), now=NOW)
    assert result.errors == [RowError(0, "", importer.MSG_ALL_EVENTS_OVER)]
    assert result.skipped == 3


# --- ids: capitals do not count ----------------------------------------------------------------


# Moved from tests/test_review_coordinator.py (a reviewer's probe, fixed).
def test_an_id_that_differs_only_in_capitals_is_the_same_activity() -> None:
    text = ("id;kind;schools;date;start;end;title_nl\n"
            "kinderyoga-wijdeland;workshop;wijdeland;2026-11-25;14:00;15:00;Kinderyoga\n"
            "Kinderyoga-wijdeland;workshop;wijdeland;2026-11-25;14:00;15:00;Kinderyoga\n")
    result = parse_csv(text.encode())
    assert [error.message_id for error in result.errors] == [importer.MSG_DUPLICATE_ID], (
        [row.external_id for row in result.rows])


async def test_sending_an_id_again_with_other_capitals_updates_the_same_activity(
    db: Database
) -> None:
    yoga = {**GOOD, "id": "kinderyoga-wijdeland", "repeat": ""}
    async with db.session() as session:
        first = await imported(session, "p.csv", csv_bytes(yoga))
        assert first.summary == ImportSummary(1, 0, 0)
        await session.commit()
    async with db.session() as session:
        same = await imported(session, "p.csv", csv_bytes({**yoga, "id": "Kinderyoga-Wijdeland"}))
        # One activity, unchanged, and not "planned but not in the file".
        assert same.summary == ImportSummary(0, 0, 1)
        moved = await imported(session, "p.csv", csv_bytes(
            {**yoga, "id": "KINDERYOGA-WIJDELAND", "start": "14:30"}))
        assert moved.summary == ImportSummary(0, 1, 0)
        await session.commit()
    assert await count_activities(db) == 1
    async with db.session() as session:
        [row] = await session.scalars(select(Activity))
        # The stored spelling stays.
        assert row.external_id == "kinderyoga-wijdeland"
        assert row.starts_at.astimezone(BRUSSELS).time() == time(14, 30)


async def test_an_exact_id_wins_over_one_with_other_capitals(db: Database) -> None:
    """Two activities whose ids differ only in capitals (stored before capitals stopped
    counting): each is found by its exact id; any other spelling finds the older one."""
    async with db.session() as session:
        await imported(session, "p.csv", csv_bytes({**GOOD, "id": "yoga"},
                                                    {**GOOD, "id": "twee"}))
        [twee] = (await by_external_ids(session, ["twee"])).values()
        twee.external_id = "Yoga"
        await session.commit()
    async with db.session() as session:
        found = await by_external_ids_any_case(session, ["yoga", "Yoga", "YOGA", "dans"])
        assert {id_: row.external_id for id_, row in found.items()} == {
            "yoga": "yoga", "Yoga": "Yoga"}  # "YOGA" is alike to two given ids: exact only
        found = await by_external_ids_any_case(session, ["YOGA"])
        assert {id_: row.external_id for id_, row in found.items()} == {"YOGA": "yoga"}
        # The exact look-up (set_voices) is still exact.
        assert set(await by_external_ids(session, ["YOGA", "Yoga"])) == {"Yoga"}


async def test_two_ids_of_one_file_that_differ_only_in_capitals_stay_two(db: Database) -> None:
    """A spreadsheet refuses them (above); a calendar's UIDs are the calendar's own: apply
    keeps them apart, as before, and matches each exactly."""
    [yoga] = parse_csv(csv_bytes(GOOD)).rows
    async with db.session() as session:
        summary = await apply(session, [yoga, replace(yoga, external_id="YOGA")], now=NOW)
        assert summary == ImportSummary(2, 0, 0)
        again = await apply(session, [yoga, replace(yoga, external_id="YOGA")], now=NOW)
        assert again == ImportSummary(0, 0, 2)
