"""Import the programme from the coordinator's CSV, Excel (.xlsx) or calendar (.ics) file.

Usage::

    outcome = await import_file(session, "programma.xlsx", data)
    if outcome.errors:      # nothing was imported: show the list (row, column, message)
        ...
    else:                   # outcome.summary: created / updated / unchanged
        await session.commit()

or step by step: ``parse_csv`` / ``parse_xlsx`` / ``parse_ics`` (or ``parse_file`` by file
name) give a ``ParseResult``; only when it has no errors, ``apply(session, result.rows)``
creates or updates the activities. A file with any error imports nothing. Every activity
has a stable id, so importing the same file again changes nothing.

Errors carry an English msgid (translate it with ``_()`` and ``.format(**params)``), the
row as the spreadsheet shows it (the header is row 1; for a calendar, the event's number),
and the column (for a calendar, the property such as ``DTSTART``). Row 0 with an empty
column means the file as a whole.

Spreadsheet columns (CSV or the first sheet of an .xlsx workbook)
------------------------------------------------------------------

A CSV file is UTF-8 (with or without BOM: Excel's "CSV UTF-8"), separated by semicolons
(as Excel writes it in Belgium) or commas; the separator is recognised from the header row.
The first row names the columns, in any order; unknown columns are ignored (keep notes
there), a left-out optional column counts as empty. Empty rows are skipped. A repeat rule
holds semicolons: Excel puts it in double quotes in a semicolon file; do so too when you
type the file by hand.

=================  =========  ===========================================================
column             required   what to write
=================  =========  ===========================================================
id                 yes        a stable id of your own, at most 100 characters
                              (``yoga-wijdeland-2026``); the same id updates the activity
kind               yes        ouderbabbel, workshop, open_activity (open activiteit),
                              holiday_activity (vakantieactiviteit), other (andere)
schools            yes        school codes separated by spaces or commas
                              (``klimop debrug``), or ``all`` / ``alle``
date               yes        the (first) day: 2026-10-21 or 21/10/2026
start, end         yes        local Brussels time on that day: 14:00 (also 14.00, 14u30)
repeat             no         an RFC 5545 rule without DTSTART, e.g.
                              ``FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630`` (every Wednesday
                              until 30 June 2027) or ``FREQ=MONTHLY;BYDAY=1TU`` (every
                              first Tuesday); daily, weekly, monthly or yearly
place, address     no         where: ``Bibliotheek``, ``Kazernestraat 13, 3800 Sint-Truiden``
lat, lon           no         map coordinates, both or neither: 50.8167 (or 50,8167)
title_nl           yes        the Dutch title, at most 200 characters
description_nl     no         the Dutch description
title_tr, description_tr      no   Turkish; left empty, parents get the Dutch text
title_pa, description_pa      no   Punjabi (Gurmukhi); likewise
cancelled_dates    no         days on which a recurring activity does not take place,
                              separated by spaces: ``2026-10-28 2026-11-04``
=================  =========  ===========================================================

In an .xlsx sheet, dates and times may be real date and time cells.

Calendar files (.ics)
---------------------

Each event (VEVENT) becomes an activity: UID is the id, SUMMARY the Dutch title,
DESCRIPTION the Dutch description, LOCATION the place (the text before the first comma is
the place's name, the rest its address), GEO the coordinates, DTSTART and DTEND (or
DURATION) the times (with their TZID; times without a zone are Brussels time), RRULE the
repeat rule and EXDATE the cancelled occurrences. CATEGORIES may name the kind (as in the
``kind`` column) and school codes (or ``all``); without a kind the activity is ``other``,
without a school code it is for all schools. An event with STATUS:CANCELLED is cancelled.
A changed single occurrence (RECURRENCE-ID) cancels that occurrence of its series and
becomes an activity of its own. RDATE is not supported.

What an import does not do
--------------------------

It never deletes an activity that is missing from the file (a file may cover one school),
it only adds cancelled occurrences (a cancellation made in the bot stays), and it never
un-cancels a whole activity.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import math
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import BRUSSELS, N_, SUPPORTED_LOCALES
from bot.services.programme import (
    DUTCH,
    ActivityData,
    Kind,
    LocalText,
    Place,
    occurrence_on,
    recurrence_rule,
    skipped_by_clocks,
)
from storage import programme as repo
from storage.db import SCHOOLS_FILE
from storage.models import (
    Activity,
    ActivityCancellation,
    ActivitySchool,
    ActivityText,
    School,
    utcnow,
)

log = logging.getLogger(__name__)

# Messages for the coordinator (rendered in Dutch by the handler).
MSG_UNKNOWN_FILE_TYPE = N_("Send a .csv, .xlsx or .ics file.")
MSG_EMPTY_FILE = N_("The file is empty.")
MSG_NOT_UTF8 = N_("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”.")
MSG_NOT_XLSX = N_("The file is not an Excel workbook (.xlsx).")
MSG_NOT_ICS = N_("The file is not a calendar file (.ics).")
MSG_NO_ACTIVITIES = N_("The file holds no activities.")
MSG_MISSING_COLUMN = N_("The column “{column}” is missing.")
MSG_DUPLICATE_COLUMN = N_("The column “{column}” appears twice.")
MSG_REQUIRED = N_("This value is required.")
MSG_TOO_LONG = N_("Too long: at most {max} characters.")
MSG_DUPLICATE_ID = N_("The id “{value}” is already used in row {row}.")
MSG_UNKNOWN_KIND = N_(
    "Unknown kind “{value}”. Use ouderbabbel, workshop, open activiteit, "
    "vakantieactiviteit or andere."
)
MSG_UNKNOWN_SCHOOL = N_("Unknown school code “{value}”.")
MSG_BAD_DATE = N_("“{value}” is not a date. Write it as 2026-10-21 or 21/10/2026.")
MSG_BAD_TIME = N_("“{value}” is not a time. Write it as 14:00.")
MSG_END_NOT_AFTER_START = N_("The end is not after the start.")
MSG_CLOCKS_SKIP = N_("{value} does not exist on this day: the clocks go forward from 2:00 "
                     "to 3:00. Choose another time.")
MSG_BAD_RRULE = N_(
    "“{value}” is not a repeat rule. Example: FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630"
)
MSG_RRULE_NO_DATES = N_("The repeat rule gives no date on or after the start.")
MSG_BAD_NUMBER = N_("“{value}” is not a number.")
MSG_LATITUDE_RANGE = N_("The latitude must be between -90 and 90.")
MSG_LONGITUDE_RANGE = N_("The longitude must be between -180 and 180.")
MSG_LAT_LON_PAIR = N_("Give both lat and lon, or neither.")
MSG_NOT_AN_OCCURRENCE = N_("The activity does not take place on {value}.")
MSG_YEAR_RANGE = N_("“{value}”: the year must be between {first} and {last}.")
MSG_BAD_CALENDAR_VALUE = N_("“{value}” is not a valid date, time or duration.")
MSG_BAD_EVENT = N_("This event cannot be read. Export the calendar again, or use the "
                   "spreadsheet.")

# The years an activity may fall in. A typo such as 0206 or 20026 is refused, not imported:
# a daily rule starting in the year 206 would be expanded from then on at every look at the
# week, and an activity in 2620 would never be seen.
FIRST_YEAR, LAST_YEAR = 2020, 2099

REQUIRED_COLUMNS = ("id", "kind", "schools", "date", "start", "end", "title_nl")
# Every column the importer reads, in the order of examples/programme.csv.
COLUMNS = (
    "id", "kind", "schools", "date", "start", "end", "repeat", "place", "address", "lat", "lon",
    "title_nl", "description_nl", "title_tr", "description_tr", "title_pa", "description_pa",
    "cancelled_dates",
)  # fmt: skip

MAX_ID, MAX_TITLE, MAX_PLACE, MAX_ADDRESS = 100, 200, 200, 300

# A spreadsheet cell as csv or openpyxl gives it.
Cell = str | int | float | bool | date | time | datetime | None


@dataclass(frozen=True)
class RowError:
    """What is wrong, where: ``_(message_id).format(**params)`` in the coordinator's language."""

    row: int
    column: str
    message_id: str
    params: Mapping[str, str | int] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class ParseResult:
    rows: list[ActivityData]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    # What the file newly cancelled: (activity id, the occurrence's start), or (id, None) for
    # the whole activity. Those who said they would come are told (services/cancellation.py).
    cancelled: tuple[tuple[int, datetime | None], ...] = ()


@dataclass(frozen=True)
class ImportOutcome:
    """Either errors (and nothing imported) or a summary."""

    errors: list[RowError]
    summary: ImportSummary | None


class UnknownSchoolCode(LookupError):
    """``apply`` was given a school code the database does not know."""


_KINDS: dict[str, Kind] = {
    "ouderbabbel": Kind.OUDERBABBEL,
    "workshop": Kind.WORKSHOP,
    "openactivity": Kind.OPEN_ACTIVITY,
    "openactiviteit": Kind.OPEN_ACTIVITY,
    "holidayactivity": Kind.HOLIDAY_ACTIVITY,
    "vakantieactiviteit": Kind.HOLIDAY_ACTIVITY,
    "other": Kind.OTHER,
    "andere": Kind.OTHER,
    "ander": Kind.OTHER,
}
_ALL_SCHOOLS = {"all", "alle", "all schools", "alle scholen"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S")
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?")
_FLEMISH_CLOCK = re.compile(r"(\d{1,2})\s*[uh](?:\s*(\d{2}))?")  # 14u, 14u30, 14h30


def default_school_codes() -> frozenset[str]:
    """The codes of the schools shipped in storage/data/schools.json."""
    schools = json.loads(SCHOOLS_FILE.read_text(encoding="utf-8"))
    return frozenset(school["code"] for school in schools)


def kind_of(text: str) -> Kind | None:
    """``Open activiteit`` -> Kind.OPEN_ACTIVITY; None if unknown."""
    return _KINDS.get(re.sub(r"[\s_\-]+", "", text.lower()))


# --- cells -------------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # Excel stores the id 12 as 12.0
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return str(cell).strip()


def _date(cell: Cell) -> date | None:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _time(cell: Cell) -> time | None:
    if isinstance(cell, datetime):
        return cell.time()
    if isinstance(cell, time):
        return cell
    if isinstance(cell, float) and 0 <= cell < 1:  # Excel's fraction of a day
        seconds = round(cell * 24 * 60) * 60
        return time(seconds // 3600, seconds % 3600 // 60)
    text = _text(cell).lower()
    match = _CLOCK.fullmatch(text) or _FLEMISH_CLOCK.fullmatch(text)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_date(text: str) -> date | None:
    """A typed day (2026-10-21, 21/10/2026), or None."""
    return _date(text.strip())


def parse_time(text: str) -> time | None:
    """A typed clock time (14:00, 14.00, 14u30), or None."""
    return _time(text.strip())


def _number(cell: Cell) -> float | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = float(cell)
    else:
        try:
            value = float(_text(cell).replace(",", "."))  # Belgian decimal comma
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def _dates(cell: Cell) -> list[Cell]:
    if isinstance(cell, date | datetime):
        return [cell]
    return [part for part in re.split(r"[\s,;]+", _text(cell)) if part]


def _external_id(uid: str) -> str:
    """A calendar UID as an id of at most 100 characters (Outlook's UIDs are longer)."""
    if len(uid) <= MAX_ID:
        return uid
    return "ics-" + hashlib.sha256(uid.encode()).hexdigest()[:60]


def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tz).astimezone(UTC)


# --- rows of a spreadsheet --------------------------------------------------------------


class _Row:
    """One data row: reads cells by column name and collects what is wrong with them."""

    def __init__(self, number: int, cells: Mapping[str, Cell]) -> None:
        self.number = number
        self.cells = cells
        self.errors: list[RowError] = []

    def error(self, column: str, message_id: str, **params: str | int) -> None:
        self.errors.append(RowError(self.number, column, message_id, params))

    def text(self, column: str, max_length: int | None = None, required: bool = False) -> str:
        value = _text(self.cells.get(column))
        if required and not value:
            self.error(column, MSG_REQUIRED)
        elif max_length is not None and len(value) > max_length:
            self.error(column, MSG_TOO_LONG, max=max_length)
        return value

    def parsed(self, column: str, parse: Callable[[Cell], Any], message_id: str) -> Any:
        """A required cell through ``parse``; None (and an error) if empty or unreadable."""
        cell = self.cells.get(column)
        if not _text(cell):
            self.error(column, MSG_REQUIRED)
            return None
        value = parse(cell)
        if value is None:
            self.error(column, message_id, value=_text(cell))
        return value

    def coordinate(self, column: str, limit: float, range_message: str) -> float | None:
        cell = self.cells.get(column)
        if not _text(cell):
            return None
        value = _number(cell)
        if value is None:
            self.error(column, MSG_BAD_NUMBER, value=_text(cell))
        elif not -limit <= value <= limit:
            self.error(column, range_message)
            return None
        return value


def _schools(row: _Row, known: Collection[str]) -> tuple[bool, tuple[str, ...]]:
    text = row.text("schools", required=True).lower()
    if text in _ALL_SCHOOLS:
        return True, ()
    codes = [code for code in re.split(r"[\s,;/]+", text) if code]
    if any(code in _ALL_SCHOOLS for code in codes):
        return True, ()
    for code in codes:
        if code not in known:
            row.error("schools", MSG_UNKNOWN_SCHOOL, value=code)
    return False, tuple(sorted(set(codes)))


def _parse_row(row: _Row, known: Collection[str], tz: ZoneInfo) -> ActivityData | None:
    external_id = row.text("id", MAX_ID, required=True)
    kind_text = row.text("kind", required=True)
    kind = kind_of(kind_text) if kind_text else None
    if kind_text and kind is None:
        row.error("kind", MSG_UNKNOWN_KIND, value=kind_text)
    all_schools, codes = _schools(row, known)

    day = row.parsed("date", _date, MSG_BAD_DATE)
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        row.error("date", MSG_YEAR_RANGE, value=_text(row.cells.get("date")),
                  first=FIRST_YEAR, last=LAST_YEAR)
        day = None
    start = row.parsed("start", _time, MSG_BAD_TIME)
    end = row.parsed("end", _time, MSG_BAD_TIME)
    starts_at = ends_at = None
    if day and start and end:
        skipped = [(column, clock) for column, clock in (("start", start), ("end", end))
                   if skipped_by_clocks(day, clock, tz)]
        for column, clock in skipped:
            row.error(column, MSG_CLOCKS_SKIP, value=f"{clock:%H:%M}")
        if not skipped:
            starts_at, ends_at = _local(day, start, tz), _local(day, end, tz)
            if ends_at <= starts_at:
                row.error("end", MSG_END_NOT_AFTER_START)

    rule = row.text("repeat") or None
    if rule and starts_at:
        try:
            if recurrence_rule(rule, starts_at, tz).after(datetime.min, inc=True) is None:
                row.error("repeat", MSG_RRULE_NO_DATES)
        except ValueError:
            row.error("repeat", MSG_BAD_RRULE, value=rule)

    latitude = row.coordinate("lat", 90, MSG_LATITUDE_RANGE)
    longitude = row.coordinate("lon", 180, MSG_LONGITUDE_RANGE)
    for column, other in (("lat", "lon"), ("lon", "lat")):
        if not _text(row.cells.get(column)) and _text(row.cells.get(other)):
            row.error(column, MSG_LAT_LON_PAIR)
    place = Place(
        row.text("place", MAX_PLACE), row.text("address", MAX_ADDRESS), latitude, longitude
    )

    texts = {}
    for locale in SUPPORTED_LOCALES:
        title = row.text(f"title_{locale}", MAX_TITLE, required=locale == DUTCH)
        description = row.text(f"description_{locale}")
        if title or description:
            texts[locale] = LocalText(title, description)

    cancelled_days = [(cell, _date(cell)) for cell in _dates(row.cells.get("cancelled_dates"))]
    for cell, cancelled_day in cancelled_days:
        if cancelled_day is None:
            row.error("cancelled_dates", MSG_BAD_DATE, value=_text(cell))

    if row.errors or kind is None or starts_at is None or ends_at is None:
        return None
    data = ActivityData(
        external_id=external_id,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        rrule=rule,
        all_schools=all_schools,
        school_codes=codes,
        place=place,
        texts=texts,
    )
    cancelled: set[datetime] = set()
    for _cell, cancelled_day in cancelled_days:
        assert cancelled_day is not None  # checked above
        occurrence = occurrence_on(data, cancelled_day, tz)
        if occurrence is None:
            row.error("cancelled_dates", MSG_NOT_AN_OCCURRENCE, value=cancelled_day.isoformat())
        else:
            cancelled.add(occurrence)
    return None if row.errors else replace(data, cancelled_starts=frozenset(cancelled))


def _header(cells: Sequence[Cell]) -> list[str]:
    return [re.sub(r"[\s\-]+", "_", _text(cell).lower()) for cell in cells]


def parse_table(
    records: Iterable[Sequence[Cell]],
    known_schools: Collection[str] | None = None,
    tz: ZoneInfo = BRUSSELS,
) -> ParseResult:
    """Rows of a spreadsheet, the header first (row 1)."""
    known = default_school_codes() if known_schools is None else frozenset(known_schools)
    lines = iter(records)
    header = _header(next(lines, []))
    if not any(header):
        return ParseResult([], [RowError(0, "", MSG_EMPTY_FILE)])
    errors = [
        RowError(1, column, MSG_DUPLICATE_COLUMN, {"column": column})
        for column in sorted({c for c in header if c and header.count(c) > 1})
    ]
    errors += [
        RowError(1, column, MSG_MISSING_COLUMN, {"column": column})
        for column in REQUIRED_COLUMNS
        if column not in header
    ]
    if errors:
        return ParseResult([], errors)

    rows: list[ActivityData] = []
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(lines, start=2):
        if not any(_text(cell) for cell in cells):
            continue
        # Rows may be shorter or longer than the header (trailing empty cells).
        named = zip(header, cells, strict=False)
        row = _Row(number, {name: cell for name, cell in named if name})
        data = _parse_row(row, known, tz)
        external_id = _text(row.cells.get("id"))
        if external_id in first_row_of:
            row.error("id", MSG_DUPLICATE_ID, value=external_id, row=first_row_of[external_id])
        elif external_id:
            first_row_of[external_id] = number
        errors += row.errors
        if data is not None and not row.errors:
            rows.append(data)
    if not rows and not errors:
        errors.append(RowError(0, "", MSG_NO_ACTIVITIES))
    return ParseResult(rows if not errors else [], errors)


def parse_csv(
    data: bytes, known_schools: Collection[str] | None = None, tz: ZoneInfo = BRUSSELS
) -> ParseResult:
    """A CSV file: UTF-8 with or without BOM, semicolons or commas (seen in the header)."""
    try:
        # A NUL is never part of a cell, and PostgreSQL refuses it in a text column.
        text = data.decode("utf-8-sig").replace("\x00", "")
    except UnicodeDecodeError:
        # Excel's plain "CSV" is Windows-1252: Turkish and Punjabi letters are already lost.
        return ParseResult([], [RowError(0, "", MSG_NOT_UTF8)])
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return parse_table(reader, known_schools, tz)


def parse_xlsx(
    data: bytes, known_schools: Collection[str] | None = None, tz: ZoneInfo = BRUSSELS
) -> ParseResult:
    """The first sheet of an Excel workbook; cells may be real dates and times."""
    from openpyxl import load_workbook  # only the importer needs it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises zipfile, XML and key errors alike on a broken file
        return ParseResult([], [RowError(0, "", MSG_NOT_XLSX)])
    try:
        sheet = workbook.worksheets[0]
        records = [list(values) for values in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return parse_table(records, known_schools, tz)


# --- calendars ---------------------------------------------------------------------------


def _moment(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A DTSTART/DTEND/EXDATE value as aware UTC; floating times and dates are Brussels time."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        return aware.astimezone(UTC)
    return datetime.combine(value, time(), tz).astimezone(UTC)


def _listed(value: Any) -> list[Any]:
    """A property that may occur once or several times."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _raw(prop: Any) -> str:
    """A property's value as the file has it, for an error message (at most 40 characters)."""
    try:
        text = prop.to_ical().decode("utf-8", "replace")
    except Exception:  # a broken property may not even write itself back
        text = str(prop)
    return text if len(text) <= 40 else text[:39] + "…"


def _categories(event: Any) -> list[str]:
    return [str(cat).strip() for prop in _listed(event.get("CATEGORIES")) for cat in prop.cats]


@dataclass
class _Event:
    number: int
    uid: str
    data: ActivityData
    recurrence_id: datetime | None
    status_cancelled: bool


def _parse_event(
    number: int, event: Any, known: Collection[str], tz: ZoneInfo
) -> tuple[_Event | None, list[RowError]]:
    errors: list[RowError] = []

    def error(column: str, message_id: str, **params: str | int) -> None:
        errors.append(RowError(number, column, message_id, params))

    uid = str(event.get("UID", "")).strip()
    if not uid:
        error("UID", MSG_REQUIRED)
    title = str(event.get("SUMMARY", "")).strip()
    if not title:
        error("SUMMARY", MSG_REQUIRED)
    elif len(title) > MAX_TITLE:
        error("SUMMARY", MSG_TOO_LONG, max=MAX_TITLE)
    description = str(event.get("DESCRIPTION", "")).strip()

    def when(name: str) -> date | timedelta | None:
        """A date or date-time (DURATION: a duration); None (and an error) when unreadable."""
        prop = event.get(name)
        if prop is None:
            return None
        try:
            value = prop.dt
        except Exception:  # icalendar raises its own errors on a broken value
            value = None
        if not isinstance(value, timedelta if name == "DURATION" else date):
            error(name, MSG_BAD_CALENDAR_VALUE, value=_raw(prop))
            return None
        if isinstance(value, date) and not FIRST_YEAR <= value.year <= LAST_YEAR:
            error(name, MSG_YEAR_RANGE, value=_raw(prop), first=FIRST_YEAR, last=LAST_YEAR)
            return None
        return value

    starts_at = ends_at = None
    start_value, end_value, duration = when("DTSTART"), when("DTEND"), when("DURATION")
    if event.get("DTSTART") is None:
        error("DTSTART", MSG_REQUIRED)
    elif isinstance(start_value, date):
        starts_at = _moment(start_value, tz)
        if isinstance(end_value, date):
            ends_at = _moment(end_value, tz)
        elif isinstance(duration, timedelta):
            ends_at = starts_at + duration
        elif not isinstance(start_value, datetime) and event.get("DURATION") is None:
            ends_at = _moment(start_value + timedelta(days=1), tz)  # all day, without end
        elif event.get("DTEND") is None and event.get("DURATION") is None:
            error("DTEND", MSG_REQUIRED)
        if ends_at is not None and ends_at <= starts_at:
            error("DTEND", MSG_END_NOT_AFTER_START)
    recurrence_id = when("RECURRENCE-ID")

    rule = None
    rrules = _listed(event.get("RRULE"))
    if rrules and starts_at is not None:
        rule = ";".join(r.to_ical().decode() for r in rrules)
        try:
            if len(rrules) > 1:
                raise ValueError("several RRULEs")
            if recurrence_rule(rule, starts_at, tz).after(datetime.min, inc=True) is None:
                error("RRULE", MSG_RRULE_NO_DATES)
        except ValueError:
            error("RRULE", MSG_BAD_RRULE, value=rule)

    location = str(event.get("LOCATION", "")).strip()
    place_name, _, address = (part.strip() for part in location.partition(","))
    if len(place_name) > MAX_PLACE:
        error("LOCATION", MSG_TOO_LONG, max=MAX_PLACE)
    if len(address) > MAX_ADDRESS:
        error("LOCATION", MSG_TOO_LONG, max=MAX_ADDRESS)
    latitude = longitude = None
    geo = event.get("GEO")
    if geo is not None:
        try:
            latitude, longitude = float(geo.latitude), float(geo.longitude)
        except (AttributeError, TypeError, ValueError):
            error("GEO", MSG_BAD_NUMBER, value=_raw(geo))
            latitude = longitude = 0.0
        if not -90 <= latitude <= 90:
            error("GEO", MSG_LATITUDE_RANGE)
        if not -180 <= longitude <= 180:
            error("GEO", MSG_LONGITUDE_RANGE)

    kind = Kind.OTHER
    kinds = [k for k in map(kind_of, _categories(event)) if k is not None]
    if kinds:
        kind = kinds[0]
    categories = {c.lower() for c in _categories(event)}
    codes = tuple(sorted(categories & set(known)))
    all_schools = not codes or bool(categories & _ALL_SCHOOLS)

    if errors or starts_at is None or ends_at is None:
        return None, errors
    data = ActivityData(
        external_id=_external_id(uid),
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        rrule=rule,
        all_schools=all_schools,
        school_codes=() if all_schools else codes,
        place=Place(place_name, address, latitude, longitude),
        texts={DUTCH: LocalText(title, description)},
    )
    cancelled: set[datetime] = set()
    for prop in _listed(event.get("EXDATE")):
        try:
            days = [value.dt for value in prop.dts]
        except Exception:  # icalendar raises its own errors on a broken value
            days = [None]
        for day in days:
            if not isinstance(day, date):
                error("EXDATE", MSG_BAD_CALENDAR_VALUE, value=_raw(prop))
                continue
            start = occurrence_on(data, _moment(day, tz).astimezone(tz).date(), tz)
            if start is not None:  # an EXDATE that hits no occurrence changes nothing
                cancelled.add(start)
    if errors:
        return None, errors
    return _Event(
        number=number,
        uid=uid,
        data=replace(data, cancelled_starts=frozenset(cancelled)),
        recurrence_id=_moment(recurrence_id, tz) if isinstance(recurrence_id, date) else None,
        status_cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
    ), []


def parse_ics(
    data: bytes, known_schools: Collection[str] | None = None, tz: ZoneInfo = BRUSSELS
) -> ParseResult:
    """An iCalendar file: each VEVENT an activity (see the module docstring)."""
    from icalendar import Calendar  # only the importer needs it

    known = default_school_codes() if known_schools is None else frozenset(known_schools)
    try:
        calendar = Calendar.from_ical(data.replace(b"\x00", b""))  # as in parse_csv
    except Exception:  # icalendar raises ValueError, KeyError, IndexError on broken input
        return ParseResult([], [RowError(0, "", MSG_NOT_ICS)])
    if isinstance(calendar, list):
        calendar = calendar[0] if calendar else None
    if calendar is None or calendar.name != "VCALENDAR":
        return ParseResult([], [RowError(0, "", MSG_NOT_ICS)])

    errors: list[RowError] = []
    events: list[_Event] = []
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        try:
            event, event_errors = _parse_event(number, component, known, tz)
        except Exception as problem:  # a property icalendar cannot read; its kind is logged
            log.warning("calendar event %d unreadable: %s", number, type(problem).__name__)
            event, event_errors = None, [RowError(number, "", MSG_BAD_EVENT)]
        errors += event_errors
        if event is not None:
            events.append(event)
    if not events and not errors:
        errors.append(RowError(0, "", MSG_NO_ACTIVITIES))

    series: dict[str, ActivityData] = {}
    first_event_of: dict[str, int] = {}
    for event in (e for e in events if e.recurrence_id is None):
        if event.uid in first_event_of:
            errors.append(RowError(event.number, "UID", MSG_DUPLICATE_ID,
                                   {"value": event.uid, "row": first_event_of[event.uid]}))
            continue
        first_event_of[event.uid] = event.number
        series[event.uid] = replace(event.data, cancelled=event.status_cancelled)

    # A changed occurrence: off in its series, and (unless cancelled) an activity of its own.
    extra: list[ActivityData] = []
    for event in (e for e in events if e.recurrence_id is not None):
        assert event.recurrence_id is not None
        master = series.get(event.uid)
        if master is not None:
            day = event.recurrence_id.astimezone(tz).date()
            start = occurrence_on(master, day, tz)
            if start is not None:
                series[event.uid] = replace(
                    master, cancelled_starts=master.cancelled_starts | {start}
                )
        if not event.status_cancelled:
            stamp = event.recurrence_id.strftime("%Y%m%dT%H%M%SZ")
            extra.append(replace(event.data, external_id=_external_id(f"{event.uid}#{stamp}"),
                                 rrule=None, cancelled_starts=frozenset()))
    if errors:
        return ParseResult([], errors)
    return ParseResult([*series.values(), *extra], [])


_PARSERS: dict[str, Callable[..., ParseResult]] = {
    ".csv": parse_csv,
    ".txt": parse_csv,
    ".xlsx": parse_xlsx,
    ".ics": parse_ics,
    ".ical": parse_ics,
}


def parse_file(
    filename: str,
    data: bytes,
    known_schools: Collection[str] | None = None,
    tz: ZoneInfo = BRUSSELS,
) -> ParseResult:
    """Any of the three formats, chosen by the file name's extension."""
    parser = _PARSERS.get(PurePath(filename).suffix.lower())
    if parser is None:
        return ParseResult([], [RowError(0, "", MSG_UNKNOWN_FILE_TYPE)])
    if not data.strip():
        return ParseResult([], [RowError(0, "", MSG_EMPTY_FILE)])
    return parser(data, known_schools, tz)


# --- into the database -------------------------------------------------------------------


def _write(
    row: Activity, data: ActivityData, schools: Mapping[str, School], tz: ZoneInfo
) -> bool:
    """Make the row say what ``data`` says; True if anything changed."""
    changed = False
    values = {
        "kind": data.kind.value,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "rrule": data.rrule,
        "all_schools": data.all_schools,
        "place_name": data.place.name,
        "place_address": data.place.address,
        "latitude": data.place.latitude,
        "longitude": data.place.longitude,
    }
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if data.cancelled and row.cancelled_at is None:
        row.cancelled_at = utcnow()
        changed = True

    wanted_schools = set() if data.all_schools else {schools[c].id for c in data.school_codes}
    current_schools = {link.school_id for link in row.schools}
    if wanted_schools != current_schools:
        # Keep the links that stay: deleting and re-adding one would clash on the unique pair.
        row.schools[:] = [link for link in row.schools if link.school_id in wanted_schools] + [
            ActivitySchool(school=school)
            for code, school in sorted(schools.items())
            if code in data.school_codes and school.id not in current_schools
        ]
        changed = True

    wanted_texts = {
        locale: (text.title, text.description)
        for locale, text in data.texts.items()
        if text.title or text.description
    }
    current_texts = {t.locale: (t.title, t.description) for t in row.texts
                     if t.title or t.description}
    if wanted_texts != current_texts:
        # A language's voice message (recorded in /activity, never in a file) stays.
        kept = [t for t in row.texts if t.locale in wanted_texts or t.voice_file_id]
        for text in kept:
            text.title, text.description = wanted_texts.get(text.locale, ("", ""))
        have = {t.locale for t in kept}
        row.texts[:] = kept + [
            ActivityText(locale=locale, title=title, description=description)
            for locale, (title, description) in sorted(wanted_texts.items())
            if locale not in have
        ]
        changed = True

    cancelled_days = {c.occurrence_start.astimezone(tz).date() for c in row.cancellations}
    for start in sorted(data.cancelled_starts):
        day = start.astimezone(tz).date()
        if day not in cancelled_days:
            row.cancellations.append(ActivityCancellation(occurrence_start=start))
            cancelled_days.add(day)
            changed = True
    return changed


async def apply(
    session: AsyncSession, rows: Sequence[ActivityData], tz: ZoneInfo = BRUSSELS
) -> ImportSummary:
    """Create or update the activities by external id; flushes, never commits.

    Call it only with the rows of a ParseResult without errors. Raises UnknownSchoolCode
    (before changing anything) if a school code is not in the database.
    """
    ids = [data.external_id for data in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("the same external id twice")
    schools = await repo.schools_by_code(session)
    unknown = sorted({code for data in rows for code in data.school_codes} - schools.keys())
    if unknown:
        raise UnknownSchoolCode(", ".join(unknown))

    existing = await repo.by_external_ids(session, ids)
    created = updated = unchanged = 0
    changed: list[tuple[Activity, tuple[bool, frozenset[datetime]]]] = []
    for data in rows:
        row = existing.get(data.external_id)
        if row is None:
            row = Activity(external_id=data.external_id, schools=[], texts=[], cancellations=[])
            _write(row, data, schools, tz)
            session.add(row)
            created += 1
            continue
        before = _cancellations(row)
        if _write(row, data, schools, tz):
            row.updated_at = utcnow()
            updated += 1
            changed.append((row, before))
        else:
            unchanged += 1
    await session.flush()
    cancelled: list[tuple[int, datetime | None]] = []
    for row, (was_cancelled, was_days) in changed:
        now_cancelled, now_days = _cancellations(row)
        if now_cancelled and not was_cancelled:
            cancelled.append((row.id, None))
        elif not now_cancelled:
            cancelled += [(row.id, start) for start in sorted(now_days - was_days)]
    return ImportSummary(created, updated, unchanged, tuple(cancelled))


def _cancellations(row: Activity) -> tuple[bool, frozenset[datetime]]:
    """Whether the whole activity is off, and its cancelled occurrences."""
    return row.cancelled_at is not None, frozenset(c.occurrence_start for c in row.cancellations)


async def import_file(
    session: AsyncSession, filename: str, data: bytes, tz: ZoneInfo = BRUSSELS
) -> ImportOutcome:
    """Parse the file and, only if it has no error at all, apply it (the caller commits)."""
    schools = await repo.schools_by_code(session)
    parsed = parse_file(filename, data, known_schools=schools.keys(), tz=tz)
    if parsed.errors:
        return ImportOutcome(parsed.errors, None)
    return ImportOutcome([], await apply(session, parsed.rows, tz))
