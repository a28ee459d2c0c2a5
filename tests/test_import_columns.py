"""The spreadsheet's header: a misspelt column is refused (its values would be lost as a note
column's), a synonym is read as its column, and real note columns are left alone."""

from __future__ import annotations

import pytest

from bot.i18n import SUPPORTED_LOCALES, translations
from bot.services import importer
from bot.services.importer import RowError, parse_csv, parse_xlsx
from bot.services.importer.spreadsheet import MSG_NEAR_COLUMN, MSG_SAME_COLUMN
from tests.test_importer import COLUMNS7, ROW7, workbook_bytes

SHEET = ("id;kind;schools;date;start;end;title_nl;{column}\n"
         "yoga;workshop;wijdeland;2026-11-04;14:00;15:00;Kinderyoga;{value}\n")
WEEKLY = "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216"


def sheet(column: str, value: str = "x", more: str = "") -> bytes:
    """The one-row sheet with one more column (and ``more`` columns, empty, after it)."""
    extra = f";{more}" if more else ""
    return (f"id;kind;schools;date;start;end;title_nl;{column}{extra}\n"
            f"yoga;workshop;wijdeland;2026-11-04;14:00;15:00;Kinderyoga;\"{value}\"\n").encode()


# Moved from tests/test_review_coordinator.py (a reviewer's probe, fixed).
@pytest.mark.parametrize(("column", "value"), [
    ("canceled_dates", "2026-11-25"),  # the American spelling
    ("cancelled_date", "2026-11-25"),  # one letter short
    ("rrule", "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216"),  # what the README calls it
])
def test_a_misspelt_column_is_not_silently_ignored(column: str, value: str) -> None:
    text = SHEET.format(column=column, value=f'"{value}"')
    result = parse_csv(text.encode())
    imported = result.rows[0] if result.rows else None
    assert result.errors or (imported is not None and (imported.cancelled_starts
                                                        or imported.rrule)), imported


@pytest.mark.parametrize(("header", "meant"), [
    ("cancelled_date", "cancelled_dates"),
    ("Cancelled Date", "cancelled_dates"),  # named as written
    ("cancelled", "cancelled_dates"),
    ("canceled", "cancelled_dates"),
    ("cancellations", "cancelled_dates"),
    ("exdates", "cancelled_dates"),  # near a synonym: the column it stands for
    ("repeats", "repeat"),
    ("rrules", "repeat"),
    ("adres", "address"),
    ("adress", "address"),
    ("places", "place"),
    ("long", "lon"),
    ("description", "description_nl"),
    ("descripton_tr", "description_tr"),
    ("Titel PA ", "title_pa"),
])
def test_a_header_near_a_column_the_sheet_lacks_is_refused_naming_both(
    header: str, meant: str
) -> None:
    result = parse_csv(sheet(header))
    assert result.rows == []
    assert result.errors == [
        RowError(1, header.strip(), MSG_NEAR_COLUMN, {"header": header.strip(), "column": meant})]


@pytest.mark.parametrize("header", [
    "notes", "note", "opmerking", "opmerkingen", "notities", "notlar", "ਨੋਟ", "contact",
    "contactpersoon", "verantwoordelijke", "prijs", "leeftijd", "begeleider", "lokaal",
    "materiaal", "doelgroep", "info", "extra", "comments", "plaats", "locatie", "datum",
    "wanneer", "thema", "klas", "telefoon", "email",
    "title_en", "description_ar", "title_bg",  # a language the bot does not speak yet
])
def test_a_note_column_is_still_ignored(header: str) -> None:
    result = parse_csv(sheet(header, "zaal reserveren!"))
    assert result.errors == [] and len(result.rows) == 1


@pytest.mark.parametrize(("header", "beside"), [
    ("description", "description_nl"),  # the first of equals is there: a note
    ("title_nl_oud", "title_nl"),  # near a column the sheet has
    ("dates", "cancelled_dates"),
    ("repeat_old", "repeat"),
])
def test_a_header_near_a_column_the_sheet_has_is_a_note(header: str, beside: str) -> None:
    if beside == "title_nl":
        result = parse_csv(sheet(header, "Oude titel"))
    else:
        result = parse_csv(sheet(header, "oud", more=beside))
    assert result.errors == [] and len(result.rows) == 1


@pytest.mark.parametrize("header", ["rrule", "RRULE"])
def test_the_calendars_name_of_the_repeat_rule(header: str) -> None:
    [row] = parse_csv(sheet(header, WEEKLY)).rows
    assert row.rrule == WEEKLY


def test_the_long_names_of_the_coordinates() -> None:
    text = ("id;kind;schools;date;start;end;title_nl;Latitude;Longitude\n"
            "yoga;workshop;wijdeland;2026-11-04;14:00;15:00;Kinderyoga;50.8;5.2\n")
    [row] = parse_csv(text.encode()).rows
    assert (row.place.latitude, row.place.longitude) == (50.8, 5.2)


@pytest.mark.parametrize("header", ["canceled_dates", "exdate", "Canceled Dates"])
def test_the_calendars_and_the_american_names_of_cancelled_dates(header: str) -> None:
    text = SHEET.replace("{column}", f"repeat;{header}").replace(
        "{value}", f'"{WEEKLY}";2026-11-25 2026-12-02')
    [row] = parse_csv(text.encode()).rows
    assert sorted(start.date().isoformat() for start in row.cancelled_starts) == [
        "2026-11-25", "2026-12-02"]


def test_a_column_and_its_synonym_together_are_refused() -> None:
    result = parse_csv(sheet("repeat", more="RRULE"))
    assert result.errors == [
        RowError(1, "RRULE", MSG_SAME_COLUMN, {"header": "RRULE", "column": "repeat"})]
    result = parse_csv(sheet("exdate", more="canceled_dates"))
    assert result.errors == [RowError(1, "canceled_dates", MSG_SAME_COLUMN,
                                      {"header": "canceled_dates", "column": "exdate"})]
    # The same name twice stays "twice".
    result = parse_csv(sheet("Repeat", more="repeat"))
    assert result.errors == [
        RowError(1, "repeat", importer.MSG_DUPLICATE_COLUMN, {"column": "repeat"})]


def test_a_misspelt_required_column_is_named_once_with_what_it_meant() -> None:
    text = ("id;kind;schools;date;start;end;titel_nl\n"
            "yoga;workshop;wijdeland;2026-11-04;14:00;15:00;Kinderyoga\n")
    assert parse_csv(text.encode()).errors == [
        RowError(1, "titel_nl", MSG_NEAR_COLUMN, {"header": "titel_nl", "column": "title_nl"})]
    # Too far to be sure: the column is missing, as before.
    assert [e.message_id for e in parse_csv(text.replace("titel_nl", "naam").encode()).errors
            ] == [importer.MSG_MISSING_COLUMN]


def test_a_misspelt_column_in_a_workbook_names_the_sheets_row() -> None:
    result = parse_xlsx(workbook_bytes([], [*COLUMNS7, "Canceled date"], ROW7))
    assert result.errors == [RowError(2, "Canceled date", MSG_NEAR_COLUMN,
                                      {"header": "Canceled date",
                                       "column": "cancelled_dates"})]


@pytest.mark.parametrize("message", [MSG_NEAR_COLUMN, MSG_SAME_COLUMN])
def test_the_new_messages_are_translated(message: str) -> None:
    params = {"header": "cancelled_date", "column": "cancelled_dates"}
    for locale in SUPPORTED_LOCALES:
        text = translations(locale).gettext(message)
        assert text != message or locale == "en"
        assert "cancelled_date" in text.format(**params)
        assert "cancelled_dates" in text.format(**params)
